"""Parse numbers that come from outside (forms, query strings) before any arithmetic touches them.

``Decimal(text)`` accepts ``1e700000``, ``NaN``, ``sNaN`` and ``Infinity``; the first costs
seconds of CPU as soon as it meets ``int()`` or ``quantize()``. Here the text is matched
against plain positional notation and its digits are counted first, so a ``Decimal`` is only
ever built from a string that fits the column it is meant for. Pure Python, no Flask.

Accepted: optional surrounding whitespace, ASCII or full-width digits (a Chinese input method
types ``１２３``), one decimal point (``.`` or ``．``), a sign only where the caller allows it,
and — only where the caller allows it — thousands separators in correct groups of three
(``1,234,567.5``; ``1,23`` is refused, as it may mean 1.23 in other conventions).
Refused: exponents, NaN and infinities, any other character, more integer digits than
``max_digits`` (leading zeros do not count) and more fraction digits than ``max_places``
(trailing zeros do not count).
"""

from __future__ import annotations

import re
from decimal import Decimal

# Limits of the portal's columns, in digits.
INTEGER_DIGITS = 9  # Integer columns are 32-bit signed: every 9-digit number fits
WAN_YUAN_DIGITS = 12  # figures in 万元: up to 10¹⁶ yuan, far within the BigInteger fen column
WAN_YUAN_PLACES = 2  # ... to the hundred yuan, as the Money column keeps two places

MALFORMED = "malformed"
NEGATIVE = "negative"
TOO_MANY_DIGITS = "too_many_digits"
TOO_MANY_PLACES = "too_many_places"

_FULL_WIDTH = str.maketrans("０１２３４５６７８９．，－＋", "0123456789.,-+")
_NUMBER = re.compile(r"([+-]?)([0-9,]*)(?:\.([0-9]*))?", re.ASCII)
_GROUPED = re.compile(r"[0-9]{1,3}(?:,[0-9]{3})+", re.ASCII)


class NumberError(ValueError):
    """Why a text is not an acceptable number: ``reason`` is one of the constants above."""

    def __init__(self, reason: str, *, max_digits: int, max_places: int) -> None:
        super().__init__(reason)
        self.reason = reason
        self.max_digits = max_digits
        self.max_places = max_places


def parse_decimal(
    text: str | None,
    *,
    max_digits: int,
    max_places: int = 0,
    signed: bool = False,
    grouping: bool = False,
) -> Decimal | None:
    """Return the number ``text`` writes, or None when it is blank.

    :raise NumberError: not a plain number, a sign where ``signed`` is false, or too many digits.
    """
    if text is None:
        return None

    def refuse(reason: str) -> NumberError:
        return NumberError(reason, max_digits=max_digits, max_places=max_places)

    if not isinstance(text, str):
        raise refuse(MALFORMED)
    text = text.strip().translate(_FULL_WIDTH)
    if not text:
        return None
    match = _NUMBER.fullmatch(text)
    if match is None:
        raise refuse(MALFORMED)
    sign, whole, fraction = match.group(1), match.group(2), match.group(3) or ""
    if not whole and not fraction:  # "", "+", "-", "."
        raise refuse(MALFORMED)
    if "," in whole:
        if not grouping or not _GROUPED.fullmatch(whole):
            raise refuse(MALFORMED)
        whole = whole.replace(",", "")
    if sign and not signed:
        raise refuse(NEGATIVE if sign == "-" else MALFORMED)
    whole = whole.lstrip("0")
    fraction = fraction.rstrip("0")
    if len(whole) > max_digits:
        raise refuse(TOO_MANY_DIGITS)
    if len(fraction) > max_places:
        raise refuse(TOO_MANY_PLACES)
    digits = f"{whole or '0'}.{fraction}" if fraction else (whole or "0")
    return Decimal(f"-{digits}" if sign == "-" else digits)


def parse_integer(
    text: str | None, *, max_digits: int, signed: bool = False, grouping: bool = False
) -> int | None:
    """Return the whole number ``text`` writes (``45.0`` is 45), or None when it is blank.

    :raise NumberError: as :func:`parse_decimal`; a fraction is ``TOO_MANY_PLACES``.
    """
    value = parse_decimal(text, max_digits=max_digits, signed=signed, grouping=grouping)
    return None if value is None else int(value)


MAX_ID = 2**31 - 1  # the largest Integer primary key on PostgreSQL


def parse_id(text: str | None) -> int | None:
    """Return the row id ``text`` writes (1 to 2**31 - 1), or None for anything else."""
    try:
        value = parse_integer(text, max_digits=len(str(MAX_ID)))
    except NumberError:
        return None
    return value if value is not None and 1 <= value <= MAX_ID else None
