"""Size classification (工信部联企业〔2011〕300号 第四条) and GB/T 4754-2017 codes."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portal import rules
from portal.rules.classification import SIZE_ORDER

KEYS = list(rules.INDUSTRIES)
figures = st.fixed_dictionaries(
    {
        "employees": st.integers(0, 5000),
        "revenue": st.decimals(0, 300000, places=2),
        "assets": st.decimals(0, 200000, places=2),
    }
)


def test_sixteen_industries_in_order_with_clauses() -> None:
    assert KEYS[0] == "agriculture" and KEYS[-1] == "other" and len(KEYS) == 16
    assert rules.INDUSTRIES["software_it"].clause == "工信部联企业〔2011〕300号 第四条（十二）"


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(KEYS), figures)
def test_every_complete_input_gets_exactly_one_size(industry: str, f: dict) -> None:
    result = rules.classify(industry, **f)
    assert result.size in SIZE_ORDER
    assert result.missing == []
    assert result.clause == rules.INDUSTRIES[industry].clause


@settings(max_examples=150, deadline=None)
@given(
    st.sampled_from(KEYS),
    figures,
    st.sampled_from(["employees", "revenue", "assets"]),
    st.integers(1, 100000),
)
def test_more_never_gives_a_smaller_size(industry: str, f: dict, which: str, more: int) -> None:
    bigger = dict(f)
    bigger[which] = f[which] + (more if which == "employees" else Decimal(more))
    before = rules.classify(industry, **f).size
    after = rules.classify(industry, **bigger).size
    assert SIZE_ORDER[after] >= SIZE_ORDER[before]


def _thresholds():
    for key, ind in rules.INDUSTRIES.items():
        for level, table in (("medium", ind.medium_at_least), ("small", ind.small_at_least)):
            for indicator, value in table.items():
                yield key, level, indicator, value
        for indicator, value in ind.sme_below_any.items():
            yield key, "sme", indicator, value


@pytest.mark.parametrize(("industry", "level", "indicator", "threshold"), list(_thresholds()))
def test_values_exactly_at_a_threshold(industry, level, indicator, threshold) -> None:
    ind = rules.INDUSTRIES[industry]
    if level == "sme":
        # Everything else at the SME ceiling: exactly at the line is not "below" -> large.
        at = {k: v for k, v in ind.sme_below_any.items()}
        base = {k: at.get(k, Decimal(10**6)) for k in ind.indicators}
        assert _size(industry, base) == "large"
        below = dict(
            base, **{indicator: threshold - (1 if indicator == "employees" else Decimal("0.01"))}
        )
        assert _size(industry, below) != "large"
        return
    table = ind.medium_at_least if level == "medium" else ind.small_at_least
    # Small figures everywhere except the level's own lines: exactly at each line qualifies.
    base = {k: table.get(k, Decimal(0)) for k in ind.indicators}
    assert _size(industry, base) == level
    step = 1 if indicator == "employees" else Decimal("0.01")
    assert (
        SIZE_ORDER[_size(industry, dict(base, **{indicator: threshold - step}))] < SIZE_ORDER[level]
    )


def _size(industry: str, values: dict) -> str:
    args = {k: (int(v) if k == "employees" else Decimal(v)) for k, v in values.items()}
    return rules.classify(industry, **args).size


def test_missing_indicator_is_undetermined_with_the_missing_figures() -> None:
    result = rules.classify("industry", employees=50)
    assert result.size == "undetermined" and result.missing == ["revenue"]
    result = rules.classify("construction")
    assert result.missing == ["revenue", "assets"]


def test_explanation_and_hint_near_a_line() -> None:
    result = rules.classify("other", employees=9)
    assert result.size == "micro"
    assert any("10" in line for line in result.explanation)
    assert result.hints == ["With employees of 10 persons or more it would be small (小型)."]
    assert rules.classify("other", employees=50).hints == []


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"employees": -1}, "negative"),
        ({"revenue": Decimal("-0.01")}, "negative"),
        ({"revenue": 1.5}, "bad_number"),
        ({"employees": True}, "bad_number"),
    ],
)
def test_bad_figures(kwargs, code) -> None:
    with pytest.raises(rules.InvalidInput) as info:
        rules.classify("retail", **kwargs)
    assert info.value.code == code


def test_unknown_industry() -> None:
    with pytest.raises(rules.UnknownIndustry, match="other"):
        rules.classify("mining", employees=1)


@pytest.mark.parametrize(
    ("code", "industry", "review"),
    [
        ("A", "agriculture", False),
        ("C1311", "industry", False),
        ("44", "industry", False),
        ("48", "construction", False),
        ("51", "wholesale", False),
        ("5211", "retail", False),
        ("53", "transport", True),
        ("5411", "transport", False),
        ("59", "warehousing", False),
        ("60", "postal", False),
        ("61", "accommodation", False),
        ("62", "catering", False),
        ("64", "information_transmission", False),
        ("65", "software_it", False),
        ("7010", "real_estate_development", False),
        ("7020", "property_management", False),
        ("7030", "other", False),
        ("J", "other", True),
        ("6620", "other", True),
        ("L", "leasing_business_services", False),
        ("83", "other", False),
        ("ｃ１３", "industry", False),
    ],
)
def test_industry_for_code(code, industry, review) -> None:
    match = rules.industry_for_code(code)
    assert (match.industry, match.needs_review) == (industry, review)
    assert match.reason


def test_ambiguous_codes_ask_for_more_digits() -> None:
    match = rules.industry_for_code("70")
    assert match.industry is None and match.needs_review
    assert set(match.candidates) == {"real_estate_development", "property_management", "other"}
    assert rules.industry_for_code("F").candidates == ["wholesale", "retail"]


@pytest.mark.parametrize("code", ["", "99", "00", "X1", "12345", "A13", "1a"])
def test_bad_industry_codes(code) -> None:
    with pytest.raises(rules.InvalidIndustryCode):
        rules.industry_for_code(code)
