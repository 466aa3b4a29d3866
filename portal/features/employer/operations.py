"""Employer state changes: members."""

from __future__ import annotations

from sqlalchemy import delete

from portal.core import audit
from portal.core.extensions import db
from portal.features.auth.operations import issue_activation_code
from portal.models import ActivationCode, Employer, Membership, User
from portal.rules.errors import DomainError


class MemberError(DomainError):
    """A change of members refused: cannot_remove_owner."""

    kind = "member"


def invite_finance_staff(
    employer: Employer,
    *,
    actor: User,
    valid_days: int,
    email: str | None = None,
    seed: bytes | None = None,
) -> tuple[ActivationCode, str]:
    """Issue a one-time code that makes its holder finance staff of ``employer`` (with the
    invitee's e-mail address, if given: the account starts with it, unconfirmed); ``seed`` as
    for ``issue_activation_code``."""
    return issue_activation_code(
        employer, "finance", actor=actor, valid_days=valid_days, email=email, seed=seed
    )


def remove_member(employer: Employer, membership: Membership, *, actor: User) -> bool:
    """Remove a finance-staff member; an owner cannot be removed here. False when another
    request removed them at the same moment (two tabs): nothing more to do or to audit.

    :raise MemberError: ``cannot_remove_owner``.
    """
    if membership.role == "owner":
        raise MemberError("cannot_remove_owner")
    details = {"user_id": membership.user_id, "role": membership.role}
    # A conditional DELETE: of two at once, the second waits for the first and removes nothing.
    removed = db.session.scalar(
        delete(Membership).where(Membership.id == membership.id).returning(Membership.id)
    )
    if removed is None:
        return False
    audit.record(actor, "member.remove", employer_id=employer.id, obj=membership, details=details)
    return True
