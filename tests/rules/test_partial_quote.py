"""A quote over the months assessed so far (issue 28 item 11): the months known, the others
named, the period's deadline kept (鲁医保发〔2022〕21号 二)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from portal import rules

MONTHS = ["2022-07", "2022-08", "2022-09"]


@given(
    known=st.dictionaries(
        st.sampled_from(MONTHS), st.decimals(min_value=0, max_value=10**6, places=2)
    ),
    program=st.sampled_from(["shandong-2022", "liaocheng-2022", "jiangsu-2022"]),
)
def test_a_partial_quote_covers_the_months_known_and_names_the_others(
    known: dict[str, Decimal], program: str
) -> None:
    quote = rules.catchup_quote(
        program, monthly_unit_amount=known, as_of=date(2022, 8, 15), partial=True
    )
    full = rules.catchup_quote(program, monthly_unit_amount=Decimal(0), as_of=date(2022, 8, 15))
    assert quote.deferred_total == rules.to_fen(sum(known.values(), Decimal(0)))
    assert sorted([*quote.month_amounts, *quote.not_assessed]) == MONTHS
    assert quote.is_complete == (set(known) == set(MONTHS))
    assert (quote.deadline, quote.late_fee_from) == (full.deadline, full.late_fee_from)
