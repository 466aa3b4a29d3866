"""Catch-up amounts, late fees and settlements due at once (2022 deferral programs)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from .errors import InvalidInput, NotApplicable
from .months import add_months, check_month, month_of
from .periods import Period, deferral_period, deferral_program
from .policy import Program

FEN = Decimal("0.01")
ZERO = Decimal(0)


def to_fen(amount: Decimal) -> Decimal:
    """Round half up to the fen (only for totals that are shown or stored)."""
    return amount.quantize(FEN, rounding=ROUND_HALF_UP)


def _amount(value: object, field_name: str) -> Decimal:
    if isinstance(value, bool) or isinstance(value, float) or not isinstance(value, int | Decimal):
        raise InvalidInput(
            f"{field_name} must be a Decimal amount in yuan, not {value!r}",
            code="bad_number",
            field=field_name,
        )
    amount = Decimal(value)
    if not amount.is_finite():
        raise InvalidInput(
            f"{field_name} must be a finite amount", code="bad_number", field=field_name
        )
    if amount < 0:
        raise InvalidInput(
            f"{field_name} cannot be negative ({value})", code="negative", field=field_name
        )
    return amount


def month_amounts(
    period: Period,
    monthly: Decimal | Mapping[str, Decimal],
    field_name: str = "monthly_unit_amount",
    *,
    require_all: bool = True,
) -> dict[str, Decimal]:
    """Unit amount per deferred month; a mapping must cover exactly the deferred months."""
    if isinstance(monthly, Mapping):
        result = {}
        for month, value in monthly.items():
            month = check_month(month, field_name)
            if month not in period.months:
                raise InvalidInput(
                    f"{field_name}: {month} is not a deferred month of "
                    f"{period.program_id} ({period.start}..{period.end})",
                    code="month_outside_program",
                    field=field_name,
                )
            result[month] = _amount(value, f"{field_name}[{month}]")
        missing = [m for m in period.months if m not in result]
        if missing and require_all:
            raise InvalidInput(
                f"{field_name}: give the unit amount for {', '.join(missing)}",
                code="missing_month",
                field=field_name,
            )
        return {m: result[m] for m in period.months if m in result}
    amount = _amount(monthly, field_name)
    return dict.fromkeys(period.months, amount)


@dataclass(frozen=True)
class LateSlice:
    """Principal settled by one late payment, with the days and fee it carries."""

    paid_on: date
    principal: Decimal
    days: int
    fee: Decimal  # unrounded; the total is rounded once


@dataclass(frozen=True)
class Quote:
    program_id: str
    period_start: str
    period_end: str
    months: list[str]
    month_amounts: dict[str, Decimal]
    deferred_total: Decimal
    deadline: date
    late_fee_from: date
    as_of: date
    paid: Decimal
    outstanding: Decimal
    late_fee: Decimal
    late_slices: list[LateSlice]
    outstanding_days: int  # days the outstanding principal has accrued through as_of
    excess_paid: Decimal  # paid beyond the principal (goes to the late fee)
    offset_against_later: Decimal
    daily_rate: Decimal
    refs: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    cap_at_principal: bool = False  # 行政强制法 第四十五条, where the policy switches it on
    # Deferred months without an amount yet (a partial quote): not in the totals above, and
    # due by the same deadline once the agency assesses them.
    not_assessed: list[str] = field(default_factory=list)

    @property
    def is_complete(self) -> bool:
        return not self.not_assessed

    @property
    def is_overdue(self) -> bool:
        return self.outstanding > 0 and self.as_of > self.deadline

    @property
    def total_due(self) -> Decimal:
        """Principal left plus late fee not yet covered by excess payments."""
        return self.outstanding + max(self.late_fee - self.excess_paid, ZERO)

    def what_if(self, pay_on: date) -> Decimal:
        """Total late fee if everything outstanding were paid on ``pay_on``."""
        if not isinstance(pay_on, date) or pay_on < self.as_of:
            raise InvalidInput(
                f"pay_on must be a date on or after {self.as_of.isoformat()}",
                code="bad_date",
                field="pay_on",
            )
        fees = sum((s.fee for s in self.late_slices), ZERO)
        if self.outstanding > 0 and pay_on > self.deadline:
            fees += self._fee(self.outstanding, pay_on)
        if self.cap_at_principal:
            fees = min(fees, self.deferred_total)
        return to_fen(fees)

    def _fee(self, principal: Decimal, paid_on: date) -> Decimal:
        return principal * self.daily_rate * late_days(self.late_fee_from, paid_on)


def late_days(late_fee_from: date, paid_on: date) -> int:
    """Days from the late-fee start through the payment date, both inclusive."""
    return max((paid_on - late_fee_from).days + 1, 0)


def _checked_payments(payments: Sequence[tuple[date, Decimal]]) -> list[tuple[date, Decimal]]:
    """Payments as (date, amount), oldest first; a zero or malformed payment is refused."""
    checked = []
    for i, item in enumerate(payments):
        if not isinstance(item, tuple | list) or len(item) != 2 or not isinstance(item[0], date):
            raise InvalidInput(f"payments[{i}] must be (date, amount)", field="payments")
        amount = _amount(item[1], f"payments[{i}]")
        if amount == 0:
            raise InvalidInput(f"payments[{i}] is zero; leave it out", field="payments")
        checked.append((item[0], amount))
    return sorted(checked, key=lambda p: p[0])


def _settle(
    period: Period,
    principal: Decimal,
    payments: Sequence[tuple[date, Decimal]],
    as_of: date,
    rate: Decimal,
) -> tuple[Decimal, Decimal, Decimal, list[LateSlice], Decimal, int]:
    """Apply the payments made by ``as_of`` to ``principal`` (principal first) and count the
    late fee: (paid, remaining, excess, late slices, fee unrounded and uncapped, days the
    remaining principal has accrued)."""
    remaining = principal
    paid = excess = ZERO
    slices: list[LateSlice] = []
    for paid_on, amount in payments:
        if paid_on > as_of:
            continue
        paid += amount
        settled = min(amount, remaining)
        remaining -= settled
        excess += amount - settled
        if settled > 0 and paid_on > period.deadline:
            days = late_days(period.late_fee_from, paid_on)
            slices.append(LateSlice(paid_on, settled, days, settled * rate * days))
    fee = sum((s.fee for s in slices), ZERO)
    outstanding_days = 0
    if remaining > 0 and as_of > period.deadline:
        outstanding_days = late_days(period.late_fee_from, as_of)
        fee += remaining * rate * outstanding_days
    return paid, remaining, excess, slices, fee, outstanding_days


def catchup_quote(
    program_id: str,
    *,
    monthly_unit_amount: Decimal | Mapping[str, Decimal],
    july_paid: bool = False,
    chosen_start: str | None = None,
    first_insured_month: str | None = None,
    payments: Sequence[tuple[date, Decimal]] = (),
    as_of: date,
    founded_month: str | None = None,
    partial: bool = False,
) -> Quote:
    """Deferred total, payments, what is left and the late fee as of ``as_of``.

    With ``partial``, ``monthly_unit_amount`` may leave out months the agency has not assessed
    yet: the quote covers the months given and names the others (``not_assessed``); the
    deadline and the late-fee start are the period's all the same.
    """
    if not isinstance(as_of, date):
        raise InvalidInput("as_of must be a date", code="bad_date", field="as_of")
    program = deferral_program(program_id)
    period = deferral_period(
        program_id,
        july_paid=july_paid,
        chosen_start=chosen_start,
        first_insured_month=first_insured_month,
        founded_month=founded_month,
    )
    amounts = month_amounts(period, monthly_unit_amount, require_all=not partial)
    offset = amounts.get(period.months[0], ZERO) if period.july_offset else ZERO
    return period_quote(
        period, amounts, payments, as_of, late_fee=program.late_fee, offset_against_later=offset
    )


def period_quote(
    period: Period,
    amounts: Mapping[str, Decimal],
    payments: Sequence[tuple[date, Decimal]],
    as_of: date,
    *,
    late_fee: Any,
    offset_against_later: Decimal = ZERO,
) -> Quote:
    """The quote of ``period`` over the months' ``amounts`` (a month left out is named in
    ``not_assessed``): the payments settle the principal first, and the late fee runs at
    ``late_fee``'s daily rate from the period's late-fee start, capped where it says so.

    One counting for the 2022 programs (``catchup_quote``) and the 2020 deferrals
    (``rules.deferral_2020``)."""
    principal = sum(amounts.values(), ZERO)
    rate = late_fee.daily_rate.value
    paid, remaining, excess, slices, fee, outstanding_days = _settle(
        period, principal, _checked_payments(payments), as_of, rate
    )
    cap = late_fee.cap_at_principal
    capped = bool(cap is not None and cap.value)
    if capped:
        fee = min(fee, principal)
    refs = dict(period.refs)
    if capped and cap is not None:
        refs["late_fee_cap"] = cap.ref
    notes = list(period.notes)
    if offset_against_later:
        notes.append(
            f"{period.months[0]} was already collected: {to_fen(offset_against_later)} is "
            f"offset against later payments and still counts in the catch-up."
        )
    return Quote(
        program_id=period.program_id,
        period_start=period.start,
        period_end=period.end,
        months=list(period.months),
        month_amounts=dict(amounts),
        deferred_total=to_fen(principal),
        deadline=period.deadline,
        late_fee_from=period.late_fee_from,
        as_of=as_of,
        paid=to_fen(paid),
        outstanding=to_fen(remaining),
        late_fee=to_fen(fee),
        late_slices=slices,
        outstanding_days=outstanding_days,
        excess_paid=to_fen(excess),
        offset_against_later=to_fen(offset_against_later),
        daily_rate=rate,
        refs=refs,
        notes=notes,
        cap_at_principal=capped,
        not_assessed=[m for m in period.months if m not in amounts],
    )


# ---------------------------------------------------------------------------- settlements


@dataclass(frozen=True)
class Settlement:
    """An amount that falls due at once (鲁医保发〔2022〕21号 五 and the like)."""

    program_id: str
    event: str
    due_on: date
    amount: Decimal
    months: list[str]
    late_fee: Decimal
    ref: str
    explanation: str


DEPARTURE_EVENTS = {"leave": "离职", "retire": "办理退休人员待遇", "transfer": "关系转移"}


def departure_due(
    program_id: str,
    *,
    person_monthly_unit_amount: Decimal | Mapping[str, Decimal],
    event: str,
    event_on: date,
    july_paid: bool = False,
    chosen_start: str | None = None,
    first_insured_month: str | None = None,
    founded_month: str | None = None,
    already_paid: Decimal = ZERO,
    as_of: date | None = None,
) -> Settlement:
    """The person's deferred unit part that falls due when they leave, retire or transfer.

    With ``as_of`` after the catch-up deadline, the late fee that part has carried since the
    late-fee start is due too (the same counting as the catch-up quote).
    """
    program = deferral_program(program_id)
    if event not in DEPARTURE_EVENTS:
        raise InvalidInput(
            f"event must be one of {', '.join(DEPARTURE_EVENTS)}, not {event!r}", field="event"
        )
    if not isinstance(event_on, date):
        raise InvalidInput("event_on must be a date", code="bad_date", field="event_on")
    assert program.departure is not None  # noqa: S101 - deferral programs always have it
    period = deferral_period(
        program_id,
        july_paid=july_paid,
        chosen_start=chosen_start,
        first_insured_month=first_insured_month,
        founded_month=founded_month,
    )
    amounts = month_amounts(
        period, person_monthly_unit_amount, "person_monthly_unit_amount", require_all=False
    )
    event_month = month_of(event_on)
    months = [m for m in amounts if m <= event_month]
    total = max(
        sum((amounts[m] for m in months), ZERO) - _amount(already_paid, "already_paid"), ZERO
    )
    fee = ZERO
    if as_of is not None and as_of > period.deadline and total > 0:
        fee = total * program.late_fee.daily_rate.value * late_days(period.late_fee_from, as_of)
    return Settlement(
        program.id,
        event,
        event_on,
        to_fen(total),
        months,
        to_fen(fee),
        program.departure.ref,
        f"When an insured person {event}s ({DEPARTURE_EVENTS[event]}), the employer pays that "
        f"person's deferred unit part for {', '.join(months) or 'no month'} at once.",
    )


def deregistration_due(
    program_id: str,
    *,
    monthly_unit_amount: Decimal | Mapping[str, Decimal],
    deregister_on: date,
    payments: Sequence[tuple[date, Decimal]] = (),
    july_paid: bool = False,
    chosen_start: str | None = None,
    first_insured_month: str | None = None,
    founded_month: str | None = None,
) -> Settlement:
    """The deferred months up to the month of deregistration, less what is paid, due before
    the employer deregisters (鲁医保发〔2022〕21号 五: 应在注销前缴纳缓缴的缴费).

    A month after deregistration has no contribution to defer, so only the months up to it need
    an amount; a month up to it without one is refused (``missing_month``).
    """
    program = deferral_program(program_id)
    if program.deregistration is None:  # pragma: no cover - validated as required
        raise NotApplicable(f"{program_id} has no deregistration rule")
    if not isinstance(deregister_on, date):
        raise InvalidInput("deregister_on must be a date", code="bad_date", field="deregister_on")
    period = deferral_period(
        program_id,
        july_paid=july_paid,
        chosen_start=chosen_start,
        first_insured_month=first_insured_month,
        founded_month=founded_month,
    )
    amounts = month_amounts(period, monthly_unit_amount, require_all=False)
    months = settled_months(period, deregister_on)
    missing = [m for m in months if m not in amounts]
    if missing:
        raise InvalidInput(
            f"monthly_unit_amount: give the unit amount for {', '.join(missing)}",
            code="missing_month",
            field="monthly_unit_amount",
        )
    principal = sum((amounts[m] for m in months), ZERO)
    rate = program.late_fee.daily_rate.value
    _, remaining, _, _, fee, _ = _settle(
        period, principal, _checked_payments(payments), deregister_on, rate
    )
    cap = program.late_fee.cap_at_principal
    if cap is not None and cap.value:
        fee = min(fee, principal)
    return Settlement(
        program.id,
        "deregister",
        deregister_on,
        to_fen(remaining),
        months,
        to_fen(fee),
        program.deregistration.ref,
        "An employer that deregisters pays the deferred months up to the month of "
        "deregistration, less what it has paid, before deregistration.",
    )


def settled_months(period: Period, deregister_on: date) -> list[str]:
    """The deferred months a deregistration on ``deregister_on`` settles: up to its month."""
    return [m for m in period.months if m <= month_of(deregister_on)]


@dataclass(frozen=True)
class LapsedDue:
    """What falls due when a deferral stops applying before its end: the employer no longer
    qualifies on the day (in arrears to clear first, a large enterprise, deregistering)."""

    program_id: str
    due_on: date
    months: list[str]  # the deferred months up to the month the deferral ends: due now
    later_months: list[str]  # the period's months after it: paid every month as usual
    amount: Decimal  # the unit amounts of ``months`` known, less what is paid
    late_fee: Decimal  # counted as for the catch-up: nothing before the late-fee start
    not_assessed: list[str]  # months of ``months`` without an amount yet, not in ``amount``
    ref: str  # the reading it rests on (readings.lapsed_deferral_due)
    explanation: str

    @property
    def total_due(self) -> Decimal:
        return self.amount + self.late_fee


def lapsed_due(
    program_id: str,
    *,
    monthly_unit_amount: Mapping[str, Decimal],
    ends_on: date,
    due_on: date,
    as_of: date,
    payments: Sequence[tuple[date, Decimal]] = (),
    july_paid: bool = False,
    chosen_start: str | None = None,
    first_insured_month: str | None = None,
    founded_month: str | None = None,
) -> LapsedDue:
    """What an employer whose deferral stops applying on ``ends_on`` pays, and by when.

    The deferred months up to the month of ``ends_on`` fall due at once (by ``due_on``), less
    what is paid; the period's later months are not deferred and are paid every month as
    usual. The late fee is counted as for the catch-up (``catchup_quote``) as of ``as_of``: the
    deferral applied while the employer qualified. The reading is the program's
    ``readings.lapsed_deferral_due``; a month without an amount yet is named, not counted.
    """
    program = deferral_program(program_id)
    reading = program.readings.get("lapsed_deferral_due")
    if reading is None:  # pragma: no cover - validated as required
        raise NotApplicable(f"{program_id} has no reading for a deferral that stops applying")
    for name, day in (("ends_on", ends_on), ("due_on", due_on), ("as_of", as_of)):
        if not isinstance(day, date):
            raise InvalidInput(f"{name} must be a date", code="bad_date", field=name)
    period = deferral_period(
        program_id,
        july_paid=july_paid,
        chosen_start=chosen_start,
        first_insured_month=first_insured_month,
        founded_month=founded_month,
    )
    amounts = month_amounts(period, monthly_unit_amount, require_all=False)
    months = settled_months(period, ends_on)
    principal = sum((amounts[m] for m in months if m in amounts), ZERO)
    rate = program.late_fee.daily_rate.value
    _, remaining, _, _, fee, _ = _settle(
        period, principal, _checked_payments(payments), as_of, rate
    )
    cap = program.late_fee.cap_at_principal
    if cap is not None and cap.value:
        fee = min(fee, principal)
    return LapsedDue(
        program.id,
        due_on,
        months,
        [m for m in period.months if m not in months],
        to_fen(remaining),
        to_fen(fee),
        [m for m in months if m not in amounts],
        reading.ref,
        "The deferral no longer applies: the deferred months so far are due at once, less what "
        "is paid; the later months are paid every month as usual.",
    )


# ---------------------------------------------------------------------- July already collected


@dataclass(frozen=True)
class JulyOffset:
    """July already collected and deferred all the same (江苏省实施方案（2022） 三（二）): its
    unit amount is offset against the months from ``from_month`` (reading ``july_offset_from``)."""

    amount: Decimal
    from_month: str
    ref: str


def july_offset(program: Program, quote: Quote | None) -> JulyOffset | None:
    """The offset a deferral's quote carries for a July already collected, or None."""
    reading = program.reading("july_offset_from")
    if quote is None or reading is None or quote.offset_against_later <= 0:
        return None
    return JulyOffset(quote.offset_against_later, add_months(quote.period_end, 1), reading.ref)
