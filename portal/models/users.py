"""Personal accounts, staff roles and one-time activation codes."""

from __future__ import annotations

import secrets
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, ForeignKey, Integer, String, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.models.base import Base, UTCDateTime, utcnow
from portal.models.employers import Employer, Membership
from portal.models.geography import Agency

STAFF_ROLES = ("hall", "reviewer", "admin")


def new_session_nonce() -> str:
    return secrets.token_urlsafe(24)


class User(UserMixin, Base):
    """A person who signs in: employer owner/finance (through memberships) or agency staff."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(255))
    staff_role: Mapped[str | None] = mapped_column(String(20))
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    locale: Mapped[str | None] = mapped_column(String(10))
    # Reminders (portal/features/reminders): nothing is sent to an address before its owner
    # confirmed it by the link sent there; each person can turn reminders off.
    email: Mapped[str | None] = mapped_column(String(254))
    email_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reminders_enabled: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    is_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Changing the nonce ends every session of this user (logout, password change).
    session_nonce: Mapped[str] = mapped_column(String(64), default=new_session_nonce)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    agency: Mapped[Agency | None] = relationship()
    memberships: Mapped[list[Membership]] = relationship(back_populates="user")

    @property
    def has_confirmed_email(self) -> bool:
        return bool(self.email) and self.email_confirmed_at is not None

    def get_id(self) -> str:
        return f"{self.id}:{self.session_nonce}"

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.is_enabled

    @property
    def is_staff(self) -> bool:
        return self.staff_role is not None


class ActivationCode(Base):
    """A one-time code that makes its holder owner or finance staff of one employer."""

    __tablename__ = "activation_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    employer_id: Mapped[int] = mapped_column(ForeignKey("employers.id"), index=True)
    role: Mapped[str] = mapped_column(String(20))
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    issued_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    used_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # The invitee's e-mail address, when the owner gave one with the invitation: the account
    # made with this code starts with it (unconfirmed).
    email: Mapped[str | None] = mapped_column(String(254))

    employer: Mapped[Employer] = relationship()
