"""Reviewers see the applications of their own agency's employers only (others: 404)."""

from __future__ import annotations

from flask import abort
from sqlalchemy import Row, Select, bindparam, select
from sqlalchemy.orm import contains_eager

from portal.deferral.queries import plain_rows
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


# The queue is a reviewer's page all day: its four statements (by program or not, by status or
# not) are built once, as building a statement and its cache key costs about as much as running
# it. The template unpacks the columns in this order.
QUEUE_COLUMNS = (
    select(
        CommitmentApplication.id,
        CommitmentApplication.reference,
        CommitmentApplication.due_on,
        CommitmentApplication.status,
        CommitmentApplication.program_id,
        Employer.name.label("employer_name"),
    )
    .join(Employer, Employer.id == CommitmentApplication.employer_id)
    .where(Employer.agency_id == bindparam("agency_id"), CommitmentApplication.status != "draft")
)
QUEUES = {
    (by_program, by_status): QUEUE_COLUMNS.where(
        *([CommitmentApplication.program_id == bindparam("program_id")] if by_program else []),
        *([CommitmentApplication.status == bindparam("status")] if by_status else []),
    ).order_by(CommitmentApplication.due_on, CommitmentApplication.id)
    for by_program in (False, True)
    for by_status in (False, True)
}
PROGRAMS_IN_QUEUE = (
    select(CommitmentApplication.program_id)
    .distinct()
    .join(Employer, Employer.id == CommitmentApplication.employer_id)
    .where(
        Employer.agency_id == bindparam("agency_id"),
        CommitmentApplication.program_id.is_not(None),
    )
)


def review_queue(
    user: User, *, program_id: str | None = None, status: str | None = "submitted"
) -> list[Row]:
    """The queue, soonest due first (overdue ones come first by their date): plain rows."""
    return plain_rows(
        QUEUES[bool(program_id), bool(status)],
        agency_id=user.agency_id,
        program_id=program_id,
        status=status,
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
    return sorted(row[0] for row in plain_rows(PROGRAMS_IN_QUEUE, agency_id=user.agency_id))
