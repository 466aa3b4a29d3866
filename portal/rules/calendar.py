"""The agency's calendar: which of the programs' monthly duties fall due on a day, and when.

A duty (``Program.duties``, from the policy files) is a file the agency sends every month by a
day of the month over a range of months: Jiangsu's monthly summary to the provincial fund centre
before the 5th, 2022-08 to 2023-01 (江苏省实施方案（2022） 三（五）), and Inner Mongolia's
monthly sharing of last month's 缓缴清单 on the 1st (内医保办发〔2022〕19号 五 2). On a day, each
duty in range falls due once in the day's month, for the month before it; it is due up to its
day and late after it, until the month ends (the next month's falls due then).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from .months import add_months, first_day, month_of
from .policy import Duty, Program


@dataclass(frozen=True)
class Due:
    """One duty falling due: the file it asks for covers ``month``, sent by ``due_on``."""

    duty: str  # a key of policy.DUTIES
    program_id: str
    month: str  # "YYYY-MM": the month the file covers
    due_on: date
    ref: str  # the clause that sets the day

    def is_late(self, on: date) -> bool:
        """Say whether ``on`` is past the day it was due."""
        return on > self.due_on


def due_in(duty: Duty, program_id: str, on: date) -> Due | None:
    """The occurrence of ``duty`` that falls due in ``on``'s month, if that month is in its
    range."""
    month = month_of(on)
    if not duty.first_month.value <= month <= duty.last_month.value:
        return None
    covered = add_months(month, -1)  # covers: previous_month, the only kind the policy takes
    due_on = first_day(month).replace(day=duty.by_day_of_month.value)
    return Due(duty.key, program_id, covered, due_on, duty.by_day_of_month.ref)


def dues_on(programs: Iterable[Program], on: date) -> list[Due]:
    """Every duty of ``programs`` that falls due in ``on``'s month, soonest first (a program
    given twice counts once)."""
    seen: dict[tuple[str, str], Due] = {}
    for program in programs:
        for duty in program.duties.values():
            due = due_in(duty, program.id, on)
            if due is not None:
                seen.setdefault((program.id, duty.key), due)
    return sorted(seen.values(), key=lambda d: (d.due_on, d.duty, d.program_id))
