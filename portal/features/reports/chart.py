"""A bar chart of the report's months, as plain geometry for an inline SVG (no script)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from portal.features.reports.queries import MonthBar

WIDTH, HEIGHT = 880, 300
TOP, BOTTOM, LEFT = 30, 50, 20  # room for the values above and the months below
BAR, GAP = 26, 4  # a month's two bars and the space between them


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    height: float
    value: Decimal


@dataclass(frozen=True)
class MonthColumn:
    month: str
    label_x: float
    deferred: Bar
    caught_up: Bar


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    baseline: float
    columns: list[MonthColumn]
    top: float  # where the largest amount reaches (a grid line labelled with it)
    top_value: Decimal


def bar_chart(bars: Sequence[MonthBar]) -> Chart:
    """Two bars a month (deferred, caught up) scaled to the largest amount."""
    top = max([b.deferred_amount for b in bars] + [b.caught_up_amount for b in bars] + [Decimal(0)])
    plot = HEIGHT - TOP - BOTTOM
    slot = (WIDTH - LEFT) / max(len(bars), 1)
    baseline = float(HEIGHT - BOTTOM)

    def bar(x: float, value: Decimal) -> Bar:
        height = float(value / top) * plot if top > 0 else 0.0
        return Bar(round(x, 1), round(baseline - height, 1), round(height, 1), value)

    columns = []
    for index, item in enumerate(bars):
        centre = LEFT + slot * index + slot / 2
        columns.append(
            MonthColumn(
                item.month,
                round(centre, 1),
                bar(centre - BAR - GAP / 2, item.deferred_amount),
                bar(centre + GAP / 2, item.caught_up_amount),
            )
        )
    return Chart(WIDTH, HEIGHT, baseline, columns, float(TOP), top)
