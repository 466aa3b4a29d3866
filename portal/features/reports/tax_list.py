"""The 缓缴清单 for the tax bureau (内医保办发〔2022〕19号 五; DOMAIN.md §8.3): its rows, read for
many employers at once (``portal.facts.standing.standings`` and one statement more), and its
table in the bureau's columns (``files`` writes it; ``operations.export_tax_list`` sends it).
Who is on it is ``portal.rules.exchange.is_on_tax_list``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from portal.core.extensions import db
from portal.core.tables import Column, Table
from portal.facts.standing import employers_where, standings
from portal.models import Agency, Employer, TaxListExportRow
from portal.rules.exchange import (
    TaxListFormat,
    current_figures,
    is_on_tax_list,
    tax_list_format,
)


@dataclass(frozen=True)
class TaxListRow:
    """One employer's row of the 缓缴清单, as facts (``tax_list_table`` makes the file's cells)."""

    employer_id: int
    credit_code: str
    name: str
    agency_code: str
    unit_number: str
    month: str  # the contribution month of 当期数
    headcount: int | None
    unit_amount: Decimal | None
    period_start: str
    period_end: str
    deadline: date
    # The month is deferred but not assessed yet: 缓缴人数 and 缓缴金额 go blank.
    is_awaiting_assessment: bool = False

    @property
    def fingerprint(self) -> str:
        """SHA-256 of the row's content (everything but 传输时间): a changed row changes it."""
        amount = "" if self.unit_amount is None else f"{self.unit_amount:.2f}"
        headcount = "" if self.headcount is None else str(self.headcount)
        parts = (
            self.credit_code,
            self.name,
            self.agency_code,
            self.unit_number,
            self.month,
            headcount,
            amount,
            self.period_start,
            self.period_end,
            self.deadline.isoformat(),
        )
        return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def tax_list_rows(on: date, *, agency_id: int | None = None) -> list[TaxListRow]:
    """The whole 缓缴清单 on ``on``, by agency code and credit code: the standings' statements
    and one more (names, unit numbers, agency codes)."""
    answers = standings(on, agency_id=agency_id)
    listed = {employer_id: s for employer_id, s in answers.items() if is_on_tax_list(s)}
    if not listed:
        return []
    details = db.session.connection().execute(
        select(
            Employer.id,
            Employer.credit_code,
            Employer.name,
            Agency.code,
            Employer.insurance_unit_number,
        )
        .join(Agency, Agency.id == Employer.agency_id)
        .where(Employer.id.in_(employers_where(agency_id=agency_id)))
    )
    month = f"{on:%Y-%m}"
    rows = []
    for employer_id, credit_code, name, agency_code, unit_number in details:
        s = listed.get(employer_id)
        if s is None:
            continue
        assert s.period is not None  # noqa: S101 - is_on_tax_list requires a period
        # 当期数: the agency's assessment of the month, never an estimate (blank until assessed).
        figures = current_figures(s, month)
        rows.append(
            TaxListRow(
                employer_id=employer_id,
                credit_code=credit_code,
                name=name,
                agency_code=agency_code,
                unit_number=unit_number or "",
                month=month,
                headcount=figures.headcount,
                unit_amount=figures.unit_amount,
                period_start=s.period.start,
                period_end=s.period.end,
                deadline=s.period.deadline,
                is_awaiting_assessment=figures.is_awaiting_assessment,
            )
        )
    return sorted(rows, key=lambda r: (r.agency_code, r.credit_code))


#: The page lists at most this many rows awaiting their assessment (the file has them all).
AWAITING_SHOWN = 200


@dataclass(frozen=True)
class AwaitingAssessment:
    """The rows of the list whose month the agency has not assessed yet (blank figures)."""

    month: str  # the contribution month of 当期数
    total: int  # rows on the list
    count: int  # rows awaiting their assessment
    rows: list[TaxListRow]  # the first ``AWAITING_SHOWN`` of them, as the file orders them


def awaiting_assessment(on: date, *, agency_id: int | None = None) -> AwaitingAssessment:
    """The rows of the 缓缴清单 on ``on`` whose 缓缴人数 and 缓缴金额 go blank for want of the
    agency's assessment (内医保办发〔2022〕19号 五 1): the list's statements, nothing more."""
    rows = tax_list_rows(on, agency_id=agency_id)
    waiting = [row for row in rows if row.is_awaiting_assessment]
    return AwaitingAssessment(f"{on:%Y-%m}", len(rows), len(waiting), waiting[:AWAITING_SHOWN])


def last_sent_fingerprints(*, agency_id: int | None = None) -> dict[int, str]:
    """What the tax bureau last received for each employer in scope: its row's fingerprint in
    the latest export that carried it (one statement)."""
    latest = (
        select(
            TaxListExportRow.employer_id,
            TaxListExportRow.fingerprint,
            func.row_number()
            .over(
                partition_by=TaxListExportRow.employer_id,
                order_by=TaxListExportRow.export_id.desc(),
            )
            .label("rank"),
        )
        .where(TaxListExportRow.employer_id.in_(employers_where(agency_id=agency_id)))
        .subquery()
    )
    rows = db.session.connection().execute(
        select(latest.c.employer_id, latest.c.fingerprint).where(latest.c.rank == 1)
    )
    return {employer_id: fingerprint for employer_id, fingerprint in rows}


# ---------------------------------------------------------------------------------------- the table

# The bureau's column names (内医保办发〔2022〕19号 五), in its order: a data format shared with
# another system, the same in every interface language. Other systems read the columns by
# position: 缓缴所属期起/止 come before 缓缴金额, as in the notice's table.
TAX_LIST_HEADERS = (
    "统一社会信用代码",
    "单位名称",
    "缓缴类型",
    "医保经办机构代码",
    "医保单位编号",
    "险种类型代码",
    "缓缴人数",
    "缓缴所属期起",
    "缓缴所属期止",
    "缓缴金额",
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
                fmt.month(row.period_start),
                fmt.month(row.period_end),
                row.unit_amount,
                row.deadline,
                local,
            ]
            for row in rows
        ],
    )
