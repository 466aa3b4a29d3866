"""How a request is routed: an id in a URL is a positive 32-bit integer, or the page does not
exist; a route may take a larger body than the others (``upload_limit``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import Flask, Request, current_app, has_app_context
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


View = TypeVar("View", bound=Callable)

#: Room for a form's other fields and the multipart framing around a file of the route's limit.
FORM_OVERHEAD_BYTES = 1 << 20


def upload_limit(size: int) -> Callable[[View], View]:
    """The route takes a file of up to ``size`` bytes, more than ``MAX_CONTENT_LENGTH`` allows
    every other route (a register of millions of rows). Werkzeug spools it to a temporary file;
    a larger body is refused with 413 before it is read."""

    def mark(view: View) -> View:
        view.max_content_length = size + FORM_OVERHEAD_BYTES  # type: ignore[attr-defined]
        return view

    return mark


class PortalRequest(Request):
    """A request whose route has an ``upload_limit`` takes a body of up to that limit."""

    @property
    def max_content_length(self) -> int | None:
        if self._max_content_length is None and has_app_context():
            view = current_app.view_functions.get(self.endpoint or "")
            limit = getattr(view, "max_content_length", None)
            if limit is not None:
                return limit
        return super().max_content_length

    @max_content_length.setter
    def max_content_length(self, value: int | None) -> None:
        Request.max_content_length.fset(self, value)  # type: ignore[attr-defined]


def init_app(app: Flask) -> None:
    """Replace ``int`` before any blueprint adds its routes; requests know their route's limit."""
    app.url_map.converters["int"] = IdConverter
    app.request_class = PortalRequest
