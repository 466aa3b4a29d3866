"""The 缓缴清单 for the tax bureau (内医保办发〔2022〕19号 五; DOMAIN.md §8.3): its rows, read for
many employers at once (``portal.facts.standing.standings`` and one statement more), part by
part in the file's order (``tax_list_parts``: memory flat whatever the number of employers),
and its table in the bureau's columns (``operations.write_tax_list`` writes and sends it).
Who is on it is ``portal.rules.exchange.is_on_tax_list``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import ARRAY, Integer, Select, any_, bindparam, func, select

from portal.core.extensions import db
from portal.core.tables import Column, Table, cell_text
from portal.facts.standing import employers_where, standings
from portal.models import Agency, Employer, TaxListExportRow
from portal.rules.exchange import (
    TaxListFormat,
    current_figures,
    is_on_tax_list,
    monthly_sharing_month,
    off_list_reasons,
    tax_list_format,
)
from portal.rules.months import last_day
from portal.rules.standing import Standing


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
    period_start: str  # "" for a removal whose program gives it no period any more
    period_end: str
    deadline: date | None  # None only for such a removal
    # The month is deferred but not assessed yet: 缓缴人数 and 缓缴金额 go blank.
    is_awaiting_assessment: bool = False
    # A removal (移出清单): why the employer is off the list (``rules.exchange.off_list_reasons``).
    reasons: tuple[str, ...] = ()

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
            self.deadline.isoformat() if self.deadline is not None else "",
        )
        return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


@dataclass(frozen=True)
class Sent:
    """What the tax bureau last received for an employer: its row's fingerprint, on the list
    or as a removal."""

    fingerprint: str
    is_removal: bool


@dataclass(frozen=True)
class TaxList:
    """The 缓缴清单 on a day and what it takes to tell the bureau: the rows on the list, the
    removals due (employers it last received on the list that are off it now), and what it
    last received of each employer."""

    month: str  # the contribution month of 当期数
    rows: list[TaxListRow]
    removals: list[TaxListRow]
    sent: dict[int, Sent]

    def changed(self) -> list[TaxListRow]:
        """The rows the bureau does not have as they are (日常共享, 内医保办发〔2022〕19号 五 1):
        never sent, sent and removed since, or sent with other cells."""
        return _changed(self.rows, self.sent)


#: The list is worked out this many employers at a time, in the file's order: the standings
#: of one part are let go before the next is read, so memory stays flat whatever the number of
#: employers (100,000 standings at once took some 350 MB). 2,000 ids bound to each of a part's
#: statements stay far below SQLite's limit of bound values.
PART_EMPLOYERS = 2000


@dataclass(frozen=True)
class TaxListPart:
    """The 缓缴清单 of some employers, next in the file's order: their rows on the list, their
    removals due, and what the bureau last received of each (see ``TaxList``)."""

    rows: list[TaxListRow]
    removals: list[TaxListRow]
    sent: dict[int, Sent]
    # Employers worked out so far, this part's included, and in all (a job's progress).
    done: int = 0
    total: int = 0

    def changed(self) -> list[TaxListRow]:
        """The rows the bureau does not have as they are (``TaxList.changed``)."""
        return _changed(self.rows, self.sent)


def tax_list_parts(
    on: date,
    *,
    agency_id: int | None = None,
    with_removals: bool = True,
    part_employers: int = PART_EMPLOYERS,
) -> Iterator[TaxListPart]:
    """The 缓缴清单 on ``on`` part by part, by agency code and credit code: each part the
    standings of at most ``part_employers`` employers and three statements more (what the
    bureau last received, unless ``with_removals`` is False; names, unit numbers, agency codes).
    Joined, the parts are ``tax_list_state``'s rows and removals, in its order."""
    # Ordered by the text's code points, as Python orders the rows (a database's own collation
    # may order text otherwise): only the ids come back, never a million rows' keys at once.
    connection = db.session.connection()
    by_code_point = "C" if connection.dialect.name == "postgresql" else "BINARY"
    ids = list(
        connection.execute(
            select(Employer.id)
            .join(Agency, Agency.id == Employer.agency_id)
            .where(Employer.id.in_(employers_where(agency_id=agency_id)))
            .order_by(
                Agency.code.collate(by_code_point), Employer.credit_code.collate(by_code_point)
            )
        ).scalars()
    )
    for first in range(0, len(ids), part_employers):
        among = employers_among(ids[first : first + part_employers])
        answers = standings(on, among=among, with_quote=False)
        sent = last_sent(among=among) if with_removals else {}
        rows, removals = _rows(on, answers, _leaving(answers, sent), among)
        done = min(first + part_employers, len(ids))
        yield TaxListPart(rows, removals, sent, done, len(ids))


def employers_among(ids: list[int]) -> Select:
    """The employers ``ids``, as a subquery each of a part's statements takes: one array bound
    on PostgreSQL (2,000 values bound one by one, in each statement, took longer to render
    than the statements to run), an IN list on SQLite."""
    if db.session.get_bind().dialect.name == "postgresql":
        array = bindparam("part_ids", ids, type_=ARRAY(Integer))
        return select(Employer.id).where(Employer.id == any_(array))
    return select(Employer.id).where(Employer.id.in_(ids))


def tax_list_rows(on: date, *, agency_id: int | None = None) -> list[TaxListRow]:
    """The whole 缓缴清单 on ``on``, by agency code and credit code."""
    parts = tax_list_parts(on, agency_id=agency_id, with_removals=False)
    return [row for part in parts for row in part.rows]


def monthly_rows(on: date, *, agency_id: int | None = None) -> list[TaxListRow]:
    """The monthly sharing (按月共享, 内医保办发〔2022〕19号 五 2) made on ``on``: last month's
    list, as it stood at that month's end, with that month's 当期数 (``monthly_sharing_month``):
    on 2022-09-01, the list of 2022-08 with 2022-08's persons and amounts."""
    return tax_list_rows(monthly_day(on), agency_id=agency_id)


def monthly_day(on: date) -> date:
    """The day whose list the monthly sharing made on ``on`` carries: last month's end."""
    return last_day(monthly_sharing_month(on))


def tax_list_state(on: date, *, agency_id: int | None = None) -> TaxList:
    """The 缓缴清单 on ``on`` with its removals due, whole (``tax_list_parts`` joined)."""
    rows: list[TaxListRow] = []
    removals: list[TaxListRow] = []
    sent: dict[int, Sent] = {}
    for part in tax_list_parts(on, agency_id=agency_id):
        rows += part.rows
        removals += part.removals
        sent.update(part.sent)
    return TaxList(f"{on:%Y-%m}", rows, removals, sent)


def _leaving(answers: dict[int, Standing], sent: dict[int, Sent]) -> dict[int, Standing]:
    """The employers the bureau last received on the list that are off it now."""
    return {
        employer_id: answers[employer_id]
        for employer_id, last in sent.items()
        if not last.is_removal
        and employer_id in answers
        and not is_on_tax_list(answers[employer_id])
    }


def _changed(rows: Iterable[TaxListRow], sent: dict[int, Sent]) -> list[TaxListRow]:
    changed = []
    for row in rows:
        last = sent.get(row.employer_id)
        if last is None or last.is_removal or last.fingerprint != row.fingerprint:
            changed.append(row)
    return changed


def tax_list_and_leaving(
    on: date, *, agency_id: int, known: Collection[int]
) -> tuple[list[TaxListRow], list[TaxListRow]]:
    """The 缓缴清单 on ``on`` and the removal rows (移出清单, as the file's) of the employers in
    ``known`` that are off it: the standings' statements and one more. For the API's feed,
    whose reader keeps its own place (``portal.features.api.feed``)."""
    answers = standings(on, agency_id=agency_id, with_quote=False)
    leaving = {
        employer_id: answers[employer_id]
        for employer_id in known
        if employer_id in answers and not is_on_tax_list(answers[employer_id])
    }
    return _rows(on, answers, leaving, employers_where(agency_id=agency_id))


def _rows(
    on: date, answers: dict[int, Standing], leaving: dict[int, Standing], ids: Select
) -> tuple[list[TaxListRow], list[TaxListRow]]:
    """The list's rows and the removals' rows (``leaving``) among the employers ``ids``, one
    statement for their details."""
    listed = {employer_id: s for employer_id, s in answers.items() if is_on_tax_list(s)}
    if not listed and not leaving:
        return [], []
    details = db.session.connection().execute(
        select(
            Employer.id,
            Employer.credit_code,
            Employer.name,
            Agency.code,
            Employer.insurance_unit_number,
        )
        .join(Agency, Agency.id == Employer.agency_id)
        .where(Employer.id.in_(ids))
    )
    month = f"{on:%Y-%m}"
    rows, removals = [], []
    for employer_id, credit_code, name, agency_code, unit_number in details:
        s = listed.get(employer_id)
        if s is not None:
            assert s.period is not None  # noqa: S101 - is_on_tax_list requires a period
            # 当期数: the agency's assessment of the month, never an estimate (blank until then).
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
        elif (gone := leaving.get(employer_id)) is not None:
            # 移出清单: the same columns; nothing is deferred any more, so 缓缴人数 and
            # 缓缴金额 are zero, and the period is the one the bureau holds it under.
            period = gone.period
            removals.append(
                TaxListRow(
                    employer_id=employer_id,
                    credit_code=credit_code,
                    name=name,
                    agency_code=agency_code,
                    unit_number=unit_number or "",
                    month=month,
                    headcount=0,
                    unit_amount=Decimal(0),
                    period_start=period.start if period is not None else "",
                    period_end=period.end if period is not None else "",
                    deadline=period.deadline if period is not None else None,
                    reasons=tuple(off_list_reasons(gone)),
                )
            )

    def order(row: TaxListRow) -> tuple[str, str]:
        return (row.agency_code, row.credit_code)

    return sorted(rows, key=order), sorted(removals, key=order)


#: The page lists at most this many rows awaiting their assessment, or removals (the file has
#: them all).
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
    return awaiting_of(tax_list_rows(on, agency_id=agency_id), f"{on:%Y-%m}")


def awaiting_of(rows: Sequence[TaxListRow], month: str) -> AwaitingAssessment:
    waiting = [row for row in rows if row.is_awaiting_assessment]
    return AwaitingAssessment(month, len(rows), len(waiting), waiting[:AWAITING_SHOWN])


@dataclass(frozen=True)
class TaxListSummary:
    """What the 缓缴清单's page shows of the list on a day: the rows awaiting their assessment,
    and the removals the next export carries (the first ``AWAITING_SHOWN`` of them)."""

    awaiting: AwaitingAssessment
    removals: list[TaxListRow]
    removal_count: int


def tax_list_summary(on: date, *, agency_id: int | None = None) -> TaxListSummary:
    """The page's summary of the list on ``on``, part by part (``tax_list_parts``): counts
    and the first rows, never the whole list held."""
    total = waiting = removal_count = 0
    awaiting: list[TaxListRow] = []
    removals: list[TaxListRow] = []
    for part in tax_list_parts(on, agency_id=agency_id):
        total += len(part.rows)
        for row in part.rows:
            if row.is_awaiting_assessment:
                waiting += 1
                if len(awaiting) < AWAITING_SHOWN:
                    awaiting.append(row)
        removal_count += len(part.removals)
        removals += part.removals[: AWAITING_SHOWN - len(removals)]
    return TaxListSummary(
        AwaitingAssessment(f"{on:%Y-%m}", total, waiting, awaiting), removals, removal_count
    )


def last_sent(*, agency_id: int | None = None, among: Select | None = None) -> dict[int, Sent]:
    """What the tax bureau last received for each employer in scope (``among``: those ids):
    its row in the latest export that carried it, on the list or as a removal (one
    statement)."""
    ids = employers_where(agency_id=agency_id) if among is None else among
    latest = (
        select(
            TaxListExportRow.employer_id,
            TaxListExportRow.fingerprint,
            TaxListExportRow.is_removal,
            func.row_number()
            .over(
                partition_by=TaxListExportRow.employer_id,
                order_by=TaxListExportRow.export_id.desc(),
            )
            .label("rank"),
        )
        .where(TaxListExportRow.employer_id.in_(ids))
        .subquery()
    )
    rows = db.session.connection().execute(
        select(latest.c.employer_id, latest.c.fingerprint, latest.c.is_removal).where(
            latest.c.rank == 1
        )
    )
    return {
        employer_id: Sent(fingerprint, bool(is_removal))
        for employer_id, fingerprint, is_removal in rows
    }


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


#: The sheet (.xlsx) of the removals, or what their own file (.csv) is: employers the bureau
#: received on the list that have left it, in the list's columns.
REMOVALS_TITLE = "移出清单"


def tax_list_table(rows: Iterable[TaxListRow], at: datetime, title: str = "缓缴清单") -> Table:
    """The file's rows, made as the writer reads them (a generator: a row's cells are never
    all held); ``at`` (aware) is the 传输时间 of every row."""
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
        title,
        columns,
        (
            [
                row.credit_code,
                row.name,
                fmt.deferral_type.value,
                row.agency_code,
                row.unit_number,
                fmt.insurance_type.value,
                row.headcount,
                fmt.month(row.period_start) if row.period_start else None,
                fmt.month(row.period_end) if row.period_end else None,
                row.unit_amount,
                row.deadline,
                local,
            ]
            for row in rows
        ),
    )


def tax_list_texts(rows: Sequence[TaxListRow], at: datetime) -> list[dict[str, str]]:
    """The rows as the CSV file writes their cells, by the file's headers (the API's feed)."""
    table = tax_list_table(rows, at)
    return [
        {
            column.header: cell_text(cell, column)
            for cell, column in zip(cells, table.columns, strict=True)
        }
        for cells in table.rows
    ]
