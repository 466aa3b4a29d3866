"""Hall reads: halls for the public page and for administrators, visits for staff."""

from __future__ import annotations

from flask import abort
from sqlalchemy import select

from portal.extensions import db
from portal.models import ActingSession, ServiceHall, User
from portal.staff.queries import get_employer_for_staff_or_404


def listed_halls() -> list[ServiceHall]:
    return list(
        db.session.scalars(
            select(ServiceHall)
            .where(ServiceHall.is_listed.is_(True))
            .order_by(ServiceHall.city, ServiceHall.position, ServiceHall.id)
        )
    )


def all_halls() -> list[ServiceHall]:
    return list(
        db.session.scalars(
            select(ServiceHall).order_by(ServiceHall.city, ServiceHall.position, ServiceHall.id)
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
