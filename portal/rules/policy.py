"""Program policy files: load, validate and cache ``programs/<id>.yaml``."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass, field, fields, is_dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from ._schema import (
    Node,
    Param,
    as_bool,
    as_date,
    as_decimal,
    as_month,
    as_positive_int,
    as_positive_int_list,
    as_rate,
    as_text,
    as_text_list,
    one_of,
    read_yaml,
    subset_of,
)
from .errors import PolicyError, UnknownProgram
from .months import add_months

RULES_DIR = Path(__file__).resolve().parent
PROGRAMS_DIR = RULES_DIR / "programs"
DATA_DIR = RULES_DIR / "data"

UNIT_KINDS = (
    "government_organ",
    "public_institution",
    "other_establishment",
    "law_firm",
    "accounting_firm",
    "other_social_organisation",
    "social_group",
    "private_non_enterprise",
    "foundation",
    "enterprise",
    "individual_business",
    "farmers_cooperative",
    "unknown",
)
SIZES = ("large", "medium", "small", "micro")
KINDS = ("deferral", "reduction")


@dataclass(frozen=True)
class Document:
    number: str
    title: str
    issued_on: date
    seed: str
    issuer: str | None = None  # 发文部门, where a report asks for it


@dataclass(frozen=True)
class Scope:
    unit_kinds: Param[tuple[str, ...]]
    excluded_unit_kinds: Param[tuple[str, ...]]
    sizes: Param[tuple[str, ...]]
    size_tested_unit_kinds: Param[tuple[str, ...]]
    deferred_part: Param[str]


@dataclass(frozen=True)
class PeriodRule:
    key: str
    start: Param[str]
    end: Param[str]
    deadline: Param[date]
    late_fee_from: Param[date]


@dataclass(frozen=True)
class JulyPaidRule:
    rule: Param[str]  # "shift": defer the next three months; "offset": period unchanged
    period: Param[str]  # key of the period used when July is already paid


@dataclass(frozen=True)
class NewBusinessRule:
    basis: Param[str]  # "first_insured_month" or "founded_month"
    latest_month: Param[str]


@dataclass(frozen=True)
class ArrearsRule:
    rule: Param[str]  # "clear_first" (precondition) or "not_deferred" (arrears stay due)
    # The last month whose arrears count; None where the text sets none (聊医保发〔2022〕39号 一).
    through_month: Param[str] | None


@dataclass(frozen=True)
class LateFeeRule:
    daily_rate: Param[Decimal]
    counting: Param[str]
    # Whether the fee stops growing at the principal (行政强制法 第四十五条): a named switch.
    cap_at_principal: Param[bool] | None = None
    # How far after the catch-up deadline the pay-on-date calculator answers.
    calculator_years_after_deadline: Param[int] | None = None


@dataclass(frozen=True)
class RateEntry:
    start: str
    end: str | None
    rate: Decimal
    ref: str
    explanation: str | None = None

    def covers(self, month: str) -> bool:
        return self.start <= month and (self.end is None or month <= self.end)


@dataclass(frozen=True)
class OverCollectionRule:
    options: Param[tuple[str, ...]]
    preferred: Param[str]
    # A refund needs no application where the agency already has the employer's account.
    refund_without_application: Param[bool] | None = None
    # The first contribution month an offset is applied to (a reading).
    offset_from: Param[str] | None = None


@dataclass(frozen=True)
class DeferralByApplication:
    max_months: Param[int]
    late_fee: Param[bool]
    window_start: Param[str]
    window_end: Param[str] | None
    # The last day an application is taken (a reading where the text sets none).
    applications_until: Param[date] | None = None
    # The statement that the employees agreed (经与职工协商一致) is required.
    employee_agreement: Param[bool] | None = None
    # At least one uploaded application letter, commitment letter or form is required.
    documents_required: Param[bool] | None = None
    # When the deferred months are caught up: a reading (the texts say only "after").
    catch_up_by: Param[str] | None = None
    # The target review time in working days (a reading: the 2020 texts set none).
    review_working_days: Param[int] | None = None
    # The last month a deferral may start with, where the window has no end (a reading).
    last_start_month: Param[str] | None = None
    # The grounds an application may name (Linyi: SME, an industry of 鲁政办发〔2020〕5号, or a
    # social organisation on the civil-affairs list); None: the program has one ground.
    routes: DeferralRoutes | None = None


#: The grounds a 2020 deferral application may name (鲁医保发〔2020〕23号 三), in the form's order.
DEFERRAL_ROUTES = ("sme", "industry", "social_organisation")


@dataclass(frozen=True)
class IndustryGround:
    """One industry of 鲁政办发〔2020〕5号 as 鲁医保发〔2020〕23号 三 defines it: its GB/T 4754-2017
    codes where the text goes by that standard (none for 生活服务, defined by 财税〔2016〕36号)."""

    key: str
    zh: str
    en: str
    gbt4754: tuple[str, ...]
    ref: str


@dataclass(frozen=True)
class DeferralRoutes:
    sme: Param[bool]
    industry: Param[tuple[IndustryGround, ...]] | None  # the industries, with the route's ref
    social_organisation: Param[tuple[str, ...]] | None  # the unit kinds on the 民政 list

    @property
    def keys(self) -> tuple[str, ...]:
        present = {
            "sme": self.sme.value,
            "industry": self.industry is not None,
            "social_organisation": self.social_organisation is not None,
        }
        return tuple(key for key in DEFERRAL_ROUTES if present[key])

    def ground(self, key: str | None) -> IndustryGround | None:
        grounds = () if self.industry is None else self.industry.value
        return next((g for g in grounds if g.key == key), None)


#: What an agency must send on a day of each month (portal/rules/calendar.py): Jiangsu's monthly
#: summary to the provincial fund centre (江苏省实施方案（2022） 三（五）) and Inner Mongolia's
#: monthly sharing of last month's 缓缴清单 with the tax bureau (内医保办发〔2022〕19号 五 2).
DUTIES = ("monthly_summary", "tax_list_monthly")


@dataclass(frozen=True)
class Duty:
    """A file the agency sends every month, by a day of the month, over a range of months."""

    key: str  # one of DUTIES
    by_day_of_month: Param[int]
    first_month: Param[str]  # the first month it falls due in
    last_month: Param[str]  # the last month it falls due in
    covers: Param[str]  # "previous_month": the month before the one it falls due in


#: What an application may be required to carry before it is sent: the signed commitment letter
#: (承诺书, online or on paper), at least one uploaded file of supporting evidence (相关证明材料,
#: 鲁医保发〔2022〕21号 四), or at least one uploaded application letter, commitment letter or
#: form (the 2020 deferral by application).
APPLICATION_DOCUMENTS = ("signed_commitment_letter", "supporting_evidence", "uploaded_letter")


@dataclass(frozen=True)
class Program:
    """One program's policy values, each with the clause it comes from."""

    id: str
    kind: str
    name_zh: str
    name_en: str
    name_ref: str
    province_zh: str
    province_en: str
    documents: tuple[Document, ...]
    scope: Scope
    late_fee: LateFeeRule
    readings: dict[str, Param[Any]]
    # 2022 deferral programs
    periods: dict[str, PeriodRule]
    default_period: Param[str] | None = None
    july_paid: JulyPaidRule | None = None
    period_choice: Param[bool] | None = None
    new_business: NewBusinessRule | None = None
    arrears: ArrearsRule | None = None
    fund_reserve_months_above: Param[Decimal] | None = None
    review_working_days: Param[int] | None = None
    # What a commitment application must carry before it is sent (APPLICATION_DOCUMENTS).
    application_documents: Param[tuple[str, ...]] | None = None
    departure: Param[str] | None = None
    deregistration: Param[str] | None = None
    benefits: Param[str] | None = None
    # The catch-up reminder asks the employer to have the money ready (内19 六（二）).
    reminder_funds_ready: Param[bool] | None = None
    # What the agency sends every month, by key (DUTIES); none where the text asks for nothing.
    duties: dict[str, Duty] = field(default_factory=dict)
    # 2020 reduction programs
    unit_types: dict[str, Param[tuple[str, ...]]] | None = None
    unit_rates: dict[str, tuple[RateEntry, ...]] | None = None
    normal_unit_rates: dict[str, Param[Decimal]] | None = None
    maternity_rates: dict[str, Param[Decimal]] | None = None
    personal_rate: Param[Decimal] | None = None
    over_collection: OverCollectionRule | None = None
    deferral: DeferralByApplication | None = None
    source_file: str = ""

    def reading(self, name: str) -> Param[Any] | None:
        return self.readings.get(name)

    def all_params(self) -> dict[str, Param[Any]]:
        """Every policy value by dotted key (for listings and the ``flask rules`` command)."""
        return dict(_walk(self, ""))


def _walk(obj: Any, prefix: str) -> Iterator[tuple[str, Param[Any]]]:
    if isinstance(obj, Param):
        yield prefix, obj
    elif isinstance(obj, RateEntry):
        yield prefix, Param(obj.rate, obj.ref, obj.explanation)
    elif is_dataclass(obj):
        for f in fields(obj):
            yield from _walk(getattr(obj, f.name), f"{prefix}.{f.name}" if prefix else f.name)
    elif isinstance(obj, dict):
        for key, value in obj.items():
            yield from _walk(value, f"{prefix}.{key}")
    elif isinstance(obj, tuple):
        for i, value in enumerate(obj):
            if isinstance(value, RateEntry):
                yield from _walk(value, f"{prefix}.{value.start}")
            elif is_dataclass(value):
                yield from _walk(value, f"{prefix}[{i}]")


# ---------------------------------------------------------------------------- loading

_COMMON_KEYS = {"id", "kind", "name", "province", "documents", "scope", "late_fee", "readings"}
_DEFERRAL_KEYS = {
    "periods",
    "default_period",
    "july_paid",
    "period_choice",
    "new_business",
    "arrears",
    "fund_reserve_months_above",
    "review_working_days",
    "application_documents",
    "departure",
    "deregistration",
    "benefits",
    "reminder_funds_ready",
    "duties",
}
_REDUCTION_KEYS = {
    "unit_types",
    "unit_rates",
    "normal_unit_rates",
    "maternity_rates",
    "personal_rate",
    "over_collection",
    "deferral",
}


def parse_program(path: Path) -> Program:
    """Load and validate one program file; raise PolicyError naming file and key."""
    root = Node(path.name, read_yaml(path))
    kind = root.value("kind", one_of(*KINDS))
    root.only(_COMMON_KEYS | (_DEFERRAL_KEYS if kind == "deferral" else _REDUCTION_KEYS))
    program_id = root.text("id")
    if program_id != path.stem:
        raise root.error(f"must equal the file name {path.stem!r}, found {program_id!r}", "id")
    name = root.child("name")
    name.only({"zh", "en", "ref"})
    province = root.child("province")
    province.only({"zh", "en", "ref"})
    documents = []
    for doc in root.children("documents"):
        doc.only({"number", "title", "issued_on", "seed", "issuer"})
        documents.append(
            Document(
                doc.text("number"),
                doc.text("title"),
                doc.value("issued_on", as_date),
                doc.text("seed"),
                doc.text("issuer") if "issuer" in doc.data else None,
            )
        )
    if not documents:
        raise root.error("must list at least one document", "documents")
    common: dict[str, Any] = dict(
        id=program_id,
        kind=kind,
        name_zh=name.text("zh"),
        name_en=name.text("en"),
        name_ref=name.text("ref"),
        province_zh=province.text("zh"),
        province_en=province.text("en"),
        documents=tuple(documents),
        scope=_scope(root.child("scope")),
        late_fee=_late_fee(root),
        readings=_readings(root.child("readings")),
        source_file=str(path),
    )
    if kind == "deferral":
        program = Program(**common, **_deferral_parts(root))
    else:
        program = Program(**common, periods={}, **_reduction_parts(root))
    return program


def _scope(node: Node) -> Scope:
    node.only(
        {"unit_kinds", "excluded_unit_kinds", "sizes", "size_tested_unit_kinds", "deferred_part"}
    )
    scope = Scope(
        unit_kinds=node.param("unit_kinds", subset_of(UNIT_KINDS)),
        excluded_unit_kinds=node.param("excluded_unit_kinds", subset_of(UNIT_KINDS)),
        sizes=node.param("sizes", subset_of(SIZES)),
        size_tested_unit_kinds=node.param("size_tested_unit_kinds", subset_of(UNIT_KINDS)),
        deferred_part=node.param(
            "deferred_part",
            one_of("unit_incl_maternity", "unit_only", "medical_and_maternity", "medical"),
        ),
    )
    both = set(scope.unit_kinds.value) & set(scope.excluded_unit_kinds.value)
    if both:
        raise node.error(f"{', '.join(sorted(both))} both in scope and excluded", "unit_kinds")
    return scope


def _late_fee(root: Node) -> LateFeeRule:
    """The program's late-fee rule: ``national`` (rules/data/national.yaml) or its own."""
    if root.data.get("late_fee") == "national":
        return national_late_fee()
    node = root.child("late_fee")
    node.only({"daily_rate", "counting"})
    return LateFeeRule(
        node.param("daily_rate", as_rate), node.param("counting", one_of("inclusive"), reading=True)
    )


def _readings(node: Node) -> dict[str, Param[Any]]:
    readings: dict[str, Param[Any]] = {}
    for key in node.data:
        readings[str(key)] = node.param(str(key), _any_value, reading=True)
    return readings


def _any_value(value: Any, error: Any, key: str) -> Any:
    if value is None:
        raise error("must have a value", key)
    if isinstance(value, float):
        return as_decimal(value, error, key)
    if isinstance(value, str):
        try:
            return as_month(value, error, key)
        except PolicyError:
            return value
    return value


#: What confirms an employer's size classification (``classification_confirmed_when``,
#: portal/rules/confirmation.py): deferring on the list by default and not opted out, its own
#: "defer" decision, an approved application, a held change agency staff decided on.
CONFIRMED_WHEN = (
    "listed_not_opted_out",
    "decided_defer",
    "approved_application",
    "agency_decision",
)

_READING_CHECKS = {
    "classification_confirmed_when": subset_of(CONFIRMED_WHEN),
    "classification_confirmed_by": as_date,
    "ended_deferral_due": one_of("catch_up_deadline"),
    "new_business_months": as_positive_int,
    "new_business_earliest_start": as_month,
    "decision_cutoff": one_of("last_day_of_first_deferred_month"),
    "reminder_days_before_deadline": as_positive_int_list,
    "early_payment_allowed": as_bool,
    "lapsed_deferral_due": one_of("months_so_far_at_once"),
    "catch_up_late_fee_from": one_of("day_after_catch_up"),
    "catch_up_parts": subset_of(("unit", "personal")),
    "catch_up_insurances": subset_of(("medical", "maternity")),
}

#: The readings a 2020 deferral's catch-up rests on (``rules.deferral_2020``): required with
#: ``deferral.catch_up_by``.
CATCH_UP_2020_READINGS = (
    "catch_up_late_fee_from",
    "reminder_days_before_deadline",
    "catch_up_parts",
    "catch_up_insurances",
)


def _deferral_parts(root: Node) -> dict[str, Any]:
    periods: dict[str, PeriodRule] = {}
    period_nodes = root.child("periods")
    for key in period_nodes.data:
        node = period_nodes.child(str(key))
        node.only({"start", "end", "deadline", "late_fee_from"})
        rule = PeriodRule(
            str(key),
            node.param("start", as_month),
            node.param("end", as_month),
            node.param("deadline", as_date),
            node.param("late_fee_from", as_date),
        )
        if rule.end.value < rule.start.value:
            raise node.error("the period ends before it starts", "end")
        if rule.deadline.value.strftime("%Y-%m") <= rule.end.value:
            raise node.error("the catch-up deadline must fall after the period", "deadline")
        if rule.late_fee_from.value.strftime("%Y-%m") <= rule.end.value:
            raise node.error("late fees cannot start inside the deferred period", "late_fee_from")
        periods[str(key)] = rule
    if not periods:
        raise period_nodes.error("must define at least one period")
    default = root.param("default_period", one_of(*periods))
    july = root.child("july_paid")
    july.only({"rule", "period"})
    july_rule = JulyPaidRule(
        july.param("rule", one_of("shift", "offset")), july.param("period", one_of(*periods))
    )
    new_business = None
    if root.data.get("new_business") is not None:
        nb = root.child("new_business")
        nb.only({"basis", "latest_month"})
        new_business = NewBusinessRule(
            nb.param("basis", one_of("first_insured_month", "founded_month")),
            nb.param("latest_month", as_month),
        )
    elif "new_business" not in root.data:
        raise root.error(
            "is missing (write `null` if the program has no such rule)", "new_business"
        )
    arrears = None
    if root.data.get("arrears") is not None:
        ar = root.child("arrears")
        ar.only({"rule", "through_month"})
        arrears = ArrearsRule(
            ar.param("rule", one_of("clear_first", "not_deferred")),
            ar.optional_param("through_month", as_month),
        )
    elif "arrears" not in root.data:
        raise root.error("is missing (write `null` if the program has no such rule)", "arrears")
    readings = root.child("readings")
    for name, conv in _READING_CHECKS.items():
        if name in readings.data:
            readings.param(name, conv, reading=True)
    for needed in ("decision_cutoff", "reminder_days_before_deadline", "lapsed_deferral_due"):
        if needed not in readings.data:
            raise readings.error("is missing", needed)
    if new_business is not None and "new_business_earliest_start" not in readings.data:
        raise readings.error("is missing (needed by new_business)", "new_business_earliest_start")
    if (
        new_business is not None
        and new_business.basis.value == "first_insured_month"
        and "new_business_months" not in readings.data
    ):
        raise readings.error("is missing (needed by new_business)", "new_business_months")
    return dict(
        periods=periods,
        default_period=default,
        july_paid=july_rule,
        period_choice=root.param("period_choice", as_bool),
        new_business=new_business,
        arrears=arrears,
        fund_reserve_months_above=root.optional_param("fund_reserve_months_above", as_decimal),
        review_working_days=root.optional_param("review_working_days", as_positive_int),
        application_documents=root.param("application_documents", subset_of(APPLICATION_DOCUMENTS)),
        departure=root.param("departure", one_of("pay_person_deferred_unit_part")),
        deregistration=root.param(
            "deregistration", one_of("pay_all_deferred_before_deregistration")
        ),
        benefits=root.param("benefits", one_of("unaffected")),
        reminder_funds_ready=root.optional_param("reminder_funds_ready", as_bool),
        duties=_duties(root.child("duties")) if root.has("duties") else {},
    )


def _duties(node: Node) -> dict[str, Duty]:
    node.only(DUTIES)
    duties = {}
    for key in node.data:
        duty = node.child(str(key))
        duty.only({"by_day_of_month", "first_month", "last_month", "covers"})
        day = duty.param("by_day_of_month", as_positive_int)
        if day.value > 28:
            raise duty.error("must be a day every month has (1 to 28)", "by_day_of_month")
        first = duty.param("first_month", as_month)
        last = duty.param("last_month", as_month)
        if last.value < first.value:
            raise duty.error("the last month comes before the first", "last_month")
        covers = duty.param("covers", one_of("previous_month"))
        duties[str(key)] = Duty(str(key), day, first, last, covers)
    return duties


def _reduction_parts(root: Node) -> dict[str, Any]:
    types_node = root.child("unit_types")
    unit_types = {str(k): types_node.param(str(k), subset_of(UNIT_KINDS)) for k in types_node.data}
    rates_node = root.child("unit_rates")
    unit_rates: dict[str, tuple[RateEntry, ...]] = {}
    for unit_type in rates_node.data:
        if unit_type not in unit_types:
            raise rates_node.error("is not a unit type listed in unit_types", str(unit_type))
        entries = []
        for entry in rates_node.children(str(unit_type)):
            entry.only({"from", "to", "value", "ref", "explanation"})
            end = None if entry.data.get("to") is None else entry.value("to", as_month)
            entries.append(
                RateEntry(
                    entry.value("from", as_month),
                    end,
                    entry.value("value", as_rate),
                    entry.text("ref"),
                    entry.text("explanation") if "explanation" in entry.data else None,
                )
            )
        for i, (prev, nxt) in enumerate(zip(entries, entries[1:], strict=False)):
            if prev.end is None or add_months(prev.end, 1) != nxt.start:
                raise rates_node.error(
                    "rate entries must follow each other month by month without gap or overlap",
                    f"{unit_type}[{i + 1}].from",
                )
        if not entries:
            raise rates_node.error("needs at least one rate entry", str(unit_type))
        unit_rates[str(unit_type)] = tuple(entries)
    normal = root.child("normal_unit_rates")
    maternity = None
    if root.data.get("maternity_rates") is not None:
        mat = root.child("maternity_rates")
        maternity = {str(k): mat.param(str(k), as_rate) for k in mat.data}
    elif "maternity_rates" not in root.data:
        raise root.error("is missing (write `null` if the source gives none)", "maternity_rates")
    over = root.child("over_collection")
    over.only({"options", "preferred", "refund_without_application", "offset_from"})
    deferral = root.child("deferral")
    deferral.only(
        {
            "max_months",
            "late_fee",
            "window_start",
            "window_end",
            "applications_until",
            "employee_agreement",
            "documents_required",
            "catch_up_by",
            "review_working_days",
            "last_start_month",
            "routes",
        }
    )
    readings = root.child("readings")
    for name, conv in _READING_CHECKS.items():
        if name in readings.data:
            readings.param(name, conv, reading=True)
    if deferral.has("catch_up_by"):
        for needed in CATCH_UP_2020_READINGS:
            if needed not in readings.data:
                raise readings.error("is missing (needed by deferral.catch_up_by)", needed)
    if deferral.data.get("window_end") is None and not deferral.has("last_start_month"):
        raise deferral.error(
            "is missing: a deferral window with no end needs the last month a deferral may "
            "start with",
            "last_start_month",
        )
    return dict(
        unit_types=unit_types,
        unit_rates=unit_rates,
        normal_unit_rates={str(k): normal.param(str(k), as_rate) for k in normal.data},
        maternity_rates=maternity,
        personal_rate=root.optional_param("personal_rate", as_rate),
        over_collection=OverCollectionRule(
            over.param("options", subset_of(("refund", "offset"))),
            over.param("preferred", one_of("refund", "offset")),
            over.param("refund_without_application", as_bool)
            if "refund_without_application" in over.data
            else None,
            over.param("offset_from", one_of("month_after_choice"), reading=True)
            if "offset_from" in over.data
            else None,
        ),
        deferral=DeferralByApplication(
            deferral.param("max_months", as_positive_int),
            deferral.param("late_fee", as_bool),
            deferral.param("window_start", as_month),
            deferral.optional_param("window_end", as_month),
            _maybe(deferral, "applications_until", as_date),
            _maybe(deferral, "employee_agreement", as_bool),
            _maybe(deferral, "documents_required", as_bool),
            _maybe(deferral, "catch_up_by", one_of("last_day_of_month_after_period")),
            _maybe(deferral, "review_working_days", as_positive_int),
            deferral.param("last_start_month", as_month, reading=True)
            if deferral.has("last_start_month")
            else None,
            _routes(deferral.child("routes")) if deferral.has("routes") else None,
        ),
    )


def _routes(node: Node) -> DeferralRoutes:
    node.only(DEFERRAL_ROUTES)
    industry = None
    if node.has("industry"):
        route = node.child("industry")
        route.only({"ref", "explanation", "grounds"})
        grounds_node = route.child("grounds")
        grounds = []
        for key in grounds_node.data:
            ground = grounds_node.child(str(key))
            ground.only({"zh", "en", "gbt4754", "ref"})
            codes = ground.value("gbt4754", as_text_list)
            for code in codes:
                if not (code.isdigit() and 2 <= len(code) <= 4):
                    raise ground.error(f"{code!r} is not a GB/T 4754 division, group or class")
            grounds.append(
                IndustryGround(
                    str(key), ground.text("zh"), ground.text("en"), codes, ground.text("ref")
                )
            )
        if not grounds:
            raise route.error("must name at least one industry", "grounds")
        industry = Param(tuple(grounds), route.text("ref"), route.text("explanation"))
    social = None
    if node.has("social_organisation"):
        social = node.param("social_organisation", subset_of(UNIT_KINDS), reading=True)
    return DeferralRoutes(node.param("sme", as_bool), industry, social)


def _maybe(node: Node, key: str, conv: Any) -> Param[Any] | None:
    """An optional value that may be left out of the file."""
    return node.param(key, conv) if node.data.get(key) is not None else None


def _program_files(directory: Path) -> list[Path]:
    return sorted(directory.glob("*.yaml"))


@functools.cache
def national_late_fee() -> LateFeeRule:
    """社会保险法 第八十六条 and its counting, once for every program (data/national.yaml)."""
    return parse_national(DATA_DIR / "national.yaml")


def parse_national(path: Path) -> LateFeeRule:
    """Load and validate data/national.yaml (the national law every program applies)."""
    root = Node(path.name, read_yaml(path))
    root.only({"late_fee"})
    node = root.child("late_fee")
    node.only({"daily_rate", "counting", "cap_at_principal", "calculator_years_after_deadline"})
    return LateFeeRule(
        node.param("daily_rate", as_rate),
        node.param("counting", one_of("inclusive"), reading=True),
        node.param("cap_at_principal", as_bool, reading=True),
        node.param("calculator_years_after_deadline", as_positive_int, reading=True),
    )


@functools.cache
def _shipped_program(program_id: str) -> Program:
    return parse_program(PROGRAMS_DIR / f"{program_id}.yaml")


@functools.cache
def program_ids() -> list[str]:
    """Ids of the shipped programs, sorted."""
    return [p.stem for p in _program_files(PROGRAMS_DIR)]


def load_program(program_id: str) -> Program:
    """Return the validated, cached program ``program_id``; raise UnknownProgram if none."""
    if not isinstance(program_id, str) or program_id not in program_ids():
        raise UnknownProgram(
            f"No program {program_id!r}; choose one of {', '.join(program_ids())}",
            field="program_id",
        )
    return _shipped_program(program_id)


def as_text_value(value: Any) -> str:
    """Render a policy value for people (lists joined, dates ISO)."""
    if isinstance(value, tuple | list):
        return ", ".join(as_text_value(v) for v in value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


__all__ = ["Program", "Param", "load_program", "program_ids", "parse_program", "as_text"]
