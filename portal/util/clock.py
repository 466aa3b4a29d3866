"""The portal's one clock: "today" in China's time (the servers may run on UTC) and "now".

Everything the portal records or compares -- decisions, signatures, letters, audit rows,
activation codes, lockouts, rate limits, sessions, due dates, imports, exports, hall visits,
uploads -- takes its time from here (``tests/test_clock.py`` fails on any other read of the real
time in portal/). With PORTAL_TODAY set (a demonstration or a test), "now" is that date at the
real time of day in China; otherwise it is the real time.

Both need an application context (the date is configuration): outside one they raise
Flask's RuntimeError rather than silently answer with the machine's date. A column default
only runs when a session flushes, which is always inside one.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from flask import current_app


def today() -> date:
    """Return PORTAL_TODAY when configured (a demonstration or test date), else today's date
    where the employers are (``BABEL_DEFAULT_TIMEZONE``, Asia/Shanghai).

    Deadlines, late fees and working days are Chinese dates: from 16:00 UTC it is already the
    next day in China, so the server's own date would be a day behind for eight hours.
    """
    fixed = current_app.config.get("PORTAL_TODAY")
    if fixed:
        return date.fromisoformat(str(fixed))
    return local_date(_utcnow(), current_app.config["BABEL_DEFAULT_TIMEZONE"])


def now() -> datetime:
    """Return the current moment (aware, UTC). With PORTAL_TODAY, the moment on that date at
    the current time of day in China, so that a demonstration's timestamps match its date."""
    moment = _utcnow()
    fixed = current_app.config.get("PORTAL_TODAY")
    if not fixed:
        return moment
    zone = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    local = moment.astimezone(zone)
    return datetime.combine(date.fromisoformat(str(fixed)), local.time(), zone).astimezone(UTC)


def timestamp() -> float:
    """Seconds since the epoch at ``now()``: for windows and limits counted in seconds (rate
    limits, session idle and absolute limits). With PORTAL_TODAY the count goes back a day at
    midnight in China, when the demonstration's date starts over; callers allow for that."""
    return now().timestamp()


def _utcnow() -> datetime:
    """The one read of the real time (tests replace it to move the clock)."""
    return datetime.now(UTC)


def local_date(moment: datetime, zone: str) -> date:
    """The calendar date in ``zone`` at ``moment`` (an aware datetime)."""
    return moment.astimezone(ZoneInfo(zone)).date()


def is_demo_date() -> bool:
    return bool(current_app.config.get("PORTAL_TODAY"))
