from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import TypedDict, TypeVar

from flask_babel import lazy_gettext as _l
from flask_wtf.file import MultipleFileField
from wtforms import BooleanField, Field, PasswordField, RadioField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, ValidationError

from portal.rules import INDUSTRIES, IndustryMatch, InvalidIndustryCode, industry_for_code
from portal.util import numbers
from portal.web.fields import number_message
from portal.web.forms import BaseForm, add_error

ENTER_CODE = "code"


class ParticularsForm(BaseForm):
    unit_kind = RadioField(
        _l("What kind of unit is it?"),
        description=_l(
            "We filled this in from the unified social credit code. Change it if it is wrong."
        ),
        validators=[InputRequired(_l("Choose the kind of unit"))],
        choices=[],
        validate_choice=True,
    )


class IndustryForm(BaseForm):
    industry = RadioField(
        _l("Which industry is the unit in?"),
        description=_l(
            "Choose one of the 16 industries of 工信部联企业〔2011〕300号, or enter the "
            "GB/T 4754-2017 industry code from the business licence."
        ),
        validators=[InputRequired(_l("Choose an industry, or choose to enter a code"))],
        choices=[],
    )
    code = StringField(
        _l("GB/T 4754-2017 industry code"),
        description=_l("For example C1311 or 5211"),
        validators=[Length(max=10, message=_l("Enter a code of 10 characters or fewer"))],
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.match: IndustryMatch | None = None

    def validate_code(self, field) -> None:
        if self.industry.data != ENTER_CODE:
            return
        if not (field.data or "").strip():
            raise ValidationError(_l("Enter the GB/T 4754-2017 industry code"))
        try:
            match = industry_for_code(field.data)
        except InvalidIndustryCode as error:
            raise ValidationError(
                _l("Enter a GB/T 4754-2017 code: a section letter and 2 to 4 digits, like C1311")
            ) from error
        if match.industry is None:
            raise ValidationError(
                _l(
                    "This code covers more than one industry. Enter the 4-digit code, or choose "
                    "the industry from the list"
                )
            )
        self.match = match

    def chosen(self) -> tuple[str, str | None, bool]:
        """The industry key, the code it came from, and whether the agency must check it."""
        if self.industry.data == ENTER_CODE and self.match is not None:
            assert self.match.industry is not None  # noqa: S101 - validate_code kept only such
            return self.match.industry, self.match.code, self.match.needs_review
        return self.industry.data, None, False


def _persons(text: str | None) -> int | None:
    """:raise NumberError: not a plain non-negative whole number that fits the column."""
    return numbers.parse_integer(text, max_digits=numbers.INTEGER_DIGITS, grouping=True)


def _wan_yuan(text: str | None) -> Decimal | None:
    """:raise NumberError: not a plain non-negative number that fits the application's column."""
    return numbers.parse_decimal(
        text,
        max_digits=numbers.WAN_YUAN_DIGITS,
        max_places=numbers.WAN_YUAN_PLACES,
        grouping=True,
    )


class Figures(TypedDict):
    """The declared figures, as ``set_figures`` takes them (None: not needed)."""

    employees: int | None
    revenue: Decimal | None
    assets: Decimal | None


_N = TypeVar("_N", int, Decimal)


class FiguresForm(BaseForm):
    employees = StringField(
        _l("Number of employees (persons)"),
        description=_l("从业人员: everyone the unit employs, in persons"),
    )
    revenue = StringField(
        _l("Operating revenue last year (万元)"),
        description=_l("营业收入, in units of 10,000 yuan, for example 850.5"),
    )
    assets = StringField(
        _l("Total assets (万元)"),
        description=_l("资产总额, in units of 10,000 yuan, for example 1200"),
    )

    MESSAGES = {
        "employees": (
            _l("Enter the number of employees"),
            _l("Enter the number of employees as a whole number, like 45"),
        ),
        "revenue": (
            _l("Enter the operating revenue in 万元"),
            _l("Enter the operating revenue as a number in 万元, like 850.5"),
        ),
        "assets": (
            _l("Enter the total assets in 万元"),
            _l("Enter the total assets as a number in 万元, like 1200"),
        ),
    }

    def __init__(self, *args, needed: tuple[str, ...] = (), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.needed = needed
        self.values = Figures(employees=None, revenue=None, assets=None)
        self._figures_valid = True

    def validate(self, extra_validators=None) -> bool:
        self._figures_valid = super().validate(extra_validators=extra_validators)
        self.values = Figures(
            employees=self._figure("employees", _persons),
            revenue=self._figure("revenue", _wan_yuan),
            assets=self._figure("assets", _wan_yuan),
        )
        return self._figures_valid

    def _figure(self, name: str, parse: Callable[[str | None], _N | None]) -> _N | None:
        """The figure ``name`` (None when not needed); a message beside it when it is missing
        or not a number."""
        if name not in self.needed:
            return None
        field: Field = getattr(self, name)
        missing, malformed = self.MESSAGES[name]
        try:
            value = parse(field.data)
        except numbers.NumberError as error:
            add_error(field, number_message(error, malformed))
            self._figures_valid = False
            return None
        if value is None:
            add_error(field, missing)
            self._figures_valid = False
        return value

    @property
    def error_fields(self) -> list:
        return [field for field in self if field.errors]


class EvidenceForm(BaseForm):
    files = MultipleFileField(
        _l("Upload evidence (optional)"),
        description=_l(
            "PDF, JPEG or PNG, up to 10 MB each and 5 files in all: for example the "
            "financial statements or the payroll summary."
        ),
    )


class SignForm(BaseForm):
    signatory_name = StringField(
        _l("Legal representative's full name"),
        description=_l("As on the business licence"),
        validators=[
            DataRequired(_l("Enter the legal representative's full name")),
            Length(max=100, message=_l("The name must be 100 characters or fewer")),
        ],
    )
    statement = BooleanField(
        _l(
            "I am the unit's legal representative, I have read the commitment letter, and I sign "
            "it for the unit. The information given is true."
        ),
        validators=[DataRequired(_l("Tick the box to confirm the statement"))],
    )
    password = PasswordField(
        _l("Your password"),
        description=_l("Enter the password you sign in with, to confirm that it is you"),
        validators=[DataRequired(_l("Enter your password"))],
    )


def industry_choices(names: dict[str, str], code_label: str) -> list[tuple[str, str]]:
    return [(key, names[key]) for key in INDUSTRIES] + [(ENTER_CODE, code_label)]


class Deferral2020Form(BaseForm):
    """The 2020 deferral by application: (Linyi) the ground, months, reason, and (Wuxi) the
    employees' agreement."""

    # Offered where the program has several grounds (鲁医保发〔2020〕23号 三); removed otherwise.
    route = RadioField(
        _l("On what ground does your employer apply?"),
        validators=[InputRequired(_l("Choose the ground on which your employer applies"))],
        choices=[],
        validate_choice=True,
    )
    # On the industry ground: which industry of 鲁政办发〔2020〕5号 (checked by the operation).
    ground = RadioField(_l("Which industry?"), choices=[], validate_choice=False)
    start_month = RadioField(
        _l("From which contribution month?"),
        validators=[InputRequired(_l("Choose the first month to defer"))],
        choices=[],
        validate_choice=True,
    )
    months = RadioField(
        _l("For how many months?"),
        validators=[InputRequired(_l("Choose how many months to defer"))],
        choices=[],
        validate_choice=True,
    )
    reason = TextAreaField(
        _l("Why can your employer not pay in full now?"),
        description=_l("For example: the epidemic stopped production, and orders are delayed."),
        validators=[
            InputRequired(_l("Say why your employer cannot pay the contributions in full now")),
            Length(max=1000, message=_l("Write the reason in 1000 characters or fewer")),
        ],
    )
    employees_agreed = BooleanField(
        _l("The deferral was agreed with the employees (经与职工协商一致)")
    )


class Deferral2020FilesForm(BaseForm):
    files = MultipleFileField(
        _l("Upload the application letter, commitment letter or application form"),
        description=_l("Images (JPEG or PNG) or PDF, up to 10 MB each and 5 files in all."),
    )
