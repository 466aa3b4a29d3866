"""Service halls (经办服务大厅) and the visits at which hall staff act for an employer."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from portal.models.applications import CommitmentApplication
from portal.models.base import Base, UTCDateTime, utcnow
from portal.models.employers import Employer
from portal.models.geography import Agency

if TYPE_CHECKING:
    from portal.models.users import User

VISITOR_CAPACITIES = ("legal_representative", "agent")
ACTING_END_REASONS = ("stopped", "idle", "signed_out", "replaced")


class ServiceHall(Base):
    """A place where employers are served in person, with its address and phone number.

    A hall belongs to the agency whose employers it serves: its clerks record paper signatures
    there. ``agency_id`` is empty only for a hall loaded before its agency was set up (the
    migrations load Linyi's halls into an empty database); such a hall is listed under its
    city and offered to no clerk until an administrator chooses its agency.
    """

    __tablename__ = "service_halls"

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"), index=True)
    city: Mapped[str] = mapped_column(String(50))
    district: Mapped[str] = mapped_column(String(50))
    address: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str] = mapped_column(String(40))
    # Where the row came from, e.g. "临医保发〔2020〕28号 操作细则 四–五";
    # "" for an administrator's entry.
    source: Mapped[str] = mapped_column(String(200), default="")
    note: Mapped[str | None] = mapped_column(Text)
    position: Mapped[int] = mapped_column(Integer, default=0)
    is_listed: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    agency: Mapped[Agency | None] = relationship()

    @property
    def label(self) -> str:
        """How a letter or an audit row names the hall: city, district and address."""
        return f"{self.city}{self.district}（{self.address}）"


class ActingSession(Base):
    """Hall staff acting for one employer for one visitor, from start to stop (or 30 min idle).

    The identity-card number is kept only masked (first 6 and last 4) and as a keyed hash, so
    pages and exports never show it whole.
    """

    __tablename__ = "acting_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    employer_id: Mapped[int] = mapped_column(ForeignKey("employers.id"), index=True)
    visitor_name: Mapped[str] = mapped_column(String(100))
    visitor_id_masked: Mapped[str] = mapped_column(String(18))
    visitor_id_hash: Mapped[str] = mapped_column(String(64), index=True)
    capacity: Mapped[str] = mapped_column(String(30))  # legal_representative | agent
    # The scanned letter of authority (agents only): stored like evidence files.
    letter_name: Mapped[str | None] = mapped_column(String(200))
    letter_stored_name: Mapped[str | None] = mapped_column(String(80), unique=True)
    letter_content_type: Mapped[str | None] = mapped_column(String(50))
    letter_sha256: Mapped[str | None] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    end_reason: Mapped[str | None] = mapped_column(String(20))

    staff: Mapped[User] = relationship()
    employer: Mapped[Employer] = relationship()

    @property
    def is_open(self) -> bool:
        return self.ended_at is None

    def audit_details(self) -> dict[str, object]:
        """What every audit row written during this visit carries (never the ID number)."""
        return {
            "acting_session_id": self.id,
            "visitor_name": self.visitor_name,
            "visitor_capacity": self.capacity,
        }


class PaperSignature(Base):
    """A commitment letter signed and stamped on paper at a hall, scanned and recorded by staff.

    The application's ``signature_method`` is "paper"; this row says where, on which day, who
    received it, for which visit, and keeps the scan (stored like evidence files).
    """

    __tablename__ = "paper_signatures"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("commitment_applications.id"), unique=True
    )
    hall_id: Mapped[int | None] = mapped_column(ForeignKey("service_halls.id"))
    # The hall as printed on the letter, kept as it was even if the hall list changes later.
    hall_label: Mapped[str] = mapped_column(String(300))
    signed_on: Mapped[date] = mapped_column(Date)
    received_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    acting_session_id: Mapped[int] = mapped_column(ForeignKey("acting_sessions.id"))
    scan_name: Mapped[str] = mapped_column(String(200))
    scan_stored_name: Mapped[str] = mapped_column(String(80), unique=True)
    scan_content_type: Mapped[str] = mapped_column(String(50))
    scan_size_bytes: Mapped[int] = mapped_column(Integer)
    scan_sha256: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    received_by: Mapped[User] = relationship()
    acting_session: Mapped[ActingSession] = relationship()
    # ``application.paper_signature`` too, without changing the applications model's module.
    application: Mapped[CommitmentApplication] = relationship(
        backref=backref("paper_signature", uselist=False)
    )
