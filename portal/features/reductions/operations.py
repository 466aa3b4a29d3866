"""Record an employer's choice of refund or offset for what a 2020 program over-collected."""

from __future__ import annotations

import secrets
from datetime import date

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal import rules
from portal.core import audit
from portal.core.extensions import db
from portal.models import Employer, ReturnChoice, ReturnDone, User
from portal.rules.errors import DomainError
from portal.util import clock


class ReturnChoiceError(DomainError):
    """A refund-or-offset choice that cannot be recorded (choose, account_needed,
    nothing_over_collected, carried_out)."""

    kind = "return_choice"


def carried_out(employer: Employer, program_id: str) -> bool:
    """Whether the agency already refunded or offset something of the choice: from then on the
    choice stands (the money moved as it said)."""
    return (
        db.session.scalar(
            select(ReturnDone.id)
            .where(ReturnDone.employer_id == employer.id, ReturnDone.program_id == program_id)
            .limit(1)
        )
        is not None
    )


def record_return_choice(
    employer: Employer,
    table: rules.RateTable,
    choice: str,
    *,
    account: str | None,
    token: str,
    today: date,
    actor: User,
) -> ReturnChoice:
    """Record the choice once; a repeat of the same submission returns the first record.

    :raise ReturnChoiceError: nothing was over-collected, no valid choice, or a refund without
        an account where the agency has none.
    """
    existing = db.session.scalar(select(ReturnChoice).where(ReturnChoice.submission_token == token))
    if existing is not None:
        return existing
    if table.over_collected <= 0:
        raise ReturnChoiceError("nothing_over_collected")
    if carried_out(employer, table.program_id):
        raise ReturnChoiceError("carried_out")
    try:
        checked = rules.return_decision(
            table.program_id,
            choice,
            decided_on=today,
            account=account,
            account_known=bool(employer.refund_account),
        )
    except rules.InvalidInput as error:
        if error.code == "account_needed":
            raise ReturnChoiceError("account_needed", field="account") from error
        raise ReturnChoiceError("choose", field="choice") from error
    row = ReturnChoice(
        reference=f"TF{today:%Y%m%d}-{secrets.token_hex(3).upper()}",
        employer_id=employer.id,
        program_id=table.program_id,
        choice=checked.choice,
        over_collected_amount=table.over_collected,
        account=checked.account,
        needs_application=checked.needs_application,
        offset_from=checked.offset_from,
        decided_at=clock.now(),
        decided_by_id=actor.id,
        submission_token=token,
    )
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError:  # the same submission arrived twice at once: the other one won
        return db.session.scalars(
            select(ReturnChoice).where(ReturnChoice.submission_token == token)
        ).one()
    audit.record(
        actor,
        "return_choice." + checked.choice,
        employer_id=employer.id,
        obj=row,
        details={
            "program": table.program_id,
            "reference": row.reference,
            "over_collected": str(row.over_collected_amount),
            "offset_from": row.offset_from,
            "needs_application": row.needs_application,
        },
    )
    return row
