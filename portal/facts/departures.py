"""Recorded departures and what they make due at once, for one employer or for many.

A person who leaves, retires or transfers takes their deferred unit part with them: it is due
at once, not at the catch-up deadline (鲁医保发〔2022〕21号 五). The rows are read here: each
departure with the person's name and unit amount in every month the per-person assessments
hold, in one statement for one employer (the home and amounts pages; none on a repeat visit at
the same facts version, portal/facts/cache.py) and in one for many (the reminders), whatever
their number. The amounts are the rules' (``Standing.departure``), less the employer's payments
of the deferred unit part, spent on the departures first (``rules.payments.allocate``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import ColumnElement, Row, Select, and_, bindparam, select

from portal.core.rows import plain_rows
from portal.facts.cache import kept
from portal.facts.standing import employers_where
from portal.models import Departure, Employer, PersonAssessment
from portal.rules.errors import RulesError
from portal.rules.payments import allocate
from portal.rules.quote import Settlement
from portal.rules.standing import Standing


@dataclass(frozen=True)
class DepartureFact:
    """A recorded departure, and what the per-person assessments hold of the person."""

    id: int
    person_ref: str
    reason: str  # leave | retire | transfer
    left_on: date
    person_name: str  # the reference when no assessment names the person
    unit_amounts: Mapping[str, Decimal]  # month -> the person's unit part, every month assessed


@dataclass(frozen=True)
class DueDeparture:
    """A recorded departure and what falls due for the person at once: ``settlement`` is what
    is left once ``paid`` (the employer's payments spent on it, ``rules.payments.allocate``)."""

    departure: DepartureFact
    settlement: Settlement
    paid: Decimal = Decimal("0.00")

    @property
    def is_owing(self) -> bool:
        return self.settlement.amount > 0 or self.settlement.late_fee > 0

    @property
    def person_name(self) -> str:
        return self.departure.person_name


@dataclass(frozen=True)
class DueAtOnce:
    """Every departure's settlement of one employer, and their sum (鲁医保发〔2022〕21号 五)."""

    items: list[DueDeparture]

    @property
    def owing(self) -> list[DueDeparture]:
        """The departures still owing something (a paid one is settled)."""
        return [item for item in self.items if item.is_owing]

    @property
    def amount(self) -> Decimal:
        return sum((item.settlement.amount for item in self.items), Decimal("0.00"))

    @property
    def late_fee(self) -> Decimal:
        return sum((item.settlement.late_fee for item in self.items), Decimal("0.00"))

    @property
    def total(self) -> Decimal:
        return self.amount + self.late_fee


def _departures_query(employers: ColumnElement[bool]) -> Select:
    """The departures of ``employers`` (a condition on their employer id), each with the
    person's assessed months (none: one row of NULLs), earliest first."""
    return (
        select(
            Departure.employer_id,
            Departure.id,
            Departure.person_ref,
            Departure.reason,
            Departure.left_on,
            PersonAssessment.person_name,
            PersonAssessment.month,
            PersonAssessment.unit_amount,
        )
        .outerjoin(
            PersonAssessment,
            and_(
                PersonAssessment.employer_id == Departure.employer_id,
                PersonAssessment.person_ref == Departure.person_ref,
            ),
        )
        .where(employers)
        .order_by(
            Departure.employer_id,
            Departure.left_on,
            Departure.person_ref,
            Departure.id,
            PersonAssessment.month,
        )
    )


# Built once: the home and amounts pages run it on every visit (bench/bench_pages.py).
ONE_EMPLOYER = _departures_query(Departure.employer_id == bindparam("employer_id"))


def _facts(rows: Iterable[Row]) -> dict[int, tuple[DepartureFact, ...]]:
    """Per employer, its departures from the rows of ``_departures_query``, in their order."""
    found: dict[int, dict[int, tuple[tuple, dict[str, Decimal]]]] = {}
    for employer_id, departure_id, ref, reason, left_on, name, month, amount in rows:
        departures = found.setdefault(employer_id, {})
        if departure_id not in departures:
            departures[departure_id] = ((ref, reason, left_on, name or ref), {})
        if month is not None:
            departures[departure_id][1][month] = amount
    return {
        employer_id: tuple(
            DepartureFact(
                id=departure_id,
                person_ref=ref,
                reason=reason,
                left_on=left_on,
                person_name=name,
                unit_amounts=months,
            )
            for departure_id, ((ref, reason, left_on, name), months) in departures.items()
        )
        for employer_id, departures in found.items()
    }


def _settle(standing: Standing, departure: DepartureFact, paid: Decimal = Decimal(0)) -> Settlement:
    """What ``departure`` makes due at once, on the standing's date (a deferred standing),
    less ``paid`` of it.

    :raise RulesError: a departure the rules cannot settle.
    """
    assert standing.period is not None  # noqa: S101 - only deferred standings are settled
    months = {m: a for m, a in departure.unit_amounts.items() if m in standing.period.months}
    return standing.departure(
        months, event=departure.reason, event_on=departure.left_on, already_paid=paid
    )


def _settle_all(
    standing: Standing, departures: Iterable[DepartureFact], *, skip_errors: bool = False
) -> list[DueDeparture]:
    """Each departure's settlement once the employer's counted payments are spent on them,
    earliest departure first, before the catch-up (``rules.payments.allocate``).

    :raise RulesError: a departure the rules cannot settle (left out with ``skip_errors``).
    """
    settled: list[tuple[DepartureFact, Settlement]] = []
    for departure in departures:
        try:
            settled.append((departure, _settle(standing, departure)))
        except RulesError:
            if not skip_errors:
                raise
    allocation = allocate(
        standing.paid_toward_deferral,
        [(departure.left_on, whole.amount) for departure, whole in settled],
    )
    return [
        DueDeparture(departure, _settle(standing, departure, paid) if paid else whole, paid)
        for (departure, whole), paid in zip(settled, allocation.applied, strict=True)
    ]


def _is_deferred(standing: Standing) -> bool:
    """Deferred on the standing's day: an employer that no longer qualifies owes its deferred
    months at once anyway (``Standing.lapse``), its departed persons' share with them."""
    return standing.is_deferred


# ------------------------------------------------------------------------------ one employer


def employer_departures(employer: Employer) -> tuple[DepartureFact, ...]:
    """The employer's recorded departures, earliest first (one statement; none on a repeat
    visit at the same facts version)."""
    return kept(
        employer,
        ("departures",),
        lambda: _facts(plain_rows(ONE_EMPLOYER, employer_id=employer.id)).get(employer.id, ()),
    )


def due_at_once(employer: Employer, standing: Standing) -> DueAtOnce:
    """What the employer's recorded departures make due at once, on the standing's date (no
    statement when nothing is deferred)."""
    if not _is_deferred(standing):
        return DueAtOnce([])
    return DueAtOnce(_settle_all(standing, employer_departures(employer)))


# ------------------------------------------------------------------------------ many employers


def dues_at_once(
    by_employer: Mapping[int, Standing],
    *,
    agency_id: int | None = None,
    region_id: int | None = None,
) -> dict[int, DueAtOnce]:
    """What recorded departures make due at once for each employer of ``by_employer`` (its
    standing, by employer id) that has something deferred and a departure, in one statement
    over the employers of one agency, one region, or all, whatever their number.

    A departure the rules cannot settle is left out (its employer's amounts page says why).
    """
    ids = employers_where(agency_id=agency_id, region_id=region_id)
    rows = plain_rows(_departures_query(Departure.employer_id.in_(ids)))
    result: dict[int, DueAtOnce] = {}
    for employer_id, recorded in _facts(rows).items():
        standing = by_employer.get(employer_id)
        if standing is None or not _is_deferred(standing):
            continue
        result[employer_id] = DueAtOnce(_settle_all(standing, recorded, skip_errors=True))
    return result
