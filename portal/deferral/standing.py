"""Where an employer stands: program, eligibility, period, decision, amounts, next step.

Everything here reads the database and applies ``portal.rules``; nothing changes state.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import Row, bindparam, select

from portal import rules
from portal.extensions import db
from portal.models import Assessment, DeferralDecision, Employer, Payment
from portal.rules import Eligibility, Period, Program, Quote

# Built once (see portal/employer/queries.py): every employer page runs them.
CURRENT_DECISION = (
    select(DeferralDecision)
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
PAYMENTS = (
    select(Payment.paid_on, Payment.amount)
    .where(Payment.employer_id == bindparam("employer_id"))
    .order_by(Payment.paid_on, Payment.id)
)


def plain_rows(statement, **values) -> list[Row]:
    """Rows of plain values, read on the request's connection past the ORM's per-statement
    bookkeeping, which doubles the cost of a small read (bench/bench_pages.py)."""
    db.session.flush()  # what this request added is part of what it reads
    return list(db.session.connection().execute(statement, values))


@dataclass(frozen=True)
class PeriodOption:
    start: str
    end: str
    decision_until: date
    is_open: bool


@dataclass(frozen=True)
class MonthLine:
    month: str
    unit_amount: Decimal | None
    personal_amount: Decimal | None
    headcount: int | None
    source: str  # "assessment" | "estimate" | "missing"


@dataclass(frozen=True)
class Standing:
    employer: Employer
    program: Program
    today: date
    eligibility: Eligibility | None = None
    decision: DeferralDecision | None = None
    period: Period | None = None
    options: list[PeriodOption] = field(default_factory=list)
    lines: list[MonthLine] = field(default_factory=list)
    quote: Quote | None = None
    payments: list[Row] = field(default_factory=list)  # (paid_on, amount), oldest first
    # What moves this employer's period, as keyword arguments for the rules functions.
    rule_args: dict = field(default_factory=dict)

    @property
    def is_deferral_program(self) -> bool:
        return self.program.kind == "deferral"

    @property
    def is_listed(self) -> bool:
        return self.employer.list_status == "listed"

    @property
    def has_opted_out(self) -> bool:
        return self.decision is not None and self.decision.choice == "opt_out"

    @property
    def is_deferred(self) -> bool:
        """Listed and eligible employers are deferred unless they opt out (免申即享)."""
        return bool(
            self.is_listed
            and self.eligibility
            and self.eligibility.eligible
            and not self.has_opted_out
        ) or bool(self.is_listed and self.decision and self.decision.choice == "defer")

    @property
    def can_change(self) -> bool:
        return any(option.is_open for option in self.options)

    @property
    def decision_until(self) -> date | None:
        open_dates = [o.decision_until for o in self.options if o.is_open]
        return max(open_dates) if open_dates else None

    @property
    def amounts_source(self) -> str:
        sources = {line.source for line in self.lines}
        if sources == {"assessment"}:
            return "assessment"
        if "missing" in sources:
            return "missing"
        return "estimate" if sources == {"estimate"} else "mixed"

    @property
    def days_left(self) -> int | None:
        if self.quote is None:
            return None
        return (self.quote.deadline - self.today).days

    @property
    def next_step(self) -> str:
        """The one next thing to do, as a code the page words."""
        if not self.is_deferral_program:
            return "reduction_program"
        if self.eligibility is not None and not self.eligibility.eligible:
            reasons = {code for code, _ in self.eligibility.reasons}
            if reasons & {"arrears"}:
                return "clear_arrears"
            if not self.is_listed and reasons <= {"size_undetermined"}:
                return "apply"
            return "not_eligible"
        if not self.is_listed:
            return "apply"
        if self.has_opted_out:
            return "pay_normally"
        if self.decision is None and self.can_change:
            return "confirm"
        if self.quote is not None and self.quote.outstanding > 0:
            return "pay_by_deadline"
        return "nothing"


def period_arguments(employer: Employer, program: Program) -> dict[str, str | bool | None]:
    """The facts about an employer that move its period (July paid, new business)."""
    args: dict[str, str | bool | None] = {"july_paid": employer.is_july_paid}
    basis = program.new_business.basis.value if program.new_business else None
    first_start = min(p.start.value for p in program.periods.values()) if program.periods else ""
    if basis == "first_insured_month" and (employer.first_insured_month or "") > first_start:
        args["first_insured_month"] = employer.first_insured_month
    if basis == "founded_month" and (employer.founded_month or "") > first_start:
        args["founded_month"] = employer.founded_month
    return args


def current_decision(employer: Employer) -> DeferralDecision | None:
    return db.session.scalar(CURRENT_DECISION, {"employer_id": employer.id})


def period_options(employer: Employer, program: Program, today: date) -> list[PeriodOption]:
    """The periods the employer may take, each with the day its decision closes."""
    args = period_arguments(employer, program)
    starts: list[str | None] = [None]
    if (
        program.period_choice
        and program.period_choice.value
        and not args.get("first_insured_month")
    ):
        starts = [p.start.value for p in program.periods.values()]
        if employer.is_july_paid and program.july_paid:
            starts = [program.periods[program.july_paid.period.value].start.value]
    options = []
    for start in starts:
        try:
            period = rules.deferral_period(program.id, chosen_start=start, **args)
        except rules.RulesError:
            continue
        options.append(
            PeriodOption(
                period.start, period.end, period.decision_until, today <= period.decision_until
            )
        )
    return options


def employer_standing(employer: Employer, today: date) -> Standing:
    """Work out where ``employer`` stands on ``today``."""
    program = rules.load_program(employer.program_id)
    if program.kind != "deferral":
        return Standing(employer=employer, program=program, today=today)
    decision = current_decision(employer)
    args = period_arguments(employer, program)
    chosen = decision.period_start if decision and decision.choice == "defer" else None
    if chosen and not (program.period_choice and program.period_choice.value):
        chosen = None
    eligibility = rules.check_eligibility(
        program.id,
        unit_kind=employer.unit_kind,
        size=employer.size_class,
        fund_reserve_months=employer.agency.region.fund_reserve_months,
        has_arrears=employer.has_arrears,
        # A listed employer is deferred by default; for the others the window matters.
        on=None if employer.list_status == "listed" else today,
        **args,
    )
    period = rules.deferral_period(program.id, chosen_start=chosen, **args)
    options = period_options(employer, program, today)
    lines = month_lines(employer, period, program)
    payments = plain_rows(PAYMENTS, employer_id=employer.id)
    quote = None
    if eligibility.eligible and all(line.unit_amount is not None for line in lines):
        quote = rules.catchup_quote(
            program.id,
            monthly_unit_amount={line.month: line.unit_amount for line in lines},
            chosen_start=chosen,
            payments=[(p.paid_on, p.amount) for p in payments],
            as_of=today,
            **args,
        )
    return Standing(
        employer,
        program,
        today,
        eligibility,
        decision,
        period,
        options,
        lines,
        quote,
        payments,
        {"chosen_start": chosen, **args},
    )


def month_lines(employer: Employer, period: Period, program: Program) -> list[MonthLine]:
    """Unit amount per deferred month: the agency's assessment, else an estimate from the base."""
    assessments = {
        row.month: row
        for row in plain_rows(
            ASSESSMENTS_FOR_MONTHS, employer_id=employer.id, months=list(period.months)
        )
    }
    region = employer.agency.region
    rate = region.unit_medical_rate
    if rate is not None and program.scope.deferred_part.value == "unit_incl_maternity":
        rate += region.maternity_rate or Decimal(0)
    lines = []
    for month in period.months:
        assessment = assessments.get(month)
        if assessment is not None:
            lines.append(
                MonthLine(
                    month,
                    assessment.unit_amount,
                    assessment.personal_amount,
                    assessment.headcount,
                    "assessment",
                )
            )
        elif employer.contribution_base_amount is not None and rate is not None:
            lines.append(
                MonthLine(month, employer.contribution_base_amount * rate, None, None, "estimate")
            )
        else:
            lines.append(MonthLine(month, None, None, None, "missing"))
    return lines
