"""The payments queue: payments that match no assessment, or pay a month's part beyond what is
assessed, for agency staff (administrators: every agency). Never silently dropped.

Computed, not written at import: the queue is what the payments and assessments say now, so an
assessment imported after its payments, or a corrected one, changes it without anyone touching
the queue, and an import of either kind needs no second write. Staff resolve an item with a
note (``PaymentQueueResolution``), which holds for the item as it was seen: a later payment
that changes the month's difference brings it back.

One statement groups the agency's payments by employer, month and part with the month's
assessment beside them; a second reads the resolutions of the same employers.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import and_, func, select

from portal.core.extensions import db
from portal.core.rows import plain_rows
from portal.facts.standing import employers_where
from portal.models import Assessment, Employer, Payment, PaymentQueueResolution, User
from portal.rules.payments import PARTS

KINDS = ("unmatched", "over")
MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")
#: Resolutions shown under the queue, latest first.
RECENT_RESOLVED = 20


@dataclass(frozen=True)
class QueueItem:
    """One employer's month and part whose payments need a look: ``kind`` "unmatched" (no
    assessment of that month, or of that part) or "over" (paid beyond what is assessed);
    ``difference`` is the amount staff must account for (all of it when unmatched)."""

    employer_id: int
    employer_name: str
    credit_code: str
    month: str
    part: str
    kind: str
    paid: Decimal
    assessed: Decimal | None
    payments: int
    difference: Decimal

    @property
    def key(self) -> tuple[int, str, str, str, Decimal]:
        return (self.employer_id, self.month, self.part, self.kind, self.difference)


def _grouped(agency_id: int | None, employer_id: int | None):
    paid = func.sum(Payment.amount).label("paid")
    statement = (
        select(
            Payment.employer_id,
            Payment.month,
            Payment.part,
            paid,
            func.count(Payment.id).label("n"),
        )
        .where(Payment.month.is_not(None))
        .group_by(Payment.employer_id, Payment.month, Payment.part)
    )
    if employer_id is not None:
        statement = statement.where(Payment.employer_id == employer_id)
    else:
        statement = statement.where(Payment.employer_id.in_(employers_where(agency_id=agency_id)))
    grouped = statement.subquery()
    return (
        select(
            grouped.c.employer_id,
            Employer.name,
            Employer.credit_code,
            grouped.c.month,
            grouped.c.part,
            grouped.c.paid,
            grouped.c.n,
            Assessment.unit_amount,
            Assessment.personal_amount,
        )
        .join(Employer, Employer.id == grouped.c.employer_id)
        .outerjoin(
            Assessment,
            and_(
                Assessment.employer_id == grouped.c.employer_id,
                Assessment.month == grouped.c.month,
            ),
        )
        .order_by(Employer.name, Employer.id, grouped.c.month, grouped.c.part)
    )


def _item(row: Sequence) -> QueueItem | None:
    employer_id, name, code, month, part, paid, n, unit, personal = row
    paid = Decimal(paid)
    assessed = unit if part == "unit" else personal if part == "personal" else None
    if assessed is None:
        return QueueItem(employer_id, name, code, month, part, "unmatched", paid, None, n, paid)
    if paid > assessed:
        return QueueItem(
            employer_id, name, code, month, part, "over", paid, assessed, n, paid - assessed
        )
    return None


def queue_items(
    agency_id: int | None, *, employer_id: int | None = None, open_only: bool = True
) -> list[QueueItem]:
    """The queue of one agency (None: every agency), or of one employer: by employer name,
    month and part. ``open_only``: without the items resolved as they stand."""
    items = [item for row in plain_rows(_grouped(agency_id, employer_id)) if (item := _item(row))]
    if not open_only or not items:
        return items
    resolved = {
        (r.employer_id, r.month, r.part, r.kind, Decimal(r.difference))
        for r in plain_rows(
            select(
                PaymentQueueResolution.employer_id,
                PaymentQueueResolution.month,
                PaymentQueueResolution.part,
                PaymentQueueResolution.kind,
                PaymentQueueResolution.difference,
            ).where(PaymentQueueResolution.employer_id.in_({i.employer_id for i in items}))
        )
    }
    return [item for item in items if item.key not in resolved]


def in_scope(agency_id: int | None, employer_id: int) -> bool:
    """Whether the employer is one of the agency's (None: any employer that exists)."""
    return bool(plain_rows(employers_where(agency_id=agency_id).where(Employer.id == employer_id)))


def find_item(employer_id: int, month: str, part: str, kind: str) -> QueueItem | None:
    """The employer's open item of ``month``, ``part`` and ``kind`` as it stands now, or None
    (none such, or resolved as it stands)."""
    if part not in PARTS or kind not in KINDS or not MONTH.fullmatch(month):
        return None
    return next(
        (
            item
            for item in queue_items(None, employer_id=employer_id)
            if (item.month, item.part, item.kind) == (month, part, kind)
        ),
        None,
    )


def recent_resolutions(agency_id: int | None) -> list[tuple[PaymentQueueResolution, str, str, str]]:
    """The latest resolutions of the agency's employers (None: every agency), each with the
    employer's name and credit code and who resolved it."""
    rows = db.session.execute(
        select(PaymentQueueResolution, Employer.name, Employer.credit_code, User)
        .join(Employer, Employer.id == PaymentQueueResolution.employer_id)
        .outerjoin(User, User.id == PaymentQueueResolution.resolved_by_id)
        .where(PaymentQueueResolution.employer_id.in_(employers_where(agency_id=agency_id)))
        .order_by(PaymentQueueResolution.resolved_at.desc(), PaymentQueueResolution.id.desc())
        .limit(RECENT_RESOLVED)
    )
    return [
        (resolution, name, code, getattr(user, "display_name", None) or "—")
        for resolution, name, code, user in rows
    ]
