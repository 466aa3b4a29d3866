"""The reminders' outbox: one row per message, written in the transaction that queues it."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.models.base import Base, UTCDateTime, utcnow
from portal.models.employers import Employer
from portal.models.users import User

#: queued -> sending (claimed by a run, under a lease) -> sent; failed (retried later, with a
#: pause); expired (not sent by its last day: shown to administrators). See outbox.py.
OUTBOX_STATUSES = ("queued", "sending", "sent", "failed", "expired")


class OutboxMessage(Base):
    """One message to one person: a reminder, or the link that confirms an e-mail address.

    The unique key (recipient, employer, kind, milestone) is what makes a reminder go out
    once however often, and on however many machines at once, ``reminders send`` runs.
    ``employer_key`` is the employer's id, or 0 for a message about no one employer (a
    reviewer's daily list, an address confirmation): a NULL would not count as a duplicate.
    """

    __tablename__ = "outbox_messages"
    __table_args__ = (UniqueConstraint("recipient_id", "employer_key", "kind", "milestone"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    employer_id: Mapped[int | None] = mapped_column(ForeignKey("employers.id"), index=True)
    employer_key: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(30))
    milestone: Mapped[str] = mapped_column(String(40))
    on_date: Mapped[date] = mapped_column(Date)  # the portal's date it was due on
    to_address: Mapped[str] = mapped_column(String(254))
    locale: Mapped[str] = mapped_column(String(10))
    subject: Mapped[str] = mapped_column(String(300))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default="queued", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(500))
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The run that claimed it to send (host:pid:random) and when: a lease that a later run may
    # take over once it has run out (the run died). Kept once sent: which run sent it.
    claimed_by: Mapped[str | None] = mapped_column(String(60))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # A failed message is tried again from then on (None: by the next run).
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The last day it is worth sending (its deadline, its link's last day …); then "expired".
    expires_on: Mapped[date | None] = mapped_column(Date)

    recipient: Mapped[User] = relationship()
    employer: Mapped[Employer | None] = relationship()
