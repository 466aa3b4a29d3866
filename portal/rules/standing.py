"""Where an employer stands under its program: a pure decision over loaded facts.

``standing(program, facts, decision, assessments, payments, on)`` answers, for one employer on
one day: may it defer, which months, which periods it may still choose and until when, the unit
amount of each deferred month, what is paid, what is left, the late fee, the settlement due on
deregistration, and the one next thing to do. Nothing here reads a database or knows Flask:
the facts are plain values, loaded elsewhere for one employer (a page) or for thousands at once
(the monthly report, the 缓缴清单, reminders), and every page, letter and export reads the same
answer instead of deriving the period or the amounts again.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import cached_property

from .errors import InvalidInput, NotApplicable, RulesError
from .months import month_span
from .payments import counts_toward_deferral, payments_policy
from .periods import (
    ChosenPeriodArgs,
    Eligibility,
    Period,
    PeriodArgs,
    check_eligibility,
    deferral_period,
)
from .policy import Program
from .quote import (
    LapsedDue,
    Quote,
    Settlement,
    catchup_quote,
    departure_due,
    deregistration_due,
    lapsed_due,
    settled_months,
)
from .uscc import parse_uscc

ZERO = Decimal(0)

#: Eligibility reasons that do not stop an unlisted employer from applying: it declares the
#: figures that fix its size as part of the application (告知承诺制, 鲁医保发〔2022〕21号 四).
PENDING_FIGURES = frozenset({"size_undetermined"})


@dataclass(frozen=True)
class ApplicationFact:
    """The employer's latest commitment application (告知承诺制, 鲁医保发〔2022〕21号 四)."""

    id: int
    status: str  # "draft" | "submitted" | "approved" | "rejected"
    due_on: date | None = None
    reason: str | None = None


@dataclass(frozen=True)
class EmployerFacts:
    """What the rules need to know about one employer, as plain values."""

    employer_id: int
    program_id: str
    credit_code: str
    unit_kind: str
    size_class: str | None
    is_listed: bool
    july_paid: bool = False
    has_arrears: bool = False
    # 注销 (鲁医保发〔2022〕21号 五): deregistering now, or the day it was (or will be) done
    is_deregistering: bool = False
    deregistered_on: date | None = None
    first_insured_month: str | None = None
    founded_month: str | None = None
    contribution_base: Decimal | None = None
    # The pooling region's figures (统筹地区)
    fund_reserve_months: Decimal | None = None
    unit_medical_rate: Decimal | None = None
    maternity_rate: Decimal | None = None
    application: ApplicationFact | None = None


@dataclass(frozen=True)
class DecisionFact:
    """The employer's current decision (the latest one): defer, with its period, or opt out."""

    id: int
    choice: str  # "defer" | "opt_out"
    period_start: str | None = None
    period_end: str | None = None
    reference: str = ""


@dataclass(frozen=True)
class AssessmentFact:
    """The agency's assessment of one contribution month (费款所属期)."""

    month: str
    unit_amount: Decimal
    personal_amount: Decimal | None = None
    headcount: int | None = None


@dataclass(frozen=True)
class PaymentFact:
    """A recorded payment: its contribution month (None on rows from before files named it)
    and its part ("unit" | "personal"); only some reduce the deferral (``rules.payments``)."""

    paid_on: date
    amount: Decimal
    month: str | None = None
    part: str = "unit"


@dataclass(frozen=True)
class WithholdingLine:
    """One contribution month's personal part: assessed (None: not assessed) and paid."""

    month: str
    assessed: Decimal | None
    paid: Decimal

    @property
    def unpaid(self) -> Decimal:
        """What of the assessed personal part is not paid (never below nothing)."""
        return max((self.assessed or ZERO) - self.paid, ZERO)


@dataclass(frozen=True)
class PeriodOption:
    """A period the employer may take, with the day its decision closes."""

    start: str
    end: str
    decision_until: date
    is_open: bool
    period: Period


@dataclass(frozen=True)
class MonthLine:
    month: str
    unit_amount: Decimal | None
    personal_amount: Decimal | None
    headcount: int | None
    source: str  # "assessment" | "estimate" | "missing"


@dataclass(frozen=True)
class Standing:
    """One employer's situation under its program on one day (see ``standing``)."""

    program: Program
    facts: EmployerFacts | None
    on: date
    eligibility: Eligibility | None = None
    decision: DecisionFact | None = None
    period: Period | None = None
    options: list[PeriodOption] = field(default_factory=list)
    lines: list[MonthLine] = field(default_factory=list)
    quote: Quote | None = None
    # The payments that reduce the deferral (the unit part of its months), oldest first
    payments: list[PaymentFact] = field(default_factory=list)
    # The personal part paid (the withholding the employer keeps paying), oldest first
    personal_payments: list[PaymentFact] = field(default_factory=list)
    # Every payment as loaded, oldest first: a standing worked out again under other facts
    # (another period: ``rules.confirmation.with_change``) picks its own from them
    loaded_payments: list[PaymentFact] = field(default_factory=list)
    # What moves this employer's period, as keyword arguments for the rules functions.
    period_args: ChosenPeriodArgs = field(default_factory=ChosenPeriodArgs)

    @property
    def today(self) -> date:
        return self.on

    @property
    def is_deferral_program(self) -> bool:
        return self.program.kind == "deferral"

    @property
    def is_listed(self) -> bool:
        return self.facts is not None and self.facts.is_listed

    @property
    def has_opted_out(self) -> bool:
        return self.decision is not None and self.decision.choice == "opt_out"

    @property
    def is_eligible(self) -> bool:
        return self.eligibility is not None and self.eligibility.eligible

    @property
    def would_defer(self) -> bool:
        """Listed, not opted out and with a period: deferred by default (免申即享) or by its
        recorded decision, if it qualifies on the day."""
        return (
            self.is_deferral_program
            and self.is_listed
            and not self.has_opted_out
            and self.period is not None
        )

    @property
    def is_deferred(self) -> bool:
        """Deferred on the day: listed, not opted out, and eligible on the day. A recorded
        "defer" does not keep an employer deferred once it no longer qualifies (in arrears to
        clear first, a large enterprise, deregistering: ``lapse_reasons`` say which)."""
        return self.would_defer and self.is_eligible

    @property
    def is_lapsed(self) -> bool:
        """Listed and not opted out, so deferred but for a reason it does not qualify on the
        day: its deferral does not apply (``lapse_reasons``, ``lapse``)."""
        return self.would_defer and not self.is_eligible

    @property
    def lapse_reasons(self) -> list[tuple[str, str]]:
        """(code, message) of each reason a lapsed employer's deferral does not apply; empty
        for any other employer."""
        if not self.is_lapsed or self.eligibility is None:
            return []
        return list(self.eligibility.reasons)

    @cached_property
    def lapse(self) -> LapsedDue | None:
        """What a lapsed employer pays now instead: the deferred months so far at once, the
        later ones as usual (``rules.quote.lapsed_due``). None for any other employer."""
        if not self.is_lapsed or self.facts is None:
            return None
        ends_on = due_on = self.on
        if deregistering(self.facts, self.on) and self.facts.deregistered_on is not None:
            # 注销前缴纳 (鲁医保发〔2022〕21号 五): the months up to deregistration, before it
            ends_on = due_on = self.facts.deregistered_on
        return lapsed_due(
            self.program.id,
            monthly_unit_amount=self.month_amounts,
            ends_on=ends_on,
            due_on=due_on,
            as_of=self.on,
            payments=[(p.paid_on, p.amount) for p in self.payments],
            **self.period_args,
        )

    @property
    def can_change(self) -> bool:
        return any(option.is_open for option in self.options)

    @property
    def decision_until(self) -> date | None:
        open_dates = [o.decision_until for o in self.options if o.is_open]
        return max(open_dates) if open_dates else None

    def option(self, start: str | None) -> PeriodOption | None:
        return next((o for o in self.options if o.start == start), None)

    @property
    def amounts_source(self) -> str:
        """Where the known amounts come from ("missing" when none is known; the months without
        one are ``not_assessed``)."""
        sources = {line.source for line in self.lines if line.unit_amount is not None}
        if not sources:
            return "missing"
        if sources == {"assessment"}:
            return "assessment"
        return "estimate" if sources == {"estimate"} else "mixed"

    @property
    def days_left(self) -> int | None:
        if self.quote is None:
            return None
        return (self.quote.deadline - self.on).days

    @property
    def calculator_latest(self) -> date | None:
        """The last payment date the pay-on-date calculator answers for: a named number of
        years after the catch-up deadline (rules/data/national.yaml)."""
        if self.quote is None:
            return None
        years = self.program.late_fee.calculator_years_after_deadline
        deadline = self.quote.deadline
        year = deadline.year + (int(years.value) if years is not None else 3)
        try:
            return deadline.replace(year=year)
        except ValueError:  # 29 February
            return deadline.replace(year=year, day=28)

    @property
    def not_assessed(self) -> list[str]:
        """Deferred months with no amount yet: neither assessed nor estimated from a base."""
        return [line.month for line in self.lines if line.unit_amount is None]

    @property
    def month_amounts(self) -> dict[str, Decimal]:
        """Unit amount per deferred month whose amount is known."""
        return {line.month: line.unit_amount for line in self.lines if line.unit_amount is not None}

    @property
    def next_step(self) -> str:
        """The one next thing to do, as a code the page words."""
        if not self.is_deferral_program:
            return "reduction_program"
        if self.eligibility is not None and not self.eligibility.eligible:
            reasons = {code for code, _ in self.eligibility.reasons}
            if reasons & {"arrears"}:
                return "clear_arrears"
            lapse = self.lapse
            if lapse is not None and (lapse.total_due > 0 or lapse.not_assessed):
                return "pay_now"
            if not self.is_listed and reasons <= PENDING_FIGURES:
                return self._application_step()
            return "not_eligible"
        if not self.is_listed:
            return self._application_step()
        if self.has_opted_out:
            return "pay_normally"
        if self.decision is None and self.can_change:
            return "confirm"
        if self.quote is not None and (self.quote.outstanding > 0 or self.quote.not_assessed):
            return "pay_by_deadline"
        return "nothing"

    @property
    def application(self) -> ApplicationFact | None:
        return self.facts.application if self.facts is not None else None

    def _application_step(self) -> str:
        """An unlisted employer's next step follows its commitment application, if any."""
        status = self.application.status if self.application else None
        return {
            "draft": "finish_application",
            "submitted": "await_review",
            "rejected": "apply_again",
        }.get(status or "", "apply")

    @cached_property
    def deregistration(self) -> Settlement | None:
        """What deregistering makes due at once: the deferred months up to the month of
        deregistration, less what is paid (鲁医保发〔2022〕21号 五), on the employer's 注销日期
        where the agency has one still to come, else were it to deregister on ``on`` (one that
        has come makes the deferral lapse: ``lapse``). None when nothing is deferred, or while
        one of those months has no amount yet (``not_assessed`` says which)."""
        if self.period is None or self.has_opted_out or not self.is_eligible:
            return None
        deregister_on = self.deregistered_on or self.on
        amounts = self.month_amounts
        if any(m not in amounts for m in settled_months(self.period, deregister_on)):
            return None
        return deregistration_due(
            self.program.id,
            monthly_unit_amount=amounts,
            deregister_on=deregister_on,
            payments=[(p.paid_on, p.amount) for p in self.payments],
            **self.period_args,
        )

    @property
    def deregistered_on(self) -> date | None:
        """The employer's 注销日期, if the agency has one."""
        return self.facts.deregistered_on if self.facts is not None else None

    def departure(
        self,
        person_monthly_unit_amount: Mapping[str, Decimal],
        *,
        event: str,
        event_on: date,
        already_paid: Decimal = ZERO,
    ) -> Settlement:
        """One insured person's deferred unit part, due when they leave, retire or transfer,
        less ``already_paid`` of it (``rules.payments.allocate``)."""
        return departure_due(
            self.program.id,
            person_monthly_unit_amount=person_monthly_unit_amount,
            event=event,
            event_on=event_on,
            already_paid=already_paid,
            as_of=self.on,
            **self.period_args,
        )

    @property
    def paid_toward_deferral(self) -> Decimal:
        """The counted payments made by the day (what ``allocate`` spends)."""
        return sum((p.amount for p in self.payments if p.paid_on <= self.on), ZERO)

    @property
    def withholding(self) -> list[WithholdingLine]:
        """The personal part month by month: each deferred month (assessed or not) and every
        month a personal payment names, assessed against paid."""
        assessed = {line.month: line.personal_amount for line in self.lines}
        paid: dict[str, Decimal] = {}
        for p in self.personal_payments:
            if p.month is not None and p.paid_on <= self.on:
                paid[p.month] = paid.get(p.month, ZERO) + p.amount
        return [
            WithholdingLine(month, assessed.get(month), paid.get(month, ZERO))
            for month in sorted({*assessed, *paid})
        ]

    @property
    def withholding_paid(self) -> Decimal:
        return sum((line.paid for line in self.withholding), ZERO)

    @property
    def withholding_unpaid(self) -> Decimal:
        return sum((line.unpaid for line in self.withholding), ZERO)

    @property
    def withholding_ref(self) -> str:
        """The clauses that keep the personal part out of the deferral (data/payments.yaml)."""
        return payments_policy().counted_part.ref

    def refusals(
        self, *, unit_kind: str | None = None, size: str | None = None
    ) -> list[tuple[str, str]]:
        """Every reason the employer may not apply with a commitment letter (see ``refusals``)."""
        assert self.facts is not None  # noqa: S101 - a standing always has facts
        return refusals(self.program, self.facts, unit_kind=unit_kind, size=size)


def refusals(
    program: Program,
    facts: EmployerFacts,
    *,
    unit_kind: str | None = None,
    size: str | None = None,
) -> list[tuple[str, str]]:
    """(code, message) of every reason the employer may not apply with a commitment letter,
    for the unit kind and size it declares (else the credit code's kind); empty when it may.

    The application is a route to the list (告知承诺制, 鲁医保发〔2022〕21号 四): no window applies.
    """
    if program.kind != "deferral":
        return [("reduction_program", "")]
    eligibility = check_eligibility(
        program.id,
        unit_kind=unit_kind or parse_uscc(facts.credit_code).unit_kind,
        size=size,
        fund_reserve_months=facts.fund_reserve_months,
        has_arrears=facts.has_arrears,
        # a deregistration on any day, past or to come: nothing is deferred to pay at once
        deregistered=facts.is_deregistering or facts.deregistered_on is not None,
    )
    return [(c, text) for c, text in eligibility.reasons if c not in PENDING_FIGURES]


def deregistering(facts: EmployerFacts, on: date) -> bool:
    """Whether the employer is deregistering on ``on`` (注销): flagged as deregistering, or
    deregistered on or before that day. A deregistration dated later leaves the days before
    it as they were (a past month's report counts it as it stood)."""
    return facts.is_deregistering or (
        facts.deregistered_on is not None and facts.deregistered_on <= on
    )


def period_arguments(program: Program, facts: EmployerFacts) -> PeriodArgs:
    """The facts about an employer that move its period (July paid, new business)."""
    args: PeriodArgs = {"july_paid": facts.july_paid}
    basis = program.new_business.basis.value if program.new_business else None
    if basis is None:  # nothing else moves the period: the first start is not needed
        return args
    first_start = min(p.start.value for p in program.periods.values()) if program.periods else ""
    if basis == "first_insured_month" and (facts.first_insured_month or "") > first_start:
        args["first_insured_month"] = facts.first_insured_month
    if basis == "founded_month" and (facts.founded_month or "") > first_start:
        args["founded_month"] = facts.founded_month
    return args


def program_months(program: Program) -> list[str]:
    """Every contribution month any employer may defer under the program (for loading facts)."""
    if not program.periods:
        return []
    start = min(p.start.value for p in program.periods.values())
    end = max(p.end.value for p in program.periods.values())
    return month_span(start, end)


def standing(
    program: Program,
    facts: EmployerFacts,
    decision: DecisionFact | None,
    assessments: Iterable[AssessmentFact],
    payments: Sequence[PaymentFact],
    on: date,
    *,
    with_quote: bool = True,
) -> Standing:
    """Work out where the employer of ``facts`` stands under ``program`` on ``on``.

    ``with_quote`` False: no catch-up quote (``Standing.quote`` None whatever is owed), for a
    list that reads only who is deferred, its period and its months (the 缓缴清单): the quote
    was more than half the time of each employer's standing.
    """
    if program.kind != "deferral":  # a 2020 program: no fixed period, no 2022 decision
        return Standing(program=program, facts=facts, on=on)
    args = period_arguments(program, facts)
    chosen = decision.period_start if decision and decision.choice == "defer" else None
    if chosen and not (program.period_choice and program.period_choice.value):
        chosen = None
    payments = loaded = sorted(payments, key=lambda p: p.paid_on)
    personal = [p for p in payments if p.part == "personal"]
    eligibility = check_eligibility(
        program.id,
        unit_kind=facts.unit_kind,
        size=facts.size_class,
        fund_reserve_months=facts.fund_reserve_months,
        has_arrears=facts.has_arrears,
        deregistered=deregistering(facts, on),
        # No window: a listed employer is deferred by default and the decision cut-off
        # (DOMAIN §7.2) limits only changing its decision (``options``); no source sets a
        # deadline for an unlisted SME to apply (鲁医保发〔2022〕21号 四; 江苏实施方案 三（一）;
        # 内医保办发〔2022〕19号 三（一）3).
        on=None,
        **args,
    )
    try:
        period = deferral_period(program.id, chosen_start=chosen, **args)
    except (InvalidInput, NotApplicable) as error:
        # The facts fit no period (a business too new for the program): not deferred, and
        # the reason says why, instead of a page that cannot be shown.
        reason = [(error.code, error.message)]
        return Standing(
            program=program,
            facts=facts,
            on=on,
            eligibility=Eligibility(program.id, False, [*eligibility.reasons, *reason], [], {}),
            decision=decision,
            payments=[p for p in payments if counts_toward_deferral(p.part, p.month, ())],
            personal_payments=personal,
            loaded_payments=loaded,
            period_args={"chosen_start": chosen, **args},
        )
    payments = [p for p in payments if counts_toward_deferral(p.part, p.month, period.months)]
    options = period_options(program, facts, on, args)
    lines = month_lines(program, facts, period, assessments)
    quote = None
    opted_out = decision is not None and decision.choice == "opt_out"
    # An employer that opted out pays monthly: nothing is deferred, so nothing is to catch up.
    # Months not assessed yet (and without a base to estimate them) leave the quote partial:
    # it covers the months known, names the others, and keeps the period's deadline.
    if with_quote and not opted_out and eligibility.eligible:
        quote = catchup_quote(
            program.id,
            monthly_unit_amount={
                line.month: line.unit_amount for line in lines if line.unit_amount is not None
            },
            chosen_start=chosen,
            payments=[(p.paid_on, p.amount) for p in payments],
            as_of=on,
            partial=True,
            **args,
        )
    return Standing(
        program=program,
        facts=facts,
        on=on,
        eligibility=eligibility,
        decision=decision,
        period=period,
        options=options,
        lines=lines,
        quote=quote,
        payments=payments,
        personal_payments=personal,
        loaded_payments=loaded,
        period_args={"chosen_start": chosen, **args},
    )


def period_options(
    program: Program, facts: EmployerFacts, on: date, args: PeriodArgs | None = None
) -> list[PeriodOption]:
    """The periods the employer may take, each with the day its decision closes (``args``:
    ``period_arguments(program, facts)``, if the caller has them)."""
    if args is None:
        args = period_arguments(program, facts)
    starts: list[str | None] = [None]
    if (
        program.period_choice
        and program.period_choice.value
        and not args.get("first_insured_month")
    ):
        starts = [p.start.value for p in program.periods.values()]
        if facts.july_paid and program.july_paid:
            starts = [program.periods[program.july_paid.period.value].start.value]
    options = []
    for start in starts:
        try:
            period = deferral_period(program.id, chosen_start=start, **args)
        except RulesError:
            continue
        options.append(
            PeriodOption(
                period.start, period.end, period.decision_until, on <= period.decision_until, period
            )
        )
    return options


def month_lines(
    program: Program,
    facts: EmployerFacts,
    period: Period,
    assessments: Iterable[AssessmentFact],
) -> list[MonthLine]:
    """Unit amount per deferred month: the agency's assessment, else an estimate from the base
    (DOMAIN §6: imported assessments win over recomputation)."""
    assessed = {a.month: a for a in assessments if a.month in period.months}
    rate = facts.unit_medical_rate
    if rate is not None and program.scope.deferred_part.value == "unit_incl_maternity":
        rate += facts.maternity_rate or ZERO
    lines = []
    for month in period.months:
        assessment = assessed.get(month)
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
        elif facts.contribution_base is not None and rate is not None:
            lines.append(MonthLine(month, facts.contribution_base * rate, None, None, "estimate"))
        else:
            lines.append(MonthLine(month, None, None, None, "missing"))
    return lines
