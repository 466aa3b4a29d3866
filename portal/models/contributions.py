"""Monthly assessments (per employer and per person) and payments."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.models.base import Base, Money, UTCDateTime, utcnow


class Assessment(Base):
    """The agency's assessment of one employer for one contribution month (费款所属期)."""

    __tablename__ = "assessments"
    __table_args__ = (UniqueConstraint("employer_id", "month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    employer_id: Mapped[int] = mapped_column(ForeignKey("employers.id"), index=True)
    month: Mapped[str] = mapped_column(String(7))  # YYYY-MM
    headcount: Mapped[int] = mapped_column(Integer)
    contribution_base_amount: Mapped[Decimal] = mapped_column(Money())
    unit_amount: Mapped[Decimal] = mapped_column(Money())
    personal_amount: Mapped[Decimal] = mapped_column(Money())
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class PersonAssessment(Base):
    """One insured person's unit part for one month, for departure settlements."""

    __tablename__ = "person_assessments"
    __table_args__ = (UniqueConstraint("employer_id", "person_ref", "month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    employer_id: Mapped[int] = mapped_column(ForeignKey("employers.id"), index=True)
    person_ref: Mapped[str] = mapped_column(String(40))  # the agency's personal number
    person_name: Mapped[str] = mapped_column(String(100))
    month: Mapped[str] = mapped_column(String(7))
    unit_amount: Mapped[Decimal] = mapped_column(Money())
    personal_amount: Mapped[Decimal] = mapped_column(Money())


class Departure(Base):
    """An insured person who left, retired or transferred: their deferred part is due at once."""

    __tablename__ = "departures"
    __table_args__ = (UniqueConstraint("employer_id", "person_ref"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    employer_id: Mapped[int] = mapped_column(ForeignKey("employers.id"), index=True)
    person_ref: Mapped[str] = mapped_column(String(40))
    reason: Mapped[str] = mapped_column(String(20))  # left | retired | transferred
    left_on: Mapped[date] = mapped_column(Date)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Payment(Base):
    """A payment recorded by the tax bureau: one contribution month (费款所属期) and one part.

    Only the unit part of a deferred month reduces the deferral; the personal part, which the
    employer keeps withholding and paying during it (鲁医保发〔2022〕21号 五, 内医保办发〔2022〕19号
    一, 江苏 三（三）), is recorded as the withholding it is. Rows imported before the part and the
    month were known keep ``month`` empty and count as the unit part, as they were read then.
    """

    __tablename__ = "payments"
    __table_args__ = (UniqueConstraint("source_ref"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    employer_id: Mapped[int] = mapped_column(ForeignKey("employers.id"), index=True)
    paid_on: Mapped[date] = mapped_column(Date)
    amount: Mapped[Decimal] = mapped_column(Money())
    # The contribution month it pays (费款所属期, YYYY-MM); empty only on rows from before.
    month: Mapped[str | None] = mapped_column(String(7))
    part: Mapped[str] = mapped_column(String(10), default="unit", server_default="unit")
    # 险种, where the bureau splits it: "medical" | "maternity"; empty when it does not.
    insurance: Mapped[str | None] = mapped_column(String(20))
    settles: Mapped[str] = mapped_column(
        String(100)
    )  # what it settles, e.g. "deferred 2022-07..09"
    source_ref: Mapped[str] = mapped_column(String(64))  # the payment's id in the source system
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


PAYMENT_PARTS = ("unit", "personal")
PAYMENT_INSURANCES = ("medical", "maternity")


class Collection(Base):
    """What the tax bureau says it collected of one employer's contribution month and part
    (内医保办发〔2022〕19号 三（三）: the bureau returns what it collected, unit and personal
    parts apart), for the reconciliation with the portal's figures (鲁医保发〔2022〕21号 六).

    One row per employer, month and part: the bureau's figure is the total collected for it as
    of ``collected_on`` (征收日期), so a later file's different figure for the same key is the
    bureau's correction and replaces it (audited with what it held before).
    """

    __tablename__ = "collections"
    __table_args__ = (UniqueConstraint("employer_id", "month", "part"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    employer_id: Mapped[int] = mapped_column(ForeignKey("employers.id"), index=True)
    month: Mapped[str] = mapped_column(String(7))  # 费款所属期, YYYY-MM
    part: Mapped[str] = mapped_column(String(10))  # PAYMENT_PARTS: unit | personal
    amount: Mapped[Decimal] = mapped_column(Money())
    collected_on: Mapped[date] = mapped_column(Date)
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class PaymentQueueResolution(Base):
    """Agency staff's note that a payment-queue item is dealt with (``features/payments``).

    The queue itself is computed from the payments and assessments as they stand (a payment
    that matches no assessment, a month's part paid beyond what is assessed): an assessment
    imported later or a payment corrected changes it by itself. A resolution holds for the
    item as it was seen (employer, month, part, kind and difference): should the difference
    change (another payment for the month), the item is back in the queue.
    """

    __tablename__ = "payment_queue_resolutions"
    __table_args__ = (
        UniqueConstraint(
            "employer_id",
            "month",
            "part",
            "kind",
            "difference",
            name="uq_payment_queue_resolutions_item",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    employer_id: Mapped[int] = mapped_column(ForeignKey("employers.id"), index=True)
    month: Mapped[str] = mapped_column(String(7))
    part: Mapped[str] = mapped_column(String(10))
    kind: Mapped[str] = mapped_column(String(20))  # "unmatched" | "over"
    difference: Mapped[Decimal] = mapped_column(Money())
    note: Mapped[str] = mapped_column(Text)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    resolved_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
