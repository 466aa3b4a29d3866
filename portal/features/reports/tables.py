"""The 缓缴清单 and the monthly report as tables (portal/features/reports/files.py writes them)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask_babel import gettext as _

from portal.features.reports.files import Column, Table
from portal.features.reports.queries import MonthlyReport, ReportLine, TaxListRow
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


# 职工医保阶段性减征医保费统计表 (锡医保服务〔2020〕11号 三（六）附表): its columns in its order and
# words, the same in every interface language (a form the agencies send on). "退勤/代扣" in the
# scanned seed is read as 退费/代扣 (refund or offset, 三（四）).
STATISTICS_HEADERS = (
    "序号",
    "设区市",
    "发文时间（年月日）",
    "发文部门",
    "生效时间（年月日）",
    "文件名称",
    "减征后单位缴费率",
    "减征期限（明确到具体日期）",
    "截至上月底基金累计结余（万元）",
    "上月基金收入（万元）",
    "上月基金支出（万元）",
    "涉及企业数",
    "涉及参保职工人数",
    "退费/代扣企业数",
    "减征医保费（万元）",
)
TEN_THOUSAND = Decimal(10000)


def statistics_cells(row, fund: dict[str, Decimal | None], number: int) -> list:
    """One row of the 附表 as typed cells; money in 万元 where the table says so."""
    from portal.rules import load_program

    program = load_program(row.program_id)
    document = program.documents[0]
    totals = row.totals
    return [
        number,
        row.region_name,
        document.issued_on,
        document.issuer or "",
        row.starts_on,
        f"{document.title}（{document.number}）",
        f"{(totals.reduced_rate * 100).normalize():f}%",
        f"{totals.period_start:%Y-%m-%d} 至 {totals.period_end:%Y-%m-%d}",
        fund.get("balance"),
        fund.get("income"),
        fund.get("expenditure"),
        totals.enterprises,
        totals.employees,
        row.refund_or_offset_employers,
        totals.reduced_amount / TEN_THOUSAND,
    ]


def statistics_table(rows, fund: dict[str, Decimal | None]) -> Table:
    widths = (6, 10, 14, 30, 14, 40, 10, 26, 16, 14, 14, 10, 12, 12, 14)
    columns = [Column(h, width=w) for h, w in zip(STATISTICS_HEADERS, widths, strict=True)]
    return Table(
        "职工医保阶段性减征医保费统计表",
        columns,
        [statistics_cells(row, fund, i) for i, row in enumerate(rows, start=1)],
    )
