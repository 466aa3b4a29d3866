"""Scenario table for the pure standing (portal/rules/standing.py): each row cites its clause."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from portal import rules
from portal.rules.standing import (
    ApplicationFact,
    AssessmentFact,
    DecisionFact,
    EmployerFacts,
    PaymentFact,
    standing,
)

SCENARIOS = yaml.safe_load((Path(__file__).parent / "scenarios.yaml").read_text("utf-8"))
DECIMAL_FACTS = {"contribution_base", "fund_reserve_months", "unit_medical_rate", "maternity_rate"}

BASE = EmployerFacts(
    employer_id=1,
    program_id="shandong-2022",
    credit_code="91370100000000019N",
    unit_kind="enterprise",
    size_class="small",
    is_listed=True,
    contribution_base=Decimal("10000.00"),
    fund_reserve_months=Decimal("10"),
    unit_medical_rate=Decimal("0.065"),
    maternity_rate=Decimal("0.01"),
)


def _date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def _facts(program_id: str, overrides: dict[str, Any]) -> EmployerFacts:
    values = {
        key: (Decimal(v) if key in DECIMAL_FACTS and v is not None else v)
        for key, v in overrides.items()
    }
    if values.get("application") is not None:
        found = values["application"]
        due = found.get("due_on")
        values["application"] = ApplicationFact(
            found["id"], found["status"], _date(due) if due else None, found.get("reason")
        )
    for month_key in ("first_insured_month", "founded_month"):
        if month_key in values and values[month_key] is not None:
            values[month_key] = str(values[month_key])
    return replace(BASE, program_id=program_id, **values)


def _run(case: dict[str, Any]):
    program = rules.load_program(case["program"])
    decision = None
    if "decision" in case:
        d = case["decision"]
        decision = DecisionFact(
            1, d["choice"], d.get("period_start"), d.get("period_end"), "JD-TEST"
        )
    assessments = [
        AssessmentFact(str(a["month"]), Decimal(a["unit_amount"]))
        for a in case.get("assessments", [])
    ]
    payments = [
        PaymentFact(_date(p["paid_on"]), Decimal(p["amount"])) for p in case.get("payments", [])
    ]
    return standing(
        program,
        _facts(case["program"], case.get("facts", {})),
        decision,
        assessments,
        payments,
        _date(case["day"]),
    )


def _get(obj: Any, path: str) -> Any:
    for name, index in re.findall(r"([A-Za-z_]\w*)|\[(\d+)\]", path):
        obj = getattr(obj, name) if name else obj[int(index)]
    return obj


def _norm(value: Any) -> Any:
    if isinstance(value, Decimal | date):
        return str(value)
    return value


@pytest.mark.parametrize(
    "case", SCENARIOS, ids=[f"{i + 1}:{c['name']}" for i, c in enumerate(SCENARIOS)]
)
def test_scenario(case: dict[str, Any]) -> None:
    assert case["clause"], "every row cites its clause"
    result = _run(case)
    for path, expected in case["expected"].items():
        if path == "period":
            got = None if result.period is None else f"{result.period.start}..{result.period.end}"
        else:
            got = _norm(_get(result, path))
        assert got == _norm(expected), f"{case['name']}: {path} = {got!r}, expected {expected!r}"


def test_every_next_step_has_a_scenario() -> None:
    steps = {c["expected"].get("next_step") for c in SCENARIOS}
    assert steps >= {
        "confirm",
        "apply",
        "clear_arrears",
        "pay_normally",
        "pay_by_deadline",
        "not_eligible",
        "reduction_program",
        "nothing",
        "finish_application",
        "await_review",
        "apply_again",
        "pay_now",
    }


@given(
    paid=st.decimals(min_value=0, max_value=5000, places=2),
    on=st.dates(min_value=date(2022, 7, 1), max_value=date(2023, 12, 31)),
)
def test_outstanding_and_paid_add_up_to_the_deferred_total(paid: Decimal, on: date) -> None:
    payments = [PaymentFact(date(2022, 8, 1), paid)] if paid else []
    result = standing(rules.load_program("shandong-2022"), BASE, None, [], payments, on)
    quote = result.quote
    assert quote is not None and result.is_deferred
    counted = paid if on >= date(2022, 8, 1) else Decimal(0)
    assert quote.outstanding == max(quote.deferred_total - counted, Decimal(0))
    assert (result.next_step == "nothing") == (quote.outstanding == 0 and not result.can_change)


@given(base=st.decimals(min_value=0, max_value=10**7, places=2))
def test_the_estimate_is_the_base_times_the_deferred_rates(base: Decimal) -> None:
    """鲁医保发〔2022〕21号 序言: the deferred unit part includes maternity (含生育保险)."""
    facts = replace(BASE, contribution_base=base)
    result = standing(rules.load_program("shandong-2022"), facts, None, [], [], date(2022, 7, 20))
    assert [line.unit_amount for line in result.lines] == [base * Decimal("0.075")] * 3


def test_a_departure_settles_the_persons_months_up_to_leaving() -> None:
    """鲁医保发〔2022〕21号 五: a person who leaves has their deferred unit part paid at once."""
    result = standing(rules.load_program("shandong-2022"), BASE, None, [], [], date(2022, 9, 5))
    person = {"2022-07": Decimal("75.00"), "2022-08": Decimal("75.00"), "2022-09": Decimal("75")}
    due = result.departure(person, event="leave", event_on=date(2022, 8, 20))
    assert due.amount == Decimal("150.00") and due.months == ["2022-07", "2022-08"]
    assert due.ref == "鲁医保发〔2022〕21号 五"


def test_refusals_ignore_the_decision_window() -> None:
    """An unlisted SME may apply whenever: no source sets a deadline for applying."""
    facts = replace(BASE, is_listed=False, size_class=None)
    late = standing(rules.load_program("shandong-2022"), facts, None, [], [], date(2022, 9, 20))
    assert late.refusals(size="small") == []
    assert [code for code, _ in late.refusals(size="large")] == ["large_enterprise"]


def test_the_late_fee_cap_is_a_switch(monkeypatch) -> None:
    """行政强制法 第四十五条: off by default (rules/data/national.yaml); on, the fee stops at
    the principal."""
    from portal.rules import _schema
    from portal.rules import quote as quote_module

    program = rules.load_program("shandong-2022")
    assert program.late_fee.cap_at_principal is not None
    assert program.late_fee.cap_at_principal.value is False
    far = date(2030, 1, 1)
    uncapped = standing(program, BASE, None, [], [], far).quote
    assert uncapped.late_fee > uncapped.deferred_total
    capped_rule = replace(
        program.late_fee, cap_at_principal=_schema.Param(True, "行政强制法 第四十五条", "test")
    )
    capped = replace(program, late_fee=capped_rule)
    monkeypatch.setattr(quote_module, "deferral_program", lambda program_id: capped)
    quote = standing(capped, BASE, None, [], [], far).quote
    assert quote.late_fee == quote.deferred_total == Decimal("2250.00")
    assert quote.what_if(date(2040, 1, 1)) == Decimal("2250.00")
    assert quote.refs["late_fee_cap"] == "行政强制法 第四十五条"


def test_a_departure_after_the_deadline_carries_the_late_fee_since_it_started() -> None:
    """Issue 15 item 7: a Shandong person leaving on 2022-12-30 showed ¥300.00 due and ¥0.00
    late fee, although those months had been overdue since 2022-10-01
    (鲁医保发〔2022〕21号 二、五)."""
    result = standing(rules.load_program("shandong-2022"), BASE, None, [], [], date(2022, 12, 30))
    person = dict.fromkeys(("2022-07", "2022-08", "2022-09"), Decimal("100.00"))
    due = result.departure(person, event="leave", event_on=date(2022, 12, 30))
    assert due.amount == Decimal("300.00")
    # 2022-10-01 through 2022-12-30: 91 days × 0.05 % × 300.00 = 13.65
    assert due.late_fee == Decimal("13.65")
    early = standing(rules.load_program("shandong-2022"), BASE, None, [], [], date(2022, 8, 20))
    assert early.departure(person, event="leave", event_on=date(2022, 8, 20)).late_fee == 0
