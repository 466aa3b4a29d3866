"""Mainland-China working days: holidays.China plus an override table, within a covered range."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import holidays

from ._schema import Node, as_bool, as_date, as_positive_int, read_yaml
from .errors import CalendarRangeError, InvalidInput
from .policy import DATA_DIR


@dataclass(frozen=True)
class WorkingCalendar:
    first_year: int
    last_year: int
    holidays: frozenset[date]
    make_up_workdays: frozenset[date]
    overrides: dict[date, bool]

    def is_working_day(self, day: date) -> bool:
        if not self.first_year <= day.year <= self.last_year:
            raise CalendarRangeError(
                f"{day.isoformat()} is outside the working-day calendar "
                f"({self.first_year}-{self.last_year}); add the year's holiday notice to "
                f"working_days.yaml first.",
                field="date",
            )
        if day in self.overrides:
            return self.overrides[day]
        if day in self.make_up_workdays:
            return True
        if day in self.holidays:
            return False
        return day.weekday() < 5


def parse_working_days(path: Path) -> WorkingCalendar:
    """Load the covered range and overrides, and build the calendar."""
    root = Node(path.name, read_yaml(path))
    root.only({"source", "covered_years", "overrides"})
    if root.text("source") != "holidays.China":
        raise root.error("only holidays.China is supported", "source")
    years = root.child("covered_years")
    years.only({"first", "last"})
    first = years.param("first", as_positive_int).value
    last = years.param("last", as_positive_int).value
    if last < first:
        raise years.error("the last year is before the first", "last")
    overrides: dict[date, bool] = {}
    for node in root.children("overrides"):
        node.only({"date", "working", "ref", "explanation"})
        node.text("ref")
        overrides[node.value("date", as_date)] = node.value("working", as_bool)
    # holidays.China itself, through the typed entry point (China's __init__ is unannotated).
    calendar = holidays.country_holidays("CN", years=range(first, last + 1))
    return WorkingCalendar(
        first, last, frozenset(calendar), frozenset(calendar.weekend_workdays), overrides
    )


@functools.cache
def working_calendar() -> WorkingCalendar:
    return parse_working_days(DATA_DIR / "working_days.yaml")


def is_working_day(day: date) -> bool:
    """Whether ``day`` is a mainland-China working day (调休 make-up days count)."""
    return working_calendar().is_working_day(day)


def add_working_days(start: date, count: int) -> date:
    """The ``count``-th working day after ``start`` (``start`` itself is not counted)."""
    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
        raise InvalidInput(
            f"working days must be a whole number of 0 or more, not {count!r}", field="working_days"
        )
    calendar = working_calendar()
    calendar.is_working_day(start)  # fail loudly on a start outside the covered range
    day = start
    remaining = count
    while remaining:
        day += timedelta(days=1)
        if calendar.is_working_day(day):
            remaining -= 1
    return day


def review_due_date(submitted_on: date, working_days: int = 3) -> date:
    """The last day of the review: the ``working_days``-th working day after submission."""
    return add_working_days(submitted_on, working_days)
