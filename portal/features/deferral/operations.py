"""Record an employer's deferral decision: take the deferral (with its period) or opt out."""

from __future__ import annotations

import hashlib
import secrets
from datetime import date

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal.core import audit
from portal.core.extensions import db
from portal.facts.standing import employer_standing
from portal.models import DeferralDecision, Employer, User
from portal.rules.errors import DomainError
from portal.rules.standing import Standing

CHOICES = ("defer", "opt_out")


class DecisionError(DomainError):
    """A deferral decision that cannot be recorded (choose, not_listed, not_eligible, closed,
    period_closed, changed)."""

    kind = "decision"


def submission_token(
    employer: Employer, based_on: int | None, choice: str, start: str | None
) -> str:
    """The same choice, made from the same starting point, is the same submission.

    Pressing submit twice, or confirming the same choice in two tabs, gives one decision.
    """
    raw = f"{employer.id}:{based_on or 0}:{choice}:{start or ''}"
    return hashlib.sha256(raw.encode()).hexdigest()


def validate_choice(standing: Standing, choice: str, start: str | None) -> None:
    """:raise DecisionError: when the choice is not open to this employer today."""
    if choice not in CHOICES:
        raise DecisionError("choose", field="choice")
    if not standing.is_listed:
        raise DecisionError("not_listed")
    if choice == "defer" and standing.eligibility and not standing.eligibility.eligible:
        raise DecisionError("not_eligible")
    if not standing.can_change:
        raise DecisionError("closed")
    if choice == "defer":
        starts = {o.start for o in standing.options if o.is_open}
        if start not in starts:
            raise DecisionError("period_closed", field="choice")


def record_decision(
    employer: Employer,
    choice: str,
    start: str | None,
    *,
    based_on: int | None,
    today: date,
    actor: User,
) -> DeferralDecision:
    """Record the decision once; a repeat of the same submission returns the first record.

    :raise DecisionError: the choice is not open, or the decision changed since the user
        started (``code="changed"``: another tab or person decided in between).
    """
    token = submission_token(employer, based_on, choice, start)
    existing = db.session.scalar(
        select(DeferralDecision).where(DeferralDecision.submission_token == token)
    )
    if existing is not None:
        return existing
    standing = employer_standing(employer, today)
    current_id = standing.decision.id if standing.decision else None
    if current_id != based_on:
        raise DecisionError("changed")
    validate_choice(standing, choice, start)
    period = None
    if choice == "defer":
        period = standing.option(start)
    decision = DeferralDecision(
        reference=_reference(today),
        employer_id=employer.id,
        choice=choice,
        period_start=period.start if period else None,
        period_end=period.end if period else None,
        decided_by_id=actor.id,
        submission_token=token,
    )
    try:
        with db.session.begin_nested():
            db.session.add(decision)
    except IntegrityError:
        # The same submission arrived twice at the same moment: the other one won.
        return db.session.scalars(
            select(DeferralDecision).where(DeferralDecision.submission_token == token)
        ).one()
    audit.record(
        actor,
        "decision." + choice,
        employer_id=employer.id,
        obj=decision,
        details={
            "period": f"{decision.period_start}..{decision.period_end}" if period else None,
            "reference": decision.reference,
        },
    )
    return decision


def _reference(today: date) -> str:
    return f"JD{today:%Y%m%d}-{secrets.token_hex(3).upper()}"
