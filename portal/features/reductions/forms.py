from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import RadioField, StringField
from wtforms.validators import InputRequired, Length, Optional

from portal.web.forms import BaseForm, SelectChoice


class ReturnChoiceForm(BaseForm):
    choice = RadioField(
        _l("What should happen to the over-collected amount?"),
        choices=[
            SelectChoice("refund", _l("Refund it")),
            SelectChoice("offset", _l("Offset it against later months")),
        ],
        validators=[InputRequired(_l("Choose refund or offset"))],
    )
    account = StringField(
        _l("Account for the refund (bank and account number)"),
        validators=[
            Optional(),
            Length(max=100, message=_l("Enter the account in 100 characters or fewer")),
        ],
    )
