"""Which payments reduce a deferral, and what they settle first (data/payments.yaml).

The tax bureau reports each payment with its contribution month (费款所属期) and its part
(缴费类型). Only the unit part of a deferred month counts against the deferral
(``counts_toward_deferral``; ``counted_part``): the personal part is the withholding the employer
keeps paying (鲁医保发〔2022〕21号 五), and a unit payment for a month not deferred is that month's
ordinary contribution. A row recorded before the part and month were known counts as unit.

What is due at once (a departed person's deferred unit part, a deregistration's months) comes
before the catch-up: ``allocate`` spends the counted payments on those dues, earliest due
first, and what is left on the catch-up (``allocation``: the portal's reading of 鲁21 五).
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

from ._schema import Node, Param, one_of, read_yaml
from .errors import InvalidInput
from .policy import DATA_DIR

ZERO = Decimal(0)
PARTS = ("unit", "personal")


@dataclass(frozen=True)
class PaymentsPolicy:
    counted_part: Param[str]
    allocation: Param[str]


@functools.cache
def payments_policy() -> PaymentsPolicy:
    """The shipped data/payments.yaml."""
    return parse_payments(DATA_DIR / "payments.yaml")


def parse_payments(path: Path) -> PaymentsPolicy:
    """Load and validate data/payments.yaml."""
    root = Node(path.name, read_yaml(path))
    root.only({"counted_part", "allocation"})
    return PaymentsPolicy(
        root.param("counted_part", one_of(*PARTS), reading=True),
        root.param("allocation", one_of("at_once_first"), reading=True),
    )


def counts_toward_deferral(part: str, month: str | None, deferred_months: Collection[str]) -> bool:
    """Whether a payment of ``part`` for ``month`` reduces the deferral of ``deferred_months``:
    the unit part of a deferred month, or a row without a month (recorded before files named
    it, read as unit as it was then)."""
    if part != payments_policy().counted_part.value:
        return False
    return month is None or month in deferred_months


@dataclass(frozen=True)
class Allocation:
    """What the counted payments settle: ``applied[i]`` against the i-th due as given,
    ``to_catch_up`` what is left for the catch-up."""

    applied: tuple[Decimal, ...]
    to_catch_up: Decimal

    def left(self, i: int, amount: Decimal) -> Decimal:
        """What is still due of the i-th due, of ``amount``."""
        return amount - self.applied[i]


def allocate(paid: Decimal, dues: Sequence[tuple[date, Decimal]]) -> Allocation:
    """Spend ``paid`` on ``dues`` ((due on, amount) each, in any order) earliest due first (a
    tie keeps the order given), each in full before the next; what is left goes to the
    catch-up.

    :raise InvalidInput: a negative or non-Decimal amount.
    """
    _check(paid, "paid")
    for i, (due_on, amount) in enumerate(dues):
        if not isinstance(due_on, date):
            raise InvalidInput(f"dues[{i}] must be (date, amount)", field="dues")
        _check(amount, f"dues[{i}]")
    applied = [ZERO] * len(dues)
    left = paid
    for i in sorted(range(len(dues)), key=lambda i: (dues[i][0], i)):
        take = min(left, dues[i][1])
        applied[i] = take
        left -= take
    return Allocation(tuple(applied), left)


def _check(amount: object, name: str) -> None:
    if isinstance(amount, bool) or not isinstance(amount, Decimal | int):
        raise InvalidInput(f"{name} must be a Decimal amount", code="bad_number", field=name)
    if not Decimal(amount).is_finite() or amount < 0:
        raise InvalidInput(f"{name} must be a finite amount, not negative", field=name)
