"""Template globals and filters: money, dates, permissions, the demonstration date."""

from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from flask import Flask, current_app
from flask_babel import format_date, format_datetime, format_decimal, get_locale
from flask_login import current_user

from portal import clock, labels
from portal.permissions import can


def money(value: Decimal | None) -> str:
    """Format yuan, rounded half-up to the fen, in the active locale."""
    if value is None:
        return "—"
    fen = Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return "¥" + format_decimal(fen, format="#,##0.00")


def day(value: date | None) -> str:
    if value is None:
        return "—"
    return format_date(value, format="long" if str(get_locale()) == "zh" else "d MMM y")


def moment(value: datetime | None) -> str:
    if value is None:
        return "—"
    return format_datetime(value, format="yyyy-MM-dd HH:mm")


def number(value: Decimal | int | None) -> str:
    return "—" if value is None else format_decimal(value)


def init_app(app: Flask) -> None:
    app.jinja_env.filters["number"] = number
    app.jinja_env.filters["indicator_label"] = labels.indicator_label
    app.jinja_env.filters["operator_label"] = labels.operator_label
    app.jinja_env.filters["money"] = money
    app.jinja_env.filters["day"] = day
    app.jinja_env.filters["moment"] = moment

    @app.context_processor
    def inject() -> dict:
        return {
            "can": lambda name, role=None: can(current_user, name, role),
            "portal_today": clock.today(),
            "is_demo_date": clock.is_demo_date(),
            "current_locale": str(get_locale()),
            "languages": current_app.config["LANGUAGES"],
            "size_label": labels.size_label,
            "source_label": labels.source_label,
            "role_label": labels.role_label,
            "action_label": labels.action_label,
            "level_label": labels.level_label,
        }
