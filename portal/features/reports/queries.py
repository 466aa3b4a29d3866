"""Reads for the 缓缴清单 and the monthly report: many employers at once, in a fixed number of
statements whatever their number (``portal.facts.standing.standings`` plus a few of our own).
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask import abort, current_app
from sqlalchemy import ColumnElement, and_, case, func, or_, select

from portal import rules
from portal.core.extensions import db
from portal.facts.standing import employers_where, standings
from portal.models import (
    Agency,
    Assessment,
    CommitmentApplication,
    Employer,
    PoolingRegion,
    ReturnChoice,
    TaxListExportRow,
)
from portal.rules import catchup_quote
from portal.rules.exchange import is_on_tax_list
from portal.rules.months import add_months, first_day, last_day, month_span
from portal.rules.standing import Standing

ZERO = Decimal(0)
AGENCY_CODE_LENGTH = Agency.__table__.c.code.type.length


# ------------------------------------------------------------------------------------ agencies


def agencies(agency_id: int | None = None) -> list[Agency]:
    """Every agency (or the one), by code."""
    query = select(Agency).order_by(Agency.code)
    if agency_id is not None:
        query = query.where(Agency.id == agency_id)
    return list(db.session.scalars(query))


def agency_by_code(code: str) -> Agency | None:
    return db.session.scalar(select(Agency).where(Agency.code == code.strip()))


def scoped_agency_or_404(code: str | None, scope: int | None) -> Agency | None:
    """The agency ``code`` names, within a staff member's scope (None: every agency).

    :raise 404: when the code is unknown or names another agency than the one in scope.
    """
    if not code:
        return db.session.get(Agency, scope) if scope is not None else None
    if len(code) > AGENCY_CODE_LENGTH or not code.isprintable():
        abort(404)  # no agency has such a code; and a NUL never reaches the database
    agency = agency_by_code(code)
    if agency is None or (scope is not None and agency.id != scope):
        abort(404)
    return agency


# -------------------------------------------------------------------------------- the 缓缴清单


@dataclass(frozen=True)
class TaxListRow:
    """One employer's row of the 缓缴清单, as facts (the file's cells are written elsewhere)."""

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
        line = next((line for line in s.lines if line.month == month), None)
        # 当期数: the standing's line of the month (the agency's assessment, else the estimate
        # from the contribution base, as on the employer's pages; persons only when assessed).
        in_period = line is not None
        rows.append(
            TaxListRow(
                employer_id=employer_id,
                credit_code=credit_code,
                name=name,
                agency_code=agency_code,
                unit_number=unit_number or "",
                month=month,
                # A month outside the period defers nobody and nothing (当期数 is zero).
                headcount=line.headcount if in_period else 0,
                unit_amount=line.unit_amount if in_period else ZERO,
                period_start=s.period.start,
                period_end=s.period.end,
                deadline=s.period.deadline,
            )
        )
    return sorted(rows, key=lambda r: (r.agency_code, r.credit_code))


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


# -------------------------------------------------------------------------- the monthly report


@dataclass
class ReportLine:
    """One agency's figures for the month (or the total of several)."""

    agency_code: str
    agency_name: str
    employers: int = 0  # deferring the month
    persons: int = 0  # headcount of the month (assessed)
    deferred_amount: Decimal = ZERO  # unit part of the month deferred
    caught_up_amount: Decimal = ZERO  # payments in the month
    outstanding_amount: Decimal = ZERO  # at the end of the month
    late_fee_amount: Decimal = ZERO  # accrued in the month
    opted_out: int = 0  # listed employers opted out, at the end of the month
    received: int = 0  # commitment applications sent in the month
    approved: int = 0  # decided in the month
    rejected: int = 0
    overdue: int = 0  # undecided past their review date at the end of the month

    def add(self, other: ReportLine) -> None:
        for name in (
            "employers",
            "persons",
            "deferred_amount",
            "caught_up_amount",
            "outstanding_amount",
            "late_fee_amount",
            "opted_out",
            "received",
            "approved",
            "rejected",
            "overdue",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass(frozen=True)
class MonthBar:
    """The chart's figures for one month: deferred (contribution month) and caught up (paid)."""

    month: str
    deferred_amount: Decimal
    caught_up_amount: Decimal


@dataclass
class MonthlyReport:
    month: str
    as_of: date
    agency: Agency | None  # None: every agency
    lines: list[ReportLine]
    total: ReportLine
    bars: list[MonthBar] = field(default_factory=list)


#: The chart shows at most this many months, ending with the report's month.
CHART_MONTHS = 12


def month_bounds(month: str, today: date) -> tuple[date, date, date]:
    """First day, last day and the report's as-of date (the last day, or today if earlier)."""
    last = last_day(month)
    return first_day(month), last, min(last, today)


def monthly_report(month: str, today: date, *, agency_id: int | None = None) -> MonthlyReport:
    """The deferral report of ``month`` (YYYY-MM) per agency, as of the month's end or today:
    the standings' statements and three more (employers' agencies, agencies, applications)
    whatever the number of employers (鲁医保发〔2022〕21号 六; 江苏实施方案 三（五）)."""
    first, _last, as_of = month_bounds(month, today)
    # A past month is reported as it stood at its end, not with what was decided since.
    answers = standings(as_of, agency_id=agency_id, recorded_before=end_of_day(as_of))
    connection = db.session.connection()
    agency_of = dict(
        connection.execute(
            select(Employer.id, Employer.agency_id).where(
                Employer.id.in_(employers_where(agency_id=agency_id))
            )
        ).all()
    )
    in_scope = agencies(agency_id)
    lines = {a.id: ReportLine(a.code, a.name) for a in in_scope}
    for employer_id, s in answers.items():
        line = lines.get(agency_of.get(employer_id))
        if line is not None:
            _add_standing(line, s, month, first, as_of)
    for agency_key, counts in _application_counts(first, as_of, agency_id).items():
        line = lines.get(agency_key)
        if line is not None:
            line.received, line.approved, line.rejected, line.overdue = counts
    total = ReportLine("", "")
    for line in lines.values():
        total.add(line)
    return MonthlyReport(
        month=month,
        as_of=as_of,
        agency=in_scope[0] if agency_id is not None and in_scope else None,
        lines=list(lines.values()),
        total=total,
        bars=_bars(answers.values(), month, as_of),
    )


def _add_standing(line: ReportLine, s: Standing, month: str, first: date, as_of: date) -> None:
    if not s.is_deferral_program:
        return
    if s.is_listed and s.has_opted_out:
        line.opted_out += 1
    if not s.is_deferred:
        return
    month_line = next((m for m in s.lines if m.month == month), None)
    if month_line is not None:
        line.employers += 1
        line.persons += month_line.headcount or 0
        line.deferred_amount += month_line.unit_amount or ZERO
    line.caught_up_amount += sum(
        (p.amount for p in s.payments if first <= p.paid_on <= as_of), ZERO
    )
    if s.quote is not None:
        line.outstanding_amount += s.quote.outstanding
        line.late_fee_amount += s.quote.late_fee - _late_fee_before(s, first)


def _late_fee_before(s: Standing, first: date) -> Decimal:
    """The late fee accrued by the day before ``first`` (the same rule, an earlier day)."""
    if s.quote is None or first <= s.quote.late_fee_from:
        return ZERO
    earlier = catchup_quote(
        s.program.id,
        monthly_unit_amount=s.month_amounts,
        payments=[(p.paid_on, p.amount) for p in s.payments],
        as_of=first - timedelta(days=1),
        **s.period_args,
    )
    return earlier.late_fee


def end_of_day(day: date) -> datetime:
    """The moment ``day`` ends in China (the next day's midnight there), in UTC."""
    zone = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    return datetime.combine(day + timedelta(days=1), time(), zone).astimezone(UTC)


def _application_counts(
    first: date, as_of: date, agency_id: int | None
) -> dict[int, tuple[int, int, int, int]]:
    """Commitment applications per agency: received, approved, rejected in the month (China's
    days), and overdue at its end (submitted, undecided, past ``due_on``): one statement."""
    start, end = end_of_day(first - timedelta(days=1)), end_of_day(as_of)
    app = CommitmentApplication
    in_month = and_(app.decided_at >= start, app.decided_at < end)
    undecided_at_end = or_(app.decided_at.is_(None), app.decided_at >= end)

    def count(condition: ColumnElement[bool]) -> ColumnElement[int]:
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    rows = db.session.connection().execute(
        select(
            Employer.agency_id,
            count(and_(app.submitted_at >= start, app.submitted_at < end)),
            count(and_(app.status == "approved", in_month)),
            count(and_(app.status == "rejected", in_month)),
            count(and_(app.submitted_at < end, undecided_at_end, app.due_on < as_of)),
        )
        .join(Employer, Employer.id == app.employer_id)
        .where(app.employer_id.in_(employers_where(agency_id=agency_id)))
        .where(app.submitted_at.is_not(None))
        .group_by(Employer.agency_id)
    )
    return {row[0]: (int(row[1]), int(row[2]), int(row[3]), int(row[4])) for row in rows}


def _bars(answers: Iterable[Standing], month: str, as_of: date) -> list[MonthBar]:
    deferred: dict[str, Decimal] = defaultdict(lambda: ZERO)
    paid: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for s in answers:
        if not (s.is_deferral_program and s.is_deferred):
            continue
        for line in s.lines:
            deferred[line.month] += line.unit_amount or ZERO
        for payment in s.payments:
            if payment.paid_on <= as_of:
                paid[f"{payment.paid_on:%Y-%m}"] += payment.amount
    start = min([m for m in (*deferred, *paid) if m <= month] or [month])
    months = month_span(max(start, add_months(month, 1 - CHART_MONTHS)), month)
    return [MonthBar(m, deferred[m], paid[m]) for m in months]


# ------------------------------ Wuxi's monthly statistics (锡医保服务〔2020〕11号 三（六）)

STATISTICS_PROGRAM = "wuxi-2020"


@dataclass(frozen=True)
class StatisticsRow:
    """One 设区市's row of 职工医保阶段性减征医保费统计表 (附表)."""

    region_name: str
    program_id: str
    starts_on: date  # 生效时间: the program's first day in the region (rules/data/regions.yaml)
    totals: rules.ReductionTotals
    refund_or_offset_employers: int  # 退费/代扣企业数: employers that chose refund or offset


def reduction_statistics(report_month: str, *, agency_id: int | None = None) -> list[StatisticsRow]:
    """The 附表's rows for ``report_month`` (报送时间): figures through the month before, one row
    per region running wuxi-2020, over the agency's employers (or all). Two statements."""
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
    chose = dict(
        db.session.execute(
            select(Agency.region_id, func.count(func.distinct(ReturnChoice.employer_id)))
            .join(Employer, Employer.id == ReturnChoice.employer_id)
            .join(Agency, Agency.id == Employer.agency_id)
            .where(
                ReturnChoice.employer_id.in_(scope),
                ReturnChoice.program_id == STATISTICS_PROGRAM,
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
