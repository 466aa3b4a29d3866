"""Staff reads: staff see only their own agency's employers (administrators see all)."""

from __future__ import annotations

from flask import abort
from sqlalchemy import Row, Select, bindparam, func, or_, select
from sqlalchemy.orm import joinedload

from portal.extensions import db
from portal.models import Agency, Employer, User


def _in_scope(query: Select, user: User) -> Select:
    if user.staff_role != "admin" or user.agency_id is not None:
        query = query.where(Employer.agency_id == user.agency_id)
    return query


def scoped_employers(user: User) -> Select[tuple[Employer]]:
    return _in_scope(select(Employer).options(joinedload(Employer.agency)), user)


# The employer list without a search (what the page shows first, all day at the hall) is built
# once: building a statement and its cache key costs about as much as running it.
LIST_COLUMNS = select(
    Employer.id,
    Employer.name,
    Employer.credit_code,
    Employer.insurance_unit_number,
    Employer.list_status,
    Agency.name.label("agency_name"),
).join(Agency, Agency.id == Employer.agency_id)
AGENCY_LIST = (
    LIST_COLUMNS.where(Employer.agency_id == bindparam("agency_id"))
    .order_by(Employer.name)
    .limit(bindparam("limit"))
)
WHOLE_LIST = LIST_COLUMNS.order_by(Employer.name).limit(bindparam("limit"))


def search_employers(user: User, text: str | None, limit: int = 50) -> list[Row]:
    """The employer list's rows: plain values, the agency's name joined in, by name.

    Plain rows, not ``Employer`` objects: the list is the hall clerk's page all day, and
    building fifty ORM objects cost more than rendering them (bench/bench_pages.py).
    """
    text = (text or "").strip()
    everywhere = user.staff_role == "admin" and user.agency_id is None
    if not text:
        statement = WHOLE_LIST if everywhere else AGENCY_LIST
        return list(db.session.execute(statement, {"agency_id": user.agency_id, "limit": limit}))
    query = _in_scope(LIST_COLUMNS, user).where(
        or_(
            Employer.credit_code == text.upper(),
            func.upper(Employer.insurance_unit_number) == text.upper(),
            Employer.name.icontains(text, autoescape=True),  # % and _ as typed
        )
    )
    return list(db.session.execute(query.order_by(Employer.name).limit(limit)))


def get_employer_for_staff_or_404(user: User, employer_id: int) -> Employer:
    """:raise 404: when the employer is not in the staff member's agency."""
    employer = db.session.scalar(scoped_employers(user).where(Employer.id == employer_id))
    if employer is None:
        abort(404)
    return employer
