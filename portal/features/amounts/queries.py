from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import Row, bindparam, select

from portal.core.extensions import db
from portal.core.rows import plain_rows
from portal.facts.cache import kept
from portal.models import Departure, Employer, PersonAssessment
from portal.rules.quote import Settlement
from portal.rules.standing import Standing


def persons(employer: Employer) -> dict[str, str]:
    """Insured persons known from the per-person assessments: ref -> name."""
    rows = db.session.execute(
        select(PersonAssessment.person_ref, PersonAssessment.person_name)
        .where(PersonAssessment.employer_id == employer.id)
        .distinct()
        .order_by(PersonAssessment.person_ref)
    )
    return {ref: name for ref, name in rows}


def person_unit_amounts(employer: Employer, months: list[str]) -> dict[str, dict[str, Decimal]]:
    """Per person, the unit amount of each deferred month."""
    amounts: dict[str, dict[str, Decimal]] = defaultdict(dict)
    rows = db.session.scalars(
        select(PersonAssessment).where(
            PersonAssessment.employer_id == employer.id, PersonAssessment.month.in_(months)
        )
    )
    for row in rows:
        amounts[row.person_ref][row.month] = row.unit_amount
    return amounts


# Built once: the home and amounts pages run it on every visit.
DEPARTURES = (
    select(
        Departure.id,
        Departure.employer_id,
        Departure.person_ref,
        Departure.reason,
        Departure.left_on,
    )
    .where(Departure.employer_id == bindparam("employer_id"))
    .order_by(Departure.left_on)
)


def departures(employer: Employer) -> list[Row]:
    """The employer's recorded departures (id, person_ref, reason, left_on), earliest first."""
    return plain_rows(DEPARTURES, employer_id=employer.id)


@dataclass(frozen=True)
class DueDeparture:
    """A recorded departure, the person's name and what falls due for them at once."""

    departure: Row  # id, employer_id, person_ref, reason, left_on
    person_name: str
    settlement: Settlement


@dataclass(frozen=True)
class DueAtOnce:
    """Every departure's settlement of one employer, and their sum (鲁医保发〔2022〕21号 五)."""

    items: list[DueDeparture]

    @property
    def amount(self) -> Decimal:
        return sum((item.settlement.amount for item in self.items), Decimal("0.00"))

    @property
    def late_fee(self) -> Decimal:
        return sum((item.settlement.late_fee for item in self.items), Decimal("0.00"))

    @property
    def total(self) -> Decimal:
        return self.amount + self.late_fee


def due_at_once(employer: Employer, standing: Standing) -> DueAtOnce:
    """What the employer's recorded departures make due at once, on the standing's date.

    One statement for an employer without departures (the home page's usual case), three with;
    none on a repeat visit at the same facts version (portal/facts/cache.py).
    """
    if standing.period is None or standing.has_opted_out:  # nothing is deferred
        return DueAtOnce([])
    months = tuple(standing.period.months)
    recorded, names, per_person = kept(
        employer, ("departures", months), lambda: _departure_facts(employer, list(months))
    )
    return DueAtOnce(
        [
            DueDeparture(
                item,
                names.get(item.person_ref, item.person_ref),
                standing.departure(
                    per_person.get(item.person_ref, {}), event=item.reason, event_on=item.left_on
                ),
            )
            for item in recorded
        ]
    )


def _departure_facts(employer: Employer, months: list[str]):
    """The departures, and (when there are any) the persons' names and unit amounts."""
    recorded = tuple(departures(employer))
    if not recorded:
        return (), {}, {}
    return recorded, persons(employer), dict(person_unit_amounts(employer, months))
