"""The catch-up reminders' milestones (DOMAIN §7.8): 30, 7 and 1 days before the deadline, as
each policy file names them, and the first day a late fee is charged."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.rules import deferral_period, load_program
from portal.rules.reminders import catch_up_milestones, due_milestone, first_late_fee_day


@pytest.mark.parametrize(
    ("program_id", "kwargs", "expected"),
    [
        (
            "shandong-2022",
            {},
            # 鲁医保发〔2022〕21号 二: deadline 2022-10-31; the fee counts from 2022-10-01 but is
            # charged only on what is unpaid at the deadline.
            [
                ("d30", date(2022, 10, 1)),
                ("d7", date(2022, 10, 24)),
                ("d1", date(2022, 10, 30)),
                ("late_fee", date(2022, 11, 1)),
            ],
        ),
        (
            "inner-mongolia-2022",
            {},
            # 内医保办发〔2022〕19号 二: by 2023-06-30, late fee from 2023-07-01.
            [
                ("d30", date(2023, 5, 31)),
                ("d7", date(2023, 6, 23)),
                ("d1", date(2023, 6, 29)),
                ("late_fee", date(2023, 7, 1)),
            ],
        ),
        (
            "liaocheng-2022",
            {"chosen_start": "2022-08"},
            [
                ("d30", date(2022, 10, 31)),
                ("d7", date(2022, 11, 23)),
                ("d1", date(2022, 11, 29)),
                ("late_fee", date(2022, 12, 1)),
            ],
        ),
    ],
)
def test_milestones_follow_the_policy_files(program_id, kwargs, expected):
    period = deferral_period(program_id, **kwargs)
    assert [(m.key, m.on) for m in catch_up_milestones(period)] == expected
    days = load_program(program_id).readings["reminder_days_before_deadline"].value
    assert [m.days_before for m in catch_up_milestones(period)][:-1] == list(days)


@given(st.dates(min_value=date(2022, 6, 1), max_value=date(2024, 12, 31)))
def test_the_latest_milestone_passed_is_the_one_due(on):
    period = deferral_period("shandong-2022")
    due = due_milestone(period, on)
    passed = [m for m in catch_up_milestones(period) if m.on <= on]
    assert due == (passed[-1] if passed else None)
    if due is not None and due.key != "late_fee":
        assert on < first_late_fee_day(period)
    assert due_milestone(period, period.reminder_dates[0] - timedelta(days=1)) is None
