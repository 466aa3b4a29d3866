"""Change the reference data: agencies, pooling regions, a region's fund reserve and rates.

Every add and edit writes one audit row whose details hold ``before`` and ``after`` (the
fields that changed; an add has nothing before), so that each row's history can be shown.
An add sent twice (a double click, two tabs) answers like the first: the same values are the
row already there, other values for the same key are refused in words.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal.core import audit
from portal.core.extensions import db
from portal.models import Agency, FundReserve, PoolingRegion, RegionRate, User
from portal.models.base import utcnow
from portal.rules.errors import DomainError
from portal.rules.regions import covering
from portal.rules.regions import province_of as province_of_code


class ReferenceError(DomainError):
    """Reference data refused: agency_code_taken, region_code_taken, region_unknown,
    region_code_unknown, month_taken."""

    kind = "reference"


# ------------------------------------------------------------------------ pooling regions


def province_of(code: str) -> str | None:
    """The province's name of a region that a program covers (the code's first two digits,
    ``portal/rules/data/regions.yaml``); None for a code no program covers."""
    if covering(code) is None:
        return None
    province = province_of_code(code)
    return province.name if province is not None else None


def ensure_region(code: str, name: str, *, actor: User | None) -> PoolingRegion:
    """The pooling region with ``code``, created with ``name`` when there is none yet.

    :raise ReferenceError: the code has no province (``region_code_unknown``), or a region
        with this code exists under another name (``region_code_taken``).
    """
    province = province_of(code)
    if province is None:
        raise ReferenceError("region_code_unknown", field="new_region_code", region_code=code)
    existing = _region_by_code(code)
    if existing is None:
        region = PoolingRegion(code=code, name=name, province=province)
        try:
            with db.session.begin_nested():
                db.session.add(region)
        except IntegrityError:  # the same region created at the same moment
            existing = _region_by_code(code)
        else:
            audit.record(
                actor,
                "region.create",
                obj=region,
                details={"before": {}, "after": {"code": code, "name": name}},
            )
            return region
    if existing is None or existing.name != name:
        raise ReferenceError(
            "region_code_taken",
            field="new_region_code",
            region_code=code,
            name=existing.name if existing else "",
        )
    return existing


def _region_by_code(code: str) -> PoolingRegion | None:
    return db.session.scalar(select(PoolingRegion).where(PoolingRegion.code == code))


# ------------------------------------------------------------------------------- agencies


@dataclass(frozen=True)
class AgencyValues:
    """An agency as typed: its region chosen (``region_id``) or new (code and name)."""

    code: str
    name: str
    region_id: int | None
    new_region_code: str | None
    new_region_name: str | None
    address: str | None
    phone: str | None
    report_contact: str | None
    report_contact_phone: str | None
    report_contact_mobile: str | None = None


AGENCY_FIELDS = (
    "code",
    "name",
    "address",
    "phone",
    "report_contact",
    "report_contact_phone",
    "report_contact_mobile",
)


def create_agency(values: AgencyValues, *, actor: User) -> Agency:
    """Add an agency, and its pooling region when it names a new one.

    :raise ReferenceError: the code belongs to another agency, or the region is refused.
    """
    existing = _agency_by_code(values.code)
    if existing is not None:
        return _created_already(existing, values)
    region = _region_of(values, actor)
    agency = Agency(region_id=region.id, **{k: getattr(values, k) for k in AGENCY_FIELDS})
    try:
        with db.session.begin_nested():
            db.session.add(agency)
    except IntegrityError:  # the same code added at the same moment
        return _created_already(_agency_by_code(values.code), values)
    audit.record(
        actor, "agency.create", obj=agency, details={"before": {}, "after": agency_snapshot(agency)}
    )
    return agency


def update_agency(agency: Agency, values: AgencyValues, *, actor: User) -> bool:
    """Change an agency; return False (and write nothing) when nothing changed.

    :raise ReferenceError: the new code belongs to another agency, or the region is refused.
    """
    other = _agency_by_code(values.code)
    if other is not None and other.id != agency.id:
        raise ReferenceError("agency_code_taken", field="code", agency_code=values.code)
    region = _region_of(values, actor)
    before = agency_snapshot(agency)
    try:
        with db.session.begin_nested():
            for key in AGENCY_FIELDS:
                setattr(agency, key, getattr(values, key))
            agency.region = region
    except IntegrityError:  # the code taken by an agency added at the same moment
        db.session.refresh(agency)
        raise ReferenceError("agency_code_taken", field="code", agency_code=values.code) from None
    return _record_change(actor, "agency.update", agency, before, agency_snapshot(agency))


def agency_snapshot(agency: Agency) -> dict[str, Any]:
    """The agency's fields as the audit log keeps them (its region by code)."""
    region = db.session.get(PoolingRegion, agency.region_id)
    return {
        "code": agency.code,
        "name": agency.name,
        "region": f"{region.code} {region.name}" if region else None,
        **{k: getattr(agency, k) for k in AGENCY_FIELDS[2:]},
    }


def _agency_by_code(code: str) -> Agency | None:
    return db.session.scalar(select(Agency).where(Agency.code == code))


def _region_of(values: AgencyValues, actor: User) -> PoolingRegion:
    if values.region_id is not None:
        region = db.session.get(PoolingRegion, values.region_id)
        if region is None:
            raise ReferenceError("region_unknown", field="region")
        return region
    return ensure_region(values.new_region_code or "", values.new_region_name or "", actor=actor)


def _created_already(agency: Agency | None, values: AgencyValues) -> Agency:
    """The same agency sent twice is the one added, not an error.

    :raise ReferenceError: the code belongs to an agency with other details.
    """
    if agency is None or agency_snapshot(agency) != _wanted(values):
        raise ReferenceError("agency_code_taken", field="code", agency_code=values.code)
    return agency


def _wanted(values: AgencyValues) -> dict[str, Any]:
    if values.region_id is not None:
        region = db.session.get(PoolingRegion, values.region_id)
        label = f"{region.code} {region.name}" if region else None
    else:
        label = f"{values.new_region_code} {values.new_region_name}"
    return {
        "code": values.code,
        "name": values.name,
        "region": label,
        **{k: getattr(values, k) for k in AGENCY_FIELDS[2:]},
    }


# --------------------------------------------------------------------------- fund reserve


def add_fund_reserve(
    region: PoolingRegion, month: str, months: Decimal, *, actor: User
) -> FundReserve:
    """Record the region's 统筹基金累计结存可支付月数 for ``month``.

    :raise ReferenceError: the month has another figure already (``month_taken``).
    """
    existing = _reserve_of(region, month)
    if existing is None:
        reserve = FundReserve(region_id=region.id, month=month, months=months)
        try:
            with db.session.begin_nested():
                db.session.add(reserve)
        except IntegrityError:  # the same month added at the same moment
            existing = _reserve_of(region, month)
        else:
            audit.record(
                actor,
                "fund_reserve.create",
                obj=reserve,
                details={"region": region.code, "before": {}, "after": _reserve_snapshot(reserve)},
            )
            return reserve
    if existing is None or existing.months != months:
        raise ReferenceError(
            "month_taken",
            field="month",
            month=month,
            value=_text(existing.months if existing else None),
        )
    return existing


def update_fund_reserve(reserve: FundReserve, months: Decimal, *, actor: User) -> bool:
    """Change a month's figure; return False (and write nothing) when it is the same."""
    before = _reserve_snapshot(reserve)
    reserve.months = months
    return _record_change(actor, "fund_reserve.update", reserve, before, _reserve_snapshot(reserve))


def _reserve_of(region: PoolingRegion, month: str) -> FundReserve | None:
    return db.session.scalar(
        select(FundReserve).where(FundReserve.region_id == region.id, FundReserve.month == month)
    )


def _reserve_snapshot(reserve: FundReserve) -> dict[str, Any]:
    return {"month": reserve.month, "months": _text(reserve.months)}


# ---------------------------------------------------------------------------------- rates


@dataclass(frozen=True)
class Rates:
    unit_medical_rate: Decimal
    maternity_rate: Decimal


def add_rates(region: PoolingRegion, start_month: str, rates: Rates, *, actor: User) -> RegionRate:
    """Record the region's unit medical and maternity rates from ``start_month`` on.

    :raise ReferenceError: the month has other rates already (``month_taken``).
    """
    existing = _rate_of(region, start_month)
    if existing is None:
        rate = RegionRate(
            region_id=region.id,
            start_month=start_month,
            unit_medical_rate=rates.unit_medical_rate,
            maternity_rate=rates.maternity_rate,
        )
        try:
            with db.session.begin_nested():
                db.session.add(rate)
        except IntegrityError:  # the same month added at the same moment
            existing = _rate_of(region, start_month)
        else:
            audit.record(
                actor,
                "region_rate.create",
                obj=rate,
                details={"region": region.code, "before": {}, "after": _rate_snapshot(rate)},
            )
            return rate
    if existing is None or _rates(existing) != rates:
        figures = (existing.unit_medical_rate, existing.maternity_rate) if existing else ()
        raise ReferenceError(
            "month_taken",
            field="start_month",
            month=start_month,
            value=" / ".join(str(_text(figure)) for figure in figures),
        )
    return existing


def update_rates(rate: RegionRate, rates: Rates, *, actor: User) -> bool:
    """Change a month's rates; return False (and write nothing) when they are the same."""
    before = _rate_snapshot(rate)
    rate.unit_medical_rate = rates.unit_medical_rate
    rate.maternity_rate = rates.maternity_rate
    return _record_change(actor, "region_rate.update", rate, before, _rate_snapshot(rate))


def _rate_of(region: PoolingRegion, start_month: str) -> RegionRate | None:
    return db.session.scalar(
        select(RegionRate).where(
            RegionRate.region_id == region.id, RegionRate.start_month == start_month
        )
    )


def _rates(rate: RegionRate) -> Rates:
    return Rates(rate.unit_medical_rate, rate.maternity_rate)


def _rate_snapshot(rate: RegionRate) -> dict[str, Any]:
    return {
        "start_month": rate.start_month,
        "unit_medical_rate": _text(rate.unit_medical_rate),
        "maternity_rate": _text(rate.maternity_rate),
    }


# ----------------------------------------------------------------------------------------


def _text(value: Decimal | None) -> str | None:
    """A figure as the audit log keeps it: its digits, without trailing zeros (12.5, 0.065)."""
    if value is None:
        return None
    return format(value.normalize(), "f")


def _record_change(
    actor: User,
    action: str,
    obj: Agency | FundReserve | RegionRate,
    before: dict[str, Any],
    after: dict[str, Any],
) -> bool:
    """Write the audit row of a change (the fields that changed, before and after); return
    False when nothing did."""
    changed = [key for key in after if before.get(key) != after[key]]
    if not changed:
        return False
    details: dict[str, Any] = {
        "before": {k: before.get(k) for k in changed},
        "after": {k: after[k] for k in changed},
    }
    if isinstance(obj, FundReserve | RegionRate):
        obj.updated_at = utcnow()
        details["region"] = obj.region.code
    db.session.flush()
    audit.record(actor, action, obj=obj, details=details)
    return True
