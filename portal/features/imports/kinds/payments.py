"""The payments import (DOMAIN.md §8.2): the tax bureau's payments, each recorded once by its
流水号; one that differs from what is recorded under the same number is refused.

The columns are a contract: 统一社会信用代码, 缴费日期, 费款所属期, 缴费类型 (单位 / 个人),
缴费金额, 缴费流水号, and an optional 险种 (医疗 / 生育) where the bureau splits them. Only the unit
part of a deferred month reduces the deferral (``rules.payments``), so neither the month nor the
part may be guessed: a header without one of them refuses the file, saying so. A row recorded
before files named them (no month) that the file names again gets its month and part."""

from __future__ import annotations

from decimal import Decimal
from operator import itemgetter

from sqlalchemy import select, update

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
    Column("month", "费款所属期", missing_code="payment_month_missing"),
    Column("part", "缴费类型", missing_code="payment_part_missing"),
    Column("amount", "缴费金额"),
    Column("source_ref", "缴费流水号"),
    Column("insurance", "险种", required=False),
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
            "part": cells.payment_part,
            "insurance": cells.payment_insurance,
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
            select(
                Payment.id,
                Payment.source_ref,
                Payment.employer_id,
                Payment.paid_on,
                Payment.amount,
                Payment.month,
                Payment.part,
                Payment.insurance,
            ).where(Payment.source_ref.in_(refs))
        )
    }
    inserts, updates = [], []
    now = utcnow()
    for line, row, employer_id in mine:
        current = stored.get(row["source_ref"])
        named = {"month": row["month"], "part": row["part"], "insurance": row["insurance"]}
        if current is None:
            tally.created += 1
            inserts.append(
                {
                    "employer_id": employer_id,
                    "paid_on": row["paid_on"],
                    "amount": row["amount"],
                    **named,
                    "settles": _settles(row),
                    "source_ref": row["source_ref"],
                    "imported_at": now,
                }
            )
        elif not (
            current.employer_id == employer_id
            and current.paid_on == row["paid_on"]
            and Decimal(current.amount) == row["amount"]
        ):
            tally.refuse(Problem(line, "缴费流水号", "payment_differs", value=row["source_ref"]))
        elif all(getattr(current, k) == v for k, v in named.items()):
            tally.unchanged += 1  # the tax bureau's id: a payment is recorded once
        elif current.month is None:
            # Recorded before files named the month and part: the file names them now.
            tally.updated += 1
            updates.append({"id": current.id, **named, "settles": _settles(row)})
        else:
            tally.refuse(Problem(line, "缴费流水号", "payment_differs", value=row["source_ref"]))
    if apply and not tally.refused_rows:
        if inserts:
            insert_rows(Payment.__table__, inserts)
        if updates:
            db.session.execute(update(Payment), updates)


def _settles(row: Row) -> str:
    """What the payment settles, in words kept with it: its part, month and 险种."""
    return " ".join(filter(None, (row["part"], row["month"], row["insurance"])))


KIND = Kind(
    "payments",
    PAYMENT_COLUMNS,
    by_key(_parse_payment),
    itemgetter("source_ref"),
    _payment_batch,
    key_column="source_ref",
)
