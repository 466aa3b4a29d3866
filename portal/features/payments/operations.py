"""Resolve an item of the payments queue: a note, kept with the item as it was seen, audited."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError

from portal.core import audit
from portal.core.extensions import db
from portal.features.payments.queries import QueueItem
from portal.models import PaymentQueueResolution, User
from portal.rules.errors import DomainError

#: The longest note kept.
NOTE_LIMIT = 2000


class PaymentQueueError(DomainError):
    """A resolution refused: ``note_required``, or ``already_resolved`` (someone else did,
    or the item changed since the page was shown)."""

    kind = "payment_queue"


def resolve(item: QueueItem, note: str, *, actor: User | None) -> PaymentQueueResolution:
    """Mark ``item`` (as it stands now) dealt with, with ``note``; one audit row.

    :raise PaymentQueueError: no note, or the item is resolved already (two clerks at once).
    """
    note = note.strip()
    if not note:
        raise PaymentQueueError("note_required", "note")
    resolution = PaymentQueueResolution(
        employer_id=item.employer_id,
        month=item.month,
        part=item.part,
        kind=item.kind,
        difference=item.difference,
        note=note[:NOTE_LIMIT],
        resolved_by_id=actor.id if actor is not None else None,
    )
    try:
        with db.session.begin_nested():
            db.session.add(resolution)
            db.session.flush()
    except IntegrityError as error:
        raise PaymentQueueError("already_resolved") from error
    audit.record(
        actor,
        "payment_queue.resolve",
        employer_id=item.employer_id,
        obj=resolution,
        details={
            "month": item.month,
            "part": item.part,
            "kind": item.kind,
            "paid": str(item.paid),
            "assessed": None if item.assessed is None else str(item.assessed),
            "difference": str(item.difference),
            "note": resolution.note,
            **({"via": "command line"} if actor is None else {}),
        },
    )
    return resolution
