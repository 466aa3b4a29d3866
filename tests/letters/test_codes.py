"""Verification codes: 100 random bits, read back whatever the case, spacing or misreading."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.letters import codes

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def test_verification_code_has_at_least_80_random_bits() -> None:
    code = codes.new_verification_code()
    chars = code.replace("-", "")
    assert len(chars) * math.log2(len(CROCKFORD)) >= 80
    assert codes.VERIFICATION_CODE_BITS >= 80
    assert set(chars) <= set(CROCKFORD)
    assert [len(group) for group in code.split("-")] == [4, 4, 4, 4, 4]


def test_verification_codes_are_unique_and_use_the_whole_alphabet() -> None:
    drawn = {codes.new_verification_code() for _ in range(20_000)}
    assert len(drawn) == 20_000
    assert set("".join(drawn).replace("-", "")) == set(CROCKFORD)


code_texts = st.text(alphabet=CROCKFORD, min_size=20, max_size=20).map(
    lambda chars: "-".join(chars[i : i + 4] for i in range(0, 20, 4))
)


@given(
    code=code_texts,
    lower=st.lists(st.booleans(), min_size=20, max_size=20),
    separators=st.lists(st.sampled_from(["", "", "-", " ", "  ", "\t"]), min_size=21, max_size=21),
)
def test_normalise_accepts_case_dashes_and_spaces(
    code: str, lower: list[bool], separators: list[str]
) -> None:
    chars = code.replace("-", "")
    typed = (
        "".join(separators[i] + (ch.lower() if lower[i] else ch) for i, ch in enumerate(chars))
        + separators[20]
    )
    assert codes.normalise_verification_code(typed) == code
    assert codes.normalise_verification_code(code) == code


@given(code=code_texts)
def test_normalise_reads_o_as_zero_and_i_l_as_one(code: str) -> None:
    misread = code.replace("0", "O").replace("1", "l")
    assert codes.normalise_verification_code(misread) == code


@given(text=st.text(max_size=40))
def test_normalise_rejects_or_returns_a_canonical_code(text: str) -> None:
    try:
        normalised = codes.normalise_verification_code(text)
    except ValueError:
        return
    assert codes.normalise_verification_code(normalised) == normalised
    assert len(normalised) == 24
    assert set(normalised.replace("-", "")) <= set(CROCKFORD)


@pytest.mark.parametrize(
    "text", ["", "7K3M-Q9TX-2B8D-WZ4R-H6N", "7K3M-Q9TX-2B8D-WZ4R-H6NPX", "7K3M-Q9TX-2B8D-WZ4R-H6NU"]
)
def test_normalise_rejects_malformed_codes(text: str) -> None:
    with pytest.raises(ValueError):
        codes.normalise_verification_code(text)
