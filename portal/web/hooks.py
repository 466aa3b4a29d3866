"""Per-request plumbing: request id, session expiry, one commit per request (and the work to do
once it has committed), security headers."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Generator
from contextlib import closing

from flask import (
    Flask,
    Response,
    current_app,
    flash,
    g,
    has_request_context,
    make_response,
    redirect,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, logout_user
from sqlalchemy import event
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.wrappers import Response as BaseResponse

from portal.core import jobs
from portal.core.extensions import db
from portal.core.writes import note_write, request_is_read_only
from portal.util import clock
from portal.web import errors, submissions
from portal.web.errors import UnstorableText

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)


SEEN_AT_RESOLUTION = 60  # seconds


def init_app(app: Flask) -> None:
    from portal.core import connections

    connections.init_app(app)
    with app.app_context():
        for engine in db.engines.values():
            if not event.contains(engine, "before_cursor_execute", note_write):
                event.listen(engine, "before_cursor_execute", note_write)
    app.before_request(assign_request_id)
    app.before_request(expire_idle_sessions)
    app.after_request(commit_or_rollback)
    app.after_request(add_security_headers)
    app.teardown_request(run_after_commit)
    if app.config.get("PROXY_HOPS"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["PROXY_HOPS"]
        # Flask's documented way to add WSGI middleware; its types declare wsgi_app a method.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops
        )


def assign_request_id() -> None:
    g.request_id = secrets.token_hex(8)


def expire_idle_sessions() -> BaseResponse | None:
    """End a session after 30 minutes idle or 12 hours in all. Not on the API: other systems
    send a token, never a session, and are never sent to the sign-in page."""
    if request.blueprint == "api" or not current_user.is_authenticated:
        return None
    now = int(clock.timestamp())
    idle_limit = current_app.config["SESSION_IDLE_MINUTES"] * 60
    absolute_limit = current_app.config["SESSION_ABSOLUTE_HOURS"] * 3600
    seen_at = session.get("seen_at", 0)
    login_at = session.get("login_at", 0)
    # A session begun more than a minute "after" now is from a clock that went back: a
    # demonstration's date starts over at midnight in China (portal.util.clock). It ends too.
    went_back = login_at - now > SEEN_AT_RESOLUTION
    if went_back or now - seen_at > idle_limit or now - login_at > absolute_limit:
        logout_user()
        session.clear()
        if request.endpoint == "static":
            return None
        flash(_("Your session has ended. Please sign in again."), "info")
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    if now - seen_at >= SEEN_AT_RESOLUTION:
        # Rewriting the cookie on every request costs a signature each time; a minute's
        # precision is plenty for a 30-minute idle limit.
        session["seen_at"] = now
    return None


def commit_or_rollback(response: Response) -> Response:
    """Commit once, at the end of a request that succeeded; roll back otherwise.

    A page that only read (``request_is_read_only``: most pages) has nothing to commit: its
    session is closed here, which ends the read transaction (committing it anyway cost about a
    tenth of a small page, bench/bench_pages.py). Closed here, not left to the end of the app
    context: a database gone away since the reads fails that ROLLBACK, and from the teardown
    it would be a 500; here the pool discards the connection and the page, read in full, is
    answered.

    A commit that fails because the database went away (a restart, a fail-over: the connection
    is cut between the view and its commit) is the same 503 as anywhere else, and a NUL met
    only by the commit's flush the same 400, and a row changed meanwhile by another request
    (``StaleDataError``) the same 409. Raised from here, any of them would reach Flask's
    ``handle_exception``, which answers through the error handlers too but first logs an
    unhandled exception with its traceback, as for a 500.

    A form's key is kept with its answer, or freed, in the same transaction
    (``portal.web.submissions.settle``): the change and its answer commit together.
    """
    if response.status_code >= 400:
        db.session.rollback()
        return response
    if request_is_read_only():
        try:
            db.session.close()
        except (OperationalError, PoolTimeout) as error:
            current_app.logger.warning("database gone after a read-only request: %s", error)
        g.has_committed = True  # nothing written: nothing lost
        return response
    try:
        if not submissions.settle(response):  # a repeat answered from the first: nothing done
            db.session.rollback()
            return response
        db.session.commit()
    except (OperationalError, PoolTimeout) as error:
        answer = errors.handle_database_away(error)
    except UnstorableText as error:
        answer = errors.handle_http_error(error)
    except StaleDataError as error:  # a row changed under it by another request: 409
        answer = errors.handle_changed_meanwhile(error)
    else:
        g.has_committed = True
        return response
    return add_security_headers(make_response(answer))  # it ran on the response replaced


def after_commit(work: Callable[[], Generator[object, None, None]]) -> None:
    """Do ``work()`` once this request has committed, in transactions of its own: a commit
    after each step it yields (e.g. a batch of messages sent, portal/features/reminders/
    outbox.py). Not done when the request rolls back; outside a request, not at all (the
    command that calls it commits its own work)."""
    if has_request_context():
        g.setdefault("after_commit", []).append(work)


def run_after_commit(_error: BaseException | None = None) -> None:
    """Teardown: do the work ``after_commit`` asked for, if the request committed.

    The response is made by now: a step that fails is rolled back and logged, and what it was
    for waits for its next chance (the daily run sends what a page did not).
    """
    works = g.pop("after_commit", None)
    has_committed = g.pop("has_committed", False)
    if not has_committed:
        g.pop("after_commit_jobs", None)
        return
    jobs.run_started_jobs()  # the jobs this request started (portal/core/jobs.py)
    if not works:
        return
    for work in works:
        try:
            with closing(work()) as steps:
                for _step in steps:
                    db.session.commit()
        except Exception:  # noqa: BLE001 - the response is made: log, do not raise
            db.session.rollback()
            current_app.logger.exception("the work after a request's commit failed")


def add_security_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CSP)
    headers["X-Content-Type-Options"] = "nosniff"
    headers["X-Frame-Options"] = "DENY"
    headers["Referrer-Policy"] = "same-origin"
    headers["Cross-Origin-Opener-Policy"] = "same-origin"
    headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
    if request.is_secure:
        headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    if getattr(g, "request_id", None):
        headers["X-Request-Id"] = g.request_id
    if current_user and current_user.is_authenticated:
        headers["Cache-Control"] = "no-store"
    return response
