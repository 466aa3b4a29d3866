"""An employer's 2020 reduced rates month by month, and the 2020 programs it sees: the rows the
rules of ``portal.rules.reductions`` read, loaded for one employer."""

from __future__ import annotations

from datetime import date

from sqlalchemy import bindparam, select

from portal import rules
from portal.core.rows import plain_rows
from portal.facts.standing import employer_programs
from portal.models import Assessment, Employer, ReturnChoice

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


SINCE = select(Assessment.month, Assessment.contribution_base_amount, Assessment.unit_amount).where(
    Assessment.employer_id == bindparam("employer_id"), Assessment.month >= bindparam("since")
)


def offset_plan_for(employer: Employer, choice: ReturnChoice | None) -> rules.OffsetPlan | None:
    """The employer's offset month by month from the month after its choice, against the
    months the agency assessed (into 2021 and later), when its current choice is an offset."""
    if choice is None or choice.choice != "offset" or not choice.offset_from:
        return None
    rows = plain_rows(SINCE, employer_id=employer.id, since=choice.offset_from)
    months = [rules.MonthFact(month, base, unit) for month, base, unit in rows]
    dues = rules.offset_dues(choice.program_id, unit_kind=employer.unit_kind, months=months)
    return rules.offset_plan(choice.over_collected_amount, dues, from_month=choice.offset_from)
