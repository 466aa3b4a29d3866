"""Employer reads, always scoped to what the user may see."""

from __future__ import annotations

from flask import abort
from sqlalchemy import bindparam, select
from sqlalchemy.orm import selectinload

from portal.core.extensions import db
from portal.core.paging import Page, fetch_page
from portal.facts.cache import kept
from portal.models import AuditEntry, Employer, Membership, User

# The statements every employer page runs are built once, here: building a statement and its
# cache key costs about as much as running it (measured with bench/bench_pages.py). The
# membership lookup that every employer-scoped route runs is in portal/web/access.py.
# The home page's history: plain rows (what the page shows, the actor's name joined in), not
# twenty AuditEntry and User objects (bench/bench_pages.py).
RECENT_HISTORY = (
    select(
        AuditEntry.at,
        AuditEntry.action,
        AuditEntry.role,
        AuditEntry.details,
        User.id.label("actor_id"),
        User.display_name.label("actor_name"),
    )
    .outerjoin(User, User.id == AuditEntry.actor_id)
    .where(AuditEntry.acting_for_employer_id == bindparam("employer_id"))
    .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    .limit(bindparam("limit"))
    .offset(bindparam("offset"))
)
HISTORY_PER_PAGE = 20


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


def history_page(employer: Employer, number: int = 1, per_page: int = HISTORY_PER_PAGE) -> Page:
    """One page of what was done for the employer, newest first (kept per facts version: an
    audit row written for the employer moves it on, portal/models/facts_version.py)."""
    return kept(
        employer,
        ("history", number, per_page),
        lambda: fetch_page(RECENT_HISTORY, {"employer_id": employer.id}, number, per_page),
    )
