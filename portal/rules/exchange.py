"""The 缓缴清单 exchanged with the tax bureau: who is on it, its codes and formats
(data/exchange.yaml).

内医保办发〔2022〕19号 五 fixes the deferral type (66) and names the insurance-type code table;
the formats of its months and dates are the portal's readings. Who is on it is
``is_on_tax_list``; what its 缓缴人数 and 缓缴金额 say is ``current_figures``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from ._schema import Node, Param, as_text, read_yaml
from .months import add_months, month_of
from .policy import DATA_DIR
from .standing import Standing


def is_on_tax_list(s: Standing) -> bool:
    """Say whether the employer is a row of the 缓缴清单 sent to the tax bureau.

    The 缓缴清单 is the list of 符合缓缴条件的中小微企业 (内医保办发〔2022〕19号 三（二）2),
    shared with the tax bureau under 五 (DOMAIN.md §8.3): an employer deferred on the day
    (``Standing.is_deferred``: of a deferral program, listed, not opted out, with a period —
    its 缓缴所属期起/止 and 缓缴期限 — and eligible on the day, whatever it recorded).
    """
    return s.is_deferred


def off_list_reasons(s: Standing) -> list[str]:
    """Why the employer is not a row of the 缓缴清单, as codes (empty when it is one): its
    program, listing or choice, else each eligibility reason it fails on the day (in arrears,
    a large enterprise, deregistering…)."""
    if is_on_tax_list(s):
        return []
    if not s.is_deferral_program:
        return ["reduction_program"]
    if not s.is_listed:
        return ["not_listed"]
    if s.has_opted_out:
        return ["opted_out"]
    if s.period is None:
        return ["no_period"]
    return [code for code, _message in s.lapse_reasons]


def monthly_sharing_month(on: date) -> str:
    """The contribution month a monthly sharing (按月共享) made on ``on`` carries: the month
    before (内医保办发〔2022〕19号 五 2: 每月1日……共享一次上月……清单（含缓缴人数、缓缴金额）;
    DOMAIN.md §8.3: its 当期数 are that month's, not the month of the 1st)."""
    return add_months(month_of(on), -1)


@dataclass(frozen=True)
class CurrentFigures:
    """缓缴人数 and 缓缴金额 of one contribution month (当期数), as the bureau receives them."""

    headcount: int | None  # None: sent blank
    unit_amount: Decimal | None  # None: sent blank
    is_awaiting_assessment: bool  # the month is deferred but the agency has not assessed it


def current_figures(s: Standing, month: str) -> CurrentFigures:
    """Say what the 缓缴清单 sends as 当期数 of ``month`` ("YYYY-MM") for an employer on it.

    Only the agency's assessment of the month is a figure (内医保办发〔2022〕19号 五: 缓缴人数
    and 缓缴金额 只涉及单位缴纳部分, 当期数): the assessed headcount and unit amount. A deferred
    month not assessed yet goes blank, never as an estimate from the contribution base: the
    daily sharing goes out before the assessments are pushed (五 1), the monthly one carries
    the assessed figures of the month before (五 2). A month outside the period defers nobody
    and nothing: zero.
    """
    line = next((line for line in s.lines if line.month == month), None)
    if line is None:
        return CurrentFigures(0, Decimal(0), is_awaiting_assessment=False)
    if line.source != "assessment":
        return CurrentFigures(None, None, is_awaiting_assessment=True)
    return CurrentFigures(line.headcount, line.unit_amount, is_awaiting_assessment=False)


@dataclass(frozen=True)
class TaxListFormat:
    """The fixed codes and the formats of the 缓缴清单's cells."""

    deferral_type: Param[str]
    insurance_type: Param[str]
    month_format: Param[str]
    date_format: Param[str]
    time_format: Param[str]
    time_zone: Param[str]

    def month(self, month: str) -> str:
        """A contribution month "YYYY-MM" as the list writes it."""
        return date.fromisoformat(f"{month}-01").strftime(self.month_format.value)

    def day(self, day: date) -> str:
        return day.strftime(self.date_format.value)

    def moment(self, at: datetime) -> str:
        """An aware datetime in the list's time zone, written as 传输时间."""
        return at.astimezone(ZoneInfo(self.time_zone.value)).strftime(self.time_format.value)


@functools.cache
def tax_list_format() -> TaxListFormat:
    """The shipped data/exchange.yaml."""
    return parse_exchange(DATA_DIR / "exchange.yaml")


def parse_exchange(path: Path) -> TaxListFormat:
    """Load and validate data/exchange.yaml."""
    root = Node(path.name, read_yaml(path))
    root.only({"tax_list", "monthly_report"})
    _outstanding_through(root)
    node = root.child("tax_list")
    keys = (
        "deferral_type",
        "insurance_type",
        "month_format",
        "date_format",
        "time_format",
        "time_zone",
    )
    node.only(keys)
    readings = {"insurance_type", "month_format", "date_format", "time_zone"}
    return TaxListFormat(*(node.param(key, as_text, reading=key in readings) for key in keys))


# ------------------------------------------------------------------ the monthly summary (汇总表)


def _outstanding_through(root: Node) -> Param[str]:
    node = root.child("monthly_report")
    node.only({"outstanding_through"})
    param = node.param("outstanding_through", as_text, reading=True)
    if param.value != "report_month":
        raise node.error("only report_month is implemented", "outstanding_through")
    return param


@functools.cache
def outstanding_reading() -> Param[str]:
    """What 月末未补缴 counts (data/exchange.yaml ``monthly_report``): a reading."""
    return _outstanding_through(Node("exchange.yaml", read_yaml(DATA_DIR / "exchange.yaml")))


def outstanding_at_month_end(s: Standing, month: str) -> Decimal:
    """月末未补缴 of ``month`` ("YYYY-MM") for a deferred employer (the reading of
    ``outstanding_reading``): the assessed unit amounts of its deferred months up to ``month``
    (those fallen due by its end), less what it paid towards them (``s.payments``: those made
    by the report's as-of date), never below zero. Months after ``month`` and months not
    assessed yet are not due and not counted."""
    due = sum(
        (
            line.unit_amount
            for line in s.lines
            if line.month <= month and line.source == "assessment" and line.unit_amount is not None
        ),
        Decimal(0),
    )
    paid = sum((p.amount for p in s.payments), Decimal(0))
    return max(due - paid, Decimal(0))
