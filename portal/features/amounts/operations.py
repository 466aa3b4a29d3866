"""Record a departure: the person's deferred unit part falls due at once.

鲁医保发〔2022〕21号 五.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal.core import audit
from portal.core.extensions import db
from portal.models import Departure, Employer, PersonAssessment, User
from portal.rules.errors import DomainError

REASONS = ("leave", "retire", "transfer")


class DepartureError(DomainError):
    """A departure refused: person, reason, future or recorded."""

    kind = "departure"


def record_departure(
    employer: Employer,
    person_ref: str,
    reason: str,
    left_on: date,
    *,
    today: date,
    actor: User,
    earliest: date | None = None,
    correct: bool = False,
) -> Departure:
    """Record (or, with ``correct``, correct) a departure.

    :raise DepartureError: unknown person, unknown reason, a future date, a date before the
        first deferred month (``earliest``: nothing deferred to settle), or another departure
        already recorded for that person and ``correct`` not asked for.
    """
    if reason not in REASONS:
        raise DepartureError("reason", "reason")
    known = db.session.scalar(
        select(PersonAssessment.id)
        .where(
            PersonAssessment.employer_id == employer.id, PersonAssessment.person_ref == person_ref
        )
        .limit(1)
    )
    if known is None:
        raise DepartureError("person", "person_ref")
    if left_on > today:
        raise DepartureError("future", "left_on")
    if earliest is not None and left_on < earliest:
        raise DepartureError("before_period", "left_on", start=earliest)
    existing = _recorded(employer, person_ref)
    if (
        existing is not None
        and correct
        and (existing.reason, existing.left_on)
        != (
            reason,
            left_on,
        )
    ):
        return _correct(existing, reason, left_on, actor=actor)
    if existing is not None:
        return _same_or_refuse(existing, reason, left_on)
    departure = Departure(
        employer_id=employer.id,
        person_ref=person_ref,
        reason=reason,
        left_on=left_on,
        recorded_by_id=actor.id,
    )
    try:
        with db.session.begin_nested():
            db.session.add(departure)
    except IntegrityError:  # a double click: the request that won at the same moment recorded it
        return _same_or_refuse(_recorded(employer, person_ref), reason, left_on)
    audit.record(
        actor,
        "departure.record",
        employer_id=employer.id,
        obj=departure,
        details={"person_ref": person_ref, "reason": reason, "left_on": left_on.isoformat()},
    )
    return departure


def _correct(departure: Departure, reason: str, left_on: date, *, actor: User) -> Departure:
    """A mistaken entry put right: the record changes, the audit row keeps what it said."""
    before = {"reason": departure.reason, "left_on": departure.left_on.isoformat()}
    departure.reason, departure.left_on = reason, left_on
    db.session.flush()
    audit.record(
        actor,
        "departure.correct",
        employer_id=departure.employer_id,
        obj=departure,
        details={
            "person_ref": departure.person_ref,
            "before": before,
            "reason": reason,
            "left_on": left_on.isoformat(),
        },
    )
    return departure


def _recorded(employer: Employer, person_ref: str) -> Departure | None:
    return db.session.scalar(
        select(Departure).where(
            Departure.employer_id == employer.id, Departure.person_ref == person_ref
        )
    )


def _same_or_refuse(recorded: Departure | None, reason: str, left_on: date) -> Departure:
    """The same departure sent again (a double click) is the one recorded, not an error.

    :raise DepartureError: something else is recorded for that person.
    """
    if recorded is None or (recorded.reason, recorded.left_on) != (reason, left_on):
        raise DepartureError("recorded", "person_ref")
    return recorded
