"""Commitment applications (告知承诺制) and the stored, verifiable letters."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.models.base import Base, Money, UTCDateTime, utcnow
from portal.models.employers import Employer

if TYPE_CHECKING:
    from portal.models.users import User

APPLICATION_STATUSES = ("draft", "submitted", "approved", "rejected")
# What is applied for: the 2022 commitment route to the list, or a 2020 deferral of up to six
# months (临医保发〔2020〕28号 操作细则 一（二）、二（二）;
# 锡医保服务〔2020〕11号 三（一）). Both go
# through the same drafts, uploads, submission, review queue and audit.
APPLICATION_KINDS = ("commitment", "deferral_2020")


class CommitmentApplication(Base):
    """An employer's declaration of its figures with a signed commitment letter."""

    __tablename__ = "commitment_applications"
    # One row per round: a rejected application stays as it was and the employer's correction is
    # a new row with the next round number (two tabs cannot open the same round twice).
    __table_args__ = (UniqueConstraint("employer_id", "round"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str | None] = mapped_column(String(30), unique=True)
    employer_id: Mapped[int] = mapped_column(ForeignKey("employers.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="draft", index=True)
    round: Mapped[int] = mapped_column(Integer, default=1)
    program_id: Mapped[str | None] = mapped_column(String(40), index=True)
    kind: Mapped[str] = mapped_column(String(20), default="commitment", server_default="commitment")
    # A 2020 deferral: its first month, how many months, why, and (Wuxi) that the employees agreed
    defer_start: Mapped[str | None] = mapped_column(String(7))
    defer_months: Mapped[int | None] = mapped_column(Integer)
    defer_reason: Mapped[str | None] = mapped_column(Text)
    employees_agreed: Mapped[bool | None] = mapped_column(Boolean)
    # A 2020 deferral's ground (portal.rules DEFERRAL_ROUTES, 鲁医保发〔2020〕23号 三): "sme",
    # "industry" (with the industry of 鲁政办发〔2020〕5号 in defer_ground) or
    # "social_organisation"; None where the program has one ground.
    defer_route: Mapped[str | None] = mapped_column(String(30))
    defer_ground: Mapped[str | None] = mapped_column(String(30))
    unit_kind: Mapped[str | None] = mapped_column(String(40))
    industry: Mapped[str | None] = mapped_column(String(40))
    industry_code: Mapped[str | None] = mapped_column(String(10))
    employees: Mapped[int | None] = mapped_column(Integer)
    revenue_amount: Mapped[Decimal | None] = mapped_column(Money())
    assets_amount: Mapped[Decimal | None] = mapped_column(Money())
    computed_size: Mapped[str | None] = mapped_column(String(20))
    # A 2020 deferral: how its size class was found (portal.rules.SIZE_BASES, 鲁医保发〔2020〕23号
    # 三); "provisional" is 告知承诺, settled 多退少补 once the type is confirmed.
    size_basis: Mapped[str | None] = mapped_column(String(20))
    signature_method: Mapped[str | None] = mapped_column(String(10))  # online | paper
    signatory_name: Mapped[str | None] = mapped_column(String(100))
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    signed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    filed_by_staff_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    due_on: Mapped[date | None] = mapped_column(Date)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decision_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Optimistic lock: two reviewers deciding at once, one wins.
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}

    employer: Mapped[Employer] = relationship()
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
    signed_by: Mapped[User | None] = relationship(foreign_keys=[signed_by_id])
    filed_by_staff: Mapped[User | None] = relationship(foreign_keys=[filed_by_staff_id])
    evidence: Mapped[list[EvidenceFile]] = relationship(order_by="EvidenceFile.id")
    letters: Mapped[list[StoredLetter]] = relationship(order_by="StoredLetter.id")


class UploadedFile(Base):
    """The bytes of an uploaded file (evidence, letter of authority, scan of a paper letter).

    They live in the database, not on a worker's disk: every worker on every machine reads the
    same files, backups hold them, and a request that fails leaves none behind. Rows that use a
    file name it by ``name`` (a random name, never the user's).
    """

    __tablename__ = "uploaded_files"

    name: Mapped[str] = mapped_column(String(80), primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class UploadedFileChunk(Base):
    """A large upload's bytes, a megabyte a row (portal/core/chunks.py): an imported register
    is kept without ever being held whole; its ``UploadedFile`` row holds no data itself."""

    __tablename__ = "uploaded_file_chunks"

    name: Mapped[str] = mapped_column(ForeignKey("uploaded_files.name"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class EvidenceFile(Base):
    """An uploaded evidence file; its bytes are the ``UploadedFile`` named ``stored_name``."""

    __tablename__ = "evidence_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("commitment_applications.id"), index=True
    )
    original_name: Mapped[str] = mapped_column(String(200))
    stored_name: Mapped[str] = mapped_column(String(80), unique=True)
    content_type: Mapped[str] = mapped_column(String(50))
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class StoredLetter(Base):
    """A rendered commitment letter: the exact PDF bytes every download returns."""

    __tablename__ = "stored_letters"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("commitment_applications.id"), index=True
    )
    employer_id: Mapped[int] = mapped_column(ForeignKey("employers.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # signed | approved
    verification_code: Mapped[str] = mapped_column(String(32), unique=True)
    pdf: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    superseded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
