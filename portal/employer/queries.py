"""Employer reads, always scoped to what the user may see."""

from __future__ import annotations

from flask import abort, g
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload, selectinload

from portal.extensions import db
from portal.models import Agency, AuditEntry, Employer, Membership, User
from portal.permissions import ACTING_ROLE

# The statements every employer page runs are built once, here: building a statement and its
# cache key costs about as much as running it (measured with bench/bench_pages.py).
MEMBERSHIP_WITH_EMPLOYER = (
    select(Membership)
    .where(
        Membership.user_id == bindparam("user_id"),
        Membership.employer_id == bindparam("employer_id"),
    )
    .options(joinedload(Membership.employer).joinedload(Employer.agency).joinedload(Agency.region))
)
RECENT_HISTORY = (
    select(AuditEntry)
    .where(AuditEntry.acting_for_employer_id == bindparam("employer_id"))
    .options(joinedload(AuditEntry.actor))  # one statement, not a second for the actors
    .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    .limit(bindparam("limit"))
)


def employer_role_or_404(user: User, employer_id: int) -> tuple[Employer, str]:
    """Return the employer and the user's role there.

    Hall staff acting for an employer (``g.acting``, portal/hall/acting.py) have the acting
    role there and nowhere else.

    :raise 404: when the user has no membership at that employer (someone else's id looks
        exactly like one that does not exist).
    """
    acting = g.get("acting")
    if acting is not None and acting.staff_id == user.id:
        if acting.employer_id != employer_id:
            abort(404)
        return acting.employer, ACTING_ROLE
    membership = db.session.scalar(
        MEMBERSHIP_WITH_EMPLOYER, {"user_id": user.id, "employer_id": employer_id}
    )
    if membership is None:
        abort(404)
    return membership.employer, membership.role


def memberships_of(user: User) -> list[Membership]:
    return list(
        db.session.scalars(
            select(Membership)
            .where(Membership.user_id == user.id)
            .options(selectinload(Membership.employer))
            .order_by(Membership.id)
        )
    )


def members_of(employer: Employer) -> list[Membership]:
    return list(
        db.session.scalars(
            select(Membership)
            .where(Membership.employer_id == employer.id)
            .options(selectinload(Membership.user))
            .order_by(Membership.role.desc(), Membership.id)
        )
    )


def get_membership_or_404(employer: Employer, membership_id: int) -> Membership:
    """:raise 404: when the membership is not at this employer."""
    membership = db.session.scalar(
        select(Membership).where(
            Membership.id == membership_id, Membership.employer_id == employer.id
        )
    )
    if membership is None:
        abort(404)
    return membership


def recent_history(employer: Employer, limit: int = 20) -> list[AuditEntry]:
    return list(db.session.scalars(RECENT_HISTORY, {"employer_id": employer.id, "limit": limit}))
