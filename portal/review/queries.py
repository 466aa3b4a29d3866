"""Reviewers see the applications of their own agency's employers only (others: 404)."""

from __future__ import annotations

from flask import abort
from sqlalchemy import Select, select
from sqlalchemy.orm import contains_eager

from portal.extensions import db
from portal.models import CommitmentApplication, Employer, User

QUEUE_STATUSES = ("submitted", "approved", "rejected")


def scoped_applications(user: User) -> Select[tuple[CommitmentApplication]]:
    """Sent applications of employers in the reviewer's agency (drafts are the employer's own)."""
    return (
        select(CommitmentApplication)
        .join(CommitmentApplication.employer)
        .options(contains_eager(CommitmentApplication.employer))
        .where(Employer.agency_id == user.agency_id, CommitmentApplication.status != "draft")
    )


def review_queue(
    user: User, *, program_id: str | None = None, status: str | None = "submitted"
) -> list[CommitmentApplication]:
    """The queue, soonest due first (overdue ones come first by their date)."""
    query = scoped_applications(user)
    if program_id:
        query = query.where(CommitmentApplication.program_id == program_id)
    if status:
        query = query.where(CommitmentApplication.status == status)
    return list(
        db.session.scalars(query.order_by(CommitmentApplication.due_on, CommitmentApplication.id))
    )


def get_application_for_review_or_404(user: User, application_id: int) -> CommitmentApplication:
    """:raise 404: when the application is not one of the reviewer's agency's employers'."""
    application = db.session.scalar(
        scoped_applications(user).where(CommitmentApplication.id == application_id)
    )
    if application is None:
        abort(404)
    return application


def programs_in_queue(user: User) -> list[str]:
    return sorted(
        set(
            db.session.scalars(
                select(CommitmentApplication.program_id)
                .join(CommitmentApplication.employer)
                .where(
                    Employer.agency_id == user.agency_id,
                    CommitmentApplication.program_id.is_not(None),
                )
            )
        )
    )
