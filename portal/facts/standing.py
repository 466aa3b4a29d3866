"""Load the facts of an employer's standing, for one employer or for many at once.

The decisions are made by ``portal.rules.standing`` (pure); this module only reads. One
employer (a page): the employer row is already loaded with its agency and region by the
permission check, so four prepared statements remain (the region's fund reserve and rates in
force on the day, decision, assessments, payments), and a fifth for an employer not on the list
(its latest commitment application). Many employers (an agency, a region, all of them: the
monthly report, the 缓缴清单, reminders): five set-based statements whatever their number.

The fund reserve (统筹基金累计结存可支付月数) in force on a day is the region's row of the latest
month on or before the day's month; the rates, the row with the latest start month on or before
it (``FundReserve``, ``RegionRate``: both change over time, and a page of 2022-08 must not read
a figure reported for 2022-09).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from types import SimpleNamespace
from typing import Any, Final, Literal

from sqlalchemy import (
    Select,
    and_,
    bindparam,
    case,
    exists,
    func,
    literal,
    or_,
    select,
    true,
    union_all,
)

from portal import rules
from portal.core.extensions import db
from portal.core.rows import plain_rows
from portal.facts.cache import kept
from portal.models import (
    Agency,
    Assessment,
    CommitmentApplication,
    DeferralDecision,
    Employer,
    EmployerFactHistory,
    FundReserve,
    Payment,
    PoolingRegion,
    RegionRate,
    ReturnChoice,
)
from portal.models.employers import STANDING_COLUMNS
from portal.rules.standing import (
    ApplicationFact,
    AssessmentFact,
    DecisionFact,
    EmployerFacts,
    PaymentFact,
    Standing,
    program_months,
    standing,
)
from portal.util import clock

# Built once: every employer page runs them (building a statement and its cache key costs
# about as much as running it; bench/bench_pages.py).
CURRENT_DECISION = (
    select(
        DeferralDecision.id,
        DeferralDecision.choice,
        DeferralDecision.period_start,
        DeferralDecision.period_end,
        DeferralDecision.reference,
    )
    .where(DeferralDecision.employer_id == bindparam("employer_id"))
    .order_by(DeferralDecision.decided_at.desc(), DeferralDecision.id.desc())
    .limit(1)
)
ASSESSMENTS_FOR_MONTHS = select(
    Assessment.month, Assessment.unit_amount, Assessment.personal_amount, Assessment.headcount
).where(
    Assessment.employer_id == bindparam("employer_id"),
    Assessment.month.in_(bindparam("months", expanding=True)),
)
LATEST_APPLICATION = (
    select(
        CommitmentApplication.id,
        CommitmentApplication.status,
        CommitmentApplication.due_on,
        CommitmentApplication.decision_reason,
    )
    .where(
        CommitmentApplication.employer_id == bindparam("employer_id"),
        CommitmentApplication.kind == "commitment",  # a 2020 deferral is not the route to the list
    )
    .order_by(CommitmentApplication.round.desc(), CommitmentApplication.id.desc())
    .limit(1)
)
PAYMENTS = (
    select(Payment.paid_on, Payment.amount, Payment.month, Payment.part)
    .where(Payment.employer_id == bindparam("employer_id"))
    .order_by(Payment.paid_on, Payment.id)
)


def _latest(column, dated, month_column):
    """``column`` of the region's row dated latest on or before the month (one value)."""
    return (
        select(column)
        .where(dated.region_id == bindparam("region_id"), month_column <= bindparam("month"))
        .order_by(month_column.desc())
        .limit(1)
        .scalar_subquery()
    )


#: The region's fund reserve and rates in force in a month, in one statement.
REGION_FIGURES = select(
    _latest(FundReserve.months, FundReserve, FundReserve.month),
    _latest(RegionRate.unit_medical_rate, RegionRate, RegionRate.start_month),
    _latest(RegionRate.maternity_rate, RegionRate, RegionRate.start_month),
)


def region_figures(
    region_id: int, on: date
) -> tuple[Decimal | None, Decimal | None, Decimal | None]:
    """The fund reserve, unit medical rate and maternity rate of a region in force on ``on``."""
    reserve, medical, maternity = plain_rows(
        REGION_FIGURES, region_id=region_id, month=month_of(on)
    )[0]
    return reserve, medical, maternity


def month_of(on: date) -> str:
    return f"{on:%Y-%m}"


# ------------------------------------------------------------------------------ one employer


def employer_facts(
    employer: Employer, on: date | None = None, *, program_id: str | None = None
) -> EmployerFacts:
    """The facts of an employer whose agency and region are loaded, under ``program_id``, else
    the program its region shows on ``on`` (else the portal's date); one statement reads the
    region's fund reserve and rates in force that day."""
    region = employer.agency.region
    on = on if on is not None else clock.today()
    if program_id is None:
        program_id = region.program_on(on)
    fund_reserve_months, unit_medical_rate, maternity_rate = region_figures(region.id, on)
    return EmployerFacts(
        employer_id=employer.id,
        program_id=program_id,
        credit_code=employer.credit_code,
        unit_kind=employer.unit_kind,
        size_class=employer.size_class,
        is_listed=employer.list_status == "listed",
        july_paid=employer.is_july_paid,
        has_arrears=employer.has_arrears,
        is_deregistering=employer.is_deregistering,
        deregistered_on=employer.deregistered_on,
        first_insured_month=employer.first_insured_month,
        founded_month=employer.founded_month,
        contribution_base=employer.contribution_base_amount,
        fund_reserve_months=fund_reserve_months,
        unit_medical_rate=unit_medical_rate,
        maternity_rate=maternity_rate,
    )


class _Read(Enum):
    READ = "read"


#: ``employer_standing(decision=...)`` not given: the current decision is read here.
READ: Final = _Read.READ


def employer_standing(
    employer: Employer,
    on: date,
    *,
    program_id: str | None = None,
    decision: DecisionFact | None | Literal[_Read.READ] = READ,
) -> Standing:
    """Where ``employer`` stands on ``on`` under the program its region shows that day (or
    ``program_id``, an earlier program it still has amounts under): facts loaded here, decided
    by the rules. ``decision``: the current decision (or None), when the page has read it
    already (the decision page reads every decision)."""
    facts = employer_facts(employer, on, program_id=program_id)
    program = rules.load_program(facts.program_id)
    application, current, assessments, payments = kept(
        employer,
        ("standing", program.id, facts.is_listed),
        lambda: _read_facts(employer.id, program, facts.is_listed, decision),
    )
    if application is not None:
        facts = replace(facts, application=application)
    return standing(
        program, facts, current if decision is READ else decision, assessments, payments, on
    )


def _read_facts(employer_id: int, program: rules.Program, is_listed: bool, decision):
    """An employer's latest application (off the list), current decision (unless ``decision``
    is given), assessments in the program's months and payments: up to four statements."""
    application = None
    if not is_listed:  # its next step follows its commitment application
        found = plain_rows(LATEST_APPLICATION, employer_id=employer_id)
        application = ApplicationFact(*found[0]) if found else None
    if program.kind != "deferral":
        return application, None, (), ()
    if decision is READ:
        decision_row = plain_rows(CURRENT_DECISION, employer_id=employer_id)
        decision = DecisionFact(*decision_row[0]) if decision_row else None
    assessments = tuple(
        AssessmentFact(*row)
        for row in plain_rows(
            ASSESSMENTS_FOR_MONTHS, employer_id=employer_id, months=program_months(program)
        )
    )
    payments = tuple(PaymentFact(*row) for row in plain_rows(PAYMENTS, employer_id=employer_id))
    return application, decision, assessments, payments


def program_months_of(program: rules.Program) -> list[str]:
    """The contribution months an employer can have amounts in under ``program``."""
    if program.kind == "reduction":
        return rules.rate_months(program.id)
    return program_months(program)


def employer_programs(employer: Employer, on: date) -> list[str]:
    """The programs ``employer`` sees on ``on``: the one its region shows, then every earlier
    one it has amounts, a decision, an application or a refund-or-offset choice under (a 2020
    deferral caught up in 2021 is still shown in 2021). No statement runs for a region with one
    program; one runs otherwise, whatever the number of earlier programs."""
    region = employer.agency.region.programs
    current = region.shown(on).program_id
    earlier = region.earlier(on)
    if not earlier:
        return [current]
    checks = []
    for term in earlier:
        program = rules.load_program(term.program_id)
        months = program_months_of(program)
        found = [
            exists().where(Assessment.employer_id == employer.id, Assessment.month.in_(months)),
            exists().where(
                CommitmentApplication.employer_id == employer.id,
                CommitmentApplication.program_id == program.id,
            ),
            exists().where(
                ReturnChoice.employer_id == employer.id, ReturnChoice.program_id == program.id
            ),
        ]
        if program.kind == "deferral":
            found.append(
                exists().where(
                    DeferralDecision.employer_id == employer.id,
                    DeferralDecision.period_start.in_(months),
                )
            )
        checks.append(select(literal(program.id).label("program_id")).where(or_(*found)))
    seen = {row[0] for row in plain_rows(union_all(*checks))}
    return [current, *(t.program_id for t in earlier if t.program_id in seen)]


# ------------------------------------------------------------------------------ many employers


def employers_where(*, agency_id: int | None = None, region_id: int | None = None) -> Select:
    """The ids of the employers of one agency, one pooling region, or all (a subquery)."""
    ids = select(Employer.id)
    if agency_id is not None:
        ids = ids.where(Employer.agency_id == agency_id)
    if region_id is not None:
        ids = ids.join(Agency, Agency.id == Employer.agency_id).where(Agency.region_id == region_id)
    return ids


def _in_force(model, month_column, on: date):
    """Each region's rows of ``model`` ranked latest first among those dated on or before the
    month of ``on`` (rank 1: in force): a window over the small table, joined once."""
    return (
        select(
            model,
            func.row_number()
            .over(partition_by=model.region_id, order_by=month_column.desc())
            .label("rank"),
        )
        .where(month_column <= month_of(on))
        .subquery()
    )


def standings(
    on: date,
    *,
    agency_id: int | None = None,
    region_id: int | None = None,
    recorded_before: datetime | None = None,
    among: Select | None = None,
    with_quote: bool = True,
) -> dict[int, Standing]:
    """The standing of every employer of one agency, one region, or all, by employer id.

    Five statements whatever the number of employers: facts, current decisions, latest
    commitment applications, assessments of the programs' months, payments.

    ``recorded_before`` (a past month's report): the standing as it was then, from what had
    been recorded by that moment: decisions made before it, applications begun before it (a
    decision taken later is still pending), payments made before it.

    ``among``: the ids of the employers wanted (a subquery), instead of an agency or region.

    ``with_quote`` False: the standings without their catch-up quotes (``rules.standing.standing``),
    for a list that reads no amounts owed.
    """
    ids = employers_where(agency_id=agency_id, region_id=region_id) if among is None else among
    if recorded_before is not None:
        # Not in the register yet at that moment (a list import since): not counted.
        ids = ids.where(Employer.created_at < recorded_before)
    db.session.flush()
    connection = db.session.connection()
    reserve = _in_force(FundReserve, FundReserve.month, on)
    rates = _in_force(RegionRate, RegionRate.start_month, on)
    employer, facts_from = _facts_as_of(ids, recorded_before)
    facts_rows = connection.execute(
        select(
            Employer.id,
            PoolingRegion.code,
            Employer.credit_code,
            employer.unit_kind,
            employer.size_class,
            employer.list_status,
            employer.is_july_paid,
            employer.has_arrears,
            employer.is_deregistering,
            employer.deregistered_on,
            employer.first_insured_month,
            employer.founded_month,
            employer.contribution_base_amount,
            reserve.c.months,
            rates.c.unit_medical_rate,
            rates.c.maternity_rate,
        )
        .select_from(facts_from)
        .join(Agency, Agency.id == employer.agency_id)
        .join(PoolingRegion, PoolingRegion.id == Agency.region_id)
        .outerjoin(reserve, and_(reserve.c.region_id == PoolingRegion.id, reserve.c.rank == 1))
        .outerjoin(rates, and_(rates.c.region_id == PoolingRegion.id, rates.c.rank == 1))
        .where(Employer.id.in_(ids))
        .order_by(Employer.id)
    )
    # Unpacked in the order selected, then passed by name: a field added to EmployerFacts
    # cannot shift the others (as fast as by position; reading ``row.name`` took three times
    # as long, for every employer of a report).
    facts: dict[int, EmployerFacts] = {}
    for (
        employer_id,
        region_code,
        credit_code,
        unit_kind,
        size_class,
        list_status,
        is_july_paid,
        has_arrears,
        is_deregistering,
        deregistered_on,
        first_insured_month,
        founded_month,
        contribution_base_amount,
        fund_reserve_months,
        unit_medical_rate,
        maternity_rate,
    ) in facts_rows:
        facts[employer_id] = EmployerFacts(
            employer_id=employer_id,
            # the program the region shows on ``on`` (rules/data/regions.yaml)
            program_id=rules.program_on(region_code, on),
            credit_code=credit_code,
            unit_kind=unit_kind,
            size_class=size_class,
            is_listed=list_status == "listed",
            july_paid=bool(is_july_paid),
            has_arrears=bool(has_arrears),
            is_deregistering=bool(is_deregistering),
            deregistered_on=deregistered_on,
            first_insured_month=first_insured_month,
            founded_month=founded_month,
            contribution_base=contribution_base_amount,
            fund_reserve_months=fund_reserve_months,
            unit_medical_rate=unit_medical_rate,
            maternity_rate=maternity_rate,
        )
    latest = (
        select(
            DeferralDecision.employer_id,
            DeferralDecision.id,
            DeferralDecision.choice,
            DeferralDecision.period_start,
            DeferralDecision.period_end,
            DeferralDecision.reference,
            func.row_number()
            .over(
                partition_by=DeferralDecision.employer_id,
                order_by=(DeferralDecision.decided_at.desc(), DeferralDecision.id.desc()),
            )
            .label("rank"),
        )
        .where(DeferralDecision.employer_id.in_(ids))
        .where(
            DeferralDecision.decided_at < recorded_before if recorded_before is not None else true()
        )
        .subquery()
    )
    decisions = {
        row[0]: DecisionFact(*row[1:6])
        for row in connection.execute(select(latest).where(latest.c.rank == 1))
    }
    latest_round = (
        select(
            CommitmentApplication.employer_id,
            CommitmentApplication.id,
            case(
                (CommitmentApplication.decided_at >= recorded_before, "submitted"),
                else_=CommitmentApplication.status,
            )
            if recorded_before is not None
            else CommitmentApplication.status,
            CommitmentApplication.due_on,
            CommitmentApplication.decision_reason,
            func.row_number()
            .over(
                partition_by=CommitmentApplication.employer_id,
                order_by=(CommitmentApplication.round.desc(), CommitmentApplication.id.desc()),
            )
            .label("rank"),
        )
        .where(
            CommitmentApplication.employer_id.in_(ids), CommitmentApplication.kind == "commitment"
        )
        .where(
            CommitmentApplication.created_at < recorded_before
            if recorded_before is not None
            else true()
        )
        .subquery()
    )
    for row in connection.execute(select(latest_round).where(latest_round.c.rank == 1)):
        if row[0] in facts and not facts[row[0]].is_listed:
            facts[row[0]] = replace(facts[row[0]], application=ApplicationFact(*row[1:5]))
    programs = {pid: rules.load_program(pid) for pid in {f.program_id for f in facts.values()}}
    months = sorted({m for p in programs.values() for m in program_months(p)})
    assessments: dict[int, list[AssessmentFact]] = defaultdict(list)
    for row in connection.execute(
        select(
            Assessment.employer_id,
            Assessment.month,
            Assessment.unit_amount,
            Assessment.personal_amount,
            Assessment.headcount,
        ).where(Assessment.employer_id.in_(ids), Assessment.month.in_(months))
    ):
        assessments[row[0]].append(AssessmentFact(*row[1:]))
    payments: dict[int, list[PaymentFact]] = defaultdict(list)
    for row in connection.execute(
        select(Payment.employer_id, Payment.paid_on, Payment.amount, Payment.month, Payment.part)
        .where(Payment.employer_id.in_(ids))
        .where(Payment.paid_on <= on if recorded_before is not None else true())
        .order_by(Payment.paid_on, Payment.id)
    ):
        payments[row[0]].append(PaymentFact(*row[1:]))
    return {
        employer_id: standing(
            programs[f.program_id],
            f,
            decisions.get(employer_id),
            assessments.get(employer_id, ()),
            payments.get(employer_id, ()),
            on,
            with_quote=with_quote,
        )
        for employer_id, f in facts.items()
    }


def _facts_as_of(ids: Select, recorded_before: datetime | None) -> tuple[Any, Any]:
    """The employer's standing columns and what to select them from: the register's, or, as
    of ``recorded_before``, those of the first history row written after it (a list import
    changed them since: they stood so until then), else the register's."""
    register = Employer.__table__
    if recorded_before is None:
        return register.c, register
    history = EmployerFactHistory.__table__.c
    ranked = (
        select(
            history.employer_id,
            *(history[column] for column in STANDING_COLUMNS),
            func.row_number()
            .over(partition_by=history.employer_id, order_by=(history.changed_at, history.id))
            .label("rank"),
        )
        .where(history.changed_at >= recorded_before, history.employer_id.in_(ids))
        .subquery()
    )
    then = select(ranked).where(ranked.c.rank == 1).subquery("then")
    columns = {
        column: case(
            (then.c.employer_id.is_not(None), then.c[column]), else_=register.c[column]
        ).label(column)
        for column in STANDING_COLUMNS
    }
    return (
        SimpleNamespace(**columns),
        register.outerjoin(then, then.c.employer_id == register.c.id),
    )
