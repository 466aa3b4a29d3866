"""A list read a page at a time, newest first, without counting the rows.

A page fetches one row more than it shows: that row tells whether an older page exists, so
the page costs one statement whatever the length of the list (the employer home page runs it
on every visit).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select

from portal.core.rows import plain_rows
from portal.util import numbers

#: The most pages a pager goes back; page numbers beyond it are the last page a link reaches.
MAX_PAGE = 10_000


@dataclass(frozen=True)
class Page:
    items: Sequence[Any]
    number: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1


def page_number(args: Mapping[str, str]) -> int:
    """The page asked for in the query string (``page``), 1 when missing or not a page."""
    number = numbers.parse_id(args.get("page"))
    return min(number, MAX_PAGE) if number else 1


def fetch_page(statement: Select, params: Mapping[str, Any], number: int, per_page: int) -> Page:
    """Run ``statement`` (ordered, with ``limit`` and ``offset`` bind parameters) for one page:
    plain rows of the columns it selects."""
    rows = plain_rows(statement, **params, limit=per_page + 1, offset=(number - 1) * per_page)
    return Page(rows[:per_page], number, len(rows) > per_page)
