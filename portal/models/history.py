"""Keeping an employer's standing columns before a bulk change (``EmployerFactHistory``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Insert, insert, literal, select

from portal.models.base import UTCDateTime, utcnow
from portal.models.employers import STANDING_COLUMNS, Employer, EmployerFactHistory


def facts_before(from_clause: Any, where: Any) -> Insert:
    """INSERT … SELECT the standing columns of the employers ``from_clause`` joins, ``where``
    they are about to change, as they stand now: one row each, ``changed_at`` now. Run it
    before the UPDATE, in the same transaction."""
    register = Employer.__table__.c
    return insert(EmployerFactHistory).from_select(
        ["employer_id", "changed_at", *STANDING_COLUMNS],
        select(
            register.id,
            literal(utcnow(), UTCDateTime()),
            *(register[column] for column in STANDING_COLUMNS),
        )
        .select_from(from_clause)
        .where(where),
        include_defaults=False,
    )
