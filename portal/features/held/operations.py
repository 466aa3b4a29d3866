"""Changes from the departments' list held for agency staff, and their decisions.

A list row that would change a confirmed employer's size class, list status or arrears
(内医保办发〔2022〕19号 三（一）2: 划型结果一经确认，原则上不再变更; ``portal.rules.confirmation``)
becomes a pending ``HeldChange`` when the file is applied (``hold_changes``). Agency staff
accept it (``accept``: the change is applied to the employer, audited with the reason; a
change that ends a deferral tells the employer by e-mail) or reject it (``reject``: the stored
value stays). A change is decided once: the claim is a conditional UPDATE, so of two decisions
at once (a double click, two clerks) one finds it no longer pending.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import CursorResult, insert, update

from portal.core import audit
from portal.core.extensions import db
from portal.facts.standing import employer_standing
from portal.features.reminders.outbox import queue_message
from portal.features.reminders.queries import employer_recipients
from portal.models import Employer, HeldChange, ImportRecord, User
from portal.models.base import utcnow
from portal.models.history import facts_before
from portal.rules.confirmation import (
    ChangeEffect,
    Held,
    change_effect,
    confirmation_clause,
    with_change,
)
from portal.rules.errors import DomainError

#: Held changes written per statement.
BATCH = 1000


class HeldError(DomainError):
    """A decision refused: ``reason_required``, ``already_decided``, or ``stale`` (the employer's
    value is no longer the one the list changed)."""

    kind = "held"


def hold_changes(
    record: ImportRecord, held: list[Held], superseded: list[int], *, actor: User | None
) -> None:
    """Record an applied list's held changes for agency staff (pending), and mark the pending
    ones the file replaced ``superseded`` (its word on the same employer's column is later).

    A change staff rejected before, asked again by this file, gets no new row."""
    now = utcnow()
    actor_id = actor.id if actor is not None else None
    for start in range(0, len(superseded), BATCH):
        db.session.execute(
            update(HeldChange)
            .where(
                HeldChange.id.in_(superseded[start : start + BATCH]),
                HeldChange.status == "pending",
            )
            .values(status="superseded", decided_at=now, decided_by_id=actor_id)
            .execution_options(synchronize_session=False)
        )
    rows = [
        {
            "import_id": record.id,
            "employer_id": change.employer_id,
            "line": change.line,
            "column": change.column,
            "before": change.before,
            "after": change.after,
            "status": "pending",
            "created_at": now,
        }
        for change in held
        if change.rejected_id is None
    ]
    for start in range(0, len(rows), BATCH):
        db.session.execute(insert(HeldChange), rows[start : start + BATCH])
    if rows or superseded:
        audit.record(
            actor,
            "held.record",
            obj=record,
            details={
                "held": len(rows),
                "rejected_before": len(held) - len(rows),
                "superseded": len(superseded),
            },
        )


def stored_text(employer: Employer, column: str) -> str | None:
    """The employer's value of a held column, as ``held_changes`` keeps it."""
    value = getattr(employer, column)
    if isinstance(value, bool):
        return "true" if value else "false"
    return None if value is None else str(value)


def _typed(column: str, value: str | None) -> Any:
    return value == "true" if column == "has_arrears" else value


def accept(change: HeldChange, reason: str, *, actor: User, on: date) -> ChangeEffect:
    """Apply the held change to the employer (its current value must still be the one the list
    changed), audited with before, after and the reason; a change that ends a deferral tells
    the employer's people by e-mail. Returns what it did to the deferral.

    :raise HeldError: no reason, decided already, or the employer's value changed meanwhile.
    """
    reason = _checked(change, reason)
    employer = db.session.get(Employer, change.employer_id)
    assert employer is not None  # noqa: S101 - a foreign key
    current = stored_text(employer, change.column)
    if current != change.before:
        raise HeldError("stale", column=change.column, current=current, before=change.before)
    before = employer_standing(employer, on)
    effect = change_effect(before, with_change(before, change.column, change.after))
    _claim(change, "accepted", reason, actor)
    # The facts as they stood, for a report as of an earlier day (as the list import keeps).
    register = Employer.__table__
    db.session.execute(facts_before(register, register.c.id == employer.id))
    setattr(employer, change.column, _typed(change.column, change.after))
    if change.column == "size_class":
        employer.size_source = "list"  # the departments' class, as the list gives it
    db.session.flush()
    audit.record(
        actor,
        "held.accept",
        employer_id=employer.id,
        obj=change,
        details={**_details(change, reason), "effect": effect.code},
    )
    if effect.code == "ends":
        clause = confirmation_clause(before.program, on)
        _tell_employer(employer, change, effect, reason=reason, clause=clause)
    return effect


def reject(change: HeldChange, reason: str, *, actor: User) -> None:
    """Keep the employer's stored value, audited with the reason.

    :raise HeldError: no reason, or decided already.
    """
    reason = _checked(change, reason)
    _claim(change, "rejected", reason, actor)
    audit.record(
        actor,
        "held.reject",
        employer_id=change.employer_id,
        obj=change,
        details=_details(change, reason),
    )


def _checked(change: HeldChange, reason: str) -> str:
    reason = reason.strip()
    if not reason:
        raise HeldError("reason_required", "reason")
    if change.status != "pending":
        raise HeldError("already_decided")
    return reason


def _claim(change: HeldChange, status: str, reason: str, actor: User) -> None:
    """Decide the change if it is still pending; the loser of two decisions at once finds it
    decided (on PostgreSQL it waits for the winner's row lock, then matches no row)."""
    claimed = db.session.execute(
        update(HeldChange)
        .where(HeldChange.id == change.id, HeldChange.status == "pending")
        .values(status=status, reason=reason, decided_by_id=actor.id, decided_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    assert isinstance(claimed, CursorResult)  # noqa: S101 - what an UPDATE returns
    if claimed.rowcount != 1:
        raise HeldError("already_decided")
    db.session.expire(change)


def _details(change: HeldChange, reason: str) -> dict[str, Any]:
    return {
        "column": change.column,
        "before": change.before,
        "after": change.after,
        "reason": reason,
        "import_id": change.import_id,
        "line": change.line,
    }


def _tell_employer(
    employer: Employer, change: HeldChange, effect: ChangeEffect, *, reason: str, clause: str
) -> None:
    """Queue the e-mail that the deferral ended to the employer's people with a confirmed
    address and reminders on (sent by the next ``flask portal reminders send``)."""
    context = {
        "employer_id": employer.id,
        "employer_name": employer.name,
        "credit_code": employer.credit_code,
        "column": change.column,
        "before": change.before,
        "after": change.after,
        "reason": reason,
        "clause": clause,
        "effect": effect,
    }
    for recipient in employer_recipients([employer.id]).get(employer.id, []):
        queue_message(
            "classification_changed",
            f"held-{change.id}",
            context,
            recipient,
            employer_id=employer.id,
        )
