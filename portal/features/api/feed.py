"""The 缓缴清单 feed (内医保办发〔2022〕19号 五 1: 新增缓缴清单实时共享): rows new or changed
since a reader's cursor, and removals, in the file's 12 columns.

The list is computed, not stored, so its changes are kept in a journal (``TaxListChange``):
before a page is read, the list of the day is compared with the journal's latest entry of each
employer (by the row's fingerprint, as the file's "since the last export" compares) and what
differs is appended. The journal is the same whoever reads it; a reader's cursor is only a
position in it, so reading moves nothing for anyone else. Appends for an agency are serialised
(a transaction-scoped advisory lock on PostgreSQL; SQLite has one writer), so ids grow in commit
order and a page never skips an entry committed later with a smaller id.

A page is each employer's *latest* entry after the cursor, in id order: an employer changed
again between two pages comes again, with its new row, later; none is lost, none is given twice
for one change. Without a cursor the whole list: removals that happened before the first page
(ids up to ``floor``) are left out, later ones are not.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select, text

from portal.core.extensions import db
from portal.features.reports.tax_list import TaxListRow, tax_list_and_leaving, tax_list_texts
from portal.models import TaxListChange

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
CURSOR_VERSION = "v1"


class BadCursor(ValueError):
    pass


@dataclass(frozen=True)
class Cursor:
    agency_id: int
    after: int  # the last journal id the reader has
    floor: int  # removals up to this id are not news to it (a whole-list read began here)

    def encode(self) -> str:
        plain = f"{CURSOR_VERSION}.{self.agency_id}.{self.after}.{self.floor}"
        return base64.urlsafe_b64encode(plain.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, value: str, agency_id: int) -> Cursor:
        """:raise BadCursor: not a cursor this feed gave for this agency."""
        try:
            plain = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode("ascii")
        except (binascii.Error, ValueError):
            raise BadCursor("not a cursor of this feed: give `next` as it was") from None
        parts = plain.split(".")
        if (
            len(parts) != 4
            or parts[0] != CURSOR_VERSION
            or not all(p.isdigit() and len(p) <= 12 for p in parts[1:])
        ):
            raise BadCursor("not a cursor of this feed: give `next` as it was")
        cursor = cls(int(parts[1]), int(parts[2]), int(parts[3]))
        if cursor.agency_id != agency_id:
            raise BadCursor("this cursor is for another agency")
        return cursor


@dataclass(frozen=True)
class Item:
    change_id: int
    is_removal: bool
    cells: dict[str, str]


@dataclass(frozen=True)
class Page:
    month: str
    items: list[Item]
    next: Cursor
    has_more: bool


def read_page(
    agency_id: int, cursor: Cursor | None, limit: int, *, on: date, at: datetime
) -> tuple[Page, int]:
    """A page of the feed and how many journal entries this read appended."""
    rows, appended = record_changes(agency_id, on)
    high: int = db.session.execute(
        select(func.coalesce(func.max(TaxListChange.id), 0)).where(
            TaxListChange.agency_id == agency_id
        )
    ).scalar_one()
    if cursor is None:
        cursor = Cursor(agency_id, 0, high)
    latest = (
        select(func.max(TaxListChange.id))
        .where(TaxListChange.agency_id == agency_id)
        .group_by(TaxListChange.employer_id)
    )
    found = db.session.execute(
        select(TaxListChange.id, TaxListChange.employer_id, TaxListChange.is_removal)
        .where(
            TaxListChange.id.in_(latest),
            TaxListChange.id > cursor.after,
            ~(TaxListChange.is_removal & (TaxListChange.id <= cursor.floor)),
        )
        .order_by(TaxListChange.id)
        .limit(limit + 1)
    ).all()
    has_more = len(found) > limit
    found = found[:limit]
    texts = dict(
        zip(
            [row.employer_id for row in rows.values()],
            tax_list_texts(list(rows.values()), at),
            strict=True,
        )
    )
    items = [
        Item(change_id, is_removal, texts[employer_id])
        for change_id, employer_id, is_removal in found
        if employer_id in texts  # an employer moved to another agency since: not this feed's
    ]
    after = found[-1][0] if has_more else max(high, cursor.after)
    month = f"{on:%Y-%m}"
    return Page(month, items, Cursor(agency_id, after, cursor.floor), has_more), appended


def record_changes(agency_id: int, on: date) -> tuple[dict[int, TaxListRow], int]:
    """Append to the journal what differs between the list on ``on`` and the journal's latest
    entry of each employer; return the rows of the day (removals of employers the journal
    knows included) by employer, and the number appended."""
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(25, :agency)"), {"agency": agency_id})
    last = {
        employer_id: (fingerprint, is_removal)
        for employer_id, fingerprint, is_removal in db.session.execute(
            select(
                TaxListChange.employer_id, TaxListChange.fingerprint, TaxListChange.is_removal
            ).where(
                TaxListChange.id.in_(
                    select(func.max(TaxListChange.id))
                    .where(TaxListChange.agency_id == agency_id)
                    .group_by(TaxListChange.employer_id)
                )
            )
        )
    }
    listed, leaving = tax_list_and_leaving(on, agency_id=agency_id, known=last)
    month = f"{on:%Y-%m}"
    new = [
        TaxListChange(
            agency_id=agency_id,
            employer_id=row.employer_id,
            fingerprint=row.fingerprint,
            is_removal=False,
            month=month,
        )
        for row in listed
        if last.get(row.employer_id, ("", True)) != (row.fingerprint, False)
    ]
    new += [
        TaxListChange(
            agency_id=agency_id,
            employer_id=row.employer_id,
            fingerprint=row.fingerprint,
            is_removal=True,
            month=month,
        )
        for row in leaving
        if not last[row.employer_id][1]
    ]
    if new:
        db.session.add_all(new)
        db.session.flush()
    return {row.employer_id: row for row in [*listed, *leaving]}, len(new)
