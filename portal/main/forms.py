from wtforms import HiddenField

from portal.forms import BaseForm


class LanguageForm(BaseForm):
    locale = HiddenField()
