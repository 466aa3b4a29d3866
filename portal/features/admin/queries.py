"""Administrators' reads: the audit log, filtered, a page at a time or whole for export."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import selectinload

from portal.core.extensions import db
from portal.models import AuditEntry, Employer, User

#: Dates typed by administrators are days in the portal's time zone, not UTC days.
LOCAL_ZONE = ZoneInfo("Asia/Shanghai")
PER_PAGE = 50


@dataclass(frozen=True)
class AuditFilter:
    staff_id: int | None = None
    employer: str = ""  # credit code, insurance unit number or part of the name
    action: str = ""
    from_date: date | None = None
    to_date: date | None = None


@dataclass(frozen=True)
class AuditPage:
    entries: list[AuditEntry]
    employers: dict[int, Employer]
    page: int
    pages: int
    total: int


def _local_midnight_utc(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=LOCAL_ZONE).astimezone(UTC)


def audit_query(chosen: AuditFilter) -> Select[AuditEntry]:
    query = select(AuditEntry)
    if chosen.staff_id is not None:
        query = query.where(AuditEntry.actor_id == chosen.staff_id)
    text = chosen.employer.strip()
    if text:
        matching = select(Employer.id).where(
            or_(
                Employer.credit_code == text.upper(),
                func.upper(Employer.insurance_unit_number) == text.upper(),
                Employer.name.contains(text, autoescape=True),
            )
        )
        query = query.where(AuditEntry.acting_for_employer_id.in_(matching))
    if chosen.action:
        query = query.where(AuditEntry.action == chosen.action)
    if chosen.from_date is not None:
        query = query.where(AuditEntry.at >= _local_midnight_utc(chosen.from_date))
    if chosen.to_date is not None:
        query = query.where(AuditEntry.at < _local_midnight_utc(chosen.to_date + timedelta(1)))
    return query


def audit_page(chosen: AuditFilter, page: int, per_page: int = PER_PAGE) -> AuditPage:
    query = audit_query(chosen)
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    entries = list(
        db.session.scalars(
            query.options(selectinload(AuditEntry.actor))
            .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
            .limit(per_page)
            .offset((page - 1) * per_page)
        )
    )
    return AuditPage(entries, employers_of(entries), page, pages, total)


def all_entries(chosen: AuditFilter) -> tuple[list[AuditEntry], dict[int, Employer]]:
    entries = list(
        db.session.scalars(
            audit_query(chosen)
            .options(selectinload(AuditEntry.actor))
            .order_by(AuditEntry.at, AuditEntry.id)
        )
    )
    return entries, employers_of(entries)


def employers_of(entries: list[AuditEntry]) -> dict[int, Employer]:
    ids = {e.acting_for_employer_id for e in entries if e.acting_for_employer_id is not None}
    if not ids:
        return {}
    return {e.id: e for e in db.session.scalars(select(Employer).where(Employer.id.in_(ids)))}


def staff_users() -> list[User]:
    return list(
        db.session.scalars(
            select(User).where(User.staff_role.is_not(None)).order_by(User.display_name)
        )
    )


def logged_actions() -> list[str]:
    return list(
        db.session.scalars(select(AuditEntry.action).distinct().order_by(AuditEntry.action))
    )


# ----------------------------------------------------------------------------- CSV export

# The columns, headed in the administrator's language (the export is read by people).
CSV_HEADER = (
    _l("When"),
    _l("Staff username"),
    _l("Staff name"),
    _l("Role"),
    _l("Employer credit code"),
    _l("Employer name"),
    _l("Action"),
    _l("Hall visit number"),
    _l("Visitor's name"),
    _l("Visitor acts as"),
    _l("Record changed"),
    _l("Request ID"),
    _l("Details"),
)


def audit_csv(entries: list[AuditEntry], employers: dict[int, Employer]) -> bytes:
    """The rows as CSV (UTF-8 with BOM for Excel); no cell can start a formula."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([str(header) for header in CSV_HEADER])
    for entry in entries:
        employer = employers.get(entry.acting_for_employer_id or 0)
        details = entry.details or {}
        row = [
            entry.at.astimezone(LOCAL_ZONE).isoformat(timespec="seconds"),
            entry.actor.username if entry.actor else "",
            entry.actor.display_name if entry.actor else "",
            entry.role,
            employer.credit_code if employer else "",
            employer.name if employer else "",
            entry.action,
            str(details.get("acting_session_id") or ""),
            str(details.get("visitor_name") or ""),
            str(details.get("visitor_capacity") or ""),
            f"{entry.object_type}:{entry.object_id}" if entry.object_type else "",
            entry.request_id or "",
            json.dumps(details, ensure_ascii=False, sort_keys=True, default=str),
        ]
        writer.writerow([defuse(cell) for cell in row])
    return buffer.getvalue().encode("utf-8-sig")


def defuse(text: str) -> str:
    """Keep spreadsheet programs from running a cell as a formula (CSV injection)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
