"""Deferral periods of the 2022 programs, eligibility, and the dates around a period."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import ParamSpec, Protocol, TypedDict, TypeVar, cast

from .errors import InvalidInput, NotApplicable, RulesError
from .months import add_months, check_month, last_day, month_span
from .policy import SIZES, UNIT_KINDS, PeriodRule, Program, load_program


@dataclass(frozen=True)
class Period:
    """The deferred months of one employer under one program, with its dates and clauses."""

    program_id: str
    key: str
    start: str
    end: str
    months: list[str]
    deadline: date
    late_fee_from: date
    decision_until: date
    reminder_dates: list[date]
    july_offset: bool  # July already collected: its amount is offset against later dues
    is_new_business: bool
    refs: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


class PeriodArgs(TypedDict, total=False):
    """The facts that move an employer's period, as keyword arguments of ``deferral_period``,
    ``check_eligibility`` and ``catchup_quote``."""

    july_paid: bool
    first_insured_month: str | None
    founded_month: str | None


class ChosenPeriodArgs(PeriodArgs, total=False):
    """``PeriodArgs`` and the start of the period the employer chose, if it chose one."""

    chosen_start: str | None


_P = ParamSpec("_P")
_R = TypeVar("_R", covariant=True)


class _Memoised(Protocol[_P, _R]):
    """A memoised function: called like the function it wraps, with `cache_clear()`."""

    cache_clear: Callable[[], None]

    def __call__(self, *args: _P.args, **kwargs: _P.kwargs) -> _R: ...


def _memoised(function: Callable[_P, _R]) -> _Memoised[_P, _R]:
    """Remember the answers of a pure function of plain values (the policy files do not change
    while the process runs). The monthly report, the 缓缴清单 and reminders ask the same
    questions for every employer of a program: 100,000 employers ask about a handful of
    periods. The answer is shared: callers read it, never change it. A call with a value
    that cannot be a key (a list) is answered afresh; a refusal is never remembered.
    """
    cache: dict[object, _R] = {}

    def memoised(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        key = (args, tuple(kwargs.items()))
        try:
            return cache[key]
        except KeyError:
            answer = cache[key] = function(*args, **kwargs)
            return answer
        except TypeError:  # unhashable: not a value the rules take; let them say so
            return function(*args, **kwargs)

    # A function with an attribute of its own: the Protocol says what it is once it has it.
    wrapper = cast(_Memoised[_P, _R], functools.wraps(function)(memoised))
    wrapper.cache_clear = cache.clear
    return wrapper


def deferral_program(program_id: str) -> Program:
    program = load_program(program_id)
    if program.kind != "deferral":
        raise NotApplicable(
            f"{program_id} is a 2020 reduction program: its deferral is by application "
            f"(see deferral_request), not a fixed period.",
            field="program_id",
        )
    return program


@_memoised
def deferral_period(
    program_id: str,
    *,
    july_paid: bool = False,
    chosen_start: str | None = None,
    first_insured_month: str | None = None,
    founded_month: str | None = None,
) -> Period:
    """Work out the deferred months, catch-up deadline and late-fee start for one employer."""
    program = deferral_program(program_id)
    assert program.july_paid and program.default_period and program.period_choice  # noqa: S101 - deferral programs always have them
    notes: list[str] = []
    refs: dict[str, str] = {}
    july_offset = False
    if chosen_start is not None:
        chosen_start = check_month(chosen_start, "chosen_start")
        if not program.period_choice.value:
            raise NotApplicable(
                f"{program_id} does not let the employer choose its period "
                f"({program.period_choice.ref}); leave the choice empty.",
                field="chosen_start",
            )
        matches = [p for p in program.periods.values() if p.start.value == chosen_start]
        if not matches:
            starts = ", ".join(p.start.value for p in program.periods.values())
            raise InvalidInput(
                f"chosen_start {chosen_start} is not a period of {program_id}; choose {starts}",
                code="month_outside_program",
                field="chosen_start",
            )
        rule = matches[0]
        refs["choice"] = program.period_choice.ref
        if july_paid and rule.key != program.july_paid.period.value:
            raise InvalidInput(
                f"July is already paid, so the period cannot start in "
                f"{chosen_start}; choose "
                f"{program.periods[program.july_paid.period.value].start.value}",
                code="july_already_paid",
                field="chosen_start",
            )
    elif july_paid:
        rule = program.periods[program.july_paid.period.value]
        refs["july_paid"] = program.july_paid.rule.ref
        if program.july_paid.rule.value == "offset":
            july_offset = True
            notes.append(
                "July was already collected: the deferred July amount is offset "
                "against later payments; the period does not move."
            )
    else:
        rule = program.periods[program.default_period.value]
    start, end = rule.start.value, rule.end.value
    is_new = False
    new_start = _new_business_start(program, first_insured_month, founded_month)
    if new_start is not None and new_start > rule.start.value:
        is_new = True
        assert program.new_business is not None  # noqa: S101 - checked by _new_business_start
        refs["new_business"] = program.new_business.basis.ref
        if program.new_business.basis.value == "first_insured_month":
            months_param = program.readings["new_business_months"]
            new_end = add_months(new_start, int(months_param.value) - 1)
            fitting = [
                p
                for p in program.periods.values()
                if p.start.value == new_start and p.end.value == new_end
            ]
            if not fitting:
                raise InvalidInput(
                    f"No period of {program_id} starts in {new_start}", code="month_outside_program"
                )
            if chosen_start is not None and fitting[0].key != rule.key:
                raise InvalidInput(
                    f"A business first insured in {new_start} defers from "
                    f"{new_start}; it cannot choose {chosen_start}",
                    code="new_business_start",
                    field="chosen_start",
                )
            rule = fitting[0]
            start, end = rule.start.value, rule.end.value
            refs["new_business_months"] = months_param.ref
        else:  # founded_month: from the founding month to the end of the ordinary period
            start = new_start
            end = program.periods[program.default_period.value].end.value
            rule = program.periods[program.default_period.value]
    return _period(program, rule, start, end, july_offset, is_new, refs, notes)


def _new_business_start(
    program: Program, first_insured_month: str | None, founded_month: str | None
) -> str | None:
    given = {"first_insured_month": first_insured_month, "founded_month": founded_month}
    given = {k: v for k, v in given.items() if v is not None}
    if not given:
        return None
    rule = program.new_business
    if rule is None:
        raise NotApplicable(
            f"{program.id} has no rule for new businesses; staff must review. "
            f"Leave {', '.join(given)} empty.",
            field=next(iter(given)),
        )
    basis = rule.basis.value
    wrong = [k for k in given if k != basis]
    if wrong:
        raise NotApplicable(
            f"{program.id} dates new businesses by {basis} "
            f"({rule.basis.ref}); give {basis}, not {wrong[0]}.",
            field=wrong[0],
        )
    month = check_month(given[basis], basis)
    earliest = program.readings["new_business_earliest_start"].value
    if month < earliest:
        return None  # not a new business: the ordinary period applies
    if month > rule.latest_month.value:
        raise InvalidInput(
            f"{basis} {month} is after {rule.latest_month.value}: a business that "
            f"new is not covered by {program.id} ({rule.latest_month.ref}).",
            code="new_business_too_late",
            field=basis,
        )
    return month


def _period(
    program: Program,
    rule: PeriodRule,
    start: str,
    end: str,
    july_offset: bool,
    is_new: bool,
    refs: dict[str, str],
    notes: list[str],
) -> Period:
    cutoff = program.readings["decision_cutoff"]
    reminders = program.readings["reminder_days_before_deadline"]
    deadline = rule.deadline.value
    refs = {
        "start": rule.start.ref,
        "end": rule.end.ref,
        "deadline": rule.deadline.ref,
        "late_fee_from": rule.late_fee_from.ref,
        "decision_until": cutoff.ref,
        "reminders": reminders.ref,
        "late_fee_rate": program.late_fee.daily_rate.ref,
        **refs,
    }
    return Period(
        program_id=program.id,
        key=rule.key,
        start=start,
        end=end,
        months=month_span(start, end),
        deadline=deadline,
        late_fee_from=rule.late_fee_from.value,
        decision_until=last_day(start),
        reminder_dates=[deadline - timedelta(days=d) for d in reminders.value],
        july_offset=july_offset,
        is_new_business=is_new,
        refs=refs,
        notes=notes,
    )


# ---------------------------------------------------------------------------- eligibility


@dataclass(frozen=True)
class Eligibility:
    program_id: str
    eligible: bool
    reasons: list[tuple[str, str]]  # (code, message) of each reason it is not
    needs_review: list[tuple[str, str]]  # (code, message) for staff to decide
    refs: dict[str, str]


@_memoised
def check_eligibility(
    program_id: str,
    *,
    unit_kind: str,
    size: str | None,
    fund_reserve_months: Decimal | int | None = None,
    has_arrears: bool = False,
    deregistered: bool = False,
    on: date | None = None,
    july_paid: bool = False,
    chosen_start: str | None = None,
    first_insured_month: str | None = None,
    founded_month: str | None = None,
) -> Eligibility:
    """Say whether a unit may defer under the program, and why not.

    ``deregistered``: the employer is deregistering or deregistered (注销): what it deferred is
    due before deregistration (鲁医保发〔2022〕21号 五 and the like), so nothing more is deferred.
    """
    program = load_program(program_id)
    if unit_kind not in UNIT_KINDS:
        raise InvalidInput(
            f"unit_kind {unit_kind!r} is not one of {', '.join(UNIT_KINDS)}", field="unit_kind"
        )
    if size is not None and size not in (*SIZES, "undetermined"):
        raise InvalidInput(
            f"size {size!r} is not one of {', '.join(SIZES)}, undetermined", field="size"
        )
    scope = program.scope
    reasons: list[tuple[str, str]] = []
    review: list[tuple[str, str]] = []
    refs = {"scope": scope.unit_kinds.ref}
    if unit_kind in scope.excluded_unit_kinds.value:
        reasons.append(
            (
                "out_of_scope_unit_kind",
                f"机关事业单位 and similar bodies are not "
                f"covered ({scope.excluded_unit_kinds.ref}).",
            )
        )
        refs["excluded"] = scope.excluded_unit_kinds.ref
    elif unit_kind not in scope.unit_kinds.value:
        review.append(
            (
                "unit_kind_review",
                f"The sources do not name this kind of unit ({unit_kind}); staff must decide.",
            )
        )
    if unit_kind in scope.size_tested_unit_kinds.value:
        refs["sizes"] = scope.sizes.ref
        if size is None or size == "undetermined":
            reasons.append(
                (
                    "size_undetermined",
                    "The size class is not known: give the figures the industry needs "
                    "or wait for the departments' classification.",
                )
            )
        elif size not in scope.sizes.value:
            reasons.append(
                (
                    "large_enterprise",
                    f"A {size} enterprise is not covered; only "
                    f"{', '.join(scope.sizes.value)} ones are ({scope.sizes.ref}).",
                )
            )
    if program.arrears is not None and program.arrears.rule.value == "clear_first" and has_arrears:
        through = program.arrears.through_month
        owed = f"for {through.value} and earlier " if through is not None else ""
        ref = program.arrears.rule.ref
        reasons.append(("arrears", f"Pay everything owed {owed}first ({ref})."))
        refs["arrears"] = program.arrears.rule.ref
    if deregistered and program.deregistration is not None:
        ref = program.deregistration.ref
        reasons.append(
            ("deregistered", f"A deregistering employer pays what it deferred before ({ref}).")
        )
        refs["deregistration"] = ref
    if program.fund_reserve_months_above is not None:
        limit = program.fund_reserve_months_above
        refs["fund_reserve"] = limit.ref
        if fund_reserve_months is None:
            reasons.append(
                (
                    "fund_reserve_unknown",
                    f"The pooling region's fund reserve (months of payouts) is needed: "
                    f"the program applies only above {limit.value} months ({limit.ref}).",
                )
            )
        elif Decimal(fund_reserve_months) <= limit.value:
            reasons.append(
                (
                    "fund_reserve",
                    f"The pooling region's fund reserve covers {fund_reserve_months} "
                    f"months; the program needs more than {limit.value} ({limit.ref}).",
                )
            )
    if on is not None:
        closes = _window_closes(
            program,
            july_paid=july_paid,
            chosen_start=chosen_start,
            first_insured_month=first_insured_month,
            founded_month=founded_month,
        )
        if closes is not None and on > closes[0]:
            reasons.append(
                ("window_closed", f"The window closed on {closes[0].isoformat()} ({closes[1]}).")
            )
            refs["window"] = closes[1]
    return Eligibility(program.id, not reasons, reasons, review, refs)


def _window_closes(
    program: Program,
    *,
    july_paid: bool,
    chosen_start: str | None,
    first_insured_month: str | None,
    founded_month: str | None,
) -> tuple[date, str] | None:
    if program.kind == "deferral":
        ref = program.readings["decision_cutoff"].ref
        period = deferral_period(
            program.id,
            july_paid=july_paid,
            chosen_start=chosen_start,
            first_insured_month=first_insured_month,
            founded_month=founded_month,
        )
        latest = period.decision_until
        if program.period_choice and program.period_choice.value and not chosen_start:
            # Where the employer chooses its period, the window stays open while any
            # period it could still choose is open.
            for rule in program.periods.values():
                try:
                    other = deferral_period(
                        program.id,
                        july_paid=july_paid,
                        chosen_start=rule.start.value,
                        first_insured_month=first_insured_month,
                        founded_month=founded_month,
                    )
                except RulesError:
                    continue
                latest = max(latest, other.decision_until)
        return latest, ref
    assert program.deferral is not None  # noqa: S101 - reduction programs always have it
    end = program.deferral.window_end
    return (last_day(end.value), end.ref) if end is not None else None
