"""Whether an employer's facts agree with each other (data/employer_facts.yaml).

The list import (a row, and a row against what is stored for its blank cells) and the agency
staff's edits refuse facts that cannot all be true, each with the fact to correct, before
anything is stored: the rules would read them and give a period no real employer has.

- July paid, but founded or first insured after July: there was no July contribution to pay
  (the month is ``july_month``).
- Founded after the first insured month: a unit is insured once it exists.
- Deregistered before the founding month.
- A month in arrears (欠费所属期止) for an employer not in arrears (是否中断缴费 = 否): the
  month belongs to an interruption; with none it says nothing true. Reading: refused rather
  than dropped, so that a clerk sees which of the two cells is wrong.

A fact that is unknown (None) agrees with everything.
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from ._schema import Node, Param, as_month, read_yaml
from .policy import DATA_DIR


@dataclass(frozen=True)
class FactsPolicy:
    july_month: Param[str]


@functools.cache
def facts_policy() -> FactsPolicy:
    """The shipped data/employer_facts.yaml."""
    return parse_employer_facts(DATA_DIR / "employer_facts.yaml")


def parse_employer_facts(path: Path) -> FactsPolicy:
    """Load and validate data/employer_facts.yaml."""
    root = Node(path.name, read_yaml(path))
    root.only({"july_month"})
    return FactsPolicy(root.param("july_month", as_month, reading=True))


#: The two facts each incoherence is about, the one it is said on first.
FACTS = {
    "july_paid_before_founded": ("july_paid", "founded_month"),
    "july_paid_before_insured": ("july_paid", "first_insured_month"),
    "founded_after_insured": ("founded_month", "first_insured_month"),
    "deregistered_before_founded": ("deregistered_on", "founded_month"),
    "arrears_month_without_arrears": ("arrears_until", "has_arrears"),
}


@dataclass(frozen=True)
class Incoherence:
    """Two facts that cannot both be true: ``code`` names which, ``field`` the fact to check
    (founded_month, july_paid, deregistered_on, arrears_until), ``details`` the other fact."""

    code: str
    field: str
    details: dict[str, str] = dataclasses.field(default_factory=dict)

    @property
    def facts(self) -> tuple[str, str]:
        """The two facts (``field`` first), by their names in ``incoherences``."""
        return FACTS[self.code]


def incoherences(
    *,
    founded_month: str | None = None,
    first_insured_month: str | None = None,
    july_paid: bool | None = None,
    has_arrears: bool | None = None,
    arrears_until: str | None = None,
    deregistered_on: date | None = None,
) -> list[Incoherence]:
    """Every pair of the given facts that cannot both be true (months "YYYY-MM"; None: not
    known), in a fixed order; empty when they agree."""
    found: list[Incoherence] = []
    if july_paid:
        july = facts_policy().july_month.value
        if founded_month is not None and founded_month > july:
            found.append(
                Incoherence("july_paid_before_founded", "july_paid", {"month": founded_month})
            )
        elif first_insured_month is not None and first_insured_month > july:
            found.append(
                Incoherence("july_paid_before_insured", "july_paid", {"month": first_insured_month})
            )
    if (
        founded_month is not None
        and first_insured_month is not None
        and founded_month > first_insured_month
    ):
        found.append(
            Incoherence("founded_after_insured", "founded_month", {"month": first_insured_month})
        )
    if (
        deregistered_on is not None
        and founded_month is not None
        and f"{deregistered_on:%Y-%m}" < founded_month
    ):
        found.append(
            Incoherence("deregistered_before_founded", "deregistered_on", {"month": founded_month})
        )
    if arrears_until is not None and has_arrears is False:
        found.append(Incoherence("arrears_month_without_arrears", "arrears_until"))
    return found
