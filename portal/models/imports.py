"""Files imported by the back office: the departments' list, assessments, persons, payments,
and the reference data (agencies, fund reserve, rates)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import JSON, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.models.base import Base, UTCDateTime, utcnow

if TYPE_CHECKING:
    from portal.models.employers import Employer
    from portal.models.users import User

IMPORT_KINDS = (
    "list",
    "assessments",
    "persons",
    "payments",
    "collections",
    "agencies",
    "fund-reserve",
    "rates",
)
IMPORT_STATUSES = ("checked", "applying", "applied", "refused")


class ImportRecord(Base):
    """One file as it was checked, refused or applied: who, when, which file, what it did.

    A file is checked first (``checked``: nothing changed) and applied only on a second,
    explicit confirmation of the same bytes (its SHA-256); until then its bytes wait in
    ``uploaded_files`` under ``stored_name``, which every worker can read.
    """

    __tablename__ = "import_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), index=True)
    file_name: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(Integer)
    stored_name: Mapped[str | None] = mapped_column(String(80))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    # The agency the actor may import for; None: every agency (administrators, the command).
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    rows: Mapped[int] = mapped_column(Integer, default=0)
    created: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    refused: Mapped[int] = mapped_column(Integer, default=0)
    # [{"line", "column", "message"}] and [{"line", "credit_code", "message"}]
    errors: Mapped[list] = mapped_column(JSON, default=list)
    conflicts: Mapped[list] = mapped_column(JSON, default=list)
    # [{"line", "credit_code", "column", "before", "after"}]: changes to a confirmed employer
    # not applied with the file, waiting in ``held_changes`` for agency staff
    held: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    applied_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The job applying it (portal/core/jobs.py), from the confirmation on.
    job_id: Mapped[int | None] = mapped_column(ForeignKey("jobs.id"))


# superseded: a later list's word on the same employer's column replaced it while pending
HELD_STATUSES = ("pending", "accepted", "rejected", "superseded")


class HeldChange(Base):
    """A list row's change to a confirmed employer's size class, list status or arrears,
    held for a decision (内医保办发〔2022〕19号 三（一）2: 划型结果一经确认，原则上不再变更):
    applied only when agency staff accept it, with a reason; rejected, the stored value stays."""

    __tablename__ = "held_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    import_id: Mapped[int] = mapped_column(ForeignKey("import_records.id"), index=True)
    employer_id: Mapped[int] = mapped_column(ForeignKey("employers.id"), index=True)
    line: Mapped[int] = mapped_column(Integer)
    column: Mapped[str] = mapped_column(String(40))  # the employer's column (size_class ...)
    before: Mapped[str | None] = mapped_column(String(40))
    after: Mapped[str | None] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    reason: Mapped[str | None] = mapped_column(Text)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    record: Mapped[ImportRecord] = relationship()
    employer: Mapped[Employer] = relationship()
    decided_by: Mapped[User | None] = relationship()
