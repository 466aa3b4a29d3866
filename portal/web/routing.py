"""URL converters: an id in a URL is a positive 32-bit integer, or the page does not exist."""

from __future__ import annotations

from flask import Flask
from werkzeug.routing import IntegerConverter, ValidationError

from portal.util.numbers import MAX_ID


class IdConverter(IntegerConverter):
    """``<int:…>`` for row ids: ASCII digits, 1 to 2**31 - 1; anything else is a 404.

    Werkzeug's own converter turns ``/e/99999999999999999999/`` into an int that PostgreSQL
    refuses to compare with an integer column (a 500), and ``int()`` raises on more than 4,300
    digits. Bounding the value here keeps every route's query inside the column's range.
    """

    regex = r"[0-9]+"

    def __init__(self, map, *args, **kwargs) -> None:
        kwargs.setdefault("min", 1)
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)

    def to_python(self, value: str) -> int:
        if len(value) > len(str(MAX_ID)) + 1:  # leading zeros aside, too long to be an id
            raise ValidationError()
        return super().to_python(value)


def init_app(app: Flask) -> None:
    """Replace ``int`` before any blueprint adds its routes."""
    app.url_map.converters["int"] = IdConverter
