from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    Optional,
    ValidationError,
)

from portal.util.numbers import parse_id
from portal.web.fields import NumberField
from portal.web.forms import BaseForm, SelectChoice, entered

PHONE = re.compile(r"\+?[0-9()][0-9 ()\-]*[0-9]", re.ASCII)


class VisitorForm(BaseForm):
    """Who came to the hall, and in what capacity they act for the employer."""

    visitor_name = StringField(
        _l("Visitor's full name"),
        validators=[
            DataRequired(_l("Enter the visitor's full name, as on the identity card")),
            Length(max=100, message=_l("Enter at most 100 characters")),
        ],
    )
    id_number = StringField(
        _l("Identity card number"),
        description=_l("18 characters, from the card the visitor shows"),
        validators=[DataRequired(_l("Enter the visitor's identity card number"))],
    )
    capacity = RadioField(
        _l("The visitor acts as"),
        choices=[
            SelectChoice("legal_representative", _l("Legal representative of the employer")),
            SelectChoice("agent", _l("Agent with a letter of authority")),
        ],
        validators=[
            InputRequired(_l("Choose whether the visitor is the legal representative or an agent"))
        ],
    )
    letter = FileField(
        _l("Scanned letter of authority"),
        description=_l(
            "Agents only: the signed and stamped letter, as PDF, JPEG or PNG, up to 10 MB"
        ),
    )


def _agency_id(value: object) -> int | None:
    """The chosen agency's id, None for none chosen or anything that is no id."""
    if isinstance(value, int):
        return value
    return parse_id(None if value is None else str(value))


class HallForm(BaseForm):
    agency_id = SelectField(
        _l("Agency whose hall it is"),
        description=_l("Its clerks record paper signatures at this hall"),
        coerce=_agency_id,
        validate_choice=False,
    )
    city = StringField(
        _l("City"),
        validators=[
            DataRequired(_l("Enter the city")),
            Length(max=50, message=_l("Enter at most 50 characters")),
        ],
    )
    district = StringField(
        _l("District or county"),
        validators=[
            DataRequired(_l("Enter the district or county the hall serves")),
            Length(max=50, message=_l("Enter at most 50 characters")),
        ],
    )
    address = StringField(
        _l("Address"),
        validators=[
            DataRequired(_l("Enter the hall's address")),
            Length(max=200, message=_l("Enter at most 200 characters")),
        ],
    )
    phone = StringField(
        _l("Phone number"),
        validators=[
            DataRequired(_l("Enter the hall's phone number")),
            Length(max=40, message=_l("Enter at most 40 characters")),
        ],
    )
    note = TextAreaField(_l("Note (optional)"), validators=[Optional()])
    position = NumberField(
        _l("Position in the list"),
        default=0,
        validators=[InputRequired(_l("Enter a whole number for the position in the list"))],
        max_digits=4,
        message=_l("Enter a whole number from 0 to 9999"),
    )
    is_listed = BooleanField(_l("Show on the public page"), default=True)

    def validate_phone(self, field) -> None:
        # A number as printed on a notice: digits, with an area code separated by a dash or
        # space, perhaps in brackets, perhaps after +86; 高新区's printed number has six digits.
        text = (field.data or "").strip()
        digits = sum(ch.isdigit() for ch in text)
        if not PHONE.fullmatch(text) or not 6 <= digits <= 20:
            raise ValidationError(_l("Enter the phone number in digits, like 0539-8101230"))

    def validate_agency_id(self, field) -> None:
        offered = {choice.value for choice in field.choices if choice.value != ""}
        if field.data not in offered:
            raise ValidationError(_l("Choose the agency whose hall it is"))

    def validate_position(self, field) -> None:
        if field.data is None:  # only blanks typed: InputRequired saw text
            raise ValidationError(_l("Enter a whole number for the position in the list"))

    def values(self) -> dict[str, object]:
        return {
            "agency_id": self.agency_id.data,
            "city": entered(self.city.data).strip(),
            "district": entered(self.district.data).strip(),
            "address": entered(self.address.data).strip(),
            "phone": entered(self.phone.data).strip(),
            "note": (self.note.data or "").strip() or None,
            "position": self.position.data,
            "is_listed": bool(self.is_listed.data),
        }


class PaperSignatureForm(BaseForm):
    """The commitment letter came back signed and stamped: record it with its scan."""

    signatory_name = StringField(
        _l("Legal representative who signed"),
        validators=[
            DataRequired(_l("Enter the name of the legal representative who signed the letter")),
            Length(max=100, message=_l("Enter at most 100 characters")),
        ],
    )
    signed_on = DateField(
        _l("Date on the letter"),
        validators=[InputRequired(_l("Enter the date written on the letter, like 2022-08-15"))],
    )
    hall_id = SelectField(
        _l("Service hall where it was signed"),
        coerce=int,
        validators=[InputRequired(_l("Choose the service hall where the letter was signed"))],
    )
    scan = FileField(
        _l("Scan of the signed and stamped letter"),
        description=_l("PDF, JPEG or PNG, up to 10 MB"),
    )
    is_original_seen = BooleanField(
        _l("I have seen the original: signed by the legal representative and stamped"),
        validators=[DataRequired(_l("Confirm that you have seen the signed and stamped original"))],
    )
