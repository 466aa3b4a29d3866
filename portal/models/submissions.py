"""The forms already answered: one row per state-changing form submission, written in the
same transaction as the change it made (portal/web/submissions.py)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portal.models.base import Base, UTCDateTime, utcnow


class Submission(Base):
    """A rendered form's key, claimed by the request that acted on it, with its answer.

    ``key_hash`` is the SHA-256 of the form's random key (the key itself is only in the page and
    the request); ``request_hash`` of what was sent (fields, files, the session's CSRF token), so
    that the same key with other contents is told apart from a repeat. ``status``, ``location``
    and ``ref`` are the first answer: a redirect, or the row a page is shown again from.
    """

    __tablename__ = "submissions"

    id: Mapped[int] = mapped_column(primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    endpoint: Mapped[str] = mapped_column(String(80))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    status: Mapped[int | None] = mapped_column(SmallInteger)
    location: Mapped[str | None] = mapped_column(Text)
    ref: Mapped[int | None] = mapped_column(Integer)
