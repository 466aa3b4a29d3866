"""The one parser for numbers from outside: plain notation only, digits counted before Decimal."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.util import numbers
from portal.util.numbers import NumberError, parse_decimal, parse_integer


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("45", Decimal(45)),
        ("  850.5 ", Decimal("850.5")),
        ("0.50", Decimal("0.5")),
        (".5", Decimal("0.5")),
        ("5.", Decimal(5)),
        ("000000000000000000000000000042", Decimal(42)),
        ("１２３．５", Decimal("123.5")),  # a Chinese input method's full-width digits
        ("\u3000７\u3000", Decimal(7)),  # ideographic spaces
        ("", None),
        ("   ", None),
        (None, None),
    ],
)
def test_plain_numbers(text, expected):
    assert parse_decimal(text, max_digits=12, max_places=2) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("1e700000", numbers.MALFORMED),
        ("1E5", numbers.MALFORMED),
        ("NaN", numbers.MALFORMED),
        ("sNaN", numbers.MALFORMED),
        ("-nan", numbers.MALFORMED),
        ("Infinity", numbers.MALFORMED),
        ("-Inf", numbers.MALFORMED),
        ("0x10", numbers.MALFORMED),
        ("1_000", numbers.MALFORMED),
        ("١٢٣", numbers.MALFORMED),  # Arabic-Indic digits: Decimal() takes them, we do not
        ("1.2.3", numbers.MALFORMED),
        (".", numbers.MALFORMED),
        ("-", numbers.MALFORMED),
        ("+5", numbers.MALFORMED),
        ("-5", numbers.NEGATIVE),
        ("-0", numbers.NEGATIVE),
        ("1,234", numbers.MALFORMED),  # grouping not allowed here
        ("1\x00", numbers.MALFORMED),
        ("1234567890123", numbers.TOO_MANY_DIGITS),
        ("9" * 100_000, numbers.TOO_MANY_DIGITS),
        ("1.234", numbers.TOO_MANY_PLACES),
        ("0." + "1" * 100_000, numbers.TOO_MANY_PLACES),
    ],
)
def test_refusals_say_why(text, reason):
    with pytest.raises(NumberError) as caught:
        parse_decimal(text, max_digits=12, max_places=2)
    assert caught.value.reason == reason
    assert (caught.value.max_digits, caught.value.max_places) == (12, 2)


def test_a_huge_exponent_is_refused_at_once():
    started = time.perf_counter()
    for text in ("1e700000", "9" * 1_000_000, "1" + "0" * 1_000_000 + ".5"):
        with pytest.raises(NumberError):
            parse_integer(text, max_digits=9)
    assert time.perf_counter() - started < 1


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1,234", 1234), ("12,345,678", 12345678), ("１，２３４", 1234), ("0,001", 1)],
)
def test_thousands_separators_in_groups_of_three_where_allowed(text, expected):
    assert parse_integer(text, max_digits=9, grouping=True) == expected


@pytest.mark.parametrize("text", ["1,23", "1,2345", ",123", "123,", "1,,234", "1,234,56"])
def test_misplaced_separators_are_refused(text):
    with pytest.raises(NumberError) as caught:
        parse_integer(text, max_digits=9, grouping=True)
    assert caught.value.reason == numbers.MALFORMED


def test_signs_where_allowed():
    assert parse_decimal("-3.5", max_digits=2, max_places=1, signed=True) == Decimal("-3.5")
    assert parse_decimal("+3", max_digits=2, signed=True) == Decimal(3)


def test_integers():
    assert parse_integer("45.000", max_digits=9) == 45
    assert parse_integer("999999999", max_digits=9) == 999_999_999
    with pytest.raises(NumberError) as caught:
        parse_integer("4.5", max_digits=9)
    assert caught.value.reason == numbers.TOO_MANY_PLACES
    with pytest.raises(NumberError):
        parse_integer("1000000000", max_digits=9)


@given(
    st.decimals(allow_nan=False, allow_infinity=False, min_value=0, max_value=10**12 - 1, places=2)
)
def test_every_fitting_decimal_round_trips(value):
    assert parse_decimal(str(value), max_digits=12, max_places=2) == value
    assert parse_decimal(f"{value:f}", max_digits=12, max_places=2) == value


@given(st.integers(min_value=0, max_value=10**9 - 1))
def test_every_fitting_integer_round_trips_with_or_without_grouping(value):
    assert parse_integer(str(value), max_digits=9) == value
    assert parse_integer(f"{value:,}", max_digits=9, grouping=True) == value


@given(st.text(max_size=60))
def test_any_text_gives_a_fitting_number_none_or_number_error(text):
    try:
        value = parse_decimal(text, max_digits=6, max_places=2, signed=True, grouping=True)
    except NumberError as error:
        assert error.reason in {
            numbers.MALFORMED,
            numbers.NEGATIVE,
            numbers.TOO_MANY_DIGITS,
            numbers.TOO_MANY_PLACES,
        }
        return
    if value is None:
        assert not text.strip()
        return
    assert value.is_finite()
    assert abs(value) < 10**6
    assert value == value.quantize(Decimal("0.01"))


@given(st.integers(min_value=10**9, max_value=10**40))
def test_no_integer_past_the_column_gets_through(value):
    with pytest.raises(NumberError):
        parse_integer(str(value), max_digits=9)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1", 1),
        ("2147483647", 2**31 - 1),
        ("2147483648", None),
        ("0", None),
        ("-1", None),
        ("²", None),
        ("99999999999999999999", None),
        ("", None),
        (None, None),
        ("1e3", None),
    ],
)
def test_ids(text, expected):
    assert numbers.parse_id(text) == expected
