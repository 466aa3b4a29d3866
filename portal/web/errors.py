"""Errors and faults turned into answers, with a request id; never a traceback.

- Friendly error pages (and JSON for the API) for every HTTP error and unexpected exception.
- A NUL character cannot be stored in PostgreSQL, and psycopg raises a bare ``ValueError`` when
  one reaches a query (a 500). Forms refuse it with a message (``portal.web.forms``); this guard
  refuses it for everything else (path segments, search boxes, hand-made requests) before the
  statement runs, on every database, with a 400.
- ``OperationalError`` (PostgreSQL restarting, a fail-over, a dropped connection; on a SQLite
  file, a job writing for longer than the request could wait) becomes a 503 with Retry-After
  instead of a 500: the request did nothing, trying again is right.
- ``StaleDataError`` (a row changed by another request between its reading and its writing)
  becomes a 409: nothing was saved, the page shows what is there now.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from flask import Flask, Response, g, jsonify, render_template, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import event
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import (
    BadRequest,
    Conflict,
    HTTPException,
    InternalServerError,
    ServiceUnavailable,
)

from portal.core.extensions import db
from portal.web import api_tokens
from portal.web.access import NotActing

RETRY_AFTER_SECONDS = 5

MESSAGES = {
    400: _l("The request could not be understood. Go back and try again."),
    403: _l("You do not have permission to see this page."),
    404: _l("Page not found. Check the address, or go back to the start."),
    405: _l("This page cannot be used that way."),
    409: _l(
        "This was changed by another request at the same moment, so nothing was saved. Open "
        "the page again to see it as it is now."
    ),
    413: _l("The upload is too large."),
    429: _l("Too many requests. Wait a minute and try again."),
    500: _l("Sorry, something went wrong on our side. Try again later."),
    503: _l(
        "The service is busy for a moment. Nothing was saved: wait a few seconds and try again."
    ),
}
TITLES = {
    400: _l("Bad request"),
    403: _l("Permission denied"),
    404: _l("Page not found"),
    405: _l("Not allowed"),
    409: _l("Not saved"),
    413: _l("Too large"),
    429: _l("Too many requests"),
    500: _l("Something went wrong"),
    503: _l("Try again in a moment"),
}


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


class DatabaseBusyWriting(DatabaseUnavailable):
    """A SQLite file (the embedded mode) whose one writer, a job, held it for longer than
    this request could wait to save something (portal/core/jobs.py)."""

    message = _l(
        "A long task (an import, a report or a file) is writing to the database, which takes "
        "one writer at a time. Nothing was saved: try again in a minute."
    )


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


def install_nul_guard(app: Flask) -> None:
    with app.app_context():
        engines: Iterable = db.engines.values()
        for engine in engines:
            if not event.contains(engine, "before_cursor_execute", refuse_nul):
                event.listen(engine, "before_cursor_execute", refuse_nul, retval=True)


def init_app(app: Flask) -> None:
    install_nul_guard(app)
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(OperationalError, handle_database_away)
    app.register_error_handler(PoolTimeout, handle_database_away)  # every connection busy
    app.register_error_handler(StaleDataError, handle_changed_meanwhile)
    app.register_error_handler(Exception, handle_unexpected_error)


def handle_http_error(error: HTTPException):
    code = error.code or 500
    original = getattr(error, "original_exception", None)  # raised after the view: the commit
    if isinstance(original, (OperationalError, PoolTimeout)):
        return handle_database_away(original)
    if _answers_problems():
        _rollback()
        return api_tokens.problem_response(
            original if isinstance(original, HTTPException) else error
        )
    if isinstance(original, HTTPException) and original.code in MESSAGES:
        return _respond(original.code, original)  # e.g. portal.web.errors refusing a NUL at commit
    if isinstance(error, NotActing):
        _rollback()
        page = render_template(
            "errors/not_acting.html", error=error, request_id=g.get("request_id", "-")
        )
        return page, error.code
    if code not in MESSAGES:
        return error
    return _respond(code, error)


def _answers_problems() -> bool:
    """The API answers RFC 9457 problem details, except /api/v1/classification, whose answers
    stay as other systems have known them."""
    return request.path.startswith("/api/") and request.endpoint != "api.classification"


def _rollback() -> None:
    try:
        db.session.rollback()
    except OperationalError:  # the connection is gone: the pool discards it
        db.session.close()


def handle_database_away(error: OperationalError | PoolTimeout):
    """Answer 503 with Retry-After, without touching the database again.

    The page must not load the signed-in user (or anything else) from the database: it is
    rendered for nobody in particular.
    """
    from flask import current_app
    from flask_login import AnonymousUserMixin

    current_app.logger.warning(
        "database unavailable (request %s): %s", g.get("request_id"), error.__class__.__name__
    )
    g._login_user = AnonymousUserMixin()
    g.acting = None
    if "database is locked" in str(getattr(error, "orig", "")):
        return _respond(503, DatabaseBusyWriting())
    return _respond(503, DatabaseUnavailable())


def handle_changed_meanwhile(error: StaleDataError):
    """Answer 409: a row changed under this request (its version moved on, another request
    deleted it). Two different requests at once, e.g. two tabs; the same form sent twice never
    gets here (``portal.web.submissions``)."""
    return _respond(409, Conflict())


def handle_unexpected_error(error: Exception):
    from flask import current_app

    current_app.logger.exception("unhandled error (request %s)", g.get("request_id"))
    return _respond(500, InternalServerError())


def _respond(code: int, error: HTTPException):
    _rollback()
    request_id = g.get("request_id", "-")
    response: Response | str
    if request.path.startswith("/api/"):
        message = getattr(error, "message", None) or MESSAGES[code]
        body = {"error": str(message), "status": code, "request_id": request_id}
        response = jsonify(body)
    else:
        response = render_template(
            "errors/error.html",
            code=code,
            title=TITLES[code],
            message=getattr(error, "message", None) or MESSAGES[code],
            request_id=request_id,
        )
    headers = error.get_headers() if hasattr(error, "get_headers") else []
    extra = [(k, v) for k, v in headers if k.lower() not in {"content-type", "content-length"}]
    return response, code, extra
