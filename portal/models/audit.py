"""The append-only audit log: one row for every state change, in the same transaction."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.models.base import Base, UTCDateTime, utcnow

if TYPE_CHECKING:
    from portal.models.users import User


class AuditEntry(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    acting_for_employer_id: Mapped[int | None] = mapped_column(
        ForeignKey("employers.id"), index=True
    )
    role: Mapped[str] = mapped_column(String(20))
    action: Mapped[str] = mapped_column(String(60), index=True)
    object_type: Mapped[str | None] = mapped_column(String(40))
    object_id: Mapped[str | None] = mapped_column(String(40))
    request_id: Mapped[str | None] = mapped_column(String(32))
    details: Mapped[dict] = mapped_column(JSON, default=dict)

    # Read-only: who did it, for pages that name the person (hall staff acting for an employer).
    actor: Mapped[User | None] = relationship(viewonly=True)


class RateLimitWindow(Base):
    """A fixed-window request counter shared by every worker (rate limits hold across them)."""

    __tablename__ = "rate_limit_windows"

    key: Mapped[str] = mapped_column(String(120), primary_key=True)
    window_start: Mapped[int] = mapped_column(primary_key=True)  # epoch minute
    count: Mapped[int] = mapped_column(default=0)
