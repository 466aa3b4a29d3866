"""The 2020 programs: unit rates by month and unit type, over-collection, deferral requests."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from .errors import InvalidInput, NotApplicable
from .months import add_months, check_month, last_day, month_span
from .policy import Program, load_program
from .quote import ZERO, _amount, to_fen

RETURN_OPTIONS = {
    "refund": ("退费", "Refund to the employer's account"),
    "offset": ("冲抵以后月份的缴费", "Offset against later months' contributions"),
}


@dataclass(frozen=True)
class Rate:
    program_id: str
    month: str
    unit_type: str
    unit_rate: Decimal  # unit medical rate for the month
    normal_unit_rate: Decimal  # the rate before the reduction
    maternity_rate: Decimal | None  # None where the source gives none
    personal_rate: Decimal | None
    refs: dict[str, str] = field(default_factory=dict)

    @property
    def is_reduced(self) -> bool:
        return self.unit_rate < self.normal_unit_rate


@dataclass(frozen=True)
class ReturnOption:
    key: str
    zh: str
    en: str
    preferred: bool
    ref: str


@dataclass(frozen=True)
class OverCollection:
    program_id: str
    month: str
    unit_type: str
    contribution_base: Decimal
    due_rate: Decimal
    collected_rate: Decimal
    due_amount: Decimal
    collected_amount: Decimal
    over_collected: Decimal
    options: list[ReturnOption]
    refs: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class DeferralRequest:
    program_id: str
    start: str
    end: str
    months: list[str]
    late_fee: bool
    catch_up_from: str  # the first month after the deferral, when full catch-up is due
    refs: dict[str, str] = field(default_factory=dict)


def reduction_program(program_id: str) -> Program:
    program = load_program(program_id)
    if program.kind != "reduction":
        raise NotApplicable(
            f"{program_id} is a 2022 deferral program and has no rate table.", field="program_id"
        )
    return program


def unit_type_for(program_id: str, unit_kind: str) -> str:
    """The rate category (e.g. enterprise, institution) a unit kind belongs to."""
    program = reduction_program(program_id)
    assert program.unit_types is not None  # noqa: S101 - reduction programs always have it
    for unit_type, kinds in program.unit_types.items():
        if unit_kind in kinds.value:
            return unit_type
    raise NotApplicable(
        f"{program_id} has no rate for units of kind {unit_kind!r}",
        code="unit_type_not_covered",
        field="unit_kind",
    )


def unit_rate(program_id: str, month: str, unit_type: str = "enterprise") -> Rate:
    """Unit rate (and maternity and personal rates where stated) for a contribution month."""
    program = reduction_program(program_id)
    assert program.unit_rates is not None and program.normal_unit_rates is not None  # noqa: S101
    month = check_month(month)
    if unit_type not in program.unit_rates:
        raise NotApplicable(
            f"{program_id} has no rates for unit type {unit_type!r}; it covers "
            f"{', '.join(program.unit_rates)}",
            code="unit_type_not_covered",
            field="unit_type",
        )
    entries = program.unit_rates[unit_type]
    entry = next((e for e in entries if e.covers(month)), None)
    if entry is None:
        last = entries[-1].end or "onwards"
        raise InvalidInput(
            f"{month} is outside {program_id}'s rate table ({entries[0].start}..{last})",
            code="month_outside_program",
            field="month",
        )
    normal = program.normal_unit_rates[unit_type]
    refs = {"unit_rate": entry.ref, "normal_unit_rate": normal.ref}
    maternity = None
    if program.maternity_rates and unit_type in program.maternity_rates:
        maternity = program.maternity_rates[unit_type].value
        refs["maternity_rate"] = program.maternity_rates[unit_type].ref
    personal = program.personal_rate.value if program.personal_rate else None
    if program.personal_rate:
        refs["personal_rate"] = program.personal_rate.ref
    return Rate(program.id, month, unit_type, entry.rate, normal.value, maternity, personal, refs)


def return_options(program_id: str) -> list[ReturnOption]:
    """The ways to return over-collected money, preferred first."""
    program = reduction_program(program_id)
    assert program.over_collection is not None  # noqa: S101
    rule = program.over_collection
    options = [
        ReturnOption(
            k,
            *RETURN_OPTIONS[k],
            k == rule.preferred.value,
            rule.preferred.ref if k == rule.preferred.value else rule.options.ref,
        )
        for k in rule.options.value
    ]
    return sorted(options, key=lambda o: not o.preferred)


def over_collected(
    program_id: str,
    *,
    month: str,
    contribution_base: Decimal,
    unit_type: str = "enterprise",
    collected_rate: Decimal | None = None,
    collected_amount: Decimal | None = None,
) -> OverCollection:
    """What a month collected at the old rate over-collected, and how it may be returned."""
    rate = unit_rate(program_id, month, unit_type)
    base = _amount(contribution_base, "contribution_base")
    old_rate = rate.normal_unit_rate if collected_rate is None else Decimal(collected_rate)
    if not Decimal(0) <= old_rate < Decimal(1):
        raise InvalidInput("collected_rate must be between 0 and 1", field="collected_rate")
    due = base * rate.unit_rate
    collected = (
        base * old_rate
        if collected_amount is None
        else _amount(collected_amount, "collected_amount")
    )
    return OverCollection(
        program_id,
        rate.month,
        unit_type,
        base,
        rate.unit_rate,
        old_rate,
        to_fen(due),
        to_fen(collected),
        to_fen(max(collected - due, ZERO)),
        return_options(program_id),
        {**rate.refs, "options": reduction_program(program_id).over_collection.options.ref},  # type: ignore[union-attr]
    )


def deferral_request(program_id: str, *, start_month: str, months: int) -> DeferralRequest:
    """Check a 2020 deferral application: at most the program's maximum months, no late fee."""
    program = reduction_program(program_id)
    rule = program.deferral
    assert rule is not None  # noqa: S101
    start = check_month(start_month, "start_month")
    if isinstance(months, bool) or not isinstance(months, int) or months < 1:
        raise InvalidInput("months must be a whole number of 1 or more", field="months")
    if months > rule.max_months.value:
        raise InvalidInput(
            f"Deferral is at most {rule.max_months.value} months "
            f"({rule.max_months.ref}); {months} were asked",
            code="too_many_months",
            field="months",
        )
    end = add_months(start, months - 1)
    if start < rule.window_start.value or (rule.window_end and end > rule.window_end.value):
        window = f"{rule.window_start.value}..{rule.window_end.value if rule.window_end else ''}"
        raise InvalidInput(
            f"Deferred months must lie within {window} "
            f"({(rule.window_end or rule.window_start).ref})",
            code="month_outside_program",
            field="start_month",
        )
    refs = {
        "max_months": rule.max_months.ref,
        "late_fee": rule.late_fee.ref,
        "window": rule.window_start.ref,
    }
    return DeferralRequest(
        program.id,
        start,
        end,
        month_span(start, end),
        rule.late_fee.value,
        add_months(end, 1),
        refs,
    )


__all__ = ["unit_rate", "over_collected", "return_options", "deferral_request", "last_day"]
