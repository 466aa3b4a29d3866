"""The fund-reserve import: a pooling region's 统筹基金累计结存可支付月数 as reported for a month.

It changes every month, and Jiangsu 二 and Inner Mongolia 一 defer only where it is above 6: the
rules read the row of the latest month on or before a day's month (portal/facts/standing.py).
A row is inserted or updated by (region, month), audited with what it held before and after;
agency staff import only their own agency's region.
"""

from __future__ import annotations

from operator import itemgetter

from portal.features.imports import cells
from portal.features.imports.kinds.base import (
    Context,
    Kind,
    Row,
    Tally,
    by_key,
    dated_upsert,
    read_cells,
    region_rows,
)
from portal.features.imports.reader import Column
from portal.models import FundReserve

RESERVE_COLUMNS = (
    Column("region_code", "统筹地区代码"),
    Column("month", "年月"),
    Column("months", "可支付月数"),
)


def _parse_reserve(raw: dict[str, str], context: Context) -> Row:
    return read_cells(
        raw,
        {"region_code": cells.region_code, "month": cells.month, "months": cells.reserve_months},
        RESERVE_COLUMNS,
    )


def _reserve_batch(batch, context: Context, tally: Tally, apply: bool) -> None:
    dated_upsert(
        FundReserve,
        action="fund_reserve",
        date_key="month",
        values={"months": "months"},
        mine=region_rows(KIND, batch, context, tally),
        context=context,
        tally=tally,
        apply=apply,
    )


KIND = Kind(
    "fund-reserve",
    RESERVE_COLUMNS,
    by_key(_parse_reserve),
    itemgetter("region_code", "month"),
    _reserve_batch,
    key_column="region_code",
)
