"""The rates import: a pooling region's unit medical and maternity rates from a month on (the
2022 notices do not set them; the portal estimates a month's unit amount from the contribution
base with them until the agency assesses it). The rates in force on a day are the row with the
latest start month on or before it (portal/facts/standing.py). A row is inserted or updated by
(region, start month), audited with what it held before and after; agency staff import only
their own agency's region.
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
from portal.models import RegionRate

RATE_COLUMNS = (
    Column("region_code", "统筹地区代码"),
    Column("start_month", "起始年月"),
    Column("unit_medical_rate", "单位医疗费率"),
    Column("maternity_rate", "生育费率"),
)


def _parse_rates(raw: dict[str, str], context: Context) -> Row:
    return read_cells(
        raw,
        {
            "region_code": cells.region_code,
            "start_month": cells.month,
            "unit_medical_rate": cells.rate,
            "maternity_rate": cells.rate,
        },
        RATE_COLUMNS,
    )


def _rates_batch(batch, context: Context, tally: Tally, apply: bool) -> None:
    dated_upsert(
        RegionRate,
        action="region_rate",
        date_key="start_month",
        values={"unit_medical_rate": "unit_medical_rate", "maternity_rate": "maternity_rate"},
        mine=region_rows(KIND, batch, context, tally),
        context=context,
        tally=tally,
        apply=apply,
    )


KIND = Kind(
    "rates",
    RATE_COLUMNS,
    by_key(_parse_rates),
    itemgetter("region_code", "start_month"),
    _rates_batch,
    key_column="region_code",
)
