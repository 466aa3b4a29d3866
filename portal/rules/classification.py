"""Enterprise size classification (工信部联企业〔2011〕300号 第四条) and GB/T 4754-2017 codes."""

from __future__ import annotations

import functools
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from ._schema import Node, Param, as_bool, as_decimal, as_positive_int, as_text, read_yaml
from .errors import InvalidIndustryCode, InvalidInput, UnknownIndustry
from .policy import DATA_DIR

INDICATORS = ("employees", "revenue", "assets")
SIZE_ORDER = {"micro": 0, "small": 1, "medium": 2, "large": 3}
SIZE_ZH = {
    "large": "大型",
    "medium": "中型",
    "small": "小型",
    "micro": "微型",
    "undetermined": "无法判定",
}


@dataclass(frozen=True)
class Industry:
    key: str
    number: str
    zh: str
    en: str
    clause: str
    sme_below_any: dict[str, Decimal]
    medium_at_least: dict[str, Decimal]
    small_at_least: dict[str, Decimal]

    @property
    def indicators(self) -> tuple[str, ...]:
        used = {*self.sme_below_any, *self.medium_at_least, *self.small_at_least}
        return tuple(i for i in INDICATORS if i in used)


@dataclass(frozen=True)
class IndicatorInfo:
    key: str
    zh: str
    en: str
    unit_zh: str
    unit_en: str


@dataclass(frozen=True)
class ClassificationData:
    document: str
    below_is_strict: Param[bool]
    hint_margin: Param[Decimal]
    indicators: dict[str, IndicatorInfo]
    industries: dict[str, Industry]


@dataclass(frozen=True)
class Check:
    """One condition checked: ``indicator`` ``operator`` ``threshold`` with the figure used."""

    level: str  # "sme", "medium" or "small"
    indicator: str
    operator: str  # "<" or ">="
    threshold: Decimal
    value: Decimal
    holds: bool


@dataclass(frozen=True)
class Hint:
    """Near a line: with ``indicator`` at or above (or below) ``threshold``, another size."""

    indicator: str
    direction: str  # "at_least" or "below"
    threshold: Decimal
    size: str


@dataclass(frozen=True)
class Classification:
    industry: str
    size: str
    clause: str
    explanation: list[str]
    missing: list[str]
    hints: list[str] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    hint_details: list[Hint] = field(default_factory=list)

    @property
    def is_sme(self) -> bool:
        return self.size in ("medium", "small", "micro")


@dataclass(frozen=True)
class IndustryMatch:
    code: str
    industry: str | None
    needs_review: bool
    reason: str
    clause: str | None = None
    candidates: list[str] = field(default_factory=list)


# ---------------------------------------------------------------------------- loading


def parse_classification(path: Path) -> ClassificationData:
    """Load and validate the size-classification file."""
    root = Node(path.name, read_yaml(path))
    root.only({"document", "readings", "indicators", "industries"})
    readings = root.child("readings")
    readings.only({"below_is_strict", "hint_margin"})
    below = readings.param("below_is_strict", as_bool, reading=True)
    if below.value is not True:
        raise readings.error("only the strict reading (true) is implemented", "below_is_strict")
    margin = readings.param("hint_margin", as_decimal, reading=True)
    ind_node = root.child("indicators")
    ind_node.only(INDICATORS)
    indicators = {}
    for key in INDICATORS:
        node = ind_node.child(key)
        node.only({"zh", "en", "unit_zh", "unit_en"})
        indicators[key] = IndicatorInfo(
            key, node.text("zh"), node.text("en"), node.text("unit_zh"), node.text("unit_en")
        )
    industries = {}
    ind_root = root.child("industries")
    for key in ind_root.data:
        node = ind_root.child(str(key))
        node.only(
            {"number", "zh", "en", "ref", "sme_below_any", "medium_at_least", "small_at_least"}
        )
        parts = {
            name: _thresholds(node.child(name))
            for name in ("sme_below_any", "medium_at_least", "small_at_least")
        }
        for name in parts["small_at_least"]:
            small, medium = parts["small_at_least"][name], parts["medium_at_least"].get(name)
            if medium is not None and medium < small:
                raise node.error(
                    "the medium threshold is below the small one", f"medium_at_least.{name}"
                )
        if set(parts["medium_at_least"]) != set(parts["small_at_least"]):
            raise node.error("must name the same indicators as small_at_least", "medium_at_least")
        industries[str(key)] = Industry(
            str(key),
            node.text("number"),
            node.text("zh"),
            node.text("en"),
            node.text("ref"),
            **parts,
        )
    if len(industries) != 16 or "other" not in industries:
        raise ind_root.error(
            f"must list the 16 industries of 第四条 ending with `other`, found {len(industries)}"
        )
    return ClassificationData(root.text("document"), below, margin, indicators, industries)


def _thresholds(node: Node) -> dict[str, Decimal]:
    node.only(INDICATORS)
    if not node.data:
        raise node.error("needs at least one indicator")
    result = {}
    for key in INDICATORS:
        if key in node.data:
            result[key] = Decimal(as_positive_int(node.data[key], node.error, key))
    return result


@dataclass(frozen=True)
class CodeRule:
    industry: str
    ref: str
    needs_review: str | None
    prefix: str | None = None
    divisions: tuple[int, int] | None = None


@dataclass(frozen=True)
class CodeData:
    sections: dict[str, tuple[int, int]]
    prefix_rules: tuple[CodeRule, ...]
    division_rules: tuple[CodeRule, ...]


def parse_codes(path: Path, industries: dict[str, Industry]) -> CodeData:
    """Load and validate the GB/T 4754-2017 mapping file."""
    root = Node(path.name, read_yaml(path))
    root.only({"standard", "sections", "prefix_rules", "division_rules"})
    root.text("standard")
    sec_node = root.child("sections")
    sections = {str(k): _range(sec_node.data[k], sec_node, str(k)) for k in sec_node.data}

    def rule(node: Node, kind: str) -> CodeRule:
        node.only({kind, "industry", "ref", "needs_review"})
        industry = node.text("industry")
        if industry not in industries:
            raise node.error(
                f"{industry!r} is not an industry key of classification.yaml", "industry"
            )
        review = node.text("needs_review") if "needs_review" in node.data else None
        if kind == "prefix":
            prefix = node.text("prefix")
            if not prefix.isdigit() or not 3 <= len(prefix) <= 4:
                raise node.error("must be a 3- or 4-digit code in quotes", "prefix")
            return CodeRule(industry, node.text("ref"), review, prefix=prefix)
        return CodeRule(
            industry,
            node.text("ref"),
            review,
            divisions=_range(node.raw("divisions"), node, "divisions"),
        )

    prefix_rules = tuple(rule(n, "prefix") for n in root.children("prefix_rules"))
    division_rules = tuple(rule(n, "divisions") for n in root.children("division_rules"))
    last = division_rules[-1] if division_rules else None
    if last is None or last.divisions != (1, 97):
        raise root.error("the last division rule must be the catch-all [1, 97]", "division_rules")
    return CodeData(sections, prefix_rules, division_rules)


def _range(value: Any, node: Node, key: str) -> tuple[int, int]:
    if (
        not isinstance(value, list)
        or len(value) != 2
        or not all(isinstance(v, int) and not isinstance(v, bool) for v in value)
        or not 1 <= value[0] <= value[1] <= 97
    ):
        raise node.error(
            f"must be [first, last] division numbers within 1..97, found {value!r}", key
        )
    return (value[0], value[1])


@functools.cache
def classification_data() -> ClassificationData:
    return parse_classification(DATA_DIR / "classification.yaml")


@functools.cache
def code_data() -> CodeData:
    return parse_codes(DATA_DIR / "gbt4754.yaml", classification_data().industries)


def industries() -> dict[str, Industry]:
    """The 16 industries in the order of 第四条."""
    return classification_data().industries


# ---------------------------------------------------------------------------- classify


def _figure(name: str, value: Any) -> Decimal | None:
    if value is None:
        return None
    if name == "employees":
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidInput(
                f"employees must be a whole number of persons, not {value!r}",
                code="bad_number",
                field=name,
            )
        figure = Decimal(value)
    else:
        if (
            isinstance(value, bool)
            or isinstance(value, float)
            or not isinstance(value, int | Decimal)
        ):
            raise InvalidInput(
                f"{name} must be a Decimal amount in 万元, not {value!r}",
                code="bad_number",
                field=name,
            )
        figure = Decimal(value)
        if not figure.is_finite():
            raise InvalidInput(
                f"{name} must be a finite amount, not {value!r}", code="bad_number", field=name
            )
    if figure < 0:
        raise InvalidInput(
            f"{name} cannot be negative ({value}); enter 0 or more", code="negative", field=name
        )
    return figure


def get_industry(key: str) -> Industry:
    table = industries()
    if key not in table:
        raise UnknownIndustry(
            f"No industry {key!r}; use one of {', '.join(table)}", field="industry"
        )
    return table[key]


def _size_of(industry: Industry, figures: dict[str, Decimal]) -> tuple[str, list[Check]]:
    checks = [
        Check("sme", k, "<", t, figures[k], figures[k] < t)
        for k, t in industry.sme_below_any.items()
    ]
    if not any(c.holds for c in checks):
        return "large", checks
    for level, table in (("medium", industry.medium_at_least), ("small", industry.small_at_least)):
        level_checks = [
            Check(level, k, ">=", t, figures[k], figures[k] >= t) for k, t in table.items()
        ]
        checks.extend(level_checks)
        if all(c.holds for c in level_checks):
            return level, checks
    return "micro", checks


def _fmt(value: Decimal) -> str:
    text = format(value.normalize(), "f") if value == value.to_integral() else format(value, "f")
    return text


def classify(
    industry: str,
    *,
    employees: int | None = None,
    revenue: Decimal | None = None,
    assets: Decimal | None = None,
) -> Classification:
    """Classify an enterprise by 工信部联企业〔2011〕300号 第四条; revenue and assets in 万元."""
    ind = get_industry(industry)
    given = {
        "employees": _figure("employees", employees),
        "revenue": _figure("revenue", revenue),
        "assets": _figure("assets", assets),
    }
    info = classification_data().indicators
    head = f"{ind.clause} {ind.zh} ({ind.en})"
    missing = [k for k in ind.indicators if given[k] is None]
    if missing:
        names = ", ".join(f"{info[k].en} ({info[k].zh})" for k in missing)
        return Classification(
            ind.key,
            "undetermined",
            ind.clause,
            [
                f"{head}: the class depends on {', '.join(ind.indicators)}.",
                f"Missing: {names}. The size cannot be determined without it.",
            ],
            missing,
        )
    figures = {k: v for k, v in given.items() if v is not None}
    size, checks = _size_of(ind, figures)
    lines = [f"{head} uses {', '.join(info[k].en for k in ind.indicators)}."]
    level_text = {
        "sme": "SME (中小微型) if any figure is below its line",
        "medium": "medium (中型) if all figures are at or above",
        "small": "small (小型) if all figures are at or above",
    }
    for level in ("sme", "medium", "small"):
        level_checks = [c for c in checks if c.level == level]
        if not level_checks:
            continue
        parts = "; ".join(
            f"{info[c.indicator].en} {_fmt(c.value)} {c.operator} {_fmt(c.threshold)} "
            f"{info[c.indicator].unit_en}: {'yes' if c.holds else 'no'}"
            for c in level_checks
        )
        lines.append(f"{level_text[level]}: {parts}.")
    lines.append(f"Result: {size} ({SIZE_ZH[size]}).")
    details = _hints(ind, figures, size)
    return Classification(
        ind.key, size, ind.clause, lines, [], [_hint_text(h) for h in details], checks, details
    )


def _hint_text(hint: Hint) -> str:
    info = classification_data().indicators[hint.indicator]
    if hint.direction == "at_least":
        return (
            f"With {info.en} of {_fmt(hint.threshold)} {info.unit_en} or more it would be "
            f"{hint.size} ({SIZE_ZH[hint.size]})."
        )
    return (
        f"With {info.en} below {_fmt(hint.threshold)} {info.unit_en} it would be "
        f"{hint.size} ({SIZE_ZH[hint.size]})."
    )


def _hints(ind: Industry, figures: dict[str, Decimal], size: str) -> list[Hint]:
    margin = classification_data().hint_margin.value
    hints: list[Hint] = []
    for key in ind.indicators:
        thresholds = sorted(
            {
                t
                for table in (ind.sme_below_any, ind.medium_at_least, ind.small_at_least)
                for k, t in table.items()
                if k == key
            }
        )
        value = figures[key]
        for t in thresholds:
            if abs(value - t) > margin * t:
                continue
            if value < t:
                other, _ = _size_of(ind, {**figures, key: t})
                if other != size:
                    hints.append(Hint(key, "at_least", t, other))
            else:
                step = Decimal(1) if key == "employees" else Decimal("0.01")
                other, _ = _size_of(ind, {**figures, key: t - step})
                if other != size:
                    hints.append(Hint(key, "below", t, other))
    return hints


# ---------------------------------------------------------------------------- GB/T 4754


def industry_for_code(code: object) -> IndustryMatch:
    """Map a GB/T 4754-2017 code (letter, 2-, 3- or 4-digit, or letter+digits) to an industry."""
    if not isinstance(code, str):
        raise InvalidIndustryCode(f"Industry code must be text, not {code!r}", field="code")
    text = unicodedata.normalize("NFKC", code).strip().upper().replace(" ", "")
    data = code_data()
    table = industries()
    letter = text[:1] if text[:1].isalpha() else ""
    digits = text[len(letter) :]
    bad = InvalidIndustryCode(
        f"{code!r} is not a GB/T 4754-2017 code: give a section letter (A-T), a 2-, 3- or "
        f"4-digit code, or both (e.g. C1311)",
        field="code",
    )
    if letter and letter not in data.sections:
        raise bad
    if digits and (not (digits.isascii() and digits.isdigit()) or not 2 <= len(digits) <= 4):
        raise bad
    if not letter and not digits:
        raise bad
    if digits:
        division = int(digits[:2])
        if not 1 <= division <= 97:
            raise bad
        if letter:
            first, last = data.sections[letter]
            if not first <= division <= last:
                raise InvalidIndustryCode(
                    f"{code!r}: division {digits[:2]} is not in section {letter} "
                    f"({first:02d}-{last:02d}); check the code",
                    code="code_mismatch",
                    field="code",
                )
        return _match_digits(text, digits)
    first, last = data.sections[letter]
    found: dict[str, CodeRule] = {}
    for division in range(first, last + 1):
        for rule in _rules_touching(f"{division:02d}"):
            found.setdefault(rule.industry, rule)
    if len(found) == 1:
        rule = next(iter(found.values()))
        return _result(text, rule, f"section {letter} (divisions {first:02d}-{last:02d})")
    names = [f"{table[k].zh} {k}" for k in found]
    return IndustryMatch(
        text,
        None,
        True,
        f"Section {letter} covers several industries ({'; '.join(names)}); "
        f"give the 2- or 4-digit code.",
        None,
        list(found),
    )


def _rules_touching(digits: str) -> list[CodeRule]:
    data = code_data()
    division = int(digits[:2])
    rules = [
        r
        for r in data.prefix_rules
        if r.prefix is not None and (r.prefix.startswith(digits) or digits.startswith(r.prefix))
    ]
    covering = [r for r in rules if r.prefix is not None and digits.startswith(r.prefix)]
    if covering:
        return covering[:1]
    for rule in data.division_rules:
        assert rule.divisions is not None  # noqa: S101 - division rules always have a range
        if rule.divisions[0] <= division <= rule.divisions[1]:
            return [*rules, rule]
    return rules  # pragma: no cover - the catch-all rule always matches


def _match_digits(text: str, digits: str) -> IndustryMatch:
    rules = _rules_touching(digits)
    if len({r.industry for r in rules}) == 1:
        return _result(text, rules[-1], f"code {digits}")
    table = industries()
    names = [f"{table[r.industry].zh} ({r.prefix or 'rest of ' + digits[:2]})" for r in rules]
    return IndustryMatch(
        text,
        None,
        True,
        f"Code {digits} covers several industries ({'; '.join(names)}); give the 4-digit class.",
        None,
        [r.industry for r in rules],
    )


def _result(text: str, rule: CodeRule, what: str) -> IndustryMatch:
    ind = industries()[rule.industry]
    reason = f"{what} → {ind.zh} ({ind.key}) per {rule.ref}"
    if rule.needs_review:
        return IndustryMatch(
            text,
            rule.industry,
            True,
            f"{reason}. Needs staff review: {rule.needs_review}",
            rule.ref,
        )
    return IndustryMatch(text, rule.industry, False, f"{reason}.", rule.ref)


def industry_names() -> list[dict[str, str]]:
    return [
        {"key": i.key, "zh": i.zh, "en": i.en, "clause": i.clause} for i in industries().values()
    ]


__all__ = ["classify", "industry_for_code", "Classification", "IndustryMatch", "as_text"]
