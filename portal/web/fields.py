"""Form fields for numbers, parsed by ``portal.util.numbers`` (never ``Decimal()`` on raw text)."""

from __future__ import annotations

from decimal import Decimal

from flask_babel import gettext as _
from wtforms import StringField

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


class NumberField(StringField):
    """A text box for a number within a column's digits; ``data`` is int, Decimal or None.

    A plain text input rather than ``type=number``, whose browsers differ on decimal commas
    and which turns what the user typed into an empty value when it does not parse.
    """

    def __init__(
        self,
        label=None,
        validators=None,
        *,
        max_digits: int,
        max_places: int = 0,
        grouping: bool = False,
        message: str,
        **kwargs,
    ) -> None:
        super().__init__(label, validators, **kwargs)
        self.max_digits = max_digits
        self.max_places = max_places
        self.grouping = grouping
        self.message = message

    def process_formdata(self, valuelist) -> None:
        if not valuelist:
            return
        self.data = None
        try:
            self.data = self.parse(valuelist[0])
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
