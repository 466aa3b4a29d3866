"""Commitment application reads, scoped to the employer (another employer's id is a 404)."""

from __future__ import annotations

from flask import abort
from sqlalchemy import bindparam, select

from portal.core.extensions import db
from portal.models import Assessment, CommitmentApplication, Employer, EvidenceFile, StoredLetter

# Built once: the application pages and the home page's next step run it on every request
# (building a statement costs about as much as running it; bench/bench_pages.py).
LATEST_ROUND = (
    select(CommitmentApplication)
    .where(
        CommitmentApplication.employer_id == bindparam("employer_id"),
        CommitmentApplication.kind == bindparam("kind"),
    )
    .order_by(CommitmentApplication.round.desc())
    .limit(1)
)


def latest_round(employer: Employer, kind: str = "commitment") -> CommitmentApplication | None:
    """The employer's latest application of ``kind`` (a commitment, or a 2020 deferral)."""
    return db.session.scalar(LATEST_ROUND, {"employer_id": employer.id, "kind": kind})


def latest_and_next_round(
    employer: Employer, kind: str = "commitment"
) -> tuple[CommitmentApplication | None, int]:
    """The latest application of ``kind`` and the next round number (rounds count every kind),
    read in one statement: two statements would see two snapshots, and a draft committed by a
    concurrent request between them would give a second draft the next round."""
    rounds = list(
        db.session.scalars(
            select(CommitmentApplication)
            .where(CommitmentApplication.employer_id == employer.id)
            .order_by(CommitmentApplication.round.desc())
        )
    )
    latest = next((r for r in rounds if r.kind == kind), None)
    return latest, (rounds[0].round + 1 if rounds else 1)


def current_draft(employer: Employer, kind: str = "commitment") -> CommitmentApplication | None:
    latest = latest_round(employer, kind)
    return latest if latest is not None and latest.status == "draft" else None


def rounds_of(employer_id: int, kind: str | None = None) -> list[CommitmentApplication]:
    """Every round of an employer's applications (of ``kind``, else all), newest first."""
    query = select(CommitmentApplication).where(CommitmentApplication.employer_id == employer_id)
    if kind is not None:
        query = query.where(CommitmentApplication.kind == kind)
    return list(db.session.scalars(query.order_by(CommitmentApplication.round.desc())))


def get_application_or_404(employer: Employer, application_id: int) -> CommitmentApplication:
    """:raise 404: when the application is not this employer's."""
    application = db.session.scalar(
        select(CommitmentApplication).where(
            CommitmentApplication.id == application_id,
            CommitmentApplication.employer_id == employer.id,
        )
    )
    if application is None:
        abort(404)
    return application


def get_evidence_or_404(application_ids: list[int] | int, file_id: int) -> EvidenceFile:
    """:raise 404: when the file does not belong to the given application(s)."""
    ids = [application_ids] if isinstance(application_ids, int) else application_ids
    record = db.session.scalar(
        select(EvidenceFile).where(EvidenceFile.id == file_id, EvidenceFile.application_id.in_(ids))
    )
    if record is None:
        abort(404)
    return record


def get_letter_or_404(employer_id: int, letter_id: int) -> StoredLetter:
    """:raise 404: when the letter is not this employer's."""
    letter = db.session.scalar(
        select(StoredLetter).where(
            StoredLetter.id == letter_id, StoredLetter.employer_id == employer_id
        )
    )
    if letter is None:
        abort(404)
    return letter


def evidence_of_employer(employer: Employer, file_id: int) -> EvidenceFile:
    """:raise 404: when the file is not in one of this employer's applications."""
    return get_evidence_or_404([a.id for a in rounds_of(employer.id)], file_id)


HEADCOUNTS_THROUGH = (
    select(Assessment.month, Assessment.headcount)
    .where(Assessment.employer_id == bindparam("employer_id"))
    .where(Assessment.month <= bindparam("through_month"))
)


def headcounts_through(employer: Employer, through_month: str) -> dict[str, int]:
    """The employer's assessed headcount (申报缴费人数) by month, up to ``through_month``."""
    rows = db.session.execute(
        HEADCOUNTS_THROUGH, {"employer_id": employer.id, "through_month": through_month}
    )
    return {month: headcount for month, headcount in rows}
