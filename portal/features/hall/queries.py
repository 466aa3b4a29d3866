"""Hall reads: halls for the public page and for administrators, visits for staff."""

from __future__ import annotations

from itertools import groupby

from flask import abort
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from portal.core.extensions import db
from portal.core.paging import Page
from portal.features.staff.queries import get_employer_for_staff_or_404
from portal.models import ActingSession, Agency, AuditEntry, Employer, ServiceHall, User

# What one staff member did, newest first, with the employer each row was for (one statement).
ACTIONS_OF_STAFF = (
    select(AuditEntry, Employer.name, Employer.credit_code)
    .outerjoin(Employer, Employer.id == AuditEntry.acting_for_employer_id)
    .where(AuditEntry.actor_id == bindparam("actor_id"))
    .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    .limit(bindparam("limit"))
    .offset(bindparam("offset"))
)
ACTIONS_PER_PAGE = 50


def actions_of(staff: User, number: int = 1, per_page: int = ACTIONS_PER_PAGE) -> Page:
    """One page of the audit rows ``staff`` wrote: (entry, employer name, credit code)."""
    rows = db.session.execute(
        ACTIONS_OF_STAFF,
        {"actor_id": staff.id, "limit": per_page + 1, "offset": (number - 1) * per_page},
    ).all()
    return Page([tuple(row) for row in rows[:per_page]], number, len(rows) > per_page)


def listed_halls() -> list[ServiceHall]:
    """Every agency's listed halls, by city, agency and position (with their agencies)."""
    return list(
        db.session.scalars(
            select(ServiceHall)
            .options(joinedload(ServiceHall.agency))
            .where(ServiceHall.is_listed.is_(True))
            .order_by(ServiceHall.city, ServiceHall.agency_id, ServiceHall.position, ServiceHall.id)
        )
    )


def listed_halls_by_agency() -> list[tuple[str, Agency | None, list[ServiceHall]]]:
    """The public list: (city, agency, its halls) for every agency with a listed hall.

    A hall without an agency yet is listed under its city alone.
    """
    groups = []
    for (city, _agency_id), rows in groupby(listed_halls(), key=lambda h: (h.city, h.agency_id)):
        halls = list(rows)
        groups.append((city, halls[0].agency, halls))
    return groups


def halls_of_agency(agency_id: int | None) -> list[ServiceHall]:
    """The listed halls of one agency: where its clerks record a paper signature."""
    if agency_id is None:
        return []
    return list(
        db.session.scalars(
            select(ServiceHall)
            .where(ServiceHall.is_listed.is_(True), ServiceHall.agency_id == agency_id)
            .order_by(ServiceHall.position, ServiceHall.id)
        )
    )


def all_halls() -> list[ServiceHall]:
    return list(
        db.session.scalars(
            select(ServiceHall)
            .options(joinedload(ServiceHall.agency))
            .order_by(ServiceHall.city, ServiceHall.agency_id, ServiceHall.position, ServiceHall.id)
        )
    )


def get_hall_or_404(hall_id: int) -> ServiceHall:
    """:raise 404: no such hall."""
    hall = db.session.get(ServiceHall, hall_id)
    if hall is None:
        abort(404)
    return hall


def open_visits_of(staff: User) -> list[ActingSession]:
    return list(
        db.session.scalars(
            select(ActingSession).where(
                ActingSession.staff_id == staff.id, ActingSession.ended_at.is_(None)
            )
        )
    )


def get_visit_for_staff_or_404(user: User, visit_id: int) -> ActingSession:
    """:raise 404: no such visit, or one for an employer outside the staff member's agency."""
    visit = db.session.get(ActingSession, visit_id)
    if visit is None:
        abort(404)
    get_employer_for_staff_or_404(user, visit.employer_id)
    return visit
