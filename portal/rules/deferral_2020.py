"""A 2020 deferral by application followed to the end: what each deferred month holds over, the
catch-up day, what is paid towards it, what is outstanding and the late fee after that day.

临医保发〔2020〕28号 操作细则 一（二） and 锡医保服务〔2020〕11号 三（一） exempt the deferral
from late fees (缓缴期间免收滞纳金) and ask for the full amount after it (缓缴期满后足额补缴)
without naming a day: the catch-up day is the reading ``deferral.catch_up_by`` (the last day
of the month after the last deferred month), the late fee after it the reading
``catch_up_late_fee_from`` (the national rate from the day after it, DOMAIN §6). The figures
are counted by the same machinery as the 2022 catch-up (``rules.quote``: principal first, the
fee per settled slice, days inclusive, rounded once), over a ``Period`` built from the
application, so the reminders' milestones (``rules.reminders``) read it as they read a 2022
period.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from .errors import NotApplicable
from .months import last_day
from .periods import Period
from .policy import Program
from .quote import ZERO, Quote, _amount, month_amounts, period_quote, to_fen
from .reductions import DeferralRequest, DeferredMonth, reduction_program, unit_rate, unit_type_for


@dataclass(frozen=True)
class AssessedMonth2020:
    """The agency's assessment of one deferred month: base, unit medical part (maternity apart,
    reading ``assessed_unit_amount``), personal part and headcount."""

    month: str
    contribution_base: Decimal
    unit_amount: Decimal
    personal_amount: Decimal | None = None
    headcount: int | None = None


@dataclass(frozen=True)
class MonthPayment:
    """A payment recorded by the tax bureau, with the contribution month and the part it pays
    (``month`` None: a row imported before the month was known)."""

    paid_on: date
    amount: Decimal
    month: str | None
    part: str  # "unit" | "personal"
    insurance: str | None = None  # "medical" | "maternity" where the bureau splits them


@dataclass(frozen=True)
class CatchUp2020:
    """One approved 2020 deferral on one day: its months, the catch-up and what is left."""

    request: DeferralRequest
    period: Period
    months: list[DeferredMonth]  # the months whose amount is known
    sources: dict[str, str]  # month -> "assessment" | "estimate"
    headcounts: dict[str, int]
    quote: Quote
    payments: list[MonthPayment] = field(default_factory=list)  # those counted, oldest first

    @property
    def program_id(self) -> str:
        return self.request.program_id

    @property
    def owes(self) -> bool:
        """Something is still to pay: an amount known, or a month without an amount yet."""
        return self.quote.total_due > 0 or bool(self.quote.not_assessed)


def _reading(program: Program, name: str) -> tuple[str, ...] | tuple[int, ...]:
    param = program.reading(name)
    if param is None:  # pragma: no cover - the policy loader requires them with catch_up_by
        raise NotApplicable(f"{program.id} has no reading {name}", field="program_id")
    return tuple(param.value)


def catch_up_period(request: DeferralRequest) -> Period:
    """The catch-up of a 2020 deferral as a ``Period``: its months, the catch-up day (reading
    ``deferral.catch_up_by``), the first day of the late fee (reading
    ``catch_up_late_fee_from``: the day after) and the reminder days before it."""
    program = reduction_program(request.program_id)
    if request.catch_up_by is None:
        raise NotApplicable(f"{program.id} sets no catch-up day", field="program_id")
    deadline = request.catch_up_by
    late = program.reading("catch_up_late_fee_from")
    reminders = program.reading("reminder_days_before_deadline")
    assert late is not None and reminders is not None  # noqa: S101 - required by the loader
    refs = {
        **request.refs,
        "deadline": request.refs.get("catch_up_by", ""),
        "late_fee_from": late.ref,
        "reminders": reminders.ref,
        "late_fee_rate": program.late_fee.daily_rate.ref,
    }
    return Period(
        program_id=program.id,
        key=f"application:{request.start}..{request.end}",
        start=request.start,
        end=request.end,
        months=list(request.months),
        deadline=deadline,
        late_fee_from=deadline + timedelta(days=1),
        # A 2020 deferral is applied for, not chosen from a list: nothing is decided by a day.
        decision_until=last_day(request.start),
        reminder_dates=[deadline - timedelta(days=d) for d in reminders.value],
        july_offset=False,
        is_new_business=False,
        refs=refs,
    )


def catch_up_months(
    request: DeferralRequest,
    *,
    unit_kind: str,
    assessed: Iterable[AssessedMonth2020] = (),
    contribution_base: Decimal | None = None,
) -> tuple[list[DeferredMonth], dict[str, str]]:
    """What each deferred month holds over, where known, and where each figure comes from.

    The parts are the program's ``scope.deferred_part`` (as ``reductions.deferred_months``):
    the unit medical part at the month's reduced rate, and for Linyi maternity and the personal
    part too. The agency's assessment wins over the computation (DOMAIN §6): its unit amount and
    personal amount are taken as assessed, its base for maternity; a month not assessed is
    estimated from the employer's base; one with neither has no amount (``not_assessed``).
    """
    program = reduction_program(request.program_id)
    unit_type = unit_type_for(program.id, unit_kind)
    part = program.scope.deferred_part.value
    known = {a.month: a for a in assessed if a.month in request.months}
    months: list[DeferredMonth] = []
    sources: dict[str, str] = {}
    for month in request.months:
        rate = unit_rate(program.id, month, unit_type)
        assessment = known.get(month)
        if assessment is not None:
            base = _amount(assessment.contribution_base, "contribution_base")
            unit = _amount(assessment.unit_amount, "unit_amount")
            personal = assessment.personal_amount
            sources[month] = "assessment"
        elif contribution_base is not None:
            base = _amount(contribution_base, "contribution_base")
            unit, personal = base * rate.unit_rate, None
            sources[month] = "estimate"
        else:
            continue
        maternity = ZERO
        if part == "medical_and_maternity":
            maternity = base * (rate.maternity_rate or ZERO)
            if personal is None:
                personal = base * (rate.personal_rate or ZERO)
        else:
            personal = ZERO
        unit, maternity, personal = to_fen(unit), to_fen(maternity), to_fen(personal)
        months.append(DeferredMonth(month, unit, maternity, personal, unit + maternity + personal))
    return months, sources


def counted_payments(
    request: DeferralRequest, payments: Iterable[MonthPayment]
) -> list[MonthPayment]:
    """The payments that catch the deferral up: for one of its months, of a part and insurance
    it defers (readings ``catch_up_parts``, ``catch_up_insurances``). A row without a month
    (imported before the month was known) cannot be told apart from an ordinary month's
    payment, so it does not count."""
    program = reduction_program(request.program_id)
    parts = _reading(program, "catch_up_parts")
    insurances = _reading(program, "catch_up_insurances")
    return sorted(
        (
            p
            for p in payments
            if p.month in request.months
            and p.part in parts
            and (p.insurance is None or p.insurance in insurances)
            and p.amount > 0
        ),
        key=lambda p: (p.paid_on, p.month or ""),
    )


def catch_up_quote(
    request: DeferralRequest,
    *,
    amounts: Mapping[str, Decimal],
    payments: Sequence[MonthPayment],
    as_of: date,
) -> Quote:
    """Deferred total, what is paid towards it, what is left and the late fee on ``as_of``:
    ``rules.quote``'s counting over the catch-up ``Period``. A month without an amount is named
    (``not_assessed``) and left out of the totals."""
    program = reduction_program(request.program_id)
    period = catch_up_period(request)
    counted = [(p.paid_on, p.amount) for p in counted_payments(request, payments)]
    return period_quote(
        period,
        month_amounts(period, dict(amounts), require_all=False),
        counted,
        as_of,
        late_fee=program.late_fee,
    )


def catch_up_2020(
    request: DeferralRequest,
    *,
    unit_kind: str,
    assessed: Iterable[AssessedMonth2020] = (),
    contribution_base: Decimal | None = None,
    payments: Iterable[MonthPayment] = (),
    as_of: date,
) -> CatchUp2020:
    """Follow one approved 2020 deferral to ``as_of``: its months' amounts, the catch-up day,
    the payments that count, what is outstanding and the late fee."""
    assessed = list(assessed)
    months, sources = catch_up_months(
        request, unit_kind=unit_kind, assessed=assessed, contribution_base=contribution_base
    )
    counted = counted_payments(request, payments)
    quote = catch_up_quote(
        request,
        amounts={m.month: m.total for m in months},
        payments=counted,
        as_of=as_of,
    )
    return CatchUp2020(
        request=request,
        period=catch_up_period(request),
        months=months,
        sources=sources,
        headcounts={a.month: a.headcount for a in assessed if a.headcount is not None},
        quote=quote,
        payments=[p for p in counted if p.paid_on <= as_of],
    )


def outstanding_at(catch_up: CatchUp2020, month: str) -> Decimal:
    """月末未补缴 of ``month`` for a 2020 deferral, read as ``exchange.outstanding_at_month_end``
    reads a 2022 one (data/exchange.yaml ``monthly_report.outstanding_through``): the assessed
    amounts of its months up to ``month``, less what is paid towards them by the quote's day,
    never below zero. A month not assessed yet is not counted (an estimate is not an amount
    due)."""
    due = sum(
        (
            m.total
            for m in catch_up.months
            if m.month <= month and catch_up.sources.get(m.month) == "assessment"
        ),
        ZERO,
    )
    return max(due - catch_up.quote.paid, ZERO)


def late_fee_between(catch_up: CatchUp2020, first: date) -> Decimal:
    """The late fee accrued from ``first`` through the quote's day (the same counting on the
    day before ``first``, subtracted)."""
    quote = catch_up.quote
    if first <= quote.late_fee_from:
        return quote.late_fee
    earlier = catch_up_quote(
        catch_up.request,
        amounts=quote.month_amounts,
        payments=catch_up.payments,
        as_of=first - timedelta(days=1),
    )
    return quote.late_fee - earlier.late_fee


__all__ = [
    "AssessedMonth2020",
    "CatchUp2020",
    "MonthPayment",
    "catch_up_2020",
    "catch_up_months",
    "catch_up_period",
    "catch_up_quote",
    "counted_payments",
    "late_fee_between",
    "outstanding_at",
]
