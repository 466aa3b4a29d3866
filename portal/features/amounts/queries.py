"""What the amounts pages read beyond the facts (portal/facts/: the standing, and what recorded
departures make due at once, portal/facts/departures.py)."""

from __future__ import annotations

from sqlalchemy import select

from portal.core.extensions import db
from portal.models import Employer, PersonAssessment


def persons(employer: Employer) -> dict[str, str]:
    """Insured persons known from the per-person assessments: ref -> name."""
    rows = db.session.execute(
        select(PersonAssessment.person_ref, PersonAssessment.person_name)
        .where(PersonAssessment.employer_id == employer.id)
        .distinct()
        .order_by(PersonAssessment.person_ref)
    )
    return {ref: name for ref, name in rows}
