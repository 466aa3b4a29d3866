"""Whether this request has written to the database: a read-only page ends its read
transaction instead of committing (portal/web/hooks.py), and only a read-only page may keep
what it read (portal/facts/cache.py)."""

from __future__ import annotations

from flask import g, has_request_context, request

from portal.core.extensions import db


def note_write(conn, cursor, statement: str, parameters, context, executemany) -> None:
    """A ``before_cursor_execute`` listener: note that this request ran a statement other than
    a SELECT (an INSERT, UPDATE, DELETE, COPY, SAVEPOINT...), so that it commits."""
    if not statement.lstrip()[:6].upper() == "SELECT" and has_request_context():
        g.database_written = True


def request_is_read_only() -> bool:
    """A GET or HEAD that has written nothing to the database so far (only SELECTs ran) and
    has no object waiting to be flushed. A form (POST) is never read-only: it may write past
    the ORM and the listener (an import's COPY runs on the driver's own cursor)."""
    if request.method not in ("GET", "HEAD") or g.get("database_written"):
        return False
    session_ = db.session()
    return not (session_.new or session_.dirty or session_.deleted)
