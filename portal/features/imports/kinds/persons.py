"""The persons' assessments import (DOMAIN.md §8.2): per employer, person and contribution month,
the unit and personal amounts (for departure settlements), inserted or updated."""

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
from portal.models import PersonAssessment

PERSON_COLUMNS = (
    Column("credit_code", "统一社会信用代码"),
    Column("person_ref", "个人编号"),
    Column("person_name", "姓名"),
    Column("month", "费款所属期"),
    Column("unit_amount", "单位缴费金额"),
    Column("personal_amount", "个人缴费金额"),
)


def _parse_person(raw: dict[str, str], context: Context) -> Row:
    return read_cells(
        raw,
        {
            "credit_code": cells.credit_code,
            "person_ref": lambda v: cells.reference(v, limit=40),
            "person_name": lambda v: cells.text(v, limit=100),
            "month": cells.month,
            "unit_amount": cells.amount,
            "personal_amount": cells.amount,
        },
        PERSON_COLUMNS,
    )


def _person_batch(batch, context: Context, tally: Tally, apply: bool) -> None:
    upsert(
        PersonAssessment,
        keys=("person_ref", "month"),
        values={
            "person_name": "person_name",
            "unit_amount": "unit_amount",
            "personal_amount": "personal_amount",
        },
        stamp=None,
        mine=own_rows(KIND, batch, context, tally),
        tally=tally,
        apply=apply,
    )


KIND = Kind(
    "persons",
    PERSON_COLUMNS,
    by_key(_parse_person),
    lambda r: (r["credit_code"], r["person_ref"], r["month"]),
    _person_batch,
)
