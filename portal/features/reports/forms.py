from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateField, MonthField, RadioField, SelectField
from wtforms.validators import InputRequired, Optional, ValidationError

from portal.web.fields import NumberField
from portal.web.forms import BaseForm, SelectChoice

DATE_MESSAGE = _l("Enter the date of the list, for example 2022-08-15")
MONTH_MESSAGE = _l("Enter the month of the report, for example 2022-08")


class _DateField(DateField):
    """A date field whose message for a date it cannot read says what to type."""

    def process_formdata(self, valuelist) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError as error:
            raise ValueError(str(DATE_MESSAGE)) from error


class _MonthField(MonthField):
    def process_formdata(self, valuelist) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError as error:
            raise ValueError(str(MONTH_MESSAGE)) from error


FORMAT_CHOICES = [
    SelectChoice("xlsx", _l("Excel (.xlsx)")),
    SelectChoice("csv", _l("CSV (UTF-8)")),
]


class TaxListForm(BaseForm):
    """The 缓缴清单 download: a POST, because every export is recorded."""

    on = _DateField(
        _l("List as of (date)"),
        validators=[InputRequired(DATE_MESSAGE)],
        description=_l(
            "The persons and amount are the agency's assessment of this date's contribution"
            " month, blank while that month is not assessed."
        ),
    )
    agency = SelectField(_l("Agency"), validate_choice=False)
    since_last = BooleanField(
        _l("Only employers new or changed since the last export (daily sharing)")
    )
    monthly = BooleanField(
        _l(
            "Monthly sharing (按月共享): last month's list with last month's persons and amounts,"
            " for statistics"
        )
    )
    file_format = RadioField(_l("File format"), choices=FORMAT_CHOICES, default="xlsx")

    def validate_monthly(self, field) -> None:
        if field.data and self.since_last.data:
            raise ValidationError(
                _l(
                    "Choose either the changes since the last export or the monthly sharing:"
                    " the monthly sharing is the whole list of last month"
                )
            )


class MonthlyReportForm(BaseForm):
    """The report's filters: a GET form, so no CSRF token (it changes nothing)."""

    class Meta:
        csrf = False

    month = _MonthField(
        _l("Month"),
        validators=[InputRequired(MONTH_MESSAGE)],
    )
    agency = SelectField(_l("Agency"), validate_choice=False)

    def __init__(self, *args, today=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.today = today

    def validate_month(self, field) -> None:
        if field.data and self.today and field.data > self.today:
            raise ValidationError(_l("Enter a month that has begun"))


class SendReportForm(BaseForm):
    """Mark the month's report as sent: a POST with its CSRF token (the month and agency come
    with it, as the report's filters)."""


def _fund_amount(label) -> NumberField:
    """An optional amount of the fund in 万元, as the agency's accounts give it."""
    return NumberField(
        label,
        validators=[Optional()],
        max_digits=12,
        max_places=2,
        grouping=True,
        message=_l("Enter an amount in 万元, like 12,345.67"),
    )


class StatisticsForm(BaseForm):
    """The 附表's month and the fund's figures (万元), which the agency's own accounts give: a
    GET form (it changes nothing)."""

    class Meta:
        csrf = False

    month = _MonthField(
        _l("Month of the report (报送时间)"), validators=[InputRequired(MONTH_MESSAGE)]
    )
    balance = _fund_amount(_l("Fund balance at the end of last month (万元)"))
    income = _fund_amount(_l("Fund income last month (万元)"))
    expenditure = _fund_amount(_l("Fund expenditure last month (万元)"))
