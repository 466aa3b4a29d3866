"""Which payments reduce a deferral, and what they settle first (portal/rules/payments.py)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.rules.errors import InvalidInput
from portal.rules.payments import allocate, counts_toward_deferral, payments_policy

DEFERRED = ("2022-07", "2022-08", "2022-09")


@pytest.mark.parametrize(
    ("part", "month", "counts"),
    [
        pytest.param("unit", "2022-08", True, id="鲁21五-unit-part-of-a-deferred-month-counts"),
        pytest.param("personal", "2022-08", False, id="鲁21五-personal-part-is-withholding"),
        pytest.param("unit", "2022-06", False, id="鲁21一-unit-part-of-a-month-not-deferred"),
        pytest.param("unit", None, True, id="reading-a-row-without-month-counts-as-unit"),
        pytest.param("personal", None, False, id="reading-personal-without-month-never-counts"),
    ],
)
def test_which_payments_reduce_the_deferral(part, month, counts):
    assert counts_toward_deferral(part, month, DEFERRED) is counts


def test_the_policy_cites_its_clauses_and_says_it_is_a_reading():
    policy = payments_policy()
    assert "鲁医保发〔2022〕21号 五" in policy.counted_part.ref
    assert "鲁医保发〔2022〕21号 五" in policy.allocation.ref
    assert "reading" in policy.allocation.ref and policy.allocation.explanation


@pytest.mark.parametrize(
    ("paid", "dues", "applied", "left"),
    [
        pytest.param(
            "909.99",
            [(date(2022, 9, 20), "909.99")],
            ["909.99"],
            "0",
            id="鲁21五-a-departure-paid-in-full-is-settled",
        ),
        pytest.param(
            "500",
            [(date(2022, 9, 20), "300"), (date(2022, 8, 10), "300")],
            ["200", "300"],
            "0",
            id="鲁21五-earliest-due-first",
        ),
        pytest.param(
            "1000",
            [(date(2022, 8, 10), "300")],
            ["300"],
            "700",
            id="reading-what-is-left-goes-to-the-catch-up",
        ),
        pytest.param("0", [(date(2022, 8, 10), "300")], ["0"], "0", id="nothing-paid"),
    ],
)
def test_allocation_scenarios(paid, dues, applied, left):
    result = allocate(Decimal(paid), [(d, Decimal(a)) for d, a in dues])
    assert result.applied == tuple(Decimal(a) for a in applied)
    assert result.to_catch_up == Decimal(left)


def test_a_negative_amount_is_refused():
    with pytest.raises(InvalidInput):
        allocate(Decimal("-1"), [])
    with pytest.raises(InvalidInput):
        allocate(Decimal("1"), [(date(2022, 8, 1), Decimal("-5"))])


money = st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False, allow_infinity=False)
dues_strategy = st.lists(st.tuples(st.integers(min_value=0, max_value=200), money), max_size=8).map(
    lambda items: [(date(2022, 7, 1) + timedelta(days=d), a) for d, a in items]
)


@given(paid=money, dues=dues_strategy)
def test_allocation_spends_exactly_what_is_paid_earliest_first(paid, dues):
    result = allocate(paid, dues)
    # nothing lost, nothing made up
    assert sum(result.applied, Decimal(0)) + result.to_catch_up == paid
    assert all(Decimal(0) <= got <= amount for got, (_d, amount) in zip(result.applied, dues))
    # the catch-up gets something only once every due is paid in full
    if result.to_catch_up > 0:
        assert result.applied == tuple(amount for _d, amount in dues)
    # a due later than one not paid in full gets nothing
    for i, (due_i, amount_i) in enumerate(dues):
        if result.applied[i] < amount_i:
            assert all(
                result.applied[j] == 0 for j, (due_j, _a) in enumerate(dues) if due_j > due_i
            )


@given(paid=money, more=money, dues=dues_strategy)
def test_paying_more_never_leaves_more_due(paid, more, dues):
    less, most = allocate(paid, dues), allocate(paid + more, dues)
    assert all(a <= b for a, b in zip(less.applied, most.applied))
