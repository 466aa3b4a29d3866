"""Reads every report's pages and commands share: the agencies, and the one in a staff
member's scope. Each report reads its own figures (``tax_list``, ``monthly``, ``wuxi_2020``).
"""

from __future__ import annotations

from flask import abort
from sqlalchemy import String, select

from portal.core.extensions import db
from portal.models import Agency, Collection, Employer, TaxListExport
from portal.rules.months import first_day, last_day

_CODE_TYPE = Agency.__table__.c.code.type
assert isinstance(_CODE_TYPE, String) and _CODE_TYPE.length  # noqa: S101 - String(20)
AGENCY_CODE_LENGTH = _CODE_TYPE.length


def agencies(agency_id: int | None = None) -> list[Agency]:
    """Every agency (or the one), by code."""
    query = select(Agency).order_by(Agency.code)
    if agency_id is not None:
        query = query.where(Agency.id == agency_id)
    return list(db.session.scalars(query))


def collections_imported(agency_id: int, month: str) -> bool:
    """Say whether the tax bureau's collected figures of ``month`` were imported for any of the
    agency's employers (without them the reconciliation has nothing to compare)."""
    found = db.session.scalar(
        select(Collection.id)
        .join(Employer, Employer.id == Collection.employer_id)
        .where(Employer.agency_id == agency_id, Collection.month == month)
        .limit(1)
    )
    return found is not None


def monthly_sharing_made(agency_id: int, month: str) -> bool:
    """Say whether the agency made its monthly sharing (按月共享) in ``month`` ("YYYY-MM"): an
    export of last month's list dated in that month (内医保办发〔2022〕19号 五 2)."""
    exported = db.session.scalar(
        select(TaxListExport.id)
        .where(
            TaxListExport.agency_id == agency_id,
            TaxListExport.is_monthly.is_(True),
            TaxListExport.on_date >= first_day(month),
            TaxListExport.on_date <= last_day(month),
        )
        .limit(1)
    )
    return exported is not None


def agency_by_code(code: str) -> Agency | None:
    return db.session.scalar(select(Agency).where(Agency.code == code.strip()))


def scoped_agency_or_404(code: str | None, scope: int | None) -> Agency | None:
    """The agency ``code`` names, within a staff member's scope (None: every agency).

    :raise 404: when the code is unknown or names another agency than the one in scope.
    """
    if not code:
        return db.session.get(Agency, scope) if scope is not None else None
    if len(code) > AGENCY_CODE_LENGTH or not code.isprintable():
        abort(404)  # no agency has such a code; and a NUL never reaches the database
    agency = agency_by_code(code)
    if agency is None or (scope is not None and agency.id != scope):
        abort(404)
    return agency
