"""How another system is let into /api/v1 (issue 25): a bearer token an administrator issued to
a named client (``portal.models.ApiClient``), looked up by its SHA-256, scoped to endpoints
(``scopes``) and to reading or writing, expiring, revocable, limited per token per minute
(``portal.core.ratelimit``, counted in the database), and every call recorded (``record_call``:
one audit row, in a transaction of its own, so that a refused call is recorded too).

Errors are RFC 9457 problem details (``Problem``; ``problem_response``): 401 for a token missing,
unknown, expired or revoked, 403 for a token without the scope.

The sessions and CSRF of the pages play no part here: a request is its token, and no endpoint
reads a cookie.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from flask import current_app, g, jsonify, request
from sqlalchemy import select
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from portal.core import ratelimit
from portal.core.extensions import db
from portal.models import ApiClient, AuditEntry
from portal.util import clock

#: The endpoints a token may be scoped to (``ApiClient.scopes``), by their permission name.
SCOPES = ("tax-list", "standing", "collections")
#: Scopes whose endpoints write: a token holding one needs ``can_write``.
WRITING_SCOPES = frozenset({"collections"})
#: Methods that only read: a token without ``can_write`` may use only these.
READING = frozenset({"GET", "HEAD", "OPTIONS"})
PROBLEM_MIMETYPE = "application/problem+json"
#: The type of every problem the portal names itself (RFC 9457 3.1.1: a URI reference).
PROBLEM_TYPE = "/api/v1/openapi.json#problem-"
#: A token is ``secrets.token_urlsafe(TOKEN_BYTES)``: 43 characters.
TOKEN_BYTES = 32
MAX_TOKEN_LENGTH = 200


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Problem(HTTPException):
    """An RFC 9457 problem: ``slug`` names its type; ``errors`` the bad items, each
    ``{"name": ..., "detail": ...}``."""

    def __init__(
        self,
        status: int,
        slug: str,
        title: str,
        detail: str,
        *,
        errors: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.code = status
        self.slug = slug
        self.title = title
        self.detail = detail
        self.errors = errors
        self.extra_headers = headers or {}


def bad_parameter(name: str, detail: str) -> Problem:
    return Problem(
        400,
        "invalid-parameters",
        "Invalid parameters",
        f"{name}: {detail}",
        errors=[{"name": name, "detail": detail}],
    )


def problem_response(error: HTTPException) -> Response:
    """The problem details of ``error``: a ``Problem`` as it is, any other HTTP error as
    ``about:blank`` with its status's phrase (a 404, a 405, a 429 from the rate limit)."""
    if isinstance(error, Problem):
        body: dict[str, Any] = {
            "type": PROBLEM_TYPE + error.slug,
            "title": error.title,
            "status": error.code,
            "detail": error.detail,
        }
        if error.errors:
            body["errors"] = error.errors
        headers = dict(error.extra_headers)
    else:
        code = error.code or 500
        body = {
            "type": "about:blank",
            "title": error.name,
            "status": code,
            "detail": _plain_detail(error),
        }
        headers = {k: v for k, v in error.get_headers() if k.lower() == "retry-after"}
    body["instance"] = request.path
    body["request_id"] = g.get("request_id", "-")
    response = jsonify(body)
    response.status_code = int(body["status"])
    response.mimetype = PROBLEM_MIMETYPE
    response.headers.update(headers)
    return response


def _plain_detail(error: HTTPException) -> str:
    message = getattr(error, "message", None)
    if message is not None:
        return str(message)
    return str(error.description or error.name)


def _unauthorized(slug: str, detail: str) -> Problem:
    return Problem(
        401,
        slug,
        "Token required",
        detail,
        headers={"WWW-Authenticate": 'Bearer realm="api"'},
    )


def authenticate(scope: str) -> ApiClient:
    """The client whose token this request carries, allowed ``scope`` and this method.

    :raise Problem: 401 (no token, unknown, expired, revoked), 403 (not this scope, or a
        read-only token writing), 429 (over its limit this minute).
    """
    g.api_call = {"scope": scope, "client_id": None}
    header = request.headers.get("Authorization", "")
    kind, _, token = header.partition(" ")
    token = token.strip()
    if kind.lower() != "bearer" or not token:
        raise _unauthorized(
            "token-missing", "Send the token as the header 'Authorization: Bearer <token>'."
        )
    client = None
    if len(token) <= MAX_TOKEN_LENGTH:
        client = db.session.scalar(
            select(ApiClient).where(ApiClient.token_sha256 == token_digest(token))
        )
    if client is None:
        raise _unauthorized("token-unknown", "This token is not known to the portal.")
    g.api_call["client_id"] = client.id
    if client.revoked_at is not None:
        raise _unauthorized("token-revoked", "This token was revoked: ask for a new one.")
    if client.expires_at <= clock.now():
        raise _unauthorized("token-expired", "This token has expired: ask for a new one.")
    _limit(client)
    if scope not in (client.scopes or []):
        raise Problem(403, "scope", "Not in the token's scope", f"This token may not use {scope}.")
    if request.method not in READING and not client.can_write:
        raise Problem(403, "read-only", "Read-only token", "This token may only read.")
    g.api_client = client
    return client


def _limit(client: ApiClient) -> None:
    limit = int(current_app.config["API_TOKEN_RATE_LIMIT_PER_MINUTE"])
    if ratelimit.hit(f"api-token:{client.id}") > limit:
        retry_after = 60 - int(clock.timestamp()) % 60
        raise Problem(
            429,
            "rate-limit",
            "Too many requests",
            f"This token may make {limit} requests a minute: wait and try again.",
            headers={"Retry-After": str(retry_after)},
        )


#: What a call may note in ``g.api_call`` for its audit row besides the request.
CALL_DETAILS = ("journal_appended", "items", "created", "updated", "unchanged")


def note_status(response: Response) -> Response:
    """After a call (a blueprint's ``after_request``): keep its status for ``record_call``."""
    if "api_call" in g:
        g.api_call["status"] = response.status_code
    return response


def record_call(_error: BaseException | None = None) -> None:
    """At the end of a call with a token (a blueprint's ``teardown_request``): one audit row,
    ``api.call``, in a transaction of its own after the request's, so that refused calls are
    recorded too (their request rolls back)."""
    call = g.pop("api_call", None)
    if call is None:
        return
    details = {
        "client_id": call["client_id"],
        "scope": call["scope"],
        "method": request.method,
        "path": request.path,
        "query": request.query_string.decode("latin-1")[:500],
        "status": call.get("status", 500),
        # What the call did besides answering (the feed's journal entries appended).
        **{key: call[key] for key in CALL_DETAILS if key in call},
    }
    try:
        with db.engine.begin() as conn:
            conn.execute(
                AuditEntry.__table__.insert().values(
                    at=clock.now(),
                    actor_id=None,
                    acting_for_employer_id=call.get("employer_id"),
                    role="api",
                    action="api.call",
                    object_type="ApiClient" if call["client_id"] is not None else None,
                    object_id=str(call["client_id"]) if call["client_id"] is not None else None,
                    request_id=g.get("request_id"),
                    details=details,
                )
            )
    except Exception:  # noqa: BLE001 - the answer is sent: log, do not raise
        current_app.logger.exception("the API call's audit row was not written")
