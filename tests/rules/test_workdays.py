"""Working days: holidays.China with 调休 make-up days; the review clock; range errors."""

from __future__ import annotations

from datetime import date

import pytest

from portal import rules


@pytest.mark.parametrize(
    ("submitted", "due"),
    [
        (date(2022, 8, 1), date(2022, 8, 4)),  # Monday -> Thursday
        (date(2022, 8, 5), date(2022, 8, 10)),  # Friday -> Wednesday
        (date(2022, 9, 29), date(2022, 10, 9)),  # National Day; 10-08 and 10-09 are make-up days
        (date(2022, 9, 30), date(2022, 10, 10)),
        (date(2022, 9, 8), date(2022, 9, 14)),  # Mid-Autumn 09-10 (Sat) observed Monday 09-12
        (date(2022, 10, 1), date(2022, 10, 10)),  # submitted on a holiday
    ],
)
def test_review_due_date(submitted: date, due: date) -> None:
    assert rules.review_due_date(submitted) == due


def test_make_up_working_day_counts() -> None:
    assert rules.is_working_day(date(2022, 10, 8))  # Saturday 调休
    assert not rules.is_working_day(date(2022, 10, 3))  # National Day
    assert not rules.is_working_day(date(2022, 8, 6))  # ordinary Saturday


def test_outside_the_covered_range_fails_loudly() -> None:
    with pytest.raises(rules.CalendarRangeError, match="working_days.yaml"):
        rules.review_due_date(date(2026, 12, 30))
    with pytest.raises(rules.CalendarRangeError):
        rules.is_working_day(date(2019, 12, 31))


def test_add_working_days_refuses_negative() -> None:
    with pytest.raises(rules.InvalidInput):
        rules.add_working_days(date(2022, 8, 1), -1)
