from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField
from wtforms.validators import Optional, ValidationError

from portal.rules import INDUSTRIES
from portal.util import numbers
from portal.web.fields import NumberField
from portal.web.forms import BaseForm, SelectChoice


def industry_choices(locale: str) -> list[SelectChoice]:
    choices = [SelectChoice("", _l("Choose an industry"))]
    for key, industry in INDUSTRIES.items():
        choices.append(SelectChoice(key, industry.zh if locale == "zh" else industry.en))
    return choices


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


class ClassificationForm(BaseForm):
    """A GET form with no side effects: no CSRF token."""

    class Meta:
        csrf = False

    # Stripped: Optional() takes blanks for "not given", and the choice check with them.
    industry = SelectField(_l("Industry"), validators=[Optional()], filters=[_strip])
    code = StringField(
        _l("Or the industry code (GB/T 4754-2017)"),
        description=_l(
            "As on the business licence or in the statistics registry, for example 5211"
        ),
        validators=[Optional()],
        filters=[_strip],
    )
    employees = NumberField(
        _l("Employees (persons)"),
        validators=[Optional()],
        max_digits=numbers.INTEGER_DIGITS,
        grouping=True,
        message=_l("Enter 0 or more employees, as a whole number like 45"),
    )
    revenue = NumberField(
        _l("Operating revenue last year (10,000 yuan)"),
        validators=[Optional()],
        max_digits=numbers.WAN_YUAN_DIGITS,
        max_places=numbers.WAN_YUAN_PLACES,
        grouping=True,
        message=_l("Enter 0 or more, in 10,000 yuan, like 850.5"),
    )
    assets = NumberField(
        _l("Total assets (10,000 yuan)"),
        validators=[Optional()],
        max_digits=numbers.WAN_YUAN_DIGITS,
        max_places=numbers.WAN_YUAN_PLACES,
        grouping=True,
        message=_l("Enter 0 or more, in 10,000 yuan, like 850.5"),
    )

    def validate_industry(self, field) -> None:
        if not field.data and not (self.code.data or "").strip():
            raise ValidationError(_l("Choose an industry or enter its GB/T 4754 code"))


class CreditCodeLookupForm(BaseForm):
    class Meta:
        csrf = False

    credit_code = StringField(_l("Unified social credit code"))
