"""Staff reads: staff see only their own agency's employers (administrators see all)."""

from __future__ import annotations

from flask import abort
from sqlalchemy import Row, Select, bindparam, func, or_, select
from sqlalchemy.orm import joinedload

from portal.core.extensions import db
from portal.core.rows import plain_rows
from portal.models import Agency, AuditEntry, Employer, User


def _in_scope(query: Select, user: User) -> Select:
    if user.staff_role != "admin" or user.agency_id is not None:
        query = query.where(Employer.agency_id == user.agency_id)
    return query


def scoped_employers(user: User) -> Select[Employer]:
    return _in_scope(select(Employer).options(joinedload(Employer.agency)), user)


# The employer list is the hall clerk's page all day: its four statements (with or without a
# search, for one agency or for every agency) are built once, as building a statement and its
# cache key costs about as much as running it. The template unpacks the columns in this order.
LIST_COLUMNS = select(
    Employer.id,
    Employer.name,
    Employer.credit_code,
    Employer.insurance_unit_number,
    Employer.list_status,
    Agency.name.label("agency_name"),
).join(Agency, Agency.id == Employer.agency_id)
IN_AGENCY = Employer.agency_id == bindparam("agency_id")
MATCHES = or_(
    Employer.credit_code == bindparam("code"),
    func.upper(Employer.insurance_unit_number) == bindparam("code"),
    # What icontains(text, autoescape=True) builds, for a value escaped by _like_pattern.
    Employer.name.icontains(bindparam("pattern"), escape="/"),
)
LISTS = {
    (everywhere, searched): LIST_COLUMNS.where(
        *([] if everywhere else [IN_AGENCY]), *([MATCHES] if searched else [])
    )
    .order_by(Employer.name)
    .limit(bindparam("limit"))
    for everywhere in (False, True)
    for searched in (False, True)
}


def _like_pattern(text: str) -> str:
    """The text with LIKE's wildcards escaped: % and _ match themselves, as typed."""
    return text.replace("/", "//").replace("%", "/%").replace("_", "/_")


def search_employers(user: User, text: str | None, limit: int = 50) -> list[Row]:
    """The employer list's rows: plain values, the agency's name joined in, by name.

    Plain rows read past the ORM, not ``Employer`` objects: building fifty ORM objects cost
    more than rendering them (bench/bench_pages.py).
    """
    text = (text or "").strip()
    everywhere = user.staff_role == "admin" and user.agency_id is None
    return plain_rows(
        LISTS[everywhere, bool(text)],
        agency_id=user.agency_id,
        code=text.upper(),
        pattern=_like_pattern(text),
        limit=limit,
    )


def staff_agency(user: User) -> Agency | None:
    """The staff member's own agency with its region (None: an administrator of every agency)."""
    if user.agency_id is None:
        return None
    return db.session.scalar(
        select(Agency).where(Agency.id == user.agency_id).options(joinedload(Agency.region))
    )


def get_employer_for_staff_or_404(user: User, employer_id: int) -> Employer:
    """:raise 404: when the employer is not in the staff member's agency."""
    employer = db.session.scalar(scoped_employers(user).where(Employer.id == employer_id))
    if employer is None:
        abort(404)
    return employer


def facts_edits(employer: Employer, limit: int = 20) -> list[AuditEntry]:
    """The latest hand edits of the employer's facts (audit rows), newest first, with who."""
    return list(
        db.session.scalars(
            select(AuditEntry)
            .where(
                AuditEntry.acting_for_employer_id == employer.id,
                AuditEntry.action == "employer.facts_edit",
            )
            .options(joinedload(AuditEntry.actor))
            .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
            .limit(limit)
        )
    )
