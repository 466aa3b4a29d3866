from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Regexp

from portal.auth.passwords import MIN_LENGTH
from portal.forms import BaseForm


class StaffUserForm(BaseForm):
    display_name = StringField(
        _l("Full name"), validators=[DataRequired(_l("Enter the person's full name"))]
    )
    username = StringField(
        _l("Username"),
        validators=[
            DataRequired(_l("Choose a username")),
            Regexp(
                r"^[A-Za-z0-9._-]{3,40}$",
                message=_l("Use 3 to 40 letters, digits, dots, dashes or underscores"),
            ),
        ],
    )
    staff_role = SelectField(
        _l("Role"),
        choices=[
            SelectChoice("hall", _l("Service-hall staff")),
            SelectChoice("reviewer", _l("Agency reviewer")),
            SelectChoice("admin", _l("Administrator")),
        ],
    )
    agency_id = SelectField(_l("Agency"), coerce=int)
    password = PasswordField(
        _l("Initial password"),
        validators=[
            DataRequired(_l("Choose an initial password")),
            Length(min=MIN_LENGTH, message=_l("Use at least %(n)d characters", n=MIN_LENGTH)),
        ],
    )
