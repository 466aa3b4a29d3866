"""Form fields for numbers, parsed by ``portal.util.numbers`` (never ``Decimal()`` on raw text)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Generic, Literal, TypeVar, cast, overload

from flask_babel import gettext as _
from wtforms import Field
from wtforms.widgets import TextInput

from portal.util import numbers


def number_message(error: numbers.NumberError, message: str) -> str:
    """Say what to type instead; ``message`` is the field's own words for a malformed number."""
    if error.reason == numbers.TOO_MANY_DIGITS:
        if error.max_places == 0:
            return _("Enter a whole number of at most %(n)d digits", n=error.max_digits)
        return _("Enter at most %(n)d digits before the decimal point", n=error.max_digits)
    if error.reason == numbers.TOO_MANY_PLACES and error.max_places > 0:
        return _("Enter at most %(n)d digits after the decimal point", n=error.max_places)
    return str(message)


_N = TypeVar("_N", int, Decimal)


class NumberField(Field, Generic[_N]):
    """A text box for a number within a column's digits; ``data`` is None or an int (no
    ``max_places``: a ``NumberField[int]``) or a Decimal (``max_places``: ``NumberField[Decimal]``).

    A plain text input rather than ``type=number``, whose browsers differ on decimal commas
    and which turns what the user typed into an empty value when it does not parse. (A
    ``Field`` with StringField's widget, not a StringField, whose ``data`` is text.)
    """

    widget = TextInput()
    data: _N | None

    @overload
    def __init__(
        self: NumberField[int],
        label: Any = None,
        validators: list[Any] | None = None,
        *,
        max_digits: int,
        max_places: Literal[0] = 0,
        grouping: bool = False,
        message: str,
        **kwargs: Any,
    ) -> None: ...

    @overload
    def __init__(
        self: NumberField[Decimal],
        label: Any = None,
        validators: list[Any] | None = None,
        *,
        max_digits: int,
        max_places: int,
        grouping: bool = False,
        message: str,
        **kwargs: Any,
    ) -> None: ...

    def __init__(
        self,
        label: Any = None,
        validators: list[Any] | None = None,
        *,
        max_digits: int,
        max_places: int = 0,
        grouping: bool = False,
        message: str,
        **kwargs: Any,
    ) -> None:
        super().__init__(label, validators, **kwargs)
        self.max_digits = max_digits
        self.max_places = max_places
        self.grouping = grouping
        self.message = message

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist:
            return
        self.data = None
        if isinstance(valuelist[0], str) and not valuelist[0].strip():
            # Spaces only: nothing entered, as InputRequired (which reads the raw text) must
            # see, or a required number would validate as None.
            self.raw_data = [""]
            return
        try:
            # An int without places, else a Decimal: what the overloads of __init__ say.
            self.data = cast("_N | None", self.parse(valuelist[0]))
        except numbers.NumberError as error:
            raise ValueError(number_message(error, self.message)) from None

    def parse(self, text: str) -> int | Decimal | None:
        if self.max_places == 0:
            return numbers.parse_integer(text, max_digits=self.max_digits, grouping=self.grouping)
        return numbers.parse_decimal(
            text, max_digits=self.max_digits, max_places=self.max_places, grouping=self.grouping
        )

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return "" if self.data is None else str(self.data)
