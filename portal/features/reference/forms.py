from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from portal.features.hall.forms import PHONE
from portal.features.reference.operations import province_of
from portal.web.fields import NumberField
from portal.web.forms import BaseForm

#: The region choice that asks for a new region's code and name instead.
NEW_REGION = "new"

_FULL_WIDTH = str.maketrans("０１２３４５６７８９－", "0123456789-")
_MONTH = re.compile(r"(20[0-9]{2})-(0[1-9]|1[0-2])", re.ASCII)
_AGENCY_CODE = re.compile(r"[A-Za-z0-9-]{1,20}", re.ASCII)
_REGION_CODE = re.compile(r"[0-9]{6}", re.ASCII)


def _folded(text: str | None) -> str:
    """What was typed, without surrounding spaces, full-width digits made ASCII."""
    return (text or "").strip().translate(_FULL_WIDTH)


def _check_phone(field) -> None:
    # As on a notice: digits, an area code after a dash or space, perhaps in brackets or +86.
    text = (field.data or "").strip()
    if text and (not PHONE.fullmatch(text) or not 6 <= sum(c.isdigit() for c in text) <= 20):
        raise ValidationError(_l("Enter a phone number, like 0635-8241234"))


class AgencyForm(BaseForm):
    code = StringField(
        _l("Agency code (医保经办机构代码)"),
        validators=[DataRequired(_l("Enter the agency's code"))],
    )
    name = StringField(
        _l("Agency name"),
        validators=[
            DataRequired(_l("Enter the agency's name")),
            Length(max=100, message=_l("Enter at most 100 characters")),
        ],
    )
    region = SelectField(
        _l("Pooling region (统筹地区)"),
        description=_l("Its employers run the program of this region"),
        validate_choice=False,
    )
    new_region_code = StringField(
        _l("New pooling region: code (统筹地区代码)"),
        description=_l("The region's 6-digit administrative code, like 371500"),
    )
    new_region_name = StringField(
        _l("New pooling region: name"),
        validators=[Length(max=100, message=_l("Enter at most 100 characters"))],
    )
    address = StringField(
        _l("Address (optional)"),
        validators=[Optional(), Length(max=200, message=_l("Enter at most 200 characters"))],
    )
    phone = StringField(
        _l("Phone number (optional)"),
        validators=[Optional(), Length(max=40, message=_l("Enter at most 40 characters"))],
    )
    report_contact = StringField(
        _l("Contact for reports (统计联系人, optional)"),
        description=_l("The monthly deferral report names this person"),
        validators=[Optional(), Length(max=100, message=_l("Enter at most 100 characters"))],
    )
    report_contact_phone = StringField(
        _l("Their phone number (联系电话, optional)"),
        validators=[Optional(), Length(max=40, message=_l("Enter at most 40 characters"))],
    )
    report_contact_mobile = StringField(
        _l("Their mobile number (手机号码, optional)"),
        description=_l("The footer of Wuxi's statistics table (附表) asks for it"),
        validators=[Optional(), Length(max=40, message=_l("Enter at most 40 characters"))],
    )

    @property
    def is_new_region(self) -> bool:
        return self.region.data == NEW_REGION

    def validate_code(self, field) -> None:
        field.data = _folded(field.data)
        if not _AGENCY_CODE.fullmatch(field.data):
            raise ValidationError(_l("Use up to 20 letters, digits or dashes, like LC01"))

    def validate_region(self, field) -> None:
        if field.data == NEW_REGION:
            return
        if not field.data or field.data not in {str(c.value) for c in field.choices or ()}:
            raise ValidationError(
                _l("Choose the agency's pooling region, or a new one and enter its code and name")
            )

    def validate_new_region_code(self, field) -> None:
        if not self.is_new_region:
            return
        field.data = _folded(field.data)
        if not field.data:
            raise ValidationError(_l("Enter the new pooling region's code, like 371500"))
        if not _REGION_CODE.fullmatch(field.data) or province_of(field.data) is None:
            raise ValidationError(
                _l(
                    "Enter the 6-digit administrative code of the region, like 371500: its "
                    "first two digits name the province"
                )
            )

    def validate_new_region_name(self, field) -> None:
        if self.is_new_region and not (field.data or "").strip():
            raise ValidationError(_l("Enter the new pooling region's name, like 聊城市"))

    def validate_phone(self, field) -> None:
        _check_phone(field)

    def validate_report_contact_phone(self, field) -> None:
        _check_phone(field)

    def validate_report_contact_mobile(self, field) -> None:
        _check_phone(field)


def _month_field(label, required_message):
    return StringField(
        label,
        description=_l("Year and month, like 2022-08"),
        validators=[DataRequired(required_message)],
    )


def _check_month(field) -> None:
    text = _folded(field.data)
    match = _MONTH.fullmatch(text) or _MONTH.fullmatch(text.replace("/", "-").replace(".", "-"))
    if match is None:
        raise ValidationError(_l("Write the month as year-month, like 2022-08"))
    field.data = f"{match.group(1)}-{match.group(2)}"


# Made before the figures' fields, so that a new row's form shows (and lists the problems of)
# its month first: WTForms orders fields by when they were made.
_MONTH_OF_FIGURE = _month_field(
    _l("Month (年月)"), _l("Enter the month of the figure, like 2022-08")
)
_START_MONTH = _month_field(
    _l("From the month (起始年月)"), _l("Enter the month the rates apply from, like 2022-07")
)


class FundReserveForm(BaseForm):
    months = NumberField(
        _l("Months of payouts the fund reserve covers (可支付月数)"),
        description=_l("As the fund reports it, up to 2 decimal places, like 14.2"),
        validators=[InputRequired(_l("Enter the number of months, like 14.2"))],
        max_digits=4,
        max_places=2,
        message=_l("Enter the number of months as a number of 0 or more, like 14.2"),
    )


class NewFundReserveForm(FundReserveForm):
    month = _MONTH_OF_FIGURE

    def validate_month(self, field) -> None:
        _check_month(field)


RATE_MESSAGE = _l("Enter the rate as a decimal from 0 to 1, like 0.065 for 6.5%")


class RatesForm(BaseForm):
    unit_medical_rate = NumberField(
        _l("Unit medical insurance rate (单位医疗费率)"),
        description=_l("As a decimal, like 0.065 for 6.5%"),
        validators=[InputRequired(_l("Enter the unit medical insurance rate, like 0.065"))],
        max_digits=3,  # 6.5 or 65 (a percentage) is refused in words, not by its digits
        max_places=4,
        message=RATE_MESSAGE,
    )
    maternity_rate = NumberField(
        _l("Maternity insurance rate (生育费率)"),
        description=_l("As a decimal, like 0.008 for 0.8%"),
        validators=[InputRequired(_l("Enter the maternity insurance rate, like 0.008"))],
        max_digits=3,  # 6.5 or 65 (a percentage) is refused in words, not by its digits
        max_places=4,
        message=RATE_MESSAGE,
    )

    def validate_unit_medical_rate(self, field) -> None:
        if field.data is not None and field.data > 1:
            raise ValidationError(RATE_MESSAGE)

    def validate_maternity_rate(self, field) -> None:
        if field.data is not None and field.data > 1:
            raise ValidationError(RATE_MESSAGE)


class NewRatesForm(RatesForm):
    start_month = _START_MONTH

    def validate_start_month(self, field) -> None:
        _check_month(field)
