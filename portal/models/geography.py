"""Pooling regions and the insurance agencies (医保经办机构) in them."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.models.base import Base, ScaledDecimal, UTCDateTime, utcnow
from portal.rules.regions import RegionPrograms, region_programs


class PoolingRegion(Base):
    """A 统筹地区: its administrative code, which names the programs that apply there.

    The programs follow from the code (``portal/rules/data/regions.yaml``), never from a stored
    value; the fund reserve and the rates are dated rows (``FundReserve``, ``RegionRate``).
    """

    __tablename__ = "pooling_regions"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    province: Mapped[str] = mapped_column(String(50))

    agencies: Mapped[list[Agency]] = relationship(back_populates="region")

    @property
    def programs(self) -> RegionPrograms:
        """The region's programs with the dates they apply.

        :raise UncoveredRegion: no program covers the region's code.
        """
        return region_programs(self.code)

    def program_on(self, on: date) -> str:
        """The id of the program the region shows on ``on``."""
        return self.programs.shown(on).program_id


class Agency(Base):
    """A 医保经办机构: the office that reviews applications and keeps the list."""

    __tablename__ = "agencies"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    region_id: Mapped[int] = mapped_column(ForeignKey("pooling_regions.id"))
    address: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(40))
    # 统计联系人 and 联系电话: whom the monthly reports name (内医保办发〔2022〕19号 五 2)
    report_contact: Mapped[str | None] = mapped_column(String(100))
    report_contact_phone: Mapped[str | None] = mapped_column(String(40))
    # 手机号码: the mobile number the Wuxi 附表's footer asks for (锡医保服务〔2020〕11号 附表)
    report_contact_mobile: Mapped[str | None] = mapped_column(String(40))

    region: Mapped[PoolingRegion] = relationship(back_populates="agencies")


class FundReserve(Base):
    """统筹基金累计结存可支付月数 of a region as reported for one month (``YYYY-MM``).

    It changes every month: the value in force on a day is the latest month's on or before it
    (Jiangsu 二 and Inner Mongolia 一 defer only where it is above 6).
    """

    __tablename__ = "fund_reserves"
    __table_args__ = (UniqueConstraint("region_id", "month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("pooling_regions.id"))
    month: Mapped[str] = mapped_column(String(7))
    months: Mapped[Decimal] = mapped_column(ScaledDecimal(2))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    region: Mapped[PoolingRegion] = relationship()


class RegionRate(Base):
    """A region's unit medical and maternity rates from a month (``YYYY-MM``) on, until a
    later row: used to estimate a month's unit amount before the agency assessed it."""

    __tablename__ = "region_rates"
    __table_args__ = (UniqueConstraint("region_id", "start_month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("pooling_regions.id"))
    start_month: Mapped[str] = mapped_column(String(7))
    unit_medical_rate: Mapped[Decimal] = mapped_column(ScaledDecimal(4))
    maternity_rate: Mapped[Decimal] = mapped_column(ScaledDecimal(4))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    region: Mapped[PoolingRegion] = relationship()
