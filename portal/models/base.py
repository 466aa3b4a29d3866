"""Declarative base with a constraint naming convention, and exact decimal column types."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import ClassVar

from sqlalchemy import BigInteger, DateTime, MetaData, Table
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

from portal.util import clock

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """The portal clock's moment (``portal.util.clock.now``, aware UTC): the column default of every
    recorded time, so that a demonstration's rows carry its date. Needs an app context."""
    return clock.now()


class ScaledDecimal(TypeDecorator):
    """A ``Decimal`` stored as an integer count of 10**-scale units.

    SQLite's NUMERIC is a float, so money is stored as integer fen (scale 2) on every database;
    values are rounded half-up to the scale when stored, never in between.
    """

    impl = BigInteger
    cache_ok = True

    def __init__(self, scale: int = 2) -> None:
        super().__init__()
        self.scale = scale
        self._quantum = Decimal(1).scaleb(-scale)

    def process_bind_param(self, value: Decimal | int | None, dialect) -> int | None:
        if value is None:
            return None
        if isinstance(value, float):
            raise TypeError("money must be Decimal, not float")
        quantized = Decimal(value).quantize(self._quantum, rounding=ROUND_HALF_UP)
        return int(quantized.scaleb(self.scale))

    def process_result_value(self, value: int | None, dialect) -> Decimal | None:
        if value is None:
            return None
        return Decimal(int(value)).scaleb(-self.scale).quantize(self._quantum)


class Money(ScaledDecimal):
    """Yuan with two places, stored as integer fen."""

    cache_ok = True

    def __init__(self) -> None:
        super().__init__(scale=2)


class UTCDateTime(TypeDecorator):
    """A timezone-aware UTC datetime on both SQLite and PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("store timezone-aware datetimes only")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:  # SQLite drops the offset; every stored value is UTC
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    # Every model here declares a __tablename__, so what it is mapped to is a Table (SQLAlchemy
    # types it as any FromClause, which insert(), update() and delete() do not take).
    __table__: ClassVar[Table]
