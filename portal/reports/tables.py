"""The 缓缴清单 and the monthly report as tables (portal/reports/files.py writes them)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from flask_babel import gettext as _

from portal.reports.files import Column, Table
from portal.reports.queries import MonthlyReport, ReportLine, TaxListRow
from portal.rules.exchange import TaxListFormat, tax_list_format

# The bureau's column names (内医保办发〔2022〕19号 五), in its order: a data format shared with
# another system, the same in every interface language.
TAX_LIST_HEADERS = (
    "统一社会信用代码",
    "单位名称",
    "缓缴类型",
    "医保经办机构代码",
    "医保单位编号",
    "险种类型代码",
    "缓缴人数",
    "缓缴金额",
    "缓缴所属期起",
    "缓缴所属期止",
    "缓缴期限",
    "传输时间",
)
_EXCEL = {"%Y": "yyyy", "%m": "mm", "%d": "dd", "%H": "hh", "%M": "mm", "%S": "ss"}


def excel_format(strftime: str) -> str:
    """The Excel number format that shows a date as ``strftime`` does (%Y %m %d %H %M %S)."""
    for directive, code in _EXCEL.items():
        strftime = strftime.replace(directive, code)
    return strftime


def tax_list_table(rows: Sequence[TaxListRow], at: datetime) -> Table:
    """The file's rows; ``at`` (aware) is the 传输时间 of every row."""
    fmt: TaxListFormat = tax_list_format()
    day, moment = fmt.date_format.value, fmt.time_format.value
    widths = (22, 36, 10, 18, 16, 12, 10, 14, 14, 14, 12, 18)
    columns = [
        Column(header, width=width) for header, width in zip(TAX_LIST_HEADERS, widths, strict=True)
    ]
    columns[10] = Column(TAX_LIST_HEADERS[10], day, excel_format(day), widths[10])
    columns[11] = Column(TAX_LIST_HEADERS[11], moment, excel_format(moment), widths[11])
    local = at.astimezone(ZoneInfo(fmt.time_zone.value))
    return Table(
        "缓缴清单",
        columns,
        [
            [
                row.credit_code,
                row.name,
                fmt.deferral_type.value,
                row.agency_code,
                row.unit_number,
                fmt.insurance_type.value,
                row.headcount,
                row.unit_amount,
                fmt.month(row.period_start),
                fmt.month(row.period_end),
                row.deadline,
                local,
            ]
            for row in rows
        ],
    )


def monthly_columns() -> list[Column]:
    return [
        Column(_("Month"), width=10),
        Column(_("As of"), width=12),
        Column(_("Agency code"), width=12),
        Column(_("Agency"), width=24),
        Column(_("Employers deferring"), width=12),
        Column(_("Persons"), width=10),
        Column(_("Amount deferred (yuan)")),
        Column(_("Amount caught up (yuan)")),
        Column(_("Outstanding at month end (yuan)"), width=18),
        Column(_("Late fees charged (yuan)")),
        Column(_("Opted out"), width=10),
        Column(_("Applications received"), width=12),
        Column(_("Applications approved"), width=12),
        Column(_("Applications rejected"), width=12),
        Column(_("Applications overdue"), width=12),
    ]


def report_cells(report: MonthlyReport, line: ReportLine) -> list:
    return [
        report.month,
        report.as_of,
        line.agency_code,
        line.agency_name,
        line.employers,
        line.persons,
        line.deferred_amount,
        line.caught_up_amount,
        line.outstanding_amount,
        line.late_fee_amount,
        line.opted_out,
        line.received,
        line.approved,
        line.rejected,
        line.overdue,
    ]


def monthly_table(report: MonthlyReport) -> Table:
    """One row per agency, then the total when there are several."""
    rows = [report_cells(report, line) for line in report.lines]
    if len(report.lines) > 1:
        total = report_cells(report, report.total)
        total[2], total[3] = _("Total"), ""
        rows.append(total)
    return Table(_("Deferral report %(month)s", month=report.month), monthly_columns(), rows)
