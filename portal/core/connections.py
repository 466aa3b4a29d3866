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
(tests/hostile/test_live_faults.py). SQLite files cannot drop a connection: not installed
there; a SQLite file (the embedded mode of ``make run``) is put in write-ahead-log mode
instead (``write_ahead_log``).
"""

from __future__ import annotations

import logging
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
            elif is_sqlite_file(engine) and not event.contains(engine, "connect", write_ahead_log):
                event.listen(engine, "connect", write_ahead_log)


def is_sqlite_file(engine: Engine) -> bool:
    """A SQLite database in a file (not the tests' in-memory one)."""
    return engine.dialect.name == "sqlite" and engine.url.database not in (None, "", ":memory:")


#: The write-ahead log is cut back to this size when checkpointed (after a large import).
WAL_SIZE_LIMIT = 64 * 1024 * 1024


def write_ahead_log(dbapi_connection, record) -> None:
    """A SQLite file in write-ahead-log mode: pages read on while a job writes.

    In SQLite's default rollback journal a long write transaction (an import's apply) ends up
    holding the lock that keeps every reader out: once its changes outgrow the page cache it
    spills them into the file, and readers wait until its commit, then answer 503
    (bench/bench_jobs.py: 5 of 81 polls of the job's page). In WAL readers never wait for the
    writer; writers still take turns. A job begins its transaction with ``BEGIN IMMEDIATE``
    (portal/core/jobs.py), so nothing commits between its reading and its writing (in WAL
    that would refuse its write: SQLITE_BUSY_SNAPSHOT). The mode is kept in the file once set:
    a copy of the database takes its ``-wal`` file too, or is made with
    ``sqlite3 portal.sqlite ".backup copy.sqlite"``.
    """
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA journal_size_limit={WAL_SIZE_LIMIT}")
    except Exception as error:  # noqa: BLE001 - locked at this moment: the next connection sets it
        logging.getLogger(__name__).debug("journal mode not changed: %s", error)
    finally:
        cursor.close()


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
