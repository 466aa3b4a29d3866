"""Write audit rows: one for every state change, in the same transaction as the change."""

from __future__ import annotations

from typing import Any

from flask import g, has_request_context

from portal.core.extensions import db
from portal.models import AuditEntry, Membership, User


def role_of(actor: User | None, employer_id: int | None) -> str:
    """Name the role the actor acted in: a staff role, an employer role, or a plain user."""
    if actor is None:
        return "anonymous"
    if actor.staff_role:
        return actor.staff_role
    if employer_id is not None:
        for membership in actor.memberships:
            if membership.employer_id == employer_id:
                return membership.role
    return "user"


def record(
    actor: User | None,
    action: str,
    *,
    employer_id: int | None = None,
    obj: Any = None,
    details: dict[str, Any] | None = None,
    role: str | None = None,
) -> AuditEntry:
    """Add an audit row for ``action`` by ``actor``, optionally for an employer and an object.

    While hall staff act for an employer (``g.acting``), a row for that employer says so: role
    "hall", and the visit, visitor and capacity in ``details`` ("by staff X for employer Y,
    visitor Z in capacity C"), whatever operation wrote it. ``role`` names a role no person
    holds ("system": the portal itself, e.g. a reminder sent by the daily run).
    """
    role = role or role_of(actor, employer_id)
    acting = g.get("acting") if has_request_context() else None
    if (
        acting is not None
        and actor is not None
        and actor.id == acting.staff_id
        and employer_id == acting.employer_id
    ):
        role = "hall"
        details = {**acting.audit_details(), **(details or {})}
    entry = AuditEntry(
        actor_id=actor.id if actor is not None else None,
        acting_for_employer_id=employer_id,
        role=role,
        action=action,
        object_type=type(obj).__name__ if obj is not None else None,
        object_id=str(obj.id) if obj is not None and getattr(obj, "id", None) else None,
        request_id=g.get("request_id") if has_request_context() else None,
        details=details or {},
    )
    db.session.add(entry)
    db.session.flush()
    return entry


def membership_role(user: User, employer_id: int) -> str | None:
    membership = db.session.scalar(
        db.select(Membership).filter_by(user_id=user.id, employer_id=employer_id)
    )
    return membership.role if membership else None
