"""Employers, their users' memberships, and their deferral decisions."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.models.base import Base, Money, UTCDateTime, utcnow
from portal.models.geography import Agency
from portal.util import clock

if TYPE_CHECKING:
    from portal.models.users import User

SIZE_SOURCES = ("list", "commitment", "computed")
LIST_STATUSES = ("listed", "not_listed")
EMPLOYER_ROLES = ("owner", "finance")


class Employer(Base):
    """An insured unit, known to the agency before anyone can sign in for it."""

    __tablename__ = "employers"
    # The staff employer list: an agency's employers by name, fifty at a time, read from the
    # index in order instead of sorting the whole agency (it also serves agency_id alone).
    __table_args__ = (Index("ix_employers_agency_id_name", "agency_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    credit_code: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    unit_kind: Mapped[str] = mapped_column(String(40))
    insurance_unit_number: Mapped[str | None] = mapped_column(String(40), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    industry: Mapped[str | None] = mapped_column(String(40))
    size_class: Mapped[str | None] = mapped_column(String(20))
    size_source: Mapped[str | None] = mapped_column(String(20))
    list_status: Mapped[str] = mapped_column(String(20), default="not_listed")
    employees: Mapped[int | None] = mapped_column(Integer)
    revenue_amount: Mapped[Decimal | None] = mapped_column(Money())  # 万元
    assets_amount: Mapped[Decimal | None] = mapped_column(Money())  # 万元
    contribution_base_amount: Mapped[Decimal | None] = mapped_column(Money())
    first_insured_month: Mapped[str | None] = mapped_column(String(7))
    founded_month: Mapped[str | None] = mapped_column(String(7))
    is_july_paid: Mapped[bool] = mapped_column(Boolean, default=False)
    # 是否中断缴费 (Shandong 一: cleared first) and 欠费所属期止, the last month in arrears
    has_arrears: Mapped[bool] = mapped_column(Boolean, default=False)
    arrears_until: Mapped[str | None] = mapped_column(String(7))
    is_deregistering: Mapped[bool] = mapped_column(Boolean, default=False)
    # 注销日期 (鲁医保发〔2022〕21号 五: what is deferred is paid before deregistration)
    deregistered_on: Mapped[date | None] = mapped_column(Date)
    # The account the agency refunds to (有明确退费渠道, 鲁医保发〔2020〕23号 四), if it has one:
    # 退费开户行 and 退费账号.
    refund_bank: Mapped[str | None] = mapped_column(String(100))
    refund_account: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Moved on by the database when the employer's decisions, assessments, payments or
    # applications change (portal/models/facts_version.py); never written by the portal.
    facts_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    agency: Mapped[Agency] = relationship()
    memberships: Mapped[list[Membership]] = relationship(back_populates="employer")
    decisions: Mapped[list[DeferralDecision]] = relationship(
        back_populates="employer", order_by="DeferralDecision.decided_at"
    )

    @property
    def program_id(self) -> str:
        """The program of the employer's region on the portal's date (``portal.util.clock``)."""
        return self.program_on(clock.today())

    def program_on(self, on: date) -> str:
        """The program of the employer's region on ``on``."""
        return self.agency.region.program_on(on)


#: The employer's columns its standing is decided from (``portal.facts.standing``): what a
#: history row keeps as it stood before a change.
STANDING_COLUMNS = (
    "agency_id",
    "unit_kind",
    "size_class",
    "list_status",
    "is_july_paid",
    "has_arrears",
    "is_deregistering",
    "deregistered_on",
    "first_insured_month",
    "founded_month",
    "contribution_base_amount",
)


class EmployerFactHistory(Base):
    """An employer's standing columns as they stood until ``changed_at``, when a list import
    changed them (one row per changed employer per import): a report as of an earlier moment
    reads the first row changed after it instead of the employer's current values."""

    __tablename__ = "employer_fact_history"
    __table_args__ = (
        Index("ix_employer_fact_history_employer_changed", "employer_id", "changed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    employer_id: Mapped[int] = mapped_column(ForeignKey("employers.id"))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    unit_kind: Mapped[str] = mapped_column(String(40))
    size_class: Mapped[str | None] = mapped_column(String(20))
    list_status: Mapped[str] = mapped_column(String(20))
    is_july_paid: Mapped[bool] = mapped_column(Boolean)
    has_arrears: Mapped[bool] = mapped_column(Boolean)
    is_deregistering: Mapped[bool] = mapped_column(Boolean)
    deregistered_on: Mapped[date | None] = mapped_column(Date)
    first_insured_month: Mapped[str | None] = mapped_column(String(7))
    founded_month: Mapped[str | None] = mapped_column(String(7))
    contribution_base_amount: Mapped[Decimal | None] = mapped_column(Money())


class Membership(Base):
    """A user's role at an employer: owner (legal representative) or finance staff."""

    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("user_id", "employer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    employer_id: Mapped[int] = mapped_column(ForeignKey("employers.id"), index=True)
    role: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    user: Mapped[User] = relationship(back_populates="memberships")
    employer: Mapped[Employer] = relationship(back_populates="memberships")


class DeferralDecision(Base):
    """One decision of an employer: take the deferral (with its period) or opt out."""

    __tablename__ = "deferral_decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(30), unique=True)
    employer_id: Mapped[int] = mapped_column(ForeignKey("employers.id"), index=True)
    choice: Mapped[str] = mapped_column(String(20))  # "defer" | "opt_out"
    period_start: Mapped[str | None] = mapped_column(String(7))
    period_end: Mapped[str | None] = mapped_column(String(7))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    decided_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    # One form submission records one decision, however often it is sent.
    submission_token: Mapped[str] = mapped_column(String(64), unique=True)
    note: Mapped[str | None] = mapped_column(Text)

    employer: Mapped[Employer] = relationship(back_populates="decisions")
    decided_by: Mapped[User] = relationship()
