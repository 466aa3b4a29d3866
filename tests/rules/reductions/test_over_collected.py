"""Over-collection of a month billed at the old rate: one rounding, in ``over_collected`` and in
``rate_table`` alike (锡医保服务〔2020〕11号 三（四）; 鲁医保发〔2020〕23号 四)."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from portal import rules


def test_wuxi_february_over_collected_adds_up_to_what_was_billed() -> None:
    """Issue 28 item 6: 12,345.67 at 8 % billed 987.65; due at 4 % is 493.83, so 493.82 is
    over-collected (it said 493.83, and 493.83 + 493.83 = 987.66 was more than was billed)."""
    base = Decimal("12345.67")
    over = rules.over_collected("wuxi-2020", month="2020-02", contribution_base=base)
    assert (over.collected_amount, over.due_amount, over.over_collected) == (
        Decimal("987.65"),
        Decimal("493.83"),
        Decimal("493.82"),
    )
    table = rules.rate_table(
        "wuxi-2020",
        unit_kind="enterprise",
        months=[rules.MonthFact("2020-02", base, Decimal("987.65"))],
    )
    assert table.rows[1].over_collected == over.over_collected


@given(
    base=st.decimals(min_value=0, max_value=10**7, places=2),
    program=st.sampled_from(["linyi-2020", "wuxi-2020"]),
    month=st.sampled_from(["2020-02", "2020-03", "2020-06"]),
)
def test_due_plus_over_collected_is_what_was_billed(
    base: Decimal, program: str, month: str
) -> None:
    over = rules.over_collected(program, month=month, contribution_base=base)
    assert over.due_amount + over.over_collected == over.collected_amount
    table = rules.rate_table(
        program,
        unit_kind="enterprise",
        months=[rules.MonthFact(month, base, over.collected_amount)],
    )
    row = next(r for r in table.rows if r.month == month)
    assert row.over_collected == over.over_collected
    assert row.due_at_reduced == over.due_amount
