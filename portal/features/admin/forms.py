from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.validators import DataRequired, Length, Optional, Regexp, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from portal.features.admin.operations import USERNAME_PATTERN
from portal.features.auth.passwords import MIN_LENGTH
from portal.util import numbers
from portal.web.forms import BaseForm, SelectChoice


def _optional_id(value: object) -> int | str | None:
    """A user id, None for "anyone", or the text itself when it is no id (``validate_staff``)."""
    if value in (None, "", "None"):
        return None
    try:
        return numbers.parse_integer(str(value), max_digits=numbers.INTEGER_DIGITS)
    except numbers.NumberError:
        return str(value)


# The audit log starts with the portal; the filter's dates stay well inside Python's calendar
# (the end date's next midnight is the bound the query compares with).
FIRST_DATE = date(2000, 1, 1)
LAST_DATE = date(2099, 12, 31)
DATE_MESSAGE = _l("Enter a date from 2000 to 2099, like 2022-08-15")


class StaffUserForm(BaseForm):
    display_name = StringField(
        _l("Full name"), validators=[DataRequired(_l("Enter the person's full name"))]
    )
    username = StringField(
        _l("Username"),
        validators=[
            DataRequired(_l("Choose a username")),
            Regexp(
                USERNAME_PATTERN,
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


class AuditFilterForm(BaseForm):
    """The audit view's filters: a GET form, so no CSRF token (it changes nothing)."""

    class Meta:
        csrf = False

    staff = SelectField(_l("Staff member"), coerce=_optional_id, validate_choice=False)
    employer = StringField(_l("Employer: credit code, unit number or part of the name"))
    action = SelectField(_l("Action"), validate_choice=False)
    from_date = DateField(_l("From (date)"), validators=[Optional()])
    to_date = DateField(_l("To (date)"), validators=[Optional()])

    def validate_staff(self, field) -> None:
        if isinstance(field.data, str):
            raise ValidationError(_l("Choose a staff member from the list"))

    def validate_from_date(self, field) -> None:
        if field.data and not FIRST_DATE <= field.data <= LAST_DATE:
            raise ValidationError(DATE_MESSAGE)

    def validate_to_date(self, field) -> None:
        if field.data and not FIRST_DATE <= field.data <= LAST_DATE:
            raise ValidationError(DATE_MESSAGE)
        if field.data and self.from_date.data and field.data < self.from_date.data:
            raise ValidationError(_l("Enter an end date on or after the start date"))


class ApiClientForm(BaseForm):
    """A token for another system (portal/features/api/operations.py ``issue_client``)."""

    name = StringField(
        _l("System"),
        description=_l("Who will use the token, e.g. 乌海市税务局 缓缴清单接口"),
        validators=[DataRequired(_l("Enter the name of the system the token is for"))],
    )
    scopes = SelectMultipleField(
        _l("What it may use"),
        choices=[
            SelectChoice("tax-list", _l("The deferral list feed (tax-list)")),
            SelectChoice("standing", _l("Employers' standing, where their owner grants it")),
            SelectChoice(
                "collections",
                _l("Payment returns from the tax bureau (collections): needs “May write”"),
            ),
        ],
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
        validators=[DataRequired(_l("Choose at least one thing the token may read"))],
    )
    can_write = BooleanField(
        _l("May write"),
        description=_l(
            "Only for a system that sends data to the portal (the tax bureau's payment "
            "returns). Without it the token only reads."
        ),
    )
    agency_ids = SelectMultipleField(
        _l("Agencies whose rows it may read or send"),
        coerce=int,
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )
    expires_on = DateField(
        _l("Last day it works"),
        validators=[DataRequired(_l("Enter a date from 2000 to 2099, like 2022-08-15"))],
    )
