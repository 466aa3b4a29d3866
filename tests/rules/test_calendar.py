"""The agency's calendar (portal/rules/calendar.py): which monthly duties fall due on a day, for
which month, by which day, as the policy files say."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.rules import load_program, program_ids
from portal.rules.calendar import dues_on
from portal.rules.months import add_months, month_of

JIANGSU = load_program("jiangsu-2022")
INNER_MONGOLIA = load_program("inner-mongolia-2022")
JS, IM = JIANGSU, INNER_MONGOLIA
SUMMARY, SHARE = "monthly_summary", "tax_list_monthly"


@pytest.mark.parametrize(
    ("program", "on", "expected", "clause"),
    [
        # due, for the month before, before the 5th of 2022-08..2023-01
        (JS, date(2022, 8, 3), [(SUMMARY, "2022-07", date(2022, 8, 5))], "苏 三（五）"),
        (JS, date(2022, 8, 5), [(SUMMARY, "2022-07", date(2022, 8, 5))], "苏 三（五）"),
        (JS, date(2022, 8, 6), [(SUMMARY, "2022-07", date(2022, 8, 5))], "苏 三（五）"),
        (JS, date(2023, 1, 31), [(SUMMARY, "2022-12", date(2023, 1, 5))], "苏 三（五）"),
        (JS, date(2023, 2, 3), [], "苏 三（五）: 2022年8月至2023年1月"),
        (JS, date(2022, 7, 31), [], "苏 三（五）: 2022年8月至2023年1月"),
        # last month's 缓缴清单 on the 1st
        (IM, date(2022, 9, 1), [(SHARE, "2022-08", date(2022, 9, 1))], "内19 五 2"),
        (IM, date(2022, 8, 1), [(SHARE, "2022-07", date(2022, 8, 1))], "内19 五 2"),
        (IM, date(2023, 7, 1), [(SHARE, "2023-06", date(2023, 7, 1))], "内19 五 2 reading"),
        (IM, date(2023, 8, 1), [], "内19 五 2 (reading: to the catch-up)"),
        (load_program("shandong-2022"), date(2022, 8, 3), [], "鲁21 六: no day set"),
    ],
)  # fmt: skip
def test_the_calendar_on_given_days(program, on, expected, clause):
    dues = dues_on([program], on)
    assert [(d.duty, d.month, d.due_on) for d in dues] == expected, clause
    for due in dues:
        assert due.program_id == program.id and due.ref
        assert due.is_late(on) == (on > due.due_on)


def test_the_day_and_months_come_from_the_policy_files():
    duty = JIANGSU.duties["monthly_summary"]
    assert (duty.by_day_of_month.value, duty.first_month.value, duty.last_month.value) == (
        5,
        "2022-08",
        "2023-01",
    )
    assert "三（五）" in duty.by_day_of_month.ref
    assert INNER_MONGOLIA.duties["tax_list_monthly"].by_day_of_month.value == 1


DAYS = st.dates(min_value=date(2020, 1, 1), max_value=date(2025, 12, 31))
PROGRAMS = [load_program(p) for p in program_ids()]


@given(DAYS)
def test_every_due_falls_in_the_days_month_for_the_month_before(on):
    for due in dues_on(PROGRAMS, on):
        assert month_of(due.due_on) == month_of(on)
        assert due.month == add_months(month_of(on), -1)
        duty = load_program(due.program_id).duties[due.duty]
        assert duty.first_month.value <= month_of(on) <= duty.last_month.value
        assert due.due_on.day == duty.by_day_of_month.value


@given(DAYS)
def test_each_duty_in_range_falls_due_once_a_month_soonest_first(on):
    dues = dues_on([*PROGRAMS, JIANGSU], on)  # a program given twice counts once
    expected = {
        (p.id, d.key)
        for p in PROGRAMS
        for d in p.duties.values()
        if d.first_month.value <= month_of(on) <= d.last_month.value
    }
    assert sorted((d.program_id, d.duty) for d in dues) == sorted(expected)
    assert [d.due_on for d in dues] == sorted(d.due_on for d in dues)


@given(DAYS)
def test_every_day_of_a_month_shows_the_same_dues(on):
    """A month's duties show from its first day to its last: nothing appears or goes mid-month."""
    start = on.replace(day=1)
    keyed = [(d.duty, d.month, d.due_on) for d in dues_on(PROGRAMS, on)]
    assert keyed == [(d.duty, d.month, d.due_on) for d in dues_on(PROGRAMS, start)]
