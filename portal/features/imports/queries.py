"""Import records, scoped to the agency the staff member works for (administrators: all)."""

from __future__ import annotations

from flask import abort
from sqlalchemy import select

from portal.core.extensions import db
from portal.models import ImportRecord, User
from portal.web.permissions import agency_scope


def _scoped(user: User):
    statement = select(ImportRecord)
    scope = agency_scope(user)
    if scope is not None:
        statement = statement.where(ImportRecord.agency_id == scope)
    return statement


def get_import_or_404(user: User, record_id: int) -> ImportRecord:
    """:raise 404: no such record, or another agency's."""
    record = db.session.scalar(_scoped(user).where(ImportRecord.id == record_id))
    if record is None:
        abort(404)
    return record


def recent_imports(user: User, limit: int = 20) -> list[ImportRecord]:
    return list(
        db.session.scalars(
            _scoped(user)
            .order_by(ImportRecord.created_at.desc(), ImportRecord.id.desc())
            .limit(limit)
        )
    )
