"""Scenario table for the reconciliation with the tax bureau (portal/rules/reconciliation.py):
one difference of each kind, each row with its clause.

A Shandong 2022 employer deferring 07–09, each month assessed 1,000.00 unit and 250.00
personal; the report of 2022-08 as of 08-31. The agreeing case: the portal recorded July's
unit part paid 300.00 on 08-10 and the bureau collected it; the bureau collected August's
personal 250.00; nothing of August's unit part (deferred).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from portal import rules
from portal.rules.reconciliation import (
    KINDS,
    Entry,
    compare,
    is_compared,
    parse_reconciliation,
    reconciliation_policy,
)
from portal.rules.standing import AssessmentFact, EmployerFacts, PaymentFact, standing

AS_OF = date(2022, 8, 31)
FACTS = EmployerFacts(
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
ASSESSED = [
    AssessmentFact(month, Decimal("1000.00"), Decimal("250.00"))
    for month in ("2022-07", "2022-08", "2022-09")
]
JULY_PAID = Entry("2022-07", "unit", Decimal("300.00"), date(2022, 8, 10))
AUGUST_PERSONAL = Entry("2022-08", "personal", Decimal("250.00"), date(2022, 8, 15))


def _entry(month, part, amount, on="2022-08-15") -> Entry:
    return Entry(month, part, Decimal(amount), date.fromisoformat(on))


SCENARIOS = [
    pytest.param(
        [JULY_PAID],
        [JULY_PAID, AUGUST_PERSONAL],
        {},
        id="agree: the bureau collected what the portal recorded, nothing of deferred August"
        " (鲁医保发〔2022〕21号 六)",
    ),
    pytest.param(
        [JULY_PAID],
        [JULY_PAID, AUGUST_PERSONAL, _entry("2022-08", "unit", "1000.00")],
        {"deferred": ("0", "1000.00"), "outstanding": ("1700.00", "700.00")},
        id="deferred: the bureau collected August's deferred unit part (江苏 三（一）)",
    ),
    pytest.param(
        [JULY_PAID, _entry("2022-08", "unit", "1000.00")],
        [JULY_PAID, AUGUST_PERSONAL, _entry("2022-08", "unit", "1000.00")],
        {},
        id="deferred: paid early and recorded, collected: agree (内医保办发〔2022〕19号 二)",
    ),
    pytest.param(
        [JULY_PAID],
        [_entry("2022-07", "unit", "200.00", "2022-08-10"), AUGUST_PERSONAL],
        {"caught_up": ("300.00", "200.00"), "outstanding": ("1700.00", "1800.00")},
        id="caught up: the bureau collected less of July than the portal recorded"
        " (内医保办发〔2022〕19号 三（三）1)",
    ),
    pytest.param(
        [JULY_PAID, _entry("2022-08", "personal", "250.00", "2022-08-15")],
        [JULY_PAID, AUGUST_PERSONAL],
        {"outstanding": ("1450.00", "1700.00")},
        id="outstanding: the portal counted a personal payment against the deferral"
        " (鲁医保发〔2022〕21号 六)",
    ),
    pytest.param(
        [JULY_PAID],
        [JULY_PAID, _entry("2022-08", "personal", "200.00")],
        {"personal": ("250.00", "200.00")},
        id="personal: the bureau collected 50.00 less than assessed"
        " (内医保办发〔2022〕19号 三（二）4)",
    ),
    pytest.param(
        [JULY_PAID],
        [JULY_PAID, _entry("2022-08", "personal", "250.00", "2022-09-02")],
        {"personal": ("250.00", "0")},
        id="personal: collected after the as-of date does not count for August"
        " (鲁医保发〔2022〕21号 五)",
    ),
]


@pytest.mark.parametrize(("paid", "collected", "expected"), SCENARIOS)
def test_scenario(paid, collected, expected) -> None:
    program = rules.load_program("shandong-2022")
    s = standing(
        program,
        FACTS,
        None,
        ASSESSED,
        [PaymentFact(e.on, e.amount) for e in paid],  # as the loader gives every payment
        AS_OF,
    )
    assert is_compared(s, "2022-08")
    comparisons = compare(s, "2022-08", AS_OF, collected, paid)
    assert [c.kind for c in comparisons] == list(KINDS)
    differing = {c.kind: (c.portal_amount, c.bureau_amount) for c in comparisons if c.differs}
    assert differing == {k: (Decimal(p), Decimal(b)) for k, (p, b) in expected.items()}
    deferred = next(c for c in comparisons if c.kind == "deferred")
    assert deferred.deferred_amount == Decimal("1000.00")


def test_a_month_outside_the_period_compares_the_catch_up_and_what_is_outstanding() -> None:
    program = rules.load_program("shandong-2022")
    on = date(2022, 11, 30)
    s = standing(program, FACTS, None, ASSESSED, [PaymentFact(JULY_PAID.on, JULY_PAID.amount)], on)
    kinds = [c.kind for c in compare(s, "2022-11", on, [JULY_PAID], [JULY_PAID])]
    assert kinds == ["caught_up", "outstanding"]


def test_every_kind_cites_its_clause_and_the_final_report_is_a_reading() -> None:
    policy = reconciliation_policy()
    assert policy.ref("deferred").startswith("江苏省实施方案（2022） 三（一）")
    assert "内医保办发〔2022〕19号 三（三）1" in policy.ref("caught_up")
    assert policy.ref("outstanding").startswith("鲁医保发〔2022〕21号 六")
    assert "三（二）4" in policy.ref("personal")
    assert policy.final_report.ref.startswith("内医保办发〔2022〕19号 四")
    assert all(param.explanation for param in policy.kinds.values())


def test_an_unknown_final_report_rule_is_refused(tmp_path) -> None:
    from portal.rules.errors import PolicyError
    from portal.rules.policy import DATA_DIR

    text = (DATA_DIR / "reconciliation.yaml").read_text("utf-8")
    path = tmp_path / "reconciliation.yaml"
    path.write_text(text.replace("refuse_while_differences", "warn"), "utf-8")
    with pytest.raises(PolicyError):
        parse_reconciliation(path)
