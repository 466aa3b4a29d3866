"""Employer state changes: members."""

from __future__ import annotations

from portal.core import audit
from portal.core.extensions import db
from portal.features.auth.operations import issue_activation_code
from portal.models import ActivationCode, Employer, Membership, User
from portal.rules.errors import DomainError


class MemberError(DomainError):
    """A change of members refused: cannot_remove_owner."""

    kind = "member"


def invite_finance_staff(
    employer: Employer, *, actor: User, valid_days: int, email: str | None = None
) -> tuple[ActivationCode, str]:
    """Issue a one-time code that makes its holder finance staff of ``employer`` (with the
    invitee's e-mail address, if given: the account starts with it, unconfirmed)."""
    return issue_activation_code(
        employer, "finance", actor=actor, valid_days=valid_days, email=email
    )


def remove_member(employer: Employer, membership: Membership, *, actor: User) -> None:
    """Remove a finance-staff member; an owner cannot be removed here."""
    if membership.role == "owner":
        raise MemberError("cannot_remove_owner")
    audit.record(
        actor,
        "member.remove",
        employer_id=employer.id,
        obj=membership,
        details={"user_id": membership.user_id, "role": membership.role},
    )
    db.session.delete(membership)
    db.session.flush()
