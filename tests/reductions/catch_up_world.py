"""Employers with an approved 2020 deferral (rows only), their months and their payments."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from portal.core.extensions import db
from portal.models import CommitmentApplication, Payment

LINYI, WUXI = "371300", "320200"
_refs = iter(range(1, 10**6))


def approved_deferral(employer, program_id: str, start: str, months: int) -> CommitmentApplication:
    """A 2020 deferral by application, approved on 2020-03-25."""
    application = CommitmentApplication(
        employer_id=employer.id,
        kind="deferral_2020",
        status="approved",
        program_id=program_id,
        defer_start=start,
        defer_months=months,
        defer_reason="疫情停工",
        defer_route="sme",
        unit_kind="enterprise",
        submitted_at=datetime(2020, 3, 20, 2, tzinfo=UTC),
        due_on=date(2020, 3, 25),
        decided_at=datetime(2020, 3, 25, 2, tzinfo=UTC),
    )
    db.session.add(application)
    db.session.flush()
    application.reference = f"DA-2020-{application.id:06d}"
    return application


def pay(employer, paid_on: date, amount: str, month: str | None, part: str = "unit") -> Payment:
    payment = Payment(
        employer_id=employer.id,
        paid_on=paid_on,
        amount=Decimal(amount),
        month=month,
        part=part,
        settles=f"{month} {part}",
        source_ref=f"T2020-{next(_refs)}",
    )
    db.session.add(payment)
    db.session.flush()
    return payment
