"""The 2020 programs: an employer's choice of refund or offset for what was over-collected."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, String
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
