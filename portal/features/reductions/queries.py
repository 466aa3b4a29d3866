"""Read an employer's 2020 months and its refund-or-offset choice (scoped to the employer)."""

from __future__ import annotations

from sqlalchemy import select

from portal.core.extensions import db
from portal.models import CommitmentApplication, Employer, ReturnChoice


def return_choices(employer: Employer, program_id: str) -> list[ReturnChoice]:
    """The employer's refund-or-offset choices under ``program_id``, latest first."""
    return list(
        db.session.scalars(
            select(ReturnChoice)
            .where(ReturnChoice.employer_id == employer.id, ReturnChoice.program_id == program_id)
            .order_by(ReturnChoice.decided_at.desc(), ReturnChoice.id.desc())
        )
    )


def latest_deferral(employer: Employer, program_id: str) -> CommitmentApplication | None:
    """The employer's latest 2020 deferral application under ``program_id``."""
    return db.session.scalar(
        select(CommitmentApplication)
        .where(
            CommitmentApplication.employer_id == employer.id,
            CommitmentApplication.kind == "deferral_2020",
            CommitmentApplication.program_id == program_id,
        )
        .order_by(CommitmentApplication.round.desc())
        .limit(1)
    )
