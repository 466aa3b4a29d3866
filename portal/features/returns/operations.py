"""Mark a refund or an offset month done, with the bureau's or bank's reference."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal.core import audit
from portal.core.extensions import db
from portal.features.returns.queries import WorkItem
from portal.models import ReturnDone, User
from portal.rules.errors import DomainError

#: The kind stored for each kind of worklist row that can be done.
STORED_KIND = {"refund": "refund", "offset": "offset", "july_offset": "july_offset"}


class ReturnsError(DomainError):
    """A row that cannot be marked done: ``reference_required``, ``already_done``,
    ``account_needed`` (a refund with no account to pay to), ``waiting`` (its month is not
    assessed yet)."""

    kind = "returns"


def mark_done(item: WorkItem, reference: str, *, actor: User, on: date) -> ReturnDone:
    """Record the row done on ``on`` with ``reference``, audited with before and after. Two
    marks of the same row at once (two clerks): the unique row key lets one through.

    :raise ReturnsError: no reference, done already, a refund without account, or waiting.
    """
    reference = reference.strip()
    if not reference:
        raise ReturnsError("reference_required", "reference")
    if item.is_done:
        raise ReturnsError("already_done")
    if item.needs_account:
        raise ReturnsError("account_needed")
    if item.is_waiting:
        raise ReturnsError("waiting", month=item.month or "")
    row = ReturnDone(
        item_key=item.key,
        employer_id=item.employer_id,
        program_id=item.program_id,
        kind=STORED_KIND[item.kind],
        return_choice_id=item.choice_id,
        month=item.month,
        amount=item.amount,
        account=item.account,
        clause=item.clause,
        reference=reference,
        done_on=on,
        recorded_by_id=actor.id,
    )
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError as error:  # another clerk marked it meanwhile
        raise ReturnsError("already_done") from error
    audit.record(
        actor,
        "return.done",
        employer_id=item.employer_id,
        obj=row,
        details={
            "item": item.key,
            "kind": row.kind,
            "program": item.program_id,
            "month": item.month,
            "amount": str(item.amount),
            "clause": item.clause,
            "before": {"status": "open"},
            "after": {"status": "done", "reference": reference, "done_on": on.isoformat()},
        },
    )
    return row


def done_row(key: str) -> ReturnDone | None:
    return db.session.scalar(select(ReturnDone).where(ReturnDone.item_key == key))
