"""Approved 2020 deferrals followed to the end: the rows ``portal.rules.deferral_2020`` reads,
loaded for one employer (a page) or for many at once (the reminders, the monthly report) in
three statements whatever their number: the approved applications with their employers, the
assessments of the deferred months, and the payments that name a 2020–2021 month."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime

from sqlalchemy import ColumnElement, Select, and_, bindparam, select

from portal import rules
from portal.core.rows import plain_rows
from portal.facts.standing import employers_where
from portal.models import Assessment, CommitmentApplication, Employer, Payment
from portal.rules.deferral_2020 import AssessedMonth2020, CatchUp2020, MonthPayment, catch_up_2020

#: ``CommitmentApplication.kind`` of a 2020 deferral by application.
DEFERRAL_KIND = "deferral_2020"
#: Every contribution month a 2020 deferral may hold over: Wuxi's lie within 2020 (锡医保服务
#: 〔2020〕11号 三（一）), Linyi's start in 2020 and run at most 6 months (the reading
#: ``last_start_month``), so up to 2021-05; the loaders read these months and no others.
FIRST_MONTH, LAST_MONTH = "2020-01", "2021-12"

_APPLICATION_COLUMNS = (
    CommitmentApplication.employer_id,
    CommitmentApplication.id,
    CommitmentApplication.reference,
    CommitmentApplication.program_id,
    CommitmentApplication.defer_start,
    CommitmentApplication.defer_months,
    Employer.unit_kind,
    Employer.contribution_base_amount,
)


def _approved(where) -> Select:
    return (
        select(*_APPLICATION_COLUMNS)
        .join(Employer, Employer.id == CommitmentApplication.employer_id)
        .where(
            where,
            CommitmentApplication.kind == DEFERRAL_KIND,
            CommitmentApplication.status == "approved",
            CommitmentApplication.defer_start.is_not(None),
            CommitmentApplication.program_id.is_not(None),
        )
        .order_by(CommitmentApplication.employer_id, CommitmentApplication.round)
    )


def _assessments(where) -> Select:
    return select(
        Assessment.employer_id,
        Assessment.month,
        Assessment.contribution_base_amount,
        Assessment.unit_amount,
        Assessment.personal_amount,
        Assessment.headcount,
    ).where(where, Assessment.month.between(FIRST_MONTH, LAST_MONTH))


def _payments(where) -> Select:
    return select(
        Payment.employer_id,
        Payment.paid_on,
        Payment.amount,
        Payment.month,
        Payment.part,
        Payment.insurance,
    ).where(where, Payment.month.between(FIRST_MONTH, LAST_MONTH))


# One employer's page: built once (building a statement costs about as much as running it).
ONE_APPROVED = _approved(CommitmentApplication.employer_id == bindparam("employer_id"))
ONE_ASSESSMENTS = _assessments(Assessment.employer_id == bindparam("employer_id"))
ONE_PAYMENTS = _payments(Payment.employer_id == bindparam("employer_id"))


def _follow(
    approved, assessed, paid, on: date, program_id: str | None = None
) -> dict[int, CatchUp2020]:
    latest: dict[int, tuple] = {}
    for row in approved:  # in round order: the latest approved round wins
        if program_id is None or row[3] == program_id:
            latest[row[0]] = row
    months: dict[int, list[AssessedMonth2020]] = defaultdict(list)
    for employer_id, month, base, unit, personal, headcount in assessed:
        months[employer_id].append(AssessedMonth2020(month, base, unit, personal, headcount))
    payments: dict[int, list[MonthPayment]] = defaultdict(list)
    for employer_id, paid_on, amount, month, part, insurance in paid:
        payments[employer_id].append(MonthPayment(paid_on, amount, month, part, insurance))
    found = {}
    for employer_id, row in latest.items():
        _e, _id, _ref, program, start, count, unit_kind, base = row
        try:
            request = rules.deferral_request(program, start_month=start, months=count or 1)
            found[employer_id] = catch_up_2020(
                request,
                unit_kind=unit_kind,
                assessed=months[employer_id],
                contribution_base=base,
                payments=payments[employer_id],
                as_of=on,
            )
        except rules.RulesError:
            # A unit kind the program has no rate for, or months the program no longer
            # accepts: nothing to follow up, rather than a page that cannot be shown.
            continue
    return found


def deferral_2020_for(employer: Employer, program_id: str | None, on: date) -> CatchUp2020 | None:
    """The employer's approved 2020 deferral under ``program_id`` (None: its latest under any)
    followed to ``on``; None without one. One statement, three with one."""
    approved = plain_rows(ONE_APPROVED, employer_id=employer.id)
    if not any(program_id is None or row[3] == program_id for row in approved):
        return None
    found = _follow(
        approved,
        plain_rows(ONE_ASSESSMENTS, employer_id=employer.id),
        plain_rows(ONE_PAYMENTS, employer_id=employer.id),
        on,
        program_id,
    )
    return found.get(employer.id)


def deferrals_2020(
    on: date, *, agency_id: int | None = None, recorded_before: datetime | None = None
) -> dict[int, CatchUp2020]:
    """Every approved 2020 deferral of the agency's employers (or all) followed to ``on``, by
    employer: three statements whatever their number. ``recorded_before``: only applications
    decided before that moment (a past month's report, as it stood)."""
    conditions: list[ColumnElement[bool]] = [
        CommitmentApplication.employer_id.in_(employers_where(agency_id=agency_id))
    ]
    if recorded_before is not None:
        conditions.append(CommitmentApplication.decided_at < recorded_before)
    where = and_(*conditions)
    approved = plain_rows(_approved(where))
    if not approved:
        return {}
    ids = select(CommitmentApplication.employer_id).where(
        where,
        CommitmentApplication.kind == DEFERRAL_KIND,
        CommitmentApplication.status == "approved",
    )
    return _follow(
        approved,
        plain_rows(_assessments(Assessment.employer_id.in_(ids))),
        plain_rows(_payments(Payment.employer_id.in_(ids))),
        on,
    )
