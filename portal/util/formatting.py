"""Money, dates and numbers as the page's language writes them (Babel, CLDR).

Used by templates (portal/web/templating.py registers them as filters) and by the words of
portal/labels/, which put dates into sentences.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

from babel.dates import format_date
from flask_babel import format_datetime, format_decimal, get_locale

FEN = Decimal("0.01")
#: The language of a page with no request behind it (a command, an e-mail): also Flask-Babel's
#: ``BABEL_DEFAULT_LOCALE`` (portal/config.py reads it from here).
DEFAULT_LOCALE = "zh"


def money(value: Decimal | None) -> str:
    """Format yuan, rounded half-up to the fen: ``¥1,234.50``.

    Both languages group thousands with "," and mark the fen with "." (CLDR), so Python's own
    format gives Babel's result (``#,##0.00``) at a fraction of the cost; the amounts page shows
    dozens. tests/test_templating.py checks the two agree in every configured language.
    """
    if value is None:
        return "—"
    fen = Decimal(value).quantize(FEN, rounding=ROUND_HALF_UP)
    return f"¥{fen:,}"


def day(value: date | None) -> str:
    """A date as the language writes it: 2022年8月15日, 15 Aug 2022."""
    if value is None:
        return "—"
    return _day(value, str(get_locale() or DEFAULT_LOCALE))  # no request: the default


@lru_cache(maxsize=4096)
def _day(value: date, locale: str) -> str:
    return format_date(value, format="long" if locale == "zh" else "d MMM y", locale=locale)


def moment(value: datetime | None) -> str:
    if value is None:
        return "—"
    return format_datetime(value, format="yyyy-MM-dd HH:mm")


def number(value: Decimal | int | None) -> str:
    return "—" if value is None else format_decimal(value)


def account_number(value: str) -> str:
    """A bank account number in groups of four digits, as printed on a card."""
    if not value.isdigit():
        return value  # kept as the agency typed it (a bank's name with it, say)
    return " ".join(value[i : i + 4] for i in range(0, len(value), 4))


def masked_account(value: str) -> str:
    """A bank account number with all but its last four digits hidden: ``**** 1234``."""
    digits = "".join(ch for ch in value if ch.isdigit())
    return f"**** {digits[-4:]}" if len(digits) > 4 else "****"
