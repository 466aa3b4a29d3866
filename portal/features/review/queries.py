"""Reviewers see the applications of their own agency's employers only (others: 404)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import abort
from sqlalchemy import (
    Row,
    Select,
    bindparam,
    case,
    cast,
    func,
    literal,
    null,
    select,
    union_all,
)
from sqlalchemy.orm import contains_eager

from portal.core.extensions import db
from portal.core.rows import plain_rows
from portal.models import CommitmentApplication, Employer, User

QUEUE_STATUSES = ("submitted", "approved", "rejected")


def scoped_applications(user: User) -> Select[CommitmentApplication]:
    """Sent applications of employers in the reviewer's agency (drafts are the employer's own)."""
    return (
        select(CommitmentApplication)
        .join(CommitmentApplication.employer)
        .options(contains_eager(CommitmentApplication.employer))
        .where(Employer.agency_id == user.agency_id, CommitmentApplication.status != "draft")
    )


# The queue is a reviewer's page all day: its four statements (by program or not, by status or
# not) are built once, as building a statement and its cache key costs about as much as running
# it. Each also brings, after the queue's rows, the programs the agency's applications belong
# to, drafts included (the filter's choices): one round trip, not two (bench/bench_pages.py).
# The template unpacks the queue's columns in this order.
QUEUE_COLUMNS = (
    select(
        CommitmentApplication.id,
        CommitmentApplication.reference,
        CommitmentApplication.due_on,
        CommitmentApplication.status,
        CommitmentApplication.program_id,
        Employer.name.label("employer_name"),
        literal(0).label("part"),
    )
    .join(Employer, Employer.id == CommitmentApplication.employer_id)
    .where(Employer.agency_id == bindparam("agency_id"), CommitmentApplication.status != "draft")
)
PROGRAMS_IN_QUEUE = (
    select(
        # Typed: PostgreSQL would take a bare NULL of a SELECT DISTINCT for text.
        *(cast(null(), column.type) for column in QUEUE_COLUMNS.selected_columns[:4]),
        CommitmentApplication.program_id,
        cast(null(), Employer.name.type),
        literal(1),
    )
    .distinct()
    .where(
        CommitmentApplication.program_id.is_not(None),
        # Each application's employer looked up by its key: a join (or EXISTS) lets the
        # database read every employer of the agency first, thousands for a few applications
        # (SQLite's plan, and PostgreSQL's generic plan for the prepared statement: 0.7 ms).
        select(Employer.agency_id)
        .where(Employer.id == CommitmentApplication.employer_id)
        .scalar_subquery()
        == bindparam("agency_id"),
    )
)


def _queue_and_programs(by_program: bool, by_status: bool) -> Select:
    queue = QUEUE_COLUMNS.where(
        *([CommitmentApplication.program_id == bindparam("program_id")] if by_program else []),
        *([CommitmentApplication.status == bindparam("status")] if by_status else []),
    )
    both = union_all(queue, PROGRAMS_IN_QUEUE).subquery()
    return select(*both.c).order_by(both.c.part, both.c.due_on, both.c.id, both.c.program_id)


QUEUES = {
    (by_program, by_status): _queue_and_programs(by_program, by_status)
    for by_program in (False, True)
    for by_status in (False, True)
}


def review_queue(
    user: User, *, program_id: str | None = None, status: str | None = "submitted"
) -> tuple[list[Row], list[str]]:
    """The queue, soonest due first (overdue ones come first by their date), as plain rows of
    QUEUE_COLUMNS (their last column, ``part``, is 0); and the programs of the agency's
    applications, sorted."""
    rows = plain_rows(
        QUEUES[bool(program_id), bool(status)],
        agency_id=user.agency_id,
        program_id=program_id,
        status=status,
    )
    queue = [row for row in rows if row.part == 0]
    return queue, [row.program_id for row in rows if row.part == 1]


def get_application_for_review_or_404(user: User, application_id: int) -> CommitmentApplication:
    """:raise 404: when the application is not one of the reviewer's agency's employers'."""
    application = db.session.scalar(
        scoped_applications(user).where(CommitmentApplication.id == application_id)
    )
    if application is None:
        abort(404)
    return application


@dataclass(frozen=True)
class ReviewsDue:
    """The sent applications of one kind waiting for a decision in an agency (the calendar)."""

    kind: str  # "commitment" or "deferral_2020"
    count: int
    first_due_on: date | None
    overdue: int  # due before the day


def reviews_due(agency_id: int, on: date) -> list[ReviewsDue]:
    """The agency's applications waiting for review, by kind: how many, the first due date and
    how many are overdue on ``on`` (one statement)."""
    is_overdue = case((CommitmentApplication.due_on < on, 1), else_=0)
    rows = db.session.execute(
        select(
            CommitmentApplication.kind,
            func.count(),
            func.min(CommitmentApplication.due_on),
            func.sum(is_overdue),
        )
        .join(Employer, Employer.id == CommitmentApplication.employer_id)
        .where(Employer.agency_id == agency_id, CommitmentApplication.status == "submitted")
        .group_by(CommitmentApplication.kind)
        .order_by(CommitmentApplication.kind)
    )
    return [ReviewsDue(kind, count, first, int(late or 0)) for kind, count, first, late in rows]
