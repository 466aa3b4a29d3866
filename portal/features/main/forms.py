from wtforms import HiddenField

from portal.web.forms import BaseForm


class LanguageForm(BaseForm):
    locale = HiddenField()
