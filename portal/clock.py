"""The portal's one injectable "today"."""

from __future__ import annotations

from datetime import date

from flask import current_app


def today() -> date:
    """Return PORTAL_TODAY when configured (a demonstration or test date), else the real date."""
    fixed = current_app.config.get("PORTAL_TODAY")
    if fixed:
        return date.fromisoformat(str(fixed))
    return date.today()


def is_demo_date() -> bool:
    return bool(current_app.config.get("PORTAL_TODAY"))
