"""Reads for the pages that give access to the API."""

from __future__ import annotations

from sqlalchemy import select

from portal.core.extensions import db
from portal.models import ApiClient, ApiGrant, Employer
from portal.util import clock


def all_clients() -> list[ApiClient]:
    return list(db.session.scalars(select(ApiClient).order_by(ApiClient.id.desc())))


def standing_clients() -> list[ApiClient]:
    """The clients an owner may grant its standing to: not revoked, not expired, scoped."""
    clients = db.session.scalars(
        select(ApiClient)
        .where(ApiClient.revoked_at.is_(None), ApiClient.expires_at > clock.now())
        .order_by(ApiClient.name)
    )
    return [c for c in clients if "standing" in (c.scopes or [])]


def employer_grants(employer: Employer) -> list[tuple[ApiGrant, ApiClient]]:
    rows = db.session.execute(
        select(ApiGrant, ApiClient)
        .join(ApiClient, ApiClient.id == ApiGrant.client_id)
        .where(ApiGrant.employer_id == employer.id)
        .order_by(ApiGrant.id.desc())
    )
    return [(grant, client) for grant, client in rows]


def get_grant_or_404(employer: Employer, grant_id: int) -> ApiGrant:
    grant = db.session.get(ApiGrant, grant_id)
    if grant is None or grant.employer_id != employer.id:
        from flask import abort

        abort(404)
    return grant
