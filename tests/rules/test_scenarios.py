"""Run the scenario tables tests/rules/scenarios/<program>.yaml (name, input, expected, clause)."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

from portal import rules

SCENARIO_DIR = Path(__file__).parent / "scenarios"
CALLS = {
    "catchup_quote": rules.catchup_quote,
    "deferral_period": rules.deferral_period,
    "check_eligibility": rules.check_eligibility,
    "departure_due": rules.departure_due,
    "deregistration_due": rules.deregistration_due,
    "unit_rate": rules.unit_rate,
    "over_collected": rules.over_collected,
    "deferral_request": rules.deferral_request,
}
DECIMAL_ARGS = {"contribution_base", "fund_reserve_months", "already_paid"}
AMOUNT_ARGS = {"monthly_unit_amount", "person_monthly_unit_amount"}


def _load() -> list[Any]:
    cases = []
    for path in sorted(SCENARIO_DIR.glob("*.yaml")):
        for i, case in enumerate(yaml.safe_load(path.read_text(encoding="utf-8"))):
            cases.append(pytest.param(path.stem, case, id=f"{path.stem}:{i + 1}:{case['name']}"))
    return cases


def _date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def _args(inputs: dict[str, Any]) -> dict[str, Any]:
    args: dict[str, Any] = {}
    for key, value in inputs.items():
        if key in AMOUNT_ARGS:
            args[key] = (
                {str(m): Decimal(v) for m, v in value.items()}
                if isinstance(value, dict)
                else Decimal(value)
            )
        elif key in DECIMAL_ARGS:
            args[key] = Decimal(value)
        elif key == "payments":
            args[key] = [(_date(d), Decimal(a)) for d, a in value]
        elif key in {"as_of", "event_on", "deregister_on", "on"}:
            args[key] = _date(value)
        else:
            args[key] = value
    return args


def _get(obj: Any, path: str) -> Any:
    for name, index in re.findall(r"([A-Za-z_]\w*)|\[(\d+)\]", path):
        obj = getattr(obj, name) if name else obj[int(index)]
    return obj


def _norm(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return [_norm(v) for v in value]
    if isinstance(value, Decimal | date):
        return str(value)
    return value


def test_every_program_has_ten_scenarios() -> None:
    counts = {
        p.stem: len(yaml.safe_load(p.read_text(encoding="utf-8")))
        for p in SCENARIO_DIR.glob("*.yaml")
    }
    assert set(counts) == set(rules.program_ids())
    assert all(n >= 10 for n in counts.values()), counts


@pytest.mark.parametrize(("program_id", "case"), _load())
def test_scenario(program_id: str, case: dict[str, Any]) -> None:
    assert set(case) == {"name", "clause", "call", "input", "expected"}
    call = CALLS[case["call"]]
    args = _args(case["input"] or {})
    expected = dict(case["expected"])
    if "error" in expected:
        with pytest.raises(rules.RulesError) as info:
            call(program_id, **args)
        assert info.value.code == expected["error"], str(info.value)
        return
    result = call(program_id, **args)
    what_if = expected.pop("what_if", None)
    for key, want in expected.items():
        assert _norm(_get(result, key)) == _norm(want), f"{key}: {_get(result, key)!r}"
    for pay_on, want in (what_if or {}).items():
        assert str(result.what_if(_date(pay_on))) == want
