"""What was sent out: each 缓缴清单 export, and the fingerprint of every row it carried."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.models.base import Base, UTCDateTime, utcnow

if TYPE_CHECKING:
    from portal.models.users import User


class TaxListExport(Base):
    """One 缓缴清单 file handed to the tax bureau (内医保办发〔2022〕19号 五).

    Its rows' fingerprints tell the next ``since_last`` export what the bureau already has;
    its removals (移出清单: employers sent before that have left the list) go in a sheet or a
    file of their own, so that the list itself keeps its format.
    """

    __tablename__ = "tax_list_exports"

    id: Mapped[int] = mapped_column(primary_key=True)
    # None: every agency (an administrator's or a command's export of the whole list).
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"), index=True)
    on_date: Mapped[date] = mapped_column(Date)
    is_since_last: Mapped[bool] = mapped_column(Boolean, default=False)
    # 按月共享 (内医保办发〔2022〕19号 五 2): last month's list with last month's figures, for
    # statistics; it records no rows, so the daily sharing's changes and removals ignore it.
    is_monthly: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    file_format: Mapped[str] = mapped_column(String(10))  # csv | xlsx
    row_count: Mapped[int] = mapped_column(Integer)
    file_sha256: Mapped[str] = mapped_column(String(64))
    removal_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # The removals' own file (CSV), when there are removals; an .xlsx carries them as a sheet.
    removals_sha256: Mapped[str | None] = mapped_column(String(64))
    # The file as sent, whole, as exports kept it before their files went to
    # ``tax_list_export_chunks``; None for those (their file is read there: ``sent_file``).
    content: Mapped[bytes | None] = mapped_column(LargeBinary)
    # The file's 传输时间, too.
    exported_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # None: a command (flask portal export tax-list), like the demo loader's audit row.
    exported_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    rows: Mapped[list[TaxListExportRow]] = relationship(
        back_populates="export", order_by="TaxListExportRow.id"
    )


class TaxListExportChunk(Base):
    """A megabyte of the file an export handed out (the list, or the .zip of the list's and the
    removals' .csv), in order: the file as sent, kept without ever being held whole."""

    __tablename__ = "tax_list_export_chunks"

    export_id: Mapped[int] = mapped_column(
        ForeignKey("tax_list_exports.id", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class TaxListExportRow(Base):
    """An employer's row in one export: the SHA-256 of its cells (without 传输时间), on the
    list or, ``is_removal``, on the removals (the employer left the list since it was sent)."""

    __tablename__ = "tax_list_export_rows"
    __table_args__ = (UniqueConstraint("export_id", "employer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    export_id: Mapped[int] = mapped_column(ForeignKey("tax_list_exports.id"), index=True)
    employer_id: Mapped[int] = mapped_column(ForeignKey("employers.id"), index=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    is_removal: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    export: Mapped[TaxListExport] = relationship(back_populates="rows")


class SentMonthlyReport(Base):
    """A monthly deferral report as it was sent (按月共享, 内医保办发〔2022〕19号 五 2): its
    figures and its file, kept as they were; the page and the command show this one, never a
    recomputation. One per month and scope (an agency, or every agency: ``scope`` "" )."""

    __tablename__ = "sent_monthly_reports"
    __table_args__ = (UniqueConstraint("month", "scope"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[str] = mapped_column(String(7))
    # The agency's code, or "" for every agency (a NULL would let two rows share a month).
    scope: Mapped[str] = mapped_column(String(20))
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"), index=True)
    as_of: Mapped[date] = mapped_column(Date)
    figures: Mapped[dict] = mapped_column(JSON)
    file_name: Mapped[str] = mapped_column(String(120))
    file_bytes: Mapped[bytes] = mapped_column(LargeBinary)
    file_sha256: Mapped[str] = mapped_column(String(64))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # None: a command (flask portal report monthly --sent).
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    sent_by: Mapped[User | None] = relationship()
