"""The reconciliation with the tax bureau: the portal's figures of one deferred employer and
month against what the bureau says it collected (data/reconciliation.yaml).

The provincial bureau checks the monthly summary with the tax bureau regularly (鲁医保发〔2022〕
21号 六); the bureau returns what it collected, the unit and the personal part apart (内医保办发
〔2022〕19号 三（三）1), and the two departments agree the figures before reporting them (四).
``compare`` gives, for an employer the monthly report counts as deferred, one ``Comparison``
per kind of figure (deferred, caught up, outstanding, personal) with both sides; a kind whose
sides differ is a difference to resolve. Nothing here changes anything.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from pathlib import Path

from ._schema import Node, Param, as_text, read_yaml
from .exchange import outstanding_at_month_end
from .policy import DATA_DIR
from .standing import PaymentFact, Standing

ZERO = Decimal(0)
#: The kinds of figure compared, in the order the report lists them.
KINDS = ("deferred", "caught_up", "outstanding", "personal")
UNIT, PERSONAL = "unit", "personal"


@dataclass(frozen=True)
class Entry:
    """An amount of one part of a contribution month: collected by the bureau (征收日期) or
    paid as the portal recorded it. ``month`` None: a payment recorded before payments carried
    their month (counted as the unit part of the deferral, as it was read then)."""

    month: str | None
    part: str  # unit | personal
    amount: Decimal
    on: date


@dataclass(frozen=True)
class Comparison:
    kind: str  # one of KINDS
    portal_amount: Decimal
    bureau_amount: Decimal
    # The portal's deferred unit amount of the month (the "deferred" kind's context), else None
    deferred_amount: Decimal | None = None

    @property
    def difference(self) -> Decimal:
        """The bureau's figure less the portal's."""
        return self.bureau_amount - self.portal_amount

    @property
    def differs(self) -> bool:
        return self.bureau_amount != self.portal_amount


@dataclass(frozen=True)
class ReconciliationPolicy:
    kinds: dict[str, Param[str]]
    final_report: Param[str]

    def ref(self, kind: str) -> str:
        return self.kinds[kind].ref


def is_compared(s: Standing, month: str) -> bool:
    """Say whether the employer's figures of ``month`` are reconciled: those of an employer
    the monthly report counts as deferred (of a deferral program, deferred, founded by then)."""
    founded = s.facts.founded_month if s.facts is not None else None
    return s.is_deferral_program and s.is_deferred and not (founded and founded > month)


def _total(entries: Iterable[Entry]) -> Decimal:
    return sum((e.amount for e in entries), ZERO)


def compare(
    s: Standing,
    month: str,
    as_of: date,
    collected: Sequence[Entry],
    paid: Sequence[Entry],
) -> list[Comparison]:
    """The four figures of ``month`` ("YYYY-MM") for a deferred employer (``is_compared``), as
    of ``as_of`` (the month's end, or today while it runs): what the bureau ``collected`` and
    what the portal recorded as ``paid``, each counted when dated on or before ``as_of``.

    - deferred (the month is one of its deferred months): the unit part of the month the bureau
      collected against the unit payments the portal recorded for it — nothing, unless paid
      early (江苏 三（一）: during the deferral its unit part is not collected);
    - caught up: the unit part of its other deferred months, the bureau's against the portal's
      (with the payments recorded before payments carried a month);
    - outstanding: the monthly report's 月末未补缴 against the same with the bureau's unit
      collections of the deferred months in place of the payments;
    - personal (the month is one of its deferred months): the personal part of the month the
      bureau collected against the assessed personal amount, or the recorded personal
      payments while the month is not assessed (内19 三（二）4: paid every month).
    """
    deferred_months = {line.month for line in s.lines}
    collected = [e for e in collected if e.on <= as_of]
    paid = [e for e in paid if e.on <= as_of]
    unit_collected = [e for e in collected if e.part == UNIT and e.month in deferred_months]
    unit_paid = [
        e for e in paid if e.part == UNIT and (e.month is None or e.month in deferred_months)
    ]
    comparisons = []
    line = next((line for line in s.lines if line.month == month), None)
    if line is not None:
        comparisons.append(
            Comparison(
                "deferred",
                _total(e for e in unit_paid if e.month == month),
                _total(e for e in unit_collected if e.month == month),
                line.unit_amount if line.unit_amount is not None else ZERO,
            )
        )
    comparisons.append(
        Comparison(
            "caught_up",
            _total(e for e in unit_paid if e.month != month),
            _total(e for e in unit_collected if e.month != month),
        )
    )
    if s.quote is not None:
        as_collected = replace(s, payments=[PaymentFact(e.on, e.amount) for e in unit_collected])
        comparisons.append(
            Comparison(
                "outstanding",
                outstanding_at_month_end(s, month),
                outstanding_at_month_end(as_collected, month),
            )
        )
    if line is not None:
        if line.source == "assessment" and line.personal_amount is not None:
            expected = line.personal_amount
        else:
            expected = _total(e for e in paid if e.part == PERSONAL and e.month == month)
        personal = _total(e for e in collected if e.part == PERSONAL and e.month == month)
        comparisons.append(Comparison("personal", expected, personal))
    return comparisons


@functools.cache
def reconciliation_policy() -> ReconciliationPolicy:
    """The shipped data/reconciliation.yaml."""
    return parse_reconciliation(DATA_DIR / "reconciliation.yaml")


def parse_reconciliation(path: Path) -> ReconciliationPolicy:
    """Load and validate data/reconciliation.yaml."""
    root = Node(path.name, read_yaml(path))
    root.only({"kinds", "final_report"})
    node = root.child("kinds")
    node.only(KINDS)
    kinds = {kind: node.param(kind, as_text, reading=True) for kind in KINDS}
    final = root.param("final_report", as_text, reading=True)
    if final.value != "refuse_while_differences":
        raise root.error("only refuse_while_differences is implemented", "final_report")
    return ReconciliationPolicy(kinds, final)
