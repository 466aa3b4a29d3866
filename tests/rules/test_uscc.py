"""Unified social credit codes: stdnum check character, normalisation, unit kinds, messages."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.cn.uscc import calc_check_digit

from portal import rules

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
body = st.builds(
    lambda head, region, org: head + region + org,
    st.sampled_from(["11", "12", "31", "51", "52", "53", "91", "92", "93", "Y1"]),
    st.text("0123456789", min_size=6, max_size=6),
    st.text(ALPHABET, min_size=9, max_size=9),
)


@settings(max_examples=200, deadline=None)
@given(body)
def test_every_code_with_a_correct_check_character_parses(first17: str) -> None:
    code = first17 + calc_check_digit(first17)
    assert rules.parse_uscc(code).code == code
    assert rules.parse_uscc(f"  {code.lower()} ").code == code


@settings(max_examples=200, deadline=None)
@given(
    body, st.integers(0, 17), st.characters(codec="ascii", exclude_characters=" \t\n\r\x0b\x0c-")
)
def test_every_single_character_change_is_rejected(first17: str, position: int, new: str) -> None:
    code = first17 + calc_check_digit(first17)
    if new.upper() == code[position]:
        return
    changed = code[:position] + new + code[position + 1 :]
    with pytest.raises(rules.InvalidCreditCode) as info:
        rules.parse_uscc(changed)
    assert info.value.code in {"bad_check", "bad_character", "bad_region", "wrong_length"}


def test_full_width_input_is_folded() -> None:
    full = "".join(chr(ord(c) + 0xFEE0) for c in "91110000600037341l")
    assert rules.parse_uscc(f"\u3000{full} ").code == "91110000600037341L"


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("9111000060003734", "wrong_length"),
        ("", "missing"),
        ("91110000600037341O", "bad_character"),
        ("9111000060003734!L", "bad_character"),
        ("91110000600037341M", "bad_check"),
    ],
)
def test_error_codes_and_chinese_messages(text: str, code: str) -> None:
    with pytest.raises(rules.InvalidCreditCode) as info:
        rules.parse_uscc(text)
    assert info.value.code == code
    assert info.value.message_zh
    assert isinstance(info.value, ValueError)


def test_check_mismatch_says_probably_a_typo() -> None:
    with pytest.raises(rules.InvalidCreditCode) as info:
        rules.parse_uscc("91110000600037341M")
    assert "probably mistyped" in str(info.value) and "可能是输入错误" in info.value.message_zh


def test_letter_that_never_appears_is_named() -> None:
    with pytest.raises(rules.InvalidCreditCode, match="letter O"):
        rules.parse_uscc("91110000600037341O")


@pytest.mark.parametrize(
    ("prefix", "kind", "out"),
    [
        ("11", "government_organ", True),
        ("12", "public_institution", True),
        ("51", "social_group", False),
        ("91", "enterprise", False),
        ("92", "individual_business", False),
        ("93", "farmers_cooperative", False),
        ("Y1", "unknown", False),
    ],
)
def test_unit_kind_from_the_first_two_characters(prefix: str, kind: str, out: bool) -> None:
    first17 = prefix + "370100" + "MA3C12345"
    parsed = rules.parse_uscc(first17 + calc_check_digit(first17))
    assert (parsed.unit_kind, parsed.out_of_scope) == (kind, out)
