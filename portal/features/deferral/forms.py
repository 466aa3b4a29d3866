from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, RadioField
from wtforms.validators import InputRequired

from portal.web.forms import BaseForm


class ChoiceForm(BaseForm):
    choice = RadioField(
        _l("What do you want to do?"),
        validators=[
            InputRequired(_l("Choose whether to defer, and for which period, or to opt out"))
        ],
    )


class ConfirmDecisionForm(BaseForm):
    choice = HiddenField()
    based_on = HiddenField()
