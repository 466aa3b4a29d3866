from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from sqlalchemy import select

from portal.extensions import db
from portal.models import Departure, Employer, PersonAssessment


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


def departures(employer: Employer) -> list[Departure]:
    return list(
        db.session.scalars(
            select(Departure)
            .where(Departure.employer_id == employer.id)
            .order_by(Departure.left_on)
        )
    )
