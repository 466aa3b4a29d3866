"""Wuxi's monthly statistics, the 附表 of 锡医保服务〔2020〕11号 三（六） (职工医保阶段性减征医保费
统计表; DOMAIN.md §8.4): one row per region running wuxi-2020, read in two statements, and its
table in the form's columns (``files`` writes it).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select

from portal import rules
from portal.core.extensions import db
from portal.core.tables import Column, Table
from portal.features.reports.monthly import end_of_day
from portal.models import Agency, Assessment, Employer, PoolingRegion, ReturnChoice
from portal.rules.months import add_months, last_day

STATISTICS_PROGRAM = "wuxi-2020"


@dataclass(frozen=True)
class StatisticsRow:
    """One 设区市's row of 职工医保阶段性减征医保费统计表 (附表)."""

    region_name: str
    program_id: str
    starts_on: date  # 生效时间: the program's first day in the region (rules/data/regions.yaml)
    totals: rules.ReductionTotals
    # 退费/代扣企业数: employers that had chosen refund or offset by the end of the month reported
    refund_or_offset_employers: int


def reduction_statistics(report_month: str, *, agency_id: int | None = None) -> list[StatisticsRow]:
    """The 附表's rows for ``report_month`` (报送时间): figures through the month before and
    counts as at its end, one row per region running wuxi-2020, over the agency's employers
    (or all). Two statements."""
    through = add_months(report_month, -1)
    regions = [
        r
        for r in db.session.scalars(select(PoolingRegion).order_by(PoolingRegion.code))
        if STATISTICS_PROGRAM in r.programs.program_ids
    ]
    if not regions:
        return []
    ids = [r.id for r in regions]
    scope = select(Employer.id).join(Agency, Agency.id == Employer.agency_id)
    scope = scope.where(Agency.region_id.in_(ids))
    if agency_id is not None:
        scope = scope.where(Employer.agency_id == agency_id)
    months = rules.rate_months(STATISTICS_PROGRAM)
    assessed: dict[int, list[rules.AssessedMonth]] = defaultdict(list)
    for row in db.session.execute(
        select(
            Agency.region_id,
            Assessment.employer_id,
            Employer.unit_kind,
            Assessment.month,
            Assessment.contribution_base_amount,
            Assessment.headcount,
        )
        .join(Employer, Employer.id == Assessment.employer_id)
        .join(Agency, Agency.id == Employer.agency_id)
        .where(Assessment.employer_id.in_(scope), Assessment.month.in_(months))
    ):
        assessed[row[0]].append(rules.AssessedMonth(*row[1:]))
    # 退费/代扣企业数 as at the end of the month reported, like the other counts: a choice made
    # later is not in an earlier month's table (midnight in China ends the month).
    chose = dict(
        db.session.execute(
            select(Agency.region_id, func.count(func.distinct(ReturnChoice.employer_id)))
            .join(Employer, Employer.id == ReturnChoice.employer_id)
            .join(Agency, Agency.id == Employer.agency_id)
            .where(
                ReturnChoice.employer_id.in_(scope),
                ReturnChoice.program_id == STATISTICS_PROGRAM,
                ReturnChoice.decided_at < end_of_day(last_day(through)),
            )
            .group_by(Agency.region_id)
        ).all()
    )
    rows = []
    for region in regions:
        term = next(t for t in region.programs.terms if t.program_id == STATISTICS_PROGRAM)
        rows.append(
            StatisticsRow(
                region.name,
                STATISTICS_PROGRAM,
                term.start.value,
                rules.reduction_totals(
                    STATISTICS_PROGRAM, assessed.get(region.id, ()), through_month=through
                ),
                int(chose.get(region.id, 0)),
            )
        )
    return rows


# ---------------------------------------------------------------------------------------- the table

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
STATISTICS_TITLE = "职工医保阶段性减征医保费统计表"


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


@dataclass(frozen=True)
class AnnexLines:
    """The 附表's lines around the table, from the agency's reference data (``Agency``):
    填报单位 and 报送时间 above it, 填报人, 联系电话 and 手机号码 below it. None: not on file,
    left blank to be written in by hand."""

    unit: str | None  # 填报单位: the agency's name
    reported_on: date  # 报送时间: the day the table is made
    contact: str | None  # 填报人: the agency's contact for reports (统计联系人)
    phone: str | None  # 联系电话
    mobile: str | None  # 手机号码

    @property
    def is_complete(self) -> bool:
        return None not in (self.unit, self.contact, self.phone, self.mobile)

    def header(self) -> list[tuple[str, str]]:
        """填报单位 and 报送时间, as the form words them (the same in every language)."""
        day = self.reported_on
        written = f"{day.year}年{day.month}月{day.day}日"  # the form's 20__年__月__日
        return [("填报单位", self.unit or ""), ("报送时间", written)]

    def footer(self) -> list[tuple[str, str]]:
        return [
            ("填报人", self.contact or ""),
            ("联系电话", self.phone or ""),
            ("手机号码", self.mobile or ""),
        ]


def annex_lines(agency: Agency | None, on: date) -> AnnexLines:
    """The 附表's header and footer for ``agency`` (None: every agency, no one's details) made
    on ``on``."""
    if agency is None:
        return AnnexLines(None, on, None, None, None)
    return AnnexLines(
        agency.name,
        on,
        agency.report_contact,
        agency.report_contact_phone,
        agency.report_contact_mobile,
    )


#: Where the form puts its header's and footer's items across the table's 15 columns.
_HEADER_AT = (0, 11)
_FOOTER_AT = (0, 5, 11)


def _spread(items: list[tuple[str, str]], at: tuple[int, ...]) -> list[str | None]:
    line: list[str | None] = [None] * len(STATISTICS_HEADERS)
    for (label, value), column in zip(items, at, strict=True):
        line[column] = f"{label}：{value}"
    return line


def statistics_table(rows, fund: dict[str, Decimal | None], lines: AnnexLines) -> Table:
    """The 附表 as the form lays it out: its title, 填报单位 and 报送时间, the table, then
    填报人, 联系电话 and 手机号码."""
    widths = (6, 10, 14, 30, 14, 40, 10, 26, 16, 14, 14, 10, 12, 12, 14)
    columns = [Column(h, width=w) for h, w in zip(STATISTICS_HEADERS, widths, strict=True)]
    return Table(
        STATISTICS_TITLE,
        columns,
        [statistics_cells(row, fund, i) for i, row in enumerate(rows, start=1)],
        above=[[STATISTICS_TITLE], _spread(lines.header(), _HEADER_AT)],
        below=[_spread(lines.footer(), _FOOTER_AT)],
    )
