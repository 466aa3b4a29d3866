"""The 2020 programs: unit rates by month and unit type, over-collection, deferral requests."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from ._schema import Param
from .classification import classify
from .errors import InvalidInput, NotApplicable
from .months import add_months, check_month, last_day, month_of, month_span
from .policy import DeferralByApplication, DeferralRoutes, Program, load_program
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
    catch_up_by: date | None = None  # the day the deferred months are caught up by (a reading)
    needs_employee_agreement: bool = False  # 经与职工协商一致 (锡医保服务〔2020〕11号 三（一）)


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


def over_collected_amount(collected: Decimal, due: Decimal) -> Decimal:
    """What a month collected beyond what is due, as billed: each figure is billed in fen, so
    the due amount and the over-collection add up to what was collected (one rounding for
    ``over_collected`` and ``rate_table``)."""
    return max(to_fen(collected) - to_fen(due), ZERO)


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
    over_collection = reduction_program(program_id).over_collection
    assert over_collection is not None  # noqa: S101 - a reduction program has it
    return OverCollection(
        program_id,
        rate.month,
        unit_type,
        base,
        rate.unit_rate,
        old_rate,
        to_fen(due),
        to_fen(collected),
        over_collected_amount(collected, due),
        return_options(program_id),
        {**rate.refs, "options": over_collection.options.ref},
    )


def _deferral_rule(program: Program) -> DeferralByApplication:
    if program.kind != "reduction" or program.deferral is None:
        raise NotApplicable(f"{program.id} has no deferral by application", field="program_id")
    return program.deferral


def deferral_start_months(program: Program) -> list[str]:
    """The months a 2020 deferral may start with, in order: from the window's first month to its
    last start month (Linyi: 2020-12, a reading) or, without one, the window's last month
    (Wuxi: 2020-12, 锡医保服务〔2020〕11号 三（一）). The form offers these and no others."""
    rule = _deferral_rule(program)
    last = rule.last_start_month or rule.window_end
    assert last is not None  # noqa: S101 - the policy loader requires one of the two
    return month_span(rule.window_start.value, last.value)


def deferral_lengths(program: Program) -> list[int]:
    """How many months a 2020 deferral may run: 1 to the program's maximum (最长6个月)."""
    return list(range(1, _deferral_rule(program).max_months.value + 1))


#: How a 2020 deferral's size class was found (鲁医保发〔2020〕23号 三): the departments' shared
#: result, the headcount declared in the last contribution month before 2020-02, or — where
#: neither settles it — provisionally under 告知承诺, as the unit applies, 多退少补 once confirmed
#: (where the program allows it; else undetermined).
SIZE_BASES = ("shared", "headcount", "provisional", "undetermined")


@dataclass(frozen=True)
class DeferralSize:
    """The size class a 2020 deferral is decided on, and how it was found."""

    size: str | None  # None while provisional: the unit's own application stands for it
    basis: str  # one of SIZE_BASES
    ref: str
    headcount_month: str | None = None
    headcount: int | None = None

    @property
    def is_provisional(self) -> bool:
        return self.basis == "provisional"


def deferral_size(
    program_id: str,
    *,
    shared_size: str | None,
    industry: str | None,
    headcounts: Mapping[str, int],
) -> DeferralSize | None:
    """Classify a unit for the 2020 deferral as 鲁医保发〔2020〕23号 三 asks: the departments'
    result where shared (``shared_size``); else by the headcount declared in the last contribution
    month before 2020-02 (``headcounts`` by month; the last month is the program's reading
    ``fallback_headcount_month``), where that headcount settles the class for the unit's industry
    (工信部联企业〔2011〕300号); else provisionally under 告知承诺, to be settled 多退少补 once the
    type is confirmed. None where the program has no such rule (Wuxi: the shared class only)."""
    program = reduction_program(program_id)
    last = program.reading("fallback_headcount_month")
    if last is None:
        return None
    if shared_size is not None and shared_size != "undetermined":
        return DeferralSize(shared_size, "shared", last.ref)
    before = [m for m in headcounts if m <= last.value]
    if before and industry is not None:
        month = max(before)
        found = classify(industry, employees=headcounts[month])
        if found.size != "undetermined":
            return DeferralSize(found.size, "headcount", last.ref, month, headcounts[month])
    provisional = program.reading("provisional_classification")
    if provisional is None or not provisional.value:
        return DeferralSize(None, "undetermined", last.ref)
    return DeferralSize(None, "provisional", provisional.ref)


@dataclass(frozen=True)
class ProvisionalSettlement:
    """多退少补 of a 2020 deferral granted on a provisional class (鲁医保发〔2020〕23号 三).

    ``outcome``: "pending" (no confirmed class yet), "stands" (confirmed a small or medium-sized
    enterprise: the deferral was due; the 2020 rates depend on the unit type only, 临医保发〔2020〕
    28号 操作细则 一（一）, so nothing was over- or under-collected) or "not_entitled" (confirmed
    outside the sizes: the deferral was not due, so the deferred amount, ``amount``, is owed at
    once and the exemption from late fees of 操作细则 一（二） does not apply to it).
    """

    outcome: str
    confirmed_size: str | None
    amount: Decimal | None
    ref: str


def provisional_settlement(
    program_id: str, *, size_basis: str | None, confirmed_size: str | None, deferred: Decimal | None
) -> ProvisionalSettlement | None:
    """Settle a provisional class once confirmed; None unless ``size_basis`` is "provisional".
    ``deferred``: the application's deferred total where known."""
    if size_basis != "provisional":
        return None
    program = reduction_program(program_id)
    reading = program.reading("provisional_classification")
    ref = reading.ref if reading is not None else ""
    if confirmed_size is None or confirmed_size == "undetermined":
        return ProvisionalSettlement("pending", None, None, ref)
    sizes = program.scope.sizes.value
    if confirmed_size in sizes:
        return ProvisionalSettlement("stands", confirmed_size, Decimal("0.00"), ref)
    return ProvisionalSettlement("not_entitled", confirmed_size, deferred, ref)


#: The refusals of the SME route that are about the size class (工信部联企业〔2011〕300号): the
#: other routes of 鲁医保发〔2020〕23号 三 do not test the size.
SIZE_REFUSALS = ("size_undetermined", "large_enterprise")


def deferral_routes(program_id: str) -> DeferralRoutes | None:
    """The grounds a 2020 deferral application of the program may name (None: one ground)."""
    return _deferral_rule(reduction_program(program_id)).routes


def route_refusals(
    program_id: str, route: str, sme_refusals: Iterable[tuple[str, str]], *, unit_kind: str
) -> list[tuple[str, str]]:
    """The reasons an application on ``route`` is refused, given the SME route's
    (``check_eligibility``'s): an industry of 鲁政办发〔2020〕5号, or a social organisation on the
    civil-affairs list, applies whatever its size class (鲁医保发〔2020〕23号 三); a social
    organisation's route needs a unit kind on that list."""
    refusals = list(sme_refusals)
    routes = deferral_routes(program_id)
    if routes is None or route == "sme":
        return refusals
    if route not in routes.keys:
        raise InvalidInput(
            f"route {route!r} is not one of {', '.join(routes.keys)}", code="route", field="route"
        )
    refusals = [r for r in refusals if r[0] not in SIZE_REFUSALS]
    social = routes.social_organisation
    if route == "social_organisation" and social is not None and unit_kind not in social.value:
        refusals.append(
            (
                "not_social_organisation",
                f"Only units on the civil-affairs list ({', '.join(social.value)}) apply "
                f"as social organisations ({social.ref}).",
            )
        )
    return refusals


def open_to_some_route(
    program_id: str, sme_refusals: list[tuple[str, str]], *, unit_kind: str
) -> list[tuple[str, str]]:
    """No refusal when the unit may apply on at least one route; else the SME route's."""
    routes = deferral_routes(program_id)
    keys = ("sme",) if routes is None else routes.keys
    if any(not route_refusals(program_id, k, sme_refusals, unit_kind=unit_kind) for k in keys):
        return []
    return sme_refusals


def deferral_request(
    program_id: str, *, start_month: str, months: int, applied_on: date | None = None
) -> DeferralRequest:
    """Check a 2020 deferral application: at most the program's maximum months, starting with one
    of ``deferral_start_months`` and within the program's window, applied for while applications
    are taken (``applied_on``), no late fee."""
    program = reduction_program(program_id)
    rule = _deferral_rule(program)
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
    starts = deferral_start_months(program)
    if start < starts[0]:
        bound: Param[str] | None = rule.window_start
    elif start > starts[-1]:
        bound = rule.last_start_month or rule.window_end
    elif rule.window_end is not None and end > rule.window_end.value:
        bound = rule.window_end
    else:
        bound = None
    if bound is not None:
        ends_by = f", ending by {rule.window_end.value}" if rule.window_end else ""
        raise InvalidInput(
            f"A deferral starts with a month from {starts[0]} to {starts[-1]}{ends_by} "
            f"({bound.ref})",
            code="month_outside_program",
            field="start_month",
        )
    if (
        applied_on is not None
        and rule.applications_until is not None
        and applied_on > rule.applications_until.value
    ):
        raise InvalidInput(
            f"Applications were taken until {rule.applications_until.value} "
            f"({rule.applications_until.ref})",
            code="applications_closed",
            field="start_month",
        )
    refs = {
        "max_months": rule.max_months.ref,
        "late_fee": rule.late_fee.ref,
        "window": rule.window_start.ref,
    }
    catch_up_by = None
    if rule.catch_up_by is not None:  # last_day_of_month_after_period
        catch_up_by = last_day(add_months(end, 1))
        refs["catch_up_by"] = rule.catch_up_by.ref
    agreement = bool(rule.employee_agreement and rule.employee_agreement.value)
    if rule.employee_agreement is not None:
        refs["employee_agreement"] = rule.employee_agreement.ref
    return DeferralRequest(
        program.id,
        start,
        end,
        month_span(start, end),
        rule.late_fee.value,
        add_months(end, 1),
        refs,
        catch_up_by,
        agreement,
    )


@dataclass(frozen=True)
class DeferredMonth:
    """One deferred month of a 2020 deferral: the parts deferred and their total."""

    month: str
    unit_amount: Decimal  # the unit medical part at the reduced rate
    maternity_amount: Decimal
    personal_amount: Decimal
    total: Decimal


def deferred_months(request: DeferralRequest, table: RateTable) -> list[DeferredMonth] | None:
    """The amounts a 2020 deferral holds over, month by month, from the rate table's bases; None
    when a month's base is unknown.

    What is deferred is the program's ``scope.deferred_part``: Linyi defers 职工医疗、生育保险费
    (unit medical, maternity and the personal part: 操作细则 一（二）);
    Wuxi 医疗保险费 (锡 三（一）),
    of which only the unit part's rate is in the source, so only that part is computed.
    """
    program = reduction_program(request.program_id)
    part = program.scope.deferred_part.value
    rows = {r.month: r for r in table.rows}
    found = []
    for month in request.months:
        row = rows.get(month)
        if row is None or row.contribution_base is None:
            return None
        base = row.contribution_base
        unit = to_fen(base * row.reduced_rate)
        maternity = ZERO
        personal = ZERO
        if part == "medical_and_maternity":
            maternity = to_fen(base * (row.maternity_rate or ZERO))
            if program.personal_rate is not None:
                personal = to_fen(base * program.personal_rate.value)
        found.append(DeferredMonth(month, unit, maternity, personal, unit + maternity + personal))
    return found


# ------------------------------------------------------------------ the rate table month by month


@dataclass(frozen=True)
class MonthFact:
    """What is known of one contribution month (费款所属期) under a 2020 program.

    ``collected_amount`` is the unit medical amount the agency assessed and collected (maternity
    apart: reading ``assessed_unit_amount``); None when nothing was collected for the month.
    """

    month: str
    contribution_base: Decimal | None
    collected_amount: Decimal | None = None


@dataclass(frozen=True)
class RateMonth:
    """One month of the reduced-rate table: every figure with the clause it comes from."""

    month: str
    normal_rate: Decimal
    reduced_rate: Decimal
    contribution_base: Decimal | None
    base_source: str  # "assessment" | "estimate" | "missing"
    due_at_normal: Decimal | None
    due_at_reduced: Decimal | None
    reduction: Decimal | None
    maternity_rate: Decimal | None
    maternity_amount: Decimal | None
    collected_amount: Decimal | None
    over_collected: Decimal
    payable_with: str | None  # a month this one may be paid with, without late fee
    refs: dict[str, str] = field(default_factory=dict)

    @property
    def is_reduced(self) -> bool:
        return self.reduced_rate < self.normal_rate


@dataclass(frozen=True)
class RateTable:
    """An employer's 2020 reduced rates month by month (or why it has none)."""

    program_id: str
    unit_type: str | None
    rows: list[RateMonth]
    excluded: tuple[str, str] | None = None  # (code, clause) when the unit is out of scope
    refs: dict[str, str] = field(default_factory=dict)

    def _total(self, name: str) -> Decimal:
        return to_fen(sum((getattr(r, name) or ZERO for r in self.rows), ZERO))

    @property
    def due_at_normal(self) -> Decimal:
        return self._total("due_at_normal")

    @property
    def due_at_reduced(self) -> Decimal:
        return self._total("due_at_reduced")

    @property
    def reduction(self) -> Decimal:
        return self._total("reduction")

    @property
    def over_collected(self) -> Decimal:
        return self._total("over_collected")

    @property
    def over_collected_months(self) -> list[RateMonth]:
        return [r for r in self.rows if r.over_collected > 0]

    def due_by_month(self) -> dict[str, Decimal]:
        """Unit amount due at the reduced rate per month, where the base is known."""
        return {r.month: r.due_at_reduced for r in self.rows if r.due_at_reduced is not None}


def rate_months(program_id: str) -> list[str]:
    """The months of the program's rate table that end (2020-01..2020-12): the months shown."""
    program = reduction_program(program_id)
    assert program.unit_rates is not None  # noqa: S101
    spans = [
        (e.start, e.end)
        for entries in program.unit_rates.values()
        for e in entries
        if e.end is not None
    ]
    return month_span(min(start for start, _ in spans), max(end for _, end in spans))


def rate_table(
    program_id: str,
    *,
    unit_kind: str,
    months: Iterable[MonthFact] = (),
    contribution_base: Decimal | None = None,
) -> RateTable:
    """Normal rate, reduced rate, base, due at each and the reduction for every month of the
    program's table; the agency's assessment gives a month's base and what it collected, else
    the employer's base estimates it (DOMAIN §6). A unit kind out of scope gets no rows."""
    program = reduction_program(program_id)
    try:  # the rate categories (unit_types), not the deferral's scope: Linyi reduces 机关事业单位
        unit_type = unit_type_for(program_id, unit_kind)
    except NotApplicable:
        scope = program.scope
        ref = (
            scope.excluded_unit_kinds.ref
            if unit_kind in scope.excluded_unit_kinds.value
            else scope.unit_kinds.ref
        )
        return RateTable(program.id, None, [], ("out_of_scope_unit_kind", ref))
    known = {check_month(m.month): m for m in months}
    default_base = (
        None if contribution_base is None else _amount(contribution_base, "contribution_base")
    )
    february_rule = program.reading("february_unpaid_with_march")
    rows = []
    for month in rate_months(program_id):
        rate = unit_rate(program_id, month, unit_type)
        fact = known.get(month)
        base, source = default_base, "estimate" if default_base is not None else "missing"
        if fact is not None and fact.contribution_base is not None:
            base, source = _amount(fact.contribution_base, "contribution_base"), "assessment"
        collected = None
        if fact is not None and fact.collected_amount is not None:
            collected = _amount(fact.collected_amount, "collected_amount")
        due_normal = None if base is None else base * rate.normal_unit_rate
        due_reduced = None if base is None else base * rate.unit_rate
        over = ZERO
        refs = dict(rate.refs)
        if collected is not None and due_reduced is not None:
            over = over_collected_amount(collected, due_reduced)
        if over > 0:
            assert program.over_collection is not None  # noqa: S101
            refs["over_collected"] = program.over_collection.options.ref
        payable_with = None
        if (
            february_rule is not None
            and february_rule.value
            and month == "2020-02"
            and base is not None
            and collected is None
        ):
            payable_with = "2020-03"
            refs["payable_with"] = february_rule.ref
        maternity = rate.maternity_rate
        maternity_not_reduced = program.reading("maternity_not_reduced")
        if maternity is None and maternity_not_reduced is not None:
            refs["maternity_rate"] = maternity_not_reduced.ref
        rows.append(
            RateMonth(
                month=month,
                normal_rate=rate.normal_unit_rate,
                reduced_rate=rate.unit_rate,
                contribution_base=base,
                base_source=source,
                due_at_normal=_fen(due_normal),
                due_at_reduced=_fen(due_reduced),
                # each month is billed in fen: the row's reduction is the difference of its
                # rounded figures, so the table adds up as shown
                reduction=None
                if due_normal is None or due_reduced is None
                else to_fen(due_normal) - to_fen(due_reduced),
                maternity_rate=maternity,
                maternity_amount=_fen(
                    None if base is None or maternity is None else base * maternity
                ),
                collected_amount=_fen(collected),
                over_collected=over,
                payable_with=payable_with,
                refs=refs,
            )
        )
    refs = {"scope": program.scope.unit_kinds.ref}
    if program.unit_types and unit_type in program.unit_types:
        refs["unit_type"] = program.unit_types[unit_type].ref
    return RateTable(program.id, unit_type, rows, None, refs)


def _fen(amount: Decimal | None) -> Decimal | None:
    return None if amount is None else to_fen(amount)


# ------------------------------------------------------------------ refund or offset


@dataclass(frozen=True)
class ReturnDecision:
    """The employer's choice for its over-collected amount, checked."""

    program_id: str
    choice: str  # "refund" | "offset"
    needs_application: bool  # False: the agency refunds to the account it has (batch refund)
    account: str | None
    offset_from: str | None  # the first contribution month an offset is applied to
    refs: dict[str, str] = field(default_factory=dict)


def return_decision(
    program_id: str,
    choice: str,
    *,
    decided_on: date,
    account: str | None = None,
    account_known: bool = False,
) -> ReturnDecision:
    """Check a refund-or-offset choice (鲁医保发〔2020〕23号 四; 锡医保服务〔2020〕11号 三（四）).

    A refund goes to the account the agency has, needing no application where the program says
    so, else to the account the employer gives; an offset starts with the month after the
    choice (reading ``offset_from``).
    """
    program = reduction_program(program_id)
    rule = program.over_collection
    assert rule is not None  # noqa: S101
    if choice not in rule.options.value:
        raise InvalidInput(
            f"Choose one of {', '.join(rule.options.value)}", code="bad_choice", field="choice"
        )
    account = (account or "").strip() or None
    refs = {"choice": rule.options.ref}
    if choice == "offset":
        start = add_months(month_of(decided_on), 1)
        if rule.offset_from is not None:
            refs["offset_from"] = rule.offset_from.ref
        return ReturnDecision(program.id, choice, True, None, start, refs)
    batch = bool(rule.refund_without_application and rule.refund_without_application.value)
    if rule.refund_without_application is not None:
        refs["refund_without_application"] = rule.refund_without_application.ref
    if account_known and account is None:
        return ReturnDecision(program.id, choice, not batch, None, None, refs)
    if account is None:
        raise InvalidInput(
            "Give the account the refund should go to", code="account_needed", field="account"
        )
    return ReturnDecision(program.id, choice, True, account, None, refs)


@dataclass(frozen=True)
class OffsetMonth:
    month: str
    due_amount: Decimal
    offset_amount: Decimal
    payable_amount: Decimal
    credit_left: Decimal


@dataclass(frozen=True)
class OffsetPlan:
    """An offset month by month, as far as the months' amounts are known.

    ``waiting_for``: the first month the credit reaches whose amount is not known yet (the
    agency has not assessed its base); ``credit_left`` is still to offset from it. None once
    the credit is used up.
    """

    rows: list[OffsetMonth]
    credit_left: Decimal
    waiting_for: str | None

    @property
    def is_used_up(self) -> bool:
        return self.credit_left <= 0


def offset_plan(
    over_collected_total: Decimal, due_by_month: Mapping[str, Decimal], *, from_month: str
) -> OffsetPlan:
    """Apply an amount to each contribution month from ``from_month`` in turn, in calendar
    order and without skipping any, until it is used up (冲抵以后月份的缴费,
    鲁医保发〔2020〕23号 四; 锡医保服务〔2020〕11号 三（四）; 江苏省实施方案（2022） 三（二）).
    The months run on into 2021 and later; the plan stops at the first month whose amount is
    not known yet."""
    credit = to_fen(_amount(over_collected_total, "over_collected_total"))
    month = check_month(from_month, "from_month")
    rows: list[OffsetMonth] = []
    while credit > 0:
        if month not in due_by_month:
            return OffsetPlan(rows, credit, month)
        due = to_fen(_amount(due_by_month[month], "due_amount"))
        used = min(due, credit)
        credit -= used
        rows.append(OffsetMonth(month, due, used, due - used, credit))
        month = add_months(month, 1)
    return OffsetPlan(rows, credit, None)


def offset_schedule(
    over_collected_total: Decimal, due_by_month: Mapping[str, Decimal], *, from_month: str
) -> list[OffsetMonth]:
    """The months of ``offset_plan`` (those whose amounts are known)."""
    return offset_plan(over_collected_total, due_by_month, from_month=from_month).rows


def offset_dues(
    program_id: str, *, unit_kind: str, months: Iterable[MonthFact]
) -> dict[str, Decimal]:
    """The unit amount an offset is taken from, per month the agency assessed: the assessed
    base at the program's unit rate of that month (2020 months reduced; Linyi 6 % again from
    2021-01, 临医保发〔2020〕28号 操作细则 一（一）), or, for a month past the program's rate
    table (Wuxi after 2020-12), the unit amount the agency assessed. A month not assessed has
    no amount: an offset waits for it (``offset_plan``)."""
    try:
        unit_type = unit_type_for(program_id, unit_kind)
    except NotApplicable:
        return {}
    dues: dict[str, Decimal] = {}
    for fact in months:
        month = check_month(fact.month)
        if fact.contribution_base is None:
            continue
        try:
            rate = unit_rate(program_id, month, unit_type)
        except InvalidInput:
            if fact.collected_amount is not None:
                dues[month] = to_fen(_amount(fact.collected_amount, "collected_amount"))
            continue
        dues[month] = to_fen(_amount(fact.contribution_base, "contribution_base") * rate.unit_rate)
    return dues


# ------------------------------------------------------------- the monthly statistics (锡 三（六）)


@dataclass(frozen=True)
class AssessedMonth:
    """One employer's assessed month, for the monthly statistics of many employers."""

    employer_id: int
    unit_kind: str
    month: str
    contribution_base: Decimal
    headcount: int


@dataclass(frozen=True)
class ReductionTotals:
    """The 减征成效 and 主要政策 columns of 职工医保阶段性减征医保费统计表 (锡医保服务〔2020〕11号
    三（六）附表) for the employers given, through ``through_month``."""

    program_id: str
    through_month: str
    reduced_rate: Decimal  # 减征后单位缴费率
    period_start: date  # 减征期限 (to the day)
    period_end: date
    enterprises: int  # 涉及企业数
    employees: int  # 涉及参保职工人数 (in each employer's latest reduced month)
    reduced_amount: Decimal  # 减征医保费, in yuan
    refs: dict[str, str] = field(default_factory=dict)


def reduction_totals(
    program_id: str, months: Iterable[AssessedMonth], *, through_month: str
) -> ReductionTotals:
    """Sum what the reduction took off the assessed months of the employers in scope through
    ``through_month`` (each month in fen, as billed)."""
    program = reduction_program(program_id)
    check_month(through_month, "through_month")
    assert program.unit_rates is not None  # noqa: S101
    reduced = [e for e in program.unit_rates["enterprise"] if e.end is not None]
    reduced = [e for e in reduced if unit_rate(program_id, e.start).is_reduced]
    start, end = reduced[0].start, reduced[-1].end
    assert end is not None  # noqa: S101 - only rates with an end are kept above
    amount = ZERO
    latest: dict[int, tuple[str, int]] = {}
    for row in months:
        if not (start <= row.month <= end and row.month <= through_month):
            continue
        try:
            unit_type = unit_type_for(program_id, row.unit_kind)
        except NotApplicable:
            continue  # out of scope (锡 一: 不含机关事业单位)
        rate = unit_rate(program_id, row.month, unit_type)
        if not rate.is_reduced:
            continue
        base = _amount(row.contribution_base, "contribution_base")
        amount += to_fen(base * rate.normal_unit_rate) - to_fen(base * rate.unit_rate)
        if row.employer_id not in latest or latest[row.employer_id][0] < row.month:
            latest[row.employer_id] = (row.month, row.headcount)
    return ReductionTotals(
        program.id,
        through_month,
        min(e.rate for e in reduced),
        first_day_of(start),
        last_day(end),
        len(latest),
        sum(h for _m, h in latest.values()),
        amount,
        {"reduced_rate": reduced[0].ref, "scope": program.scope.excluded_unit_kinds.ref},
    )


def first_day_of(month: str) -> date:
    return date(int(month[:4]), int(month[5:7]), 1)


__all__ = [
    "AssessedMonth",
    "ReductionTotals",
    "reduction_totals",
    "DeferredMonth",
    "deferred_months",
    "MonthFact",
    "OffsetMonth",
    "OffsetPlan",
    "RateMonth",
    "RateTable",
    "ReturnDecision",
    "deferral_lengths",
    "deferral_request",
    "deferral_start_months",
    "last_day",
    "offset_dues",
    "offset_plan",
    "offset_schedule",
    "over_collected",
    "rate_months",
    "rate_table",
    "return_decision",
    "return_options",
    "unit_rate",
]
