"""The portal's one injectable "today", in China's time (the servers may run on UTC)."""

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
    return local_date(datetime.now(UTC), current_app.config["BABEL_DEFAULT_TIMEZONE"])


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


def _utcnow() -> datetime:
    return datetime.now(UTC)


def local_date(moment: datetime, zone: str) -> date:
    """The calendar date in ``zone`` at ``moment`` (an aware datetime)."""
    return moment.astimezone(ZoneInfo(zone)).date()


def is_demo_date() -> bool:
    return bool(current_app.config.get("PORTAL_TODAY"))
