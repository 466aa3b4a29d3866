"""When a reminder of the catch-up deadline is due (DOMAIN §7.8).

The milestones of one employer's period: a named number of days before the catch-up deadline
(``reminder_days_before_deadline`` in each program's policy file: 30, 7 and 1 by the portal's
reading), and the first day a late fee is charged. That day is the day after the deadline: a
late fee is due only on what is unpaid at the deadline, and is then counted from
``late_fee_from`` (which Shandong puts before the deadline, 鲁医保发〔2022〕21号 二; Inner Mongolia
the day after it, 内医保办发〔2022〕19号 二).

A reminder run that missed days (the server was down) sends the latest milestone that is due,
never every missed one: ``due_milestone``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, timedelta

from .periods import Period

LATE_FEE = "late_fee"


@dataclass(frozen=True)
class Milestone:
    """One reminder of a period: ``key`` is ``d30``, ``d7``, ``d1`` … or ``late_fee``."""

    key: str
    on: date
    deadline: date

    @property
    def days_before(self) -> int | None:
        return None if self.key == LATE_FEE else (self.deadline - self.on).days

    @property
    def milestone(self) -> str:
        """The outbox's milestone: the key with its deadline (a period's own reminder)."""
        return f"{self.deadline.isoformat()}/{self.key}"


def first_late_fee_day(period: Period) -> date:
    """The first day a late fee is charged on what is still unpaid."""
    return max(period.late_fee_from, period.deadline + timedelta(days=1))


def catch_up_milestones(period: Period) -> list[Milestone]:
    """Every reminder of ``period``, earliest first."""
    return list(
        _milestones(period.deadline, first_late_fee_day(period), tuple(period.reminder_dates))
    )


@functools.cache
def _milestones(
    deadline: date, late_fee_day: date, reminders: tuple[date, ...]
) -> tuple[Milestone, ...]:
    milestones = [Milestone(f"d{(deadline - on).days}", on, deadline) for on in reminders]
    milestones.append(Milestone(LATE_FEE, late_fee_day, deadline))
    return tuple(sorted(milestones, key=lambda m: m.on))


def due_milestone(period: Period, on: date) -> Milestone | None:
    """The latest milestone of ``period`` on or before ``on`` (None before the first)."""
    return _due(period.deadline, first_late_fee_day(period), tuple(period.reminder_dates), on)


@functools.cache
def _due(
    deadline: date, late_fee_day: date, reminders: tuple[date, ...], on: date
) -> Milestone | None:
    passed = [m for m in _milestones(deadline, late_fee_day, reminders) if m.on <= on]
    return passed[-1] if passed else None
