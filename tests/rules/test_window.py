"""The decision window (DOMAIN §7.2 reading): open while a period the employer may take is open."""

from __future__ import annotations

from datetime import date

from portal.rules import check_eligibility


def _codes(program_id: str, on: date, **kw) -> set[str]:
    result = check_eligibility(program_id, unit_kind="enterprise", size="small", on=on, **kw)
    return {code for code, _ in result.reasons}


def test_liaocheng_stays_open_while_the_later_period_can_be_chosen():
    # 聊医保发〔2022〕39号 一: the employer chooses 7-9 or 8-10; 8-10 can be taken until 08-31.
    assert "window_closed" not in _codes("liaocheng-2022", date(2022, 8, 15))
    assert "window_closed" in _codes("liaocheng-2022", date(2022, 9, 1))


def test_a_chosen_period_closes_with_its_own_first_month():
    assert "window_closed" in _codes("liaocheng-2022", date(2022, 8, 15), chosen_start="2022-07")


def test_shandong_closes_with_july_unless_july_was_paid():
    assert "window_closed" in _codes("shandong-2022", date(2022, 8, 15))
    assert "window_closed" not in _codes("shandong-2022", date(2022, 8, 15), july_paid=True)
