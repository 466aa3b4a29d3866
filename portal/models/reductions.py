"""The 2020 programs: an employer's choice of refund or offset for what was over-collected."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import Date, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.models.base import Base, Money, UTCDateTime, utcnow

if TYPE_CHECKING:
    from portal.models.users import User

RETURN_CHOICES = ("refund", "offset")


class ReturnChoice(Base):
    """One choice of refund or offset (鲁医保发〔2020〕23号 四; 锡医保服务〔2020〕11号 三（四）).

    The latest row is the employer's current choice; earlier ones stay as its history.
    """

    __tablename__ = "return_choices"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(30), unique=True)
    employer_id: Mapped[int] = mapped_column(ForeignKey("employers.id"), index=True)
    program_id: Mapped[str] = mapped_column(String(40))
    choice: Mapped[str] = mapped_column(String(20))  # "refund" | "offset"
    over_collected_amount: Mapped[Decimal] = mapped_column(Money())
    account: Mapped[str | None] = mapped_column(String(100))  # the refund's account, if given
    needs_application: Mapped[bool] = mapped_column(default=True)
    offset_from: Mapped[str | None] = mapped_column(String(7))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    decided_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    # The SHA-256 of the key of the form that sent it (portal/web/submissions.py).
    submission_token: Mapped[str] = mapped_column(String(64), unique=True)

    decided_by: Mapped[User] = relationship()


#: What a row of the agency's worklist returns: a refund, one month of an offset, or one month of
#: a July already collected offset against later months (江苏省实施方案（2022） 三（二）).
RETURN_KINDS = ("refund", "offset", "july_offset")


class ReturnDone(Base):
    """A refund or one month's offset carried out, with the bureau's or bank's reference.

    ``item_key`` names the worklist row (``refund-<choice>``, ``offset-<choice>-<month>``,
    ``july-<employer>-<month>``): unique, so a row is done once whoever marks it at the same
    time. The amount, account and clause are kept as they were when it was done.
    """

    __tablename__ = "returns_done"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_key: Mapped[str] = mapped_column(String(80), unique=True)
    employer_id: Mapped[int] = mapped_column(ForeignKey("employers.id"), index=True)
    program_id: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(20))  # one of RETURN_KINDS
    return_choice_id: Mapped[int | None] = mapped_column(ForeignKey("return_choices.id"))
    month: Mapped[str | None] = mapped_column(String(7))  # the offset's contribution month
    amount: Mapped[Decimal] = mapped_column(Money())
    account: Mapped[str | None] = mapped_column(String(220))  # where a refund went
    clause: Mapped[str] = mapped_column(String(300))
    reference: Mapped[str] = mapped_column(String(60))  # the bureau's or bank's reference
    done_on: Mapped[date] = mapped_column(Date)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))

    recorded_by: Mapped[User] = relationship()
