"""The assessments import (DOMAIN.md §8.2): per employer and contribution month, its headcount,
contribution base and unit and personal amounts, inserted or updated."""

from __future__ import annotations

from portal.features.imports import cells
from portal.features.imports.kinds.base import (
    Context,
    Kind,
    Row,
    Tally,
    by_key,
    own_rows,
    read_cells,
    upsert,
)
from portal.features.imports.reader import Column
from portal.models import Assessment

ASSESSMENT_COLUMNS = (
    Column("credit_code", "统一社会信用代码"),
    Column("month", "费款所属期"),
    Column("headcount", "缴费人数"),
    Column("contribution_base", "缴费基数"),
    Column("unit_amount", "单位缴费金额"),
    Column("personal_amount", "个人缴费金额"),
)


def _parse_assessment(raw: dict[str, str], context: Context) -> Row:
    return read_cells(
        raw,
        {
            "credit_code": cells.credit_code,
            "month": cells.month,
            "headcount": cells.count,
            "contribution_base": cells.amount,
            "unit_amount": cells.amount,
            "personal_amount": cells.amount,
        },
        ASSESSMENT_COLUMNS,
    )


def _assessment_batch(batch, context: Context, tally: Tally, apply: bool) -> None:
    upsert(
        Assessment,
        keys=("month",),
        values={
            "headcount": "headcount",
            "contribution_base_amount": "contribution_base",
            "unit_amount": "unit_amount",
            "personal_amount": "personal_amount",
        },
        stamp="imported_at",
        mine=own_rows(KIND, batch, context, tally),
        tally=tally,
        apply=apply,
    )


KIND = Kind(
    "assessments",
    ASSESSMENT_COLUMNS,
    by_key(_parse_assessment),
    lambda r: (r["credit_code"], r["month"]),
    _assessment_batch,
)
