"""Read an employer's 2020 months and its refund-or-offset choice (scoped to the employer)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import bindparam, select

from portal import rules
from portal.deferral.queries import employer_programs
from portal.extensions import db
from portal.models import Assessment, CommitmentApplication, Employer, ReturnChoice
from portal.rows import plain_rows

MONTHS = select(
    Assessment.month, Assessment.contribution_base_amount, Assessment.unit_amount
).where(
    Assessment.employer_id == bindparam("employer_id"),
    Assessment.month.in_(bindparam("months", expanding=True)),
)


def reduction_programs(employer: Employer, on: date) -> list[str]:
    """The 2020 programs the employer sees on ``on`` (the region's, or earlier ones it has
    amounts or a choice under), latest first."""
    return [p for p in employer_programs(employer, on) if rules.load_program(p).kind == "reduction"]


def rate_table_for(employer: Employer, program_id: str) -> rules.RateTable:
    """The employer's reduced rates month by month: the agency's assessed months (base and the
    unit medical amount collected), else its contribution base as an estimate."""
    months = [
        rules.MonthFact(month, base, collected)
        for month, base, collected in plain_rows(
            MONTHS, employer_id=employer.id, months=rules.rate_months(program_id)
        )
    ]
    return rules.rate_table(
        program_id,
        unit_kind=employer.unit_kind,
        months=months,
        contribution_base=employer.contribution_base_amount,
    )


def return_choices(employer: Employer, program_id: str) -> list[ReturnChoice]:
    """The employer's refund-or-offset choices under ``program_id``, latest first."""
    return list(
        db.session.scalars(
            select(ReturnChoice)
            .where(ReturnChoice.employer_id == employer.id, ReturnChoice.program_id == program_id)
            .order_by(ReturnChoice.decided_at.desc(), ReturnChoice.id.desc())
        )
    )


def offsets(choice: ReturnChoice | None, table: rules.RateTable) -> list[rules.OffsetMonth]:
    """The offset applied month by month, when the current choice is an offset."""
    if choice is None or choice.choice != "offset" or not choice.offset_from:
        return []
    return rules.offset_schedule(
        choice.over_collected_amount, table.due_by_month(), from_month=choice.offset_from
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
