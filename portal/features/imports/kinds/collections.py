"""The collections import: what the tax bureau says it collected, per employer, contribution
month and part (内医保办发〔2022〕19号 三（三）: the bureau returns what it collected, the unit
and the personal part apart), for the reconciliation (features/reports/reconciliation.py,
鲁医保发〔2022〕21号 六: 定期核对 with the tax bureau).

A row is keyed by (employer, 费款所属期, 缴费类型): the bureau's figure for that key is the total
it collected as of 征收日期. The same row again changes nothing (re-importing a file is
harmless); a different figure or date for a stored key is the bureau's correction and replaces
the stored one — refusing it would leave the portal holding a total the bureau itself has
withdrawn — and each replacement is audited (``collection.update``, with what it held before
and after, the file and the line). New rows are counted on the import's record and its audit
row, as payments are. ``record_collections`` is the operation on parsed rows that a file and
an API share; the file's reading is ``parse_collection`` under the import's usual flow.
"""

from __future__ import annotations

from operator import itemgetter

from sqlalchemy import select, tuple_

from portal.core.extensions import db
from portal.features.imports import cells
from portal.features.imports.bulk import insert_rows
from portal.features.imports.kinds.base import (
    Context,
    Kind,
    Row,
    Tally,
    audit_change,
    by_key,
    own_rows,
    read_cells,
    same,
)
from portal.features.imports.reader import Column
from portal.models import Collection
from portal.models.base import utcnow
from portal.rules import to_fen

COLLECTION_COLUMNS = (
    Column("credit_code", "统一社会信用代码"),
    Column("month", "费款所属期"),
    Column("part", "缴费类型"),
    Column("amount", "征收金额"),
    Column("collected_on", "征收日期"),
)
#: What a stored row holds besides its key: a change to either is the bureau's correction.
VALUES = ("amount", "collected_on")


def parse_collection(raw: dict[str, str]) -> Row:
    """One row's cells ({column key: text}) as values; a cell missing is a blank one (every
    column is required). :raise RowErrors: every cell's error."""
    return read_cells(
        {column.key: raw.get(column.key) or "" for column in COLLECTION_COLUMNS},
        {
            "credit_code": cells.credit_code,
            "month": cells.month,
            "part": cells.part,
            "amount": cells.amount,
            "collected_on": cells.day,
        },
        COLLECTION_COLUMNS,
    )


def record_collections(
    rows: list[tuple[int, Row]], context: Context, tally: Tally, apply: bool
) -> None:
    """Check parsed rows (line, row) against what is stored, counting into ``tally``; with
    ``apply`` and no row refused so far, write them: new keys inserted, corrections replaced
    and audited. Unknown employers, and for agency staff other agencies' employers, refused."""
    mine = own_rows(KIND, rows, context, tally)
    if not mine:
        return
    keys = {(employer_id, row["month"], row["part"]) for _, row, employer_id in mine}
    stored = {
        (c.employer_id, c.month, c.part): c
        for c in db.session.scalars(
            select(Collection).where(
                tuple_(Collection.employer_id, Collection.month, Collection.part).in_(keys)
            )
        )
    }
    inserts, corrections = [], []
    now = utcnow()
    for line, row, employer_id in mine:
        current = stored.get((employer_id, row["month"], row["part"]))
        if current is None:
            tally.created += 1
            inserts.append(
                {
                    "employer_id": employer_id,
                    "month": row["month"],
                    "part": row["part"],
                    "amount": row["amount"],
                    "collected_on": row["collected_on"],
                    "imported_at": now,
                }
            )
        elif all(same(getattr(current, k), row[k]) for k in VALUES):
            tally.unchanged += 1
        else:
            tally.updated += 1
            corrections.append((line, row, current))
    if not apply or tally.refused_rows:
        return
    insert_rows(Collection.__table__, inserts)
    for line, row, current in corrections:
        key = {"credit_code": row["credit_code"], "month": row["month"], "part": row["part"]}
        before = _figures(current.amount, current.collected_on)
        current.amount, current.collected_on = row["amount"], row["collected_on"]
        current.imported_at = now
        db.session.flush()
        after = _figures(row["amount"], row["collected_on"])
        audit_change(
            context, "collection.update", current, line, {**key, **before}, {**key, **after}
        )


def _figures(amount, collected_on) -> Row:
    """A row's figures as its audit row keeps them (the date as ISO text)."""
    return {"amount": str(to_fen(amount)), "collected_on": collected_on.isoformat()}


KIND = Kind(
    "collections",
    COLLECTION_COLUMNS,
    by_key(lambda raw, context: parse_collection(raw)),
    itemgetter("credit_code", "month", "part"),
    record_collections,
)
