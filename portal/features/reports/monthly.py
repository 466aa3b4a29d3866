"""The monthly deferral report (DOMAIN.md §8.4): per agency, read for many employers at once
(``portal.facts.standing.standings`` and three statements more), its table (``files`` writes
it) and the bar chart of its months (plain geometry for an inline SVG, no script).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import ColumnElement, and_, case, func, or_, select

from portal.core.extensions import db
from portal.core.tables import Column, Table
from portal.facts.deferral_2020 import deferrals_2020
from portal.facts.standing import employers_where, standings
from portal.features.reports.queries import agencies
from portal.features.reports.tax_list import PART_EMPLOYERS, employers_among
from portal.models import Agency, CommitmentApplication, Employer
from portal.rules import catchup_quote
from portal.rules.deferral_2020 import CatchUp2020, late_fee_between, outstanding_at
from portal.rules.exchange import outstanding_at_month_end
from portal.rules.months import add_months, first_day, last_day, month_span
from portal.rules.standing import Standing

ZERO = Decimal(0)


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
    sums = _BarSums()
    # Part by part (the standings of two thousand employers at a time, then let go): a large
    # agency's report in flat memory. A past month is reported as it stood at its end, not
    # with what was decided since.
    ids = sorted(agency_of)
    recorded_before = end_of_day(as_of)

    def line_of(employer_id: int) -> ReportLine | None:
        agency_key = agency_of.get(employer_id)
        return None if agency_key is None else lines.get(agency_key)

    for start in range(0, len(ids), PART_EMPLOYERS):
        among = employers_among(ids[start : start + PART_EMPLOYERS])
        answers = standings(as_of, among=among, recorded_before=recorded_before)
        for employer_id, s in answers.items():
            if (line := line_of(employer_id)) is not None:
                _add_standing(line, s, month, first, as_of)
            sums.add_standing(s, month, as_of)
    # The 2020 deferrals by application, followed to the end (rules/deferral_2020.py), in the
    # same figures: an agency's report of a 2020 or 2021 month shows them.
    followed = deferrals_2020(as_of, agency_id=agency_id, recorded_before=recorded_before)
    for employer_id, catch_up in followed.items():
        if (line := line_of(employer_id)) is not None:
            _add_catch_up(line, catch_up, month, first, as_of)
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
        bars=sums.bars(month, followed.values()),
    )


def _add_standing(line: ReportLine, s: Standing, month: str, first: date, as_of: date) -> None:
    if not s.is_deferral_program:
        return
    if s.is_listed and s.has_opted_out:
        line.opted_out += 1
    if not s.is_deferred or _founded_after(s, month):
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
        line.outstanding_amount += outstanding_at_month_end(s, month)
        line.late_fee_amount += s.quote.late_fee - _late_fee_before(s, first)


def _add_catch_up(line: ReportLine, c: CatchUp2020, month: str, first: date, as_of: date) -> None:
    """A 2020 deferral's figures of ``month``: deferring it if it is one of its months, what
    was paid towards it in the month, what is outstanding at its end, the late fee accrued."""
    deferred = next((m for m in c.months if m.month == month), None)
    if deferred is not None:
        line.employers += 1
        line.persons += c.headcounts.get(month, 0)
        line.deferred_amount += deferred.total
    line.caught_up_amount += sum(
        (p.amount for p in c.payments if first <= p.paid_on <= as_of), ZERO
    )
    line.outstanding_amount += outstanding_at(c, month)
    line.late_fee_amount += late_fee_between(c, first)


def _founded_after(s: Standing, month: str) -> bool:
    """Founded after the report's month: it had nothing to defer in it (nor before)."""
    founded = s.facts.founded_month if s.facts is not None else None
    return founded is not None and founded > month


def _late_fee_before(s: Standing, first: date) -> Decimal:
    """The late fee accrued by the day before ``first`` (the same rule, an earlier day)."""
    if s.quote is None or first <= s.quote.late_fee_from:
        return ZERO
    earlier = catchup_quote(
        s.program.id,
        monthly_unit_amount=s.month_amounts,
        payments=[(p.paid_on, p.amount) for p in s.payments],
        as_of=first - timedelta(days=1),
        partial=True,
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


class _BarSums:
    """The chart's sums by month, added to one standing at a time."""

    def __init__(self) -> None:
        self.deferred: dict[str, Decimal] = defaultdict(lambda: ZERO)
        self.paid: dict[str, Decimal] = defaultdict(lambda: ZERO)

    def add_standing(self, s: Standing, month: str, as_of: date) -> None:
        if not (s.is_deferral_program and s.is_deferred) or _founded_after(s, month):
            return
        for line in s.lines:
            self.deferred[line.month] += line.unit_amount or ZERO
        for payment in s.payments:
            if payment.paid_on <= as_of:
                self.paid[f"{payment.paid_on:%Y-%m}"] += payment.amount

    def bars(self, month: str, followed: Iterable[CatchUp2020] = ()) -> list[MonthBar]:
        deferred, paid = self.deferred, self.paid
        for c in followed:
            for m in c.months:
                if m.month <= month:
                    deferred[m.month] += m.total
            for p in c.payments:  # those made by the quote's day, as_of
                paid[f"{p.paid_on:%Y-%m}"] += p.amount
        start = min([m for m in (*deferred, *paid) if m <= month] or [month])
        months = month_span(max(start, add_months(month, 1 - CHART_MONTHS)), month)
        return [MonthBar(m, deferred[m], paid[m]) for m in months]


# ---------------------------------------------------------------------------------------- the table


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


# ---------------------------------------------------------------------------------------- the chart

WIDTH, HEIGHT = 880, 300
TOP, BOTTOM, LEFT = 30, 50, 20  # room for the values above and the months below
BAR, GAP = 26, 4  # a month's two bars and the space between them


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    height: float
    value: Decimal


@dataclass(frozen=True)
class MonthColumn:
    month: str
    label_x: float
    deferred: Bar
    caught_up: Bar


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    baseline: float
    columns: list[MonthColumn]
    top: float  # where the largest amount reaches (a grid line labelled with it)
    top_value: Decimal


def bar_chart(bars: Sequence[MonthBar]) -> Chart:
    """Two bars a month (deferred, caught up) scaled to the largest amount."""
    top = max([b.deferred_amount for b in bars] + [b.caught_up_amount for b in bars] + [Decimal(0)])
    plot = HEIGHT - TOP - BOTTOM
    slot = (WIDTH - LEFT) / max(len(bars), 1)
    baseline = float(HEIGHT - BOTTOM)

    def bar(x: float, value: Decimal) -> Bar:
        height = float(value / top) * plot if top > 0 else 0.0
        return Bar(round(x, 1), round(baseline - height, 1), round(height, 1), value)

    columns = []
    for index, item in enumerate(bars):
        centre = LEFT + slot * index + slot / 2
        columns.append(
            MonthColumn(
                item.month,
                round(centre, 1),
                bar(centre - BAR - GAP / 2, item.deferred_amount),
                bar(centre + GAP / 2, item.caught_up_amount),
            )
        )
    return Chart(WIDTH, HEIGHT, baseline, columns, float(TOP), top)


# ------------------------------------------------------------------------------ as it was sent

_COUNTS = ("employers", "persons", "opted_out", "received", "approved", "rejected", "overdue")
_AMOUNTS = (
    "deferred_amount",
    "caught_up_amount",
    "outstanding_amount",
    "late_fee_amount",
)


def _line_figures(line: ReportLine) -> dict:
    return {
        "agency_code": line.agency_code,
        "agency_name": line.agency_name,
        **{name: getattr(line, name) for name in _COUNTS},
        **{name: str(getattr(line, name)) for name in _AMOUNTS},
    }


def _line_of(figures: dict) -> ReportLine:
    line = ReportLine(figures["agency_code"], figures["agency_name"])
    for name in _COUNTS:
        setattr(line, name, int(figures[name]))
    for name in _AMOUNTS:
        setattr(line, name, Decimal(figures[name]))
    return line


def report_figures(report: MonthlyReport) -> dict:
    """The report as JSON (amounts as exact decimal text): what is stored when it is sent."""
    return {
        "month": report.month,
        "as_of": report.as_of.isoformat(),
        "lines": [_line_figures(line) for line in report.lines],
        "total": _line_figures(report.total),
        "bars": [
            [bar.month, str(bar.deferred_amount), str(bar.caught_up_amount)] for bar in report.bars
        ],
    }


def report_of(figures: dict, agency: Agency | None) -> MonthlyReport:
    """The report stored by ``report_figures``, read back as it was (nothing recomputed)."""
    return MonthlyReport(
        month=figures["month"],
        as_of=date.fromisoformat(figures["as_of"]),
        agency=agency,
        lines=[_line_of(line) for line in figures["lines"]],
        total=_line_of(figures["total"]),
        bars=[MonthBar(m, Decimal(d), Decimal(c)) for m, d, c in figures["bars"]],
    )
