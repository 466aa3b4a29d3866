"""One rule for every state-changing form: the same request twice is answered like the first,
and changes state once.

Every form the portal renders carries a random key of its own (``key_input``: BaseForm renders
it beside its CSRF token, and the few forms written by hand call it). A POST that carries a key
claims it before its view runs (``once``, called by ``portal.web.permissions.permission`` once
access is checked): an INSERT into ``submissions`` under a unique constraint, in the request's
own transaction, the request's first write.

- The first request inserts the key and runs its view; ``settle`` (from the one commit in
  ``portal/web/hooks.py``) stores its answer in that row just before the commit, so the change
  and "this form was answered so" are committed together or not at all.
- A repeat sent while the first still runs waits on the key: PostgreSQL makes the second INSERT
  of a unique value wait for the first transaction, SQLite's single writer waits for the lock.
  Once the first has committed, the repeat finds the key taken and answers with the first's
  answer without running the view: the same redirect, or the same page shown again from what
  the first stored (an endpoint's ``replays`` function). If the first rolled back (a refusal, a
  fault), the key is free again and the repeat runs the view itself, as the first did.
- A request that changed nothing (a form refused by its validation, a page shown again with
  its messages) does not keep its key: the user corrects the form and sends it again.
- The same key with other contents (other answers, another session) is refused with 409: the
  form was sent already; nothing is done.

A POST without a key (a page from before keys, a hand-made request) is served as before: the
key protects what the portal's own pages send, and refusing it would turn every page open
across an upgrade into an error. tests/hostile/test_double_submit.py lists every endpoint that
accepts a POST and fails for one without a double-submit test.

Why a key per form rather than a lock on the row a change is about: many changes have no row
before they happen (a hall, an invitation, an export, a visit), a lock would be a fix per form,
and only a key tells a repeat (answer it as before) from a second, different request (decide
it anew). What stays beside it is for two different requests at once (two tabs, two people):
a deferral decision's ``submission_token`` (the same choice from the same starting point is one
decision), an application's version column (its StaleDataError is a 409), the savepoints that
catch a lost race's IntegrityError, the activation code claimed by a conditional UPDATE, a
member removed by a conditional DELETE. The return-choice form's own token is this key now.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import current_app, g, redirect, request, session
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from werkzeug.exceptions import Conflict, HTTPException
from werkzeug.wrappers import Response

from portal.core.extensions import db
from portal.models import Submission
from portal.models.base import utcnow

FIELD = "form_key"
STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_KEY = re.compile(r"[A-Za-z0-9_-]{16,64}")

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Answer:
    """The first request's answer: its status, its redirect's target, the row it showed."""

    status: int
    location: str | None
    ref: int | None


#: endpoint -> how its first answer is given again, called with the ``Answer`` and the view's
#: arguments instead of the view: a page shown from a stored row, or a redirect that also puts
#: in this browser's session what the first put in its own (a sign-in, an acting visit).
_REPLAYS: dict[str, Callable[..., Any]] = {}


class SentAlready(Conflict):
    """The key of a form already answered, sent with other contents or from another session."""

    message = _l(
        "This form was sent already, so nothing more was saved. Open the page again to send "
        "it anew."
    )


def replays(endpoint: str) -> Callable[[F], F]:
    """Register how ``endpoint``'s first answer is given again."""

    def register(func: F) -> F:
        _REPLAYS[endpoint] = func
        return func

    return register


def key_input() -> Markup:
    """A hidden field with a new key: one per rendered form."""
    return Markup('<input type="hidden" name="%s" value="%s">') % (
        FIELD,
        secrets.token_urlsafe(24),
    )


def answered(ref: int | None = None) -> None:
    """Say that this request's page (not a redirect) can be shown again from ``ref`` by the
    endpoint's ``replays`` function: the repeat of a form that answers with a page."""
    g.submission_ref = ref
    g.submission_answered = True


def claimed() -> str | None:
    """The SHA-256 of the key this request claimed (64 hex digits), or None: a reference to
    the submission for a row that keeps one."""
    return g.get("submission")


def secret(purpose: str) -> bytes | None:
    """32 bytes that only this form's sender can ask for, the same for a repeat of the request:
    a code shown once (an activation code) is made from them, and shown again the same without
    being kept. None when the request has no key."""
    key = _submitted_key()
    if key is None:
        return None
    signing = current_app.secret_key
    signing_key = signing.encode() if isinstance(signing, str) else bytes(signing or b"")
    return hmac.new(signing_key, f"{purpose}:{key}".encode(), hashlib.sha256).digest()


def once(view: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run ``view``, unless this request repeats a form already answered: then answer as the
    first request was answered, without running it.

    :raise 409: the key was answered for other contents (``SentAlready``).
    """
    if request.method not in STATE_CHANGING:
        return view(*args, **kwargs)
    key = _submitted_key()
    if key is None:
        return view(*args, **kwargs)
    key_hash = hashlib.sha256(key.encode()).hexdigest()
    request_hash = _request_digest()
    insert = pg_insert if db.engine.dialect.name == "postgresql" else sqlite_insert
    claimed = db.session.scalar(
        insert(Submission)
        .values(
            key_hash=key_hash,
            request_hash=request_hash,
            endpoint=request.endpoint or "",
            user_id=current_user.id if current_user.is_authenticated else None,
            created_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["key_hash"])
        .returning(Submission.id)  # none when the key was taken
    )
    if claimed is not None:
        g.submission = key_hash
        g.database_written = False  # the claim alone changes nothing: see ``settle``
        return view(*args, **kwargs)
    g.submission_repeated = True  # rolled back: the repeat changes nothing
    first = db.session.scalar(select(Submission).where(Submission.key_hash == key_hash))
    if (
        first is None
        or first.status is None
        or first.request_hash != request_hash
        or first.endpoint != request.endpoint
    ):
        raise SentAlready()
    answer = Answer(first.status, first.location, first.ref)
    replay = _REPLAYS.get(first.endpoint)
    if replay is not None:
        return replay(answer, *args, **kwargs)
    if answer.location is None:
        raise SentAlready()
    return redirect(answer.location, answer.status)


def settle(response: Response) -> bool:
    """Before the request commits: keep its key with its answer when it changed something and
    the answer can be given again, else free the key. False: roll back instead (a repeat,
    answered from the first, changes nothing)."""
    if g.pop("submission_repeated", False):
        return False
    key_hash = g.pop("submission", None)
    if key_hash is None:
        return True
    pending = db.session()
    changed = g.get("database_written") or pending.new or pending.dirty or pending.deleted
    is_redirect = 300 <= response.status_code < 400
    where = Submission.key_hash == key_hash
    if changed and (is_redirect or g.get("submission_answered")):
        db.session.execute(
            update(Submission)
            .where(where)
            .values(
                status=response.status_code,
                location=response.location if is_redirect else None,
                ref=g.get("submission_ref"),
            )
        )
    else:
        db.session.execute(delete(Submission).where(where))
    return True


def _submitted_key() -> str | None:
    try:
        value = request.form.get(FIELD)
    except HTTPException:  # a body too large or malformed: the view meets it too
        return None
    return value if value is not None and _KEY.fullmatch(value) else None


def _request_digest() -> str:
    """The SHA-256 of what makes this request the same as another: method, path and query, the
    session's CSRF token (another session's repeat is not a repeat), every field, and each
    file's name and contents (a multipart body's boundary differs at each sending)."""
    files = sorted(
        (name, storage.filename or "", _file_digest(storage.stream))
        for name, storage in request.files.items(multi=True)
    )
    parts = [
        request.method,
        request.path,
        request.query_string.decode("latin-1"),
        str(session.get("csrf_token")),
        sorted(request.form.items(multi=True)),
        files,
    ]
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()


def _file_digest(stream) -> str:
    """The SHA-256 of an uploaded file, read from where it is and put back there for the view."""
    digest = hashlib.sha256()
    try:
        start = stream.tell()
        while chunk := stream.read(1 << 16):
            digest.update(chunk)
        stream.seek(start)
    except (OSError, ValueError):  # not seekable: only its name tells it apart
        return "-"
    return digest.hexdigest()
