"""The agencies import: each 医保经办机构 with its pooling region, address, phone and the staff
contact for reports, inserted or updated by its code.

A pooling region is created by the first agency that names it, with its province from its code
(rules/data/regions.yaml); which program it runs follows from that code too, and a code no
program covers is refused. Every region or agency created or changed is audited with what it
held before and after. Only administrators (and the command line) import agencies.
"""

from __future__ import annotations

from operator import itemgetter

from sqlalchemy import select

from portal.core.extensions import db
from portal.features.imports import cells
from portal.features.imports.kinds.base import (
    Context,
    Kind,
    Problem,
    Row,
    Tally,
    audit_change,
    by_key,
    read_cells,
    same,
)
from portal.features.imports.reader import Column
from portal.models import Agency, PoolingRegion
from portal.rules import province_of

AGENCY_COLUMNS = (
    Column("agency_code", "医保经办机构代码"),
    Column("agency_name", "经办机构名称"),
    Column("region_code", "统筹地区代码"),
    Column("region_name", "统筹地区名称"),
    Column("address", "地址", required=False),
    Column("phone", "电话", required=False),
    Column("report_contact", "统计联系人", required=False),
    Column("report_contact_phone", "联系电话", required=False),
    Column("report_contact_mobile", "手机号码", required=False),
)
#: The agency's columns and the row's keys they take (a blank optional cell keeps what is
#: stored: ``read_cells`` gives None).
AGENCY_VALUES = {
    "name": "agency_name",
    "address": "address",
    "phone": "phone",
    "report_contact": "report_contact",
    "report_contact_phone": "report_contact_phone",
    "report_contact_mobile": "report_contact_mobile",
}


def _parse_agency(raw: dict[str, str], context: Context) -> Row:
    return read_cells(
        raw,
        {
            "agency_code": lambda v: cells.reference(v, limit=20),
            "agency_name": lambda v: cells.text(v, limit=100),
            "region_code": cells.covered_region_code,
            "region_name": lambda v: cells.text(v, limit=100),
            "address": lambda v: cells.text(v, limit=200),
            "phone": cells.phone,
            "report_contact": lambda v: cells.text(v, limit=100),
            "report_contact_phone": cells.phone,
            "report_contact_mobile": cells.phone,
        },
        AGENCY_COLUMNS,
    )


def _agency_batch(batch, context: Context, tally: Tally, apply: bool) -> None:
    """Compare each row with the stored agency and region; with ``apply``, write and audit."""
    # The regions named so far in the file: code -> (line, name); the first row naming a
    # region gives its name, a later one naming it otherwise is refused.
    named: dict[str, tuple[int, str]] = context.state.setdefault("regions_named", {})
    regions = {
        r.code: r
        for r in db.session.scalars(
            select(PoolingRegion).where(
                PoolingRegion.code.in_({r["region_code"] for _, r in batch})
            )
        )
    }
    agencies = {
        a.code: a
        for a in db.session.scalars(
            select(Agency).where(Agency.code.in_({r["agency_code"] for _, r in batch}))
        )
    }
    for line, row in batch:
        first = named.get(row["region_code"])
        if first is not None and first[1] != row["region_name"]:
            tally.refuse(
                Problem(
                    line,
                    KIND.column("region_name"),
                    "region_name_differs",
                    {"first": first[0], "name": first[1]},
                    row["region_name"],
                )
            )
            continue
        region = regions.get(row["region_code"])
        changes_region = first is None and (region is None or region.name != row["region_name"])
        named.setdefault(row["region_code"], (line, row["region_name"]))
        agency = agencies.get(row["agency_code"])
        new = {
            column: row[key]
            for column, key in AGENCY_VALUES.items()
            if row[key] is not None or agency is None
        }
        changes_agency = (
            agency is None
            or region is None
            or agency.region_id != region.id
            or not all(same(getattr(agency, k), v) for k, v in new.items())
        )
        if not (changes_region or changes_agency):
            tally.unchanged += 1
            continue
        if agency is None:
            tally.created += 1
        else:
            tally.updated += 1
        if apply and not tally.refused_rows:
            if changes_region:
                region = _save_region(region, row, line, context)
                regions[region.code] = region
            assert region is not None  # noqa: S101 - a new region was saved just above
            if changes_agency:
                agencies[row["agency_code"]] = _save_agency(agency, region, new, row, line, context)


def _save_region(region: PoolingRegion | None, row: Row, line: int, context: Context):
    """Create the region the row names, or rename it; audited."""
    after = {"code": row["region_code"], "name": row["region_name"]}
    if region is None:
        province = province_of(row["region_code"])
        assert province is not None  # noqa: S101 - cells.covered_region_code checked it
        region = PoolingRegion(
            code=row["region_code"], name=row["region_name"], province=province.name
        )
        db.session.add(region)
        db.session.flush()
        audit_change(
            context, "region.create", region, line, None, {**after, "province": province.name}
        )
        return region
    before = {"code": region.code, "name": region.name}
    region.name = row["region_name"]
    db.session.flush()
    audit_change(context, "region.update", region, line, before, after)
    return region


def _save_agency(agency: Agency | None, region: PoolingRegion, new: Row, row: Row, line, context):
    """Create or change the agency; audited with what it held before and after."""
    after = {"code": row["agency_code"], "region_code": region.code, **new}
    if agency is None:
        agency = Agency(code=row["agency_code"], region_id=region.id, **new)
        db.session.add(agency)
        db.session.flush()
        audit_change(context, "agency.create", agency, line, None, after)
        return agency
    before = {
        "code": agency.code,
        "region_code": agency.region.code,
        **{k: getattr(agency, k) for k in new},
    }
    agency.region_id = region.id
    for key, value in new.items():
        setattr(agency, key, value)
    db.session.flush()
    db.session.expire(agency, ["region"])
    audit_change(context, "agency.update", agency, line, before, after)
    return agency


KIND = Kind(
    "agencies",
    AGENCY_COLUMNS,
    by_key(_parse_agency),
    itemgetter("agency_code"),
    _agency_batch,
    key_column="agency_code",
    every_agency_only=True,
)
