"""Faults turned into answers: text the database cannot store, and a database that is away.

- A NUL character cannot be stored in PostgreSQL, and psycopg raises a bare ``ValueError`` when
  one reaches a query (a 500). Forms refuse it with a message (``portal.forms``); this guard
  refuses it for everything else (path segments, search boxes, hand-made requests) before the
  statement runs, on every database, with a 400.
- ``OperationalError`` (PostgreSQL restarting, a fail-over, a dropped connection) becomes a
  503 with Retry-After instead of a 500: the request did nothing, trying again is right.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from flask import Flask
from flask_babel import lazy_gettext as _l
from sqlalchemy import event
from werkzeug.exceptions import BadRequest, ServiceUnavailable

from portal.extensions import db

RETRY_AFTER_SECONDS = 5


class UnstorableText(BadRequest):
    """A request carried a NUL character towards the database."""

    message = _l(
        "The request holds a character that cannot be kept (a NUL, often from a copied "
        "file). Remove it and try again."
    )


class DatabaseUnavailable(ServiceUnavailable):
    """The database did not answer: nothing was done, try again in a moment."""

    def __init__(self) -> None:
        super().__init__(retry_after=RETRY_AFTER_SECONDS)


def _has_nul(parameters: object) -> bool:
    if isinstance(parameters, str):
        return "\x00" in parameters
    if isinstance(parameters, Mapping):
        return any(_has_nul(value) for value in parameters.values())
    if isinstance(parameters, (list, tuple)):  # positional values, or executemany's rows
        return any(_has_nul(value) for value in parameters)
    return False


def refuse_nul(conn, cursor, statement, parameters, context, executemany):
    """A ``before_cursor_execute`` listener: no text value with a NUL reaches the database."""
    if parameters and _has_nul(parameters):
        raise UnstorableText()
    return statement, parameters


def init_app(app: Flask) -> None:
    with app.app_context():
        engines: Iterable = db.engines.values()
        for engine in engines:
            if not event.contains(engine, "before_cursor_execute", refuse_nul):
                event.listen(engine, "before_cursor_execute", refuse_nul, retval=True)
