from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, StringField
from wtforms.validators import Length, Optional, ValidationError

from portal.web.forms import BaseForm

# One @, something on each side, a dot in the domain, no spaces: what a person can mistype is
# caught here; whether the address works is what the confirmation link finds out.
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s.]+(\.[^@\s.]+)+$")
EMAIL_MESSAGE = _l("Enter an e-mail address like name@example.com")


def validate_email(form, field) -> None:
    if field.data and not EMAIL_RE.match(field.data.strip()):
        raise ValidationError(EMAIL_MESSAGE)


def email_field(label, description=None) -> StringField:
    return StringField(
        label,
        description=description,
        validators=[
            Optional(),
            Length(max=254, message=_l("An e-mail address has at most 254 characters")),
            validate_email,
        ],
    )


class EmailForm(BaseForm):
    email = email_field(
        _l("E-mail address"),
        _l("We send a link there first: nothing else goes to the address until you open it"),
    )


class RemindersForm(BaseForm):
    enabled = HiddenField(validators=[Optional()])


class ConfirmEmailForm(BaseForm):
    """The button on the confirmation page (a link scanner's GET confirms nothing)."""
