"""Reads of the reference data (agencies, pooling regions, their fund reserve and rates) and
the audit rows about each, scoped to what the staff member may see."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import abort
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from portal.core.extensions import db
from portal.models import Agency, AuditEntry, FundReserve, PoolingRegion, RegionRate, User
from portal.rules.months import month_of
from portal.web.permissions import agency_scope

#: The audit actions that write each kind of row (the ``action`` column is indexed).
AGENCY_ACTIONS = ("agency.create", "agency.update")
FUND_RESERVE_ACTIONS = ("fund_reserve.create", "fund_reserve.update")
RATE_ACTIONS = ("region_rate.create", "region_rate.update")


def region_scope(user: User) -> int | None:
    """The pooling region a staff member's reference work is limited to: their agency's; None
    for administrators (every region).

    :raise 403: a staff member without an agency who is no administrator.
    """
    agency_id = agency_scope(user)
    if agency_id is None:
        return None
    return db.session.scalar(select(Agency.region_id).where(Agency.id == agency_id))


def agencies(scope_agency_id: int | None) -> list[Agency]:
    """Every agency with its region by code (one agency's, for its own staff)."""
    query = select(Agency).options(joinedload(Agency.region)).order_by(Agency.code)
    if scope_agency_id is not None:
        query = query.where(Agency.id == scope_agency_id)
    return list(db.session.scalars(query))


def get_agency_or_404(agency_id: int) -> Agency:
    """:raise 404: no such agency."""
    agency = db.session.get(Agency, agency_id)
    if agency is None:
        abort(404)
    return agency


def all_regions() -> list[PoolingRegion]:
    return list(db.session.scalars(select(PoolingRegion).order_by(PoolingRegion.code)))


def get_region_or_404(region_id: int, scope_region_id: int | None) -> PoolingRegion:
    """:raise 404: no such region, or not the staff member's own."""
    region = db.session.get(PoolingRegion, region_id)
    if region is None or (scope_region_id is not None and region.id != scope_region_id):
        abort(404)
    return region


@dataclass(frozen=True)
class RegionRow:
    """A region as the list shows it: the fund reserve and the rates in force on the day."""

    region: PoolingRegion
    reserve: FundReserve | None
    rate: RegionRate | None


def region_rows(scope_region_id: int | None, on: date) -> list[RegionRow]:
    """Every region (the staff member's own only) with what is in force on ``on``: the latest
    fund reserve month and the latest rates begun in or before ``on``'s month. Three
    statements, whatever the number of regions."""
    month = month_of(on)
    regions = select(PoolingRegion).order_by(PoolingRegion.code)
    if scope_region_id is not None:
        regions = regions.where(PoolingRegion.id == scope_region_id)
    found = list(db.session.scalars(regions.options(selectinload(PoolingRegion.agencies))))
    latest_reserve = (
        select(FundReserve.region_id, func.max(FundReserve.month).label("month"))
        .where(FundReserve.month <= month)
        .group_by(FundReserve.region_id)
        .subquery()
    )
    reserves = {
        row.region_id: row
        for row in db.session.scalars(
            select(FundReserve).join(
                latest_reserve,
                (FundReserve.region_id == latest_reserve.c.region_id)
                & (FundReserve.month == latest_reserve.c.month),
            )
        )
    }
    latest_rate = (
        select(RegionRate.region_id, func.max(RegionRate.start_month).label("month"))
        .where(RegionRate.start_month <= month)
        .group_by(RegionRate.region_id)
        .subquery()
    )
    rates = {
        row.region_id: row
        for row in db.session.scalars(
            select(RegionRate).join(
                latest_rate,
                (RegionRate.region_id == latest_rate.c.region_id)
                & (RegionRate.start_month == latest_rate.c.month),
            )
        )
    }
    return [RegionRow(r, reserves.get(r.id), rates.get(r.id)) for r in found]


def fund_reserves(region: PoolingRegion) -> list[FundReserve]:
    """The region's fund reserve by month, newest first."""
    return list(
        db.session.scalars(
            select(FundReserve)
            .where(FundReserve.region_id == region.id)
            .order_by(FundReserve.month.desc())
        )
    )


def region_rates(region: PoolingRegion) -> list[RegionRate]:
    """The region's rates by the month they start, newest first."""
    return list(
        db.session.scalars(
            select(RegionRate)
            .where(RegionRate.region_id == region.id)
            .order_by(RegionRate.start_month.desc())
        )
    )


def get_fund_reserve_or_404(region: PoolingRegion, reserve_id: int) -> FundReserve:
    """:raise 404: no such month's figure in this region."""
    reserve = db.session.get(FundReserve, reserve_id)
    if reserve is None or reserve.region_id != region.id:
        abort(404)
    return reserve


def get_rate_or_404(region: PoolingRegion, rate_id: int) -> RegionRate:
    """:raise 404: no such rates row in this region."""
    rate = db.session.get(RegionRate, rate_id)
    if rate is None or rate.region_id != region.id:
        abort(404)
    return rate


def history(obj: Agency | FundReserve | RegionRate, actions: tuple[str, ...]) -> list[AuditEntry]:
    """The audit rows about one row (its creation and each change), newest first."""
    return list(
        db.session.scalars(
            select(AuditEntry)
            .options(selectinload(AuditEntry.actor))
            .where(
                AuditEntry.action.in_(actions),
                AuditEntry.object_type == type(obj).__name__,
                AuditEntry.object_id == str(obj.id),
            )
            .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        )
    )
