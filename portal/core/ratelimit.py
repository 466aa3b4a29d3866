"""Per-client rate limits counted in the database, so they hold across every worker and machine."""

from __future__ import annotations

from flask import current_app, request
from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from werkzeug.exceptions import TooManyRequests

from portal.core.extensions import db
from portal.models import RateLimitWindow
from portal.util import clock


def _clock() -> float:
    """Seconds since the epoch by the portal clock (a seam for tests that must stay inside one
    window)."""
    return clock.timestamp()


def hit(key: str, *, now: float | None = None) -> int:
    """Count one request for ``key`` in the current one-minute window; return the count so far.

    Runs in its own short transaction: a refused request still counts, and the count is
    visible to other workers at once.
    """
    window = int((_clock() if now is None else now) // 60)
    insert = pg_insert if db.engine.dialect.name == "postgresql" else sqlite_insert
    table = RateLimitWindow.__table__
    statement = (
        insert(table)
        .values(key=key, window_start=window, count=1)
        .on_conflict_do_update(
            index_elements=[table.c.key, table.c.window_start],
            set_={"count": table.c.count + 1},
        )
        .returning(table.c.count)
    )
    with db.engine.begin() as conn:
        count = conn.execute(statement).scalar_one()
        if count == 1:
            # First hit of a window: drop windows older than a few minutes, and windows ahead
            # of this one, left when the clock went back (a demonstration's date starts over at
            # midnight), which the same time tomorrow would otherwise count on from.
            stale = (table.c.window_start < window - 5) | (table.c.window_start > window)
            conn.execute(delete(table).where(stale))
    return count


class TooManyAttempts(TooManyRequests):
    """429 with words for the page (``portal.web.errors`` shows ``message``)."""

    def __init__(self, message: object, retry_after: int) -> None:
        super().__init__(retry_after=retry_after)
        self.message = message


def enforce(scope: str, limit_setting: str, *, message: object = None) -> None:
    """Abort with 429 (and Retry-After) when this client went over the limit this minute.

    ``message`` says on the error page what was refused (the general words otherwise).

    :raise 429: over the limit named by the config key ``limit_setting``.
    """
    limit = int(current_app.config[limit_setting])
    client = request.remote_addr or "unknown"
    if hit(f"{scope}:{client}") > limit:
        retry_after = 60 - int(_clock()) % 60
        raise TooManyAttempts(message, retry_after=retry_after)
