"""Other systems' access to the API (issue 25): the clients an administrator issues tokens to,
the employers' grants to them, and the journal of the 缓缴清单 that the tax bureau's feed reads."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.models.base import Base, UTCDateTime, utcnow


class ApiClient(Base):
    """A named system (a region's tax bureau, a payroll vendor) and its one token.

    Only the token's SHA-256 is kept: the token is shown once, when it is issued. ``scopes``
    are the endpoint names it may call (``tax-list``, ``standing``), ``agency_ids`` the
    agencies whose rows it may read (empty: none; a standing needs the employer's grant).
    """

    __tablename__ = "api_clients"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    # The token's first characters, to tell tokens apart on the page (never enough to use one).
    token_hint: Mapped[str] = mapped_column(String(12))
    scopes: Mapped[list] = mapped_column(JSON, default=list)
    agency_ids: Mapped[list] = mapped_column(JSON, default=list)
    can_write: Mapped[bool] = mapped_column(Boolean, default=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class ApiGrant(Base):
    """An employer's owner lets one client read its standing until a day (revocable)."""

    __tablename__ = "api_grants"
    __table_args__ = (Index("ix_api_grants_client_employer", "client_id", "employer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    employer_id: Mapped[int] = mapped_column(ForeignKey("employers.id"), index=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("api_clients.id"))
    until: Mapped[date] = mapped_column(Date)  # the last day it holds
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    granted_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class TaxListChange(Base):
    """The journal of the 缓缴清单: one row each time an employer's row of the list changes
    (its fingerprint, ``portal.features.reports.tax_list.TaxListRow.fingerprint``) or it
    leaves the list (``is_removal``). The same for every reader: the feed's cursor is a
    position in it, so reading moves nothing for anyone else (unlike the file's "since the last
    export"). ``id`` grows in commit order (appends are serialised per agency)."""

    __tablename__ = "tax_list_changes"
    __table_args__ = (Index("ix_tax_list_changes_agency_id_id", "agency_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    employer_id: Mapped[int] = mapped_column(ForeignKey("employers.id"), index=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    is_removal: Mapped[bool] = mapped_column(Boolean, default=False)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    month: Mapped[str] = mapped_column(String(7))  # the contribution month of 当期数 then
