"""The payments import (DOMAIN.md §8.2): the tax bureau's payments, each recorded once by its
流水号; one that differs from what is recorded under the same number is refused."""

from __future__ import annotations

from decimal import Decimal
from operator import itemgetter

from sqlalchemy import select

from portal.core.extensions import db
from portal.features.imports import cells
from portal.features.imports.bulk import insert_rows
from portal.features.imports.cells import CellError
from portal.features.imports.kinds.base import (
    Context,
    Kind,
    Problem,
    Row,
    RowErrors,
    Tally,
    by_key,
    own_rows,
    read_cells,
)
from portal.features.imports.reader import Column
from portal.models import Payment
from portal.models.base import utcnow

PAYMENT_COLUMNS = (
    Column("credit_code", "统一社会信用代码"),
    Column("paid_on", "缴费日期"),
    Column("amount", "缴费金额"),
    Column("source_ref", "缴费流水号"),
    Column("month", "费款所属期", required=False),
)


def _parse_payment(raw: dict[str, str], context: Context) -> Row:
    row = read_cells(
        raw,
        {
            "credit_code": cells.credit_code,
            "paid_on": cells.day,
            "amount": cells.amount,
            "source_ref": lambda v: cells.reference(v, limit=64),
            "month": cells.month,
        },
        PAYMENT_COLUMNS,
    )
    if row["amount"] == 0:
        raise RowErrors([("amount", CellError("zero"))])
    return row


def _payment_batch(batch, context: Context, tally: Tally, apply: bool) -> None:
    mine = own_rows(KIND, batch, context, tally)
    refs = {row["source_ref"] for _, row, _ in mine}
    stored = {
        r.source_ref: r
        for r in db.session.execute(
            select(Payment.source_ref, Payment.employer_id, Payment.paid_on, Payment.amount).where(
                Payment.source_ref.in_(refs)
            )
        )
    }
    inserts = []
    now = utcnow()
    for line, row, employer_id in mine:
        current = stored.get(row["source_ref"])
        if current is None:
            tally.created += 1
            month = row.get("month")
            inserts.append(
                {
                    "employer_id": employer_id,
                    "paid_on": row["paid_on"],
                    "amount": row["amount"],
                    "month": month,
                    "part": "unit",
                    "settles": f"deferred {month}" if month else "deferred",
                    "source_ref": row["source_ref"],
                    "imported_at": now,
                }
            )
        elif (
            current.employer_id == employer_id
            and current.paid_on == row["paid_on"]
            and Decimal(current.amount) == row["amount"]
        ):
            tally.unchanged += 1  # the tax bureau's id: a payment is recorded once
        else:
            tally.refuse(Problem(line, "缴费流水号", "payment_differs", value=row["source_ref"]))
    if apply and not tally.refused_rows and inserts:
        insert_rows(Payment.__table__, inserts)


KIND = Kind(
    "payments",
    PAYMENT_COLUMNS,
    by_key(_parse_payment),
    itemgetter("source_ref"),
    _payment_batch,
    key_column="source_ref",
)
