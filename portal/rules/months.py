"""Contribution months ("YYYY-MM") and the dates around them."""

from __future__ import annotations

import calendar
from datetime import date

from ._schema import MONTH_RE as MONTH_RE  # the pattern of a month, for callers too
from .errors import InvalidInput


def check_month(text: object, field: str = "month") -> str:
    """Return ``text`` if it is a month "YYYY-MM", else raise InvalidInput."""
    if not isinstance(text, str) or not MONTH_RE.match(text.strip()):
        raise InvalidInput(
            f"{field}: write the month as YYYY-MM (e.g. 2022-07), not {text!r}",
            code="bad_month",
            field=field,
        )
    return text.strip()


def add_months(month: str, count: int) -> str:
    year, mon = int(month[:4]), int(month[5:7])
    index = year * 12 + mon - 1 + count
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def month_span(start: str, end: str) -> list[str]:
    """Every month from ``start`` through ``end`` inclusive."""
    months = []
    current = start
    while current <= end:
        months.append(current)
        current = add_months(current, 1)
    return months


def first_day(month: str) -> date:
    return date(int(month[:4]), int(month[5:7]), 1)


def last_day(month: str) -> date:
    year, mon = int(month[:4]), int(month[5:7])
    return date(year, mon, calendar.monthrange(year, mon)[1])


def month_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"
