"""PostgreSQL connections that may have been dropped: tested when they come out of the pool
after standing unused, not on every request.

A pooled connection can be cut under a worker (a restart, a fail-over, a firewall's idle
timeout). SQLAlchemy's ``pool_pre_ping`` tests every connection it hands out with a round trip
to the database: on a busy worker that is one statement more on every page, each page's
connection having been in use a millisecond before (bench/bench_pages.py: about a twentieth of
a page on PostgreSQL). Here only a connection that stood unused for longer than
``DATABASE_PING_AFTER_IDLE_SECONDS`` is tested, the case of a database restarted while the
site was quiet; a dead one is replaced before the request sees it.

A connection cut while the site is busy is found by the request that uses it: its statement
fails, that page is a 503 with Retry-After (portal.web.errors, like any page while the database is
away), and SQLAlchemy then retires every connection the pool opened before (it treats a
disconnect as the whole database's), so each worker shows at most one such page
(tests/hostile/test_live_faults.py). SQLite files cannot drop a connection: not installed there.
"""

from __future__ import annotations

import time
import weakref

from flask import Flask
from sqlalchemy import Engine, event
from sqlalchemy.exc import DisconnectionError

from portal.core.extensions import db

RETURNED_AT = "portal.returned_at"  # in each pooled connection's record.info
_watched: weakref.WeakSet[Engine] = weakref.WeakSet()


def init_app(app: Flask) -> None:
    seconds = float(app.config.get("DATABASE_PING_AFTER_IDLE_SECONDS", 2.0))
    with app.app_context():
        for engine in db.engines.values():
            if engine.dialect.name == "postgresql":
                watch(engine, seconds)


def watch(engine: Engine, seconds: float) -> None:
    """Ping ``engine``'s connections that come out of the pool after ``seconds`` unused."""
    if engine in _watched:
        return
    _watched.add(engine)

    @event.listens_for(engine, "connect")
    def note_opened(dbapi_connection, record) -> None:
        record.info[RETURNED_AT] = time.monotonic()  # just opened: known to work

    @event.listens_for(engine, "checkin")
    def note_returned(dbapi_connection, record) -> None:
        record.info[RETURNED_AT] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def ping_if_idle(dbapi_connection, record, proxy) -> None:
        returned_at = record.info.get(RETURNED_AT)
        if returned_at is not None and time.monotonic() - returned_at <= seconds:
            return  # in use a moment ago: its next statement will tell
        try:
            cursor = dbapi_connection.cursor()
            try:
                cursor.execute("SELECT 1")
            finally:
                cursor.close()
            dbapi_connection.rollback()  # the SELECT began a transaction: end it
        except Exception as error:  # noqa: BLE001 - any failure: take a fresh connection
            raise DisconnectionError(f"a pooled connection failed its ping: {error}") from error
