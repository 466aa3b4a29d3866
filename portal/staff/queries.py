"""Staff reads: staff see only their own agency's employers (administrators see all)."""

from __future__ import annotations

from flask import abort
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import joinedload

from portal.extensions import db
from portal.models import Employer, User


def scoped_employers(user: User) -> Select[tuple[Employer]]:
    # The agency joined in (many-to-one): one statement for the fifty rows, not two.
    query = select(Employer).options(joinedload(Employer.agency))
    if user.staff_role != "admin" or user.agency_id is not None:
        query = query.where(Employer.agency_id == user.agency_id)
    return query


def search_employers(user: User, text: str | None, limit: int = 50) -> list[Employer]:
    query = scoped_employers(user)
    text = (text or "").strip()
    if text:
        query = query.where(
            or_(
                Employer.credit_code == text.upper(),
                func.upper(Employer.insurance_unit_number) == text.upper(),
                Employer.name.icontains(text, autoescape=True),  # % and _ as typed
            )
        )
    return list(db.session.scalars(query.order_by(Employer.name).limit(limit)))


def get_employer_for_staff_or_404(user: User, employer_id: int) -> Employer:
    """:raise 404: when the employer is not in the staff member's agency."""
    employer = db.session.scalar(scoped_employers(user).where(Employer.id == employer_id))
    if employer is None:
        abort(404)
    return employer
