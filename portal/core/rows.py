"""Plain rows read on the request's connection, for the statements every page runs.

A statement that selects columns (not whole ORM objects) gains nothing from the ORM's
per-statement bookkeeping, which costs about as much as the read itself on a small page
(bench/bench_pages.py, bench/profile_pages.py). Pages build such statements once, at import,
with ``bindparam()`` for their values, and run them here.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Executable, Row

from portal.core.extensions import db


def plain_rows(statement: Executable, **values: Any) -> list[Row]:
    """The rows of ``statement`` with ``values`` bound, after flushing what this request
    added (it is part of what the request reads)."""
    db.session.flush()
    return list(db.session.connection().execute(statement, values))
