from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateField, SelectField
from wtforms.validators import DataRequired

from portal.features.reminders.forms import email_field
from portal.web.forms import BaseForm


class InviteForm(BaseForm):
    email = email_field(
        _l("Their e-mail address (optional)"),
        _l("For reminders: they confirm it by a link once their account is made"),
    )


class ApiGrantForm(BaseForm):
    """Let a system read this employer's standing (portal/features/api/operations.py)."""

    client_id = SelectField(_l("System"), coerce=int)
    until = DateField(
        _l("Until (last day)"),
        validators=[DataRequired(_l("Enter a date from 2000 to 2099, like 2022-08-15"))],
    )
