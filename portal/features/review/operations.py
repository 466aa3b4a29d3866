"""Reviewers' decisions on commitment applications (鲁医保发〔2022〕21号 四: within 3 working days).

Two reviewers deciding at once: the application row carries a version (``version_id_col``), so
the second UPDATE matches no row, SQLAlchemy raises StaleDataError and the second reviewer is
told that the other decision won. The application's UPDATE is flushed first, before anything
else changes, so on PostgreSQL the loser waits on the row lock and then finds it changed.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm.exc import StaleDataError

from portal.core import audit
from portal.core.extensions import db
from portal.letters.stored import VerifyUrlFor, issue_letter
from portal.models import CommitmentApplication, User
from portal.models.base import utcnow
from portal.rules.errors import DomainError


class ReviewError(DomainError):
    """A reviewer's decision refused: ``code`` is already_decided, own_filing or reason_required."""

    kind = "review"


def _claim(application: CommitmentApplication, status: str, *, actor: User, reason: str | None):
    actor_id = actor.id  # read before any change: a refresh here would autoflush too early
    if application.status != "submitted":
        raise ReviewError("already_decided")
    if application.filed_by_staff_id is not None and application.filed_by_staff_id == actor_id:
        raise ReviewError("own_filing")
    try:
        with db.session.no_autoflush:
            application.status = status
            application.decided_at = utcnow()
            application.decided_by_id = actor_id
            application.decision_reason = reason
        db.session.flush()
    except StaleDataError as error:
        raise ReviewError("already_decided") from error


def approve(
    application: CommitmentApplication, *, actor: User, today: date, verify_url_for: VerifyUrlFor
) -> None:
    """Approve: the employer goes on the list with the computed class, source "commitment".

    The letter is re-issued with the decision and the signed one is marked superseded.

    A 2020 deferral application (kind ``deferral_2020``) is approved as it is: the employer's
    months are deferred without late fee until the catch-up date (外网申报、内网审核,
    临医保发〔2020〕28号 操作细则 二（二）2); nothing changes on the list and no letter is issued.

    :raise ReviewError: decided already (also by a reviewer at the same moment), or the
        reviewer filed it as hall staff.
    """
    _claim(application, "approved", actor=actor, reason=None)
    if application.kind == "deferral_2020":
        audit.record(
            actor,
            "deferral2020.approve",
            employer_id=application.employer_id,
            obj=application,
            details={
                "reference": application.reference,
                "round": application.round,
                "months": f"{application.defer_start} x {application.defer_months}",
            },
        )
        return
    employer = application.employer
    before = {
        "list_status": employer.list_status,
        "size_class": employer.size_class,
        "size_source": employer.size_source,
    }
    employer.list_status = "listed"
    employer.size_class = application.computed_size
    employer.size_source = "commitment"
    employer.industry = application.industry
    employer.employees = application.employees
    employer.revenue_amount = application.revenue_amount
    employer.assets_amount = application.assets_amount
    decision = f"审核通过 {today.isoformat()} {employer.agency.name}（审核人 {actor.display_name}）"
    letter = issue_letter(
        application, "approved", verify_url_for=verify_url_for, issued_on=today, decision=decision
    )
    audit.record(
        actor,
        "commitment.approve",
        employer_id=employer.id,
        obj=application,
        details={
            "reference": application.reference,
            "round": application.round,
            "size_class": application.computed_size,
            "before": before,
            "letter_id": letter.id,
            "sha256": letter.sha256,
        },
    )


def reject(application: CommitmentApplication, reason: str, *, actor: User) -> None:
    """Reject with a reason the employer reads; it can correct and apply again (a new round).

    :raise ReviewError: no reason, decided already, or the reviewer filed it as hall staff.
    """
    reason = reason.strip()
    if not reason:
        raise ReviewError("reason_required")
    _claim(application, "rejected", actor=actor, reason=reason)
    audit.record(
        actor,
        "deferral2020.reject" if application.kind == "deferral_2020" else "commitment.reject",
        employer_id=application.employer_id,
        obj=application,
        details={"reference": application.reference, "round": application.round, "reason": reason},
    )
