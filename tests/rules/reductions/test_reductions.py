"""Scenario table for the 2020 programs month by month (portal/rules/reductions.py)."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from portal import rules
from portal.rules.months import add_months

SCENARIOS = yaml.safe_load((Path(__file__).parent / "scenarios.yaml").read_text("utf-8"))


def _date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _dec(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _call(call: str, given_: dict[str, Any]) -> Any:
    args = dict(given_)
    program = args.pop("program", None)
    if call == "rate_table":
        months = [
            rules.MonthFact(str(m), _dec(base), _dec(collected))
            for m, (base, collected) in (args.pop("months", None) or {}).items()
        ]
        return rules.rate_table(
            program,
            unit_kind=args["unit_kind"],
            months=months,
            contribution_base=_dec(args.get("contribution_base")),
        )
    if call == "return_decision":
        return rules.return_decision(
            program,
            args["choice"],
            decided_on=_date(args["decided_on"]),
            account=args.get("account"),
            account_known=bool(args.get("account_known")),
        )
    if call == "offset_schedule":
        return rules.offset_schedule(
            Decimal(args["over_collected_total"]),
            {str(m): Decimal(v) for m, v in args["due_by_month"].items()},
            from_month=str(args["from_month"]),
        )
    if call == "offset_plan":
        months = [
            rules.MonthFact(str(m), _dec(base), _dec(unit))
            for m, (base, unit) in args["assessed"].items()
        ]
        dues = rules.offset_dues(program, unit_kind=args["unit_kind"], months=months)
        return rules.offset_plan(
            Decimal(args["over_collected_total"]), dues, from_month=str(args["from_month"])
        )
    if call == "deferral_request":
        applied = args.get("applied_on")
        return rules.deferral_request(
            program,
            start_month=str(args["start_month"]),
            months=args["months"],
            applied_on=_date(applied) if applied else None,
        )
    if call == "deferred_months":
        request = rules.deferral_request(
            program, start_month=str(args["start_month"]), months=args["months"]
        )
        table = rules.rate_table(
            program,
            unit_kind=args["unit_kind"],
            contribution_base=_dec(args["contribution_base"]),
        )
        return rules.deferred_months(request, table)
    raise AssertionError(call)


def _get(obj: Any, path: str) -> Any:
    if path == "length":
        return len(obj)
    for name, index in re.findall(r"([A-Za-z_]\w*)|\[(\d+)\]", path):
        if name:
            obj = obj[name] if isinstance(obj, dict) else getattr(obj, name)
        else:
            obj = obj[int(index)]
    return obj


def _norm(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return [_norm(v) for v in value]
    if isinstance(value, Decimal | date):
        return str(value)
    return value


@pytest.mark.parametrize("case", SCENARIOS, ids=[c["name"] for c in SCENARIOS])
def test_scenario(case: dict[str, Any]) -> None:
    assert case["clause"].strip(), "every scenario cites its clause"
    expected = dict(case["expected"])
    if "error" in expected:
        with pytest.raises(rules.RulesError) as caught:
            _call(case["call"], case["input"])
        assert caught.value.code == expected["error"]
        return
    result = _call(case["call"], case["input"])
    for path, want in expected.items():
        got = _norm(_get(result, path))
        want = str(want) if isinstance(want, date) else want
        assert got == want, f"{path}: {got!r} != {want!r} ({case['clause']})"


def test_every_figure_of_a_row_has_its_clause() -> None:
    table = rules.rate_table("linyi-2020", unit_kind="enterprise", contribution_base=Decimal(1))
    for row in table.rows:
        assert {"unit_rate", "normal_unit_rate", "maternity_rate"} <= set(row.refs)
        assert all("〔2020〕" in ref for ref in row.refs.values())


@given(
    base=st.decimals(min_value=0, max_value=10**8, places=2),
    kind=st.sampled_from(
        ["enterprise", "individual_business", "social_group", "public_institution"]
    ),
    program=st.sampled_from(["linyi-2020", "wuxi-2020"]),
)
def test_reduction_is_normal_minus_reduced_and_never_negative(
    base: Decimal, kind: str, program: str
) -> None:
    table = rules.rate_table(program, unit_kind=kind, contribution_base=base)
    for row in table.rows:
        assert row.reduction >= 0
        assert row.due_at_normal - row.due_at_reduced == row.reduction
    assert table.reduction == rules.to_fen(sum((r.reduction for r in table.rows), Decimal(0)))


@given(
    credit=st.decimals(min_value=0, max_value=10**6, places=2),
    dues=st.lists(st.decimals(min_value=0, max_value=10**5, places=2), min_size=1, max_size=12),
)
def test_an_offset_never_uses_more_than_the_credit_or_the_month(
    credit: Decimal, dues: list[Decimal]
) -> None:
    months = {f"2020-{i + 1:02d}": d for i, d in enumerate(dues)}
    schedule = rules.offset_schedule(credit, months, from_month="2020-01")
    assert sum((m.offset_amount for m in schedule), Decimal(0)) <= credit
    for month in schedule:
        assert 0 <= month.offset_amount <= month.due_amount
        assert month.payable_amount == month.due_amount - month.offset_amount


# ------------------------------------------------ the 2020 deferral: the months a form may offer

DEFERRAL_PROGRAMS = ["linyi-2020", "wuxi-2020"]
any_month = st.integers(min_value=2018 * 12, max_value=2023 * 12 - 1).map(
    lambda index: f"{index // 12:04d}-{index % 12 + 1:02d}"
)


@pytest.mark.parametrize(
    ("program_id", "first", "last"),
    [
        # 操作细则 二（二） (applications from 2020-02-12); applied for in 2020, so starting in
        # 2020 at the latest (reading last_start_month, DOMAIN §5.4)
        ("linyi-2020", "2020-02", "2020-12"),
        # 锡医保服务〔2020〕11号 三（一）（缓缴执行期为2020年内）
        ("wuxi-2020", "2020-01", "2020-12"),
    ],
)
def test_the_start_months_offered(program_id: str, first: str, last: str) -> None:
    starts = rules.deferral_start_months(rules.load_program(program_id))
    assert (starts[0], starts[-1]) == (first, last)
    assert starts == sorted(set(starts))


def test_a_2022_program_offers_no_2020_deferral() -> None:
    with pytest.raises(rules.NotApplicable):
        rules.deferral_start_months(rules.load_program("shandong-2022"))


@given(program_id=st.sampled_from(DEFERRAL_PROGRAMS), month=any_month)
def test_a_month_is_accepted_as_the_first_exactly_when_it_is_offered(
    program_id: str, month: str
) -> None:
    offered = rules.deferral_start_months(rules.load_program(program_id))
    try:
        request = rules.deferral_request(program_id, start_month=month, months=1)
    except rules.InvalidInput as error:
        assert month not in offered
        assert (error.code, error.field) == ("month_outside_program", "start_month")
    else:
        assert month in offered
        assert request.months == [month]


@given(
    program_id=st.sampled_from(DEFERRAL_PROGRAMS),
    month=any_month,
    months=st.integers(min_value=1, max_value=12),
)
def test_an_accepted_deferral_starts_and_runs_as_the_form_offers(
    program_id: str, month: str, months: int
) -> None:
    program = rules.load_program(program_id)
    rule = program.deferral
    try:
        request = rules.deferral_request(program_id, start_month=month, months=months)
    except rules.InvalidInput as error:
        # refused only for a start not offered, a length not offered, or an end past the window
        end = add_months(month, months - 1)
        ends_late = rule.window_end is not None and end > rule.window_end.value
        assert (
            month not in rules.deferral_start_months(program)
            or months not in rules.deferral_lengths(program)
            or ends_late
        ), error.message
    else:
        assert request.start in rules.deferral_start_months(program)
        assert len(request.months) in rules.deferral_lengths(program)
        assert request.months[0] >= rule.window_start.value
        if rule.window_end is not None:
            assert request.months[-1] <= rule.window_end.value


def test_linyi_offers_six_months_from_every_start_and_runs_into_2021_at_most_to_may() -> None:
    program = rules.load_program("linyi-2020")
    assert rules.deferral_lengths(program) == [1, 2, 3, 4, 5, 6]
    ends = [
        rules.deferral_request("linyi-2020", start_month=start, months=6).end
        for start in rules.deferral_start_months(program)
    ]
    assert max(ends) == "2021-05"  # DOMAIN §5.4: contribution months in 2020–2021


# ------------------------------------------------------------- the grounds of a 2020 deferral


def test_the_grounds_of_a_linyi_deferral_and_what_each_tests():
    """Issue 28 item 20, 鲁医保发〔2020〕23号 三: an SME (sized by 工信部联企业〔2011〕300号), an
    industry of 鲁政办发〔2020〕5号 or a social organisation on the 民政 list; Wuxi has one."""
    from portal.rules import deferral_routes, open_to_some_route, route_refusals

    routes = deferral_routes("linyi-2020")
    assert routes is not None and routes.keys == ("sme", "industry", "social_organisation")
    assert routes.ground("wholesale_retail").gbt4754 == ("51", "52")
    assert routes.ground("film_screening").gbt4754 == ("876",)
    assert routes.ground("life_services").gbt4754 == ()  # 财税〔2016〕36号, not GB/T 4754
    assert deferral_routes("wuxi-2020") is None
    large = [("large_enterprise", "…")]
    assert route_refusals("linyi-2020", "sme", large, unit_kind="enterprise") == large
    assert route_refusals("linyi-2020", "industry", large, unit_kind="enterprise") == []
    refused = route_refusals("linyi-2020", "social_organisation", [], unit_kind="enterprise")
    assert [code for code, _ in refused] == ["not_social_organisation"]
    assert route_refusals("linyi-2020", "social_organisation", [], unit_kind="foundation") == []
    assert open_to_some_route("linyi-2020", large, unit_kind="enterprise") == []
    excluded = [("out_of_scope_unit_kind", "…")]
    assert open_to_some_route("linyi-2020", excluded, unit_kind="government_organ") == excluded
    assert open_to_some_route("wuxi-2020", large, unit_kind="enterprise") == large


def test_a_ground_with_a_code_that_is_not_gbt4754_is_refused(tmp_path):
    from portal.rules import PolicyError
    from portal.rules.policy import PROGRAMS_DIR, parse_program

    text = (PROGRAMS_DIR / "linyi-2020.yaml").read_text(encoding="utf-8")
    broken = tmp_path / "linyi-2020.yaml"
    broken.write_text(text.replace('gbt4754: ["876"]', 'gbt4754: ["R87x"]'), encoding="utf-8")
    with pytest.raises(PolicyError, match="GB/T 4754"):
        parse_program(broken)
