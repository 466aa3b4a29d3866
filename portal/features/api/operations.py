"""Giving other systems access (issue 25): administrators issue and revoke clients' tokens; an
employer's owner grants a client its standing until a day, and revokes the grant. Each change
writes its audit row; the token itself is never kept, only its SHA-256."""

from __future__ import annotations

import base64
import hmac
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import cast
from zoneinfo import ZoneInfo

from sqlalchemy import CursorResult, Result, select, update

from portal.core import audit
from portal.core.extensions import db
from portal.models import ApiClient, ApiGrant, Employer, User
from portal.models.base import utcnow
from portal.rules.errors import DomainError
from portal.util import clock
from portal.web.api_tokens import SCOPES, WRITING_SCOPES, new_token, token_digest

#: How far ahead a token or a grant may run.
LONGEST = timedelta(days=366 * 2)
CHINA = ZoneInfo("Asia/Shanghai")


class AccessError(DomainError):
    kind = "api"


def token_from_seed(seed: bytes | None) -> str:
    """The token: made from the form's secret (``portal.web.submissions.secret``), so that a
    repeat of the form is shown the same token without its being kept; random without one."""
    if seed is None:
        return new_token()
    return base64.urlsafe_b64encode(seed).decode().rstrip("=")


def issue_client(
    *,
    name: str,
    scopes: Sequence[str],
    agency_ids: Sequence[int],
    can_write: bool,
    expires_on: date,
    actor: User | None,
    seed: bytes | None = None,
) -> tuple[ApiClient, str]:
    """A new client and its token (returned once; only its SHA-256 is kept). The token works
    through the last moment of ``expires_on`` in China. ``actor`` None: the command line."""
    if not name.strip():
        raise AccessError("name_missing", "name")
    if not scopes or any(scope not in SCOPES for scope in scopes):
        raise AccessError("scope_missing", "scopes")
    if not can_write and any(scope in WRITING_SCOPES for scope in scopes):
        raise AccessError("write_needed", "can_write")  # a token that could only be refused
    if not clock.today() <= expires_on <= clock.today() + LONGEST:
        raise AccessError("expiry_out_of_range", "expires_on")
    token = token_from_seed(seed)
    ends = datetime.combine(expires_on + timedelta(days=1), time(), CHINA).astimezone(UTC)
    client = ApiClient(
        name=name.strip(),
        token_sha256=token_digest(token),
        token_hint=token[:6],
        scopes=sorted(set(scopes)),
        agency_ids=sorted(set(agency_ids)),
        can_write=can_write,
        expires_at=ends,
        created_by_id=actor.id if actor is not None else None,
    )
    db.session.add(client)
    db.session.flush()
    audit.record(
        actor,
        "api_client.issue",
        obj=client,
        details={
            "name": client.name,
            "scopes": client.scopes,
            "agency_ids": client.agency_ids,
            "can_write": can_write,
            "expires_on": expires_on.isoformat(),
        },
    )
    return client, token


def token_again(client_id: int | None, seed: bytes | None) -> tuple[ApiClient, str] | None:
    """The client ``issue_client`` made from ``seed`` and its token, for a repeat of the form."""
    if client_id is None or seed is None:
        return None
    client = db.session.get(ApiClient, client_id)
    token = token_from_seed(seed)
    if client is None or not hmac.compare_digest(client.token_sha256, token_digest(token)):
        return None
    return client, token


def revoke_client(client: ApiClient, *, actor: User | None) -> bool:
    """Revoke ``client``'s token now; False if it was revoked already (a conditional UPDATE:
    two administrators at once revoke it once)."""
    done = _count(
        db.session.execute(
            update(ApiClient)
            .where(ApiClient.id == client.id, ApiClient.revoked_at.is_(None))
            .values(revoked_at=utcnow(), revoked_by_id=actor.id if actor is not None else None)
        )
    )
    if done:
        db.session.refresh(client)
        audit.record(actor, "api_client.revoke", obj=client, details={"name": client.name})
    return bool(done)


def grant_access(employer: Employer, client: ApiClient, until: date, *, actor: User) -> ApiGrant:
    """The owner lets ``client`` read the employer's standing through ``until``."""
    if client.revoked_at is not None or "standing" not in (client.scopes or []):
        raise AccessError("client_unavailable", "client_id")
    if not clock.today() <= until <= clock.today() + LONGEST:
        raise AccessError("until_out_of_range", "until")
    grant = ApiGrant(
        employer_id=employer.id, client_id=client.id, until=until, granted_by_id=actor.id
    )
    db.session.add(grant)
    db.session.flush()
    audit.record(
        actor,
        "api_grant.create",
        employer_id=employer.id,
        obj=grant,
        details={"client_id": client.id, "client": client.name, "until": until.isoformat()},
    )
    return grant


def revoke_grant(employer: Employer, grant: ApiGrant, *, actor: User) -> bool:
    done = _count(
        db.session.execute(
            update(ApiGrant)
            .where(
                ApiGrant.id == grant.id,
                ApiGrant.employer_id == employer.id,
                ApiGrant.revoked_at.is_(None),
            )
            .values(revoked_at=utcnow(), revoked_by_id=actor.id)
        )
    )
    if done:
        audit.record(
            actor,
            "api_grant.revoke",
            employer_id=employer.id,
            obj=grant,
            details={"client_id": grant.client_id},
        )
    return bool(done)


def _count(result: Result) -> int:
    return cast(CursorResult, result).rowcount  # an UPDATE's result counts its rows


def active_grant(client_id: int, employer_id: int, on: date) -> ApiGrant | None:
    return db.session.scalar(
        select(ApiGrant)
        .where(
            ApiGrant.client_id == client_id,
            ApiGrant.employer_id == employer_id,
            ApiGrant.revoked_at.is_(None),
            ApiGrant.until >= on,
        )
        .limit(1)
    )
