"""Verification codes printed on a letter, and the public URL that checks one.

The URL is served by portal/features/verify.
"""

from __future__ import annotations

import secrets

from flask import url_for

#: Crockford's base32: no I, L, O or U, so a code read aloud or retyped survives.
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_CROCKFORD_ALIASES = str.maketrans({"O": "0", "I": "1", "L": "1"})
VERIFICATION_CODE_CHARS = 20  # 20 × 5 bits = 100 random bits
VERIFICATION_CODE_BITS = VERIFICATION_CODE_CHARS * 5
_GROUP = 4


def new_verification_code() -> str:
    """Draw a verification code of 100 random bits: five dash-separated groups of four."""
    chars = "".join(secrets.choice(_CROCKFORD) for _ in range(VERIFICATION_CODE_CHARS))
    return _group(chars)


def normalise_verification_code(text: str) -> str:
    """Return the canonical form of a typed code (any case, spaces or dashes optional).

    :raise ValueError: if the text is not a well-formed verification code.
    """
    chars = "".join(ch for ch in text.upper() if ch not in " -\t\n\r")
    chars = chars.translate(_CROCKFORD_ALIASES)
    if len(chars) != VERIFICATION_CODE_CHARS or any(ch not in _CROCKFORD for ch in chars):
        raise ValueError("not a verification code")
    return _group(chars)


def _group(chars: str) -> str:
    return "-".join(chars[i : i + _GROUP] for i in range(0, len(chars), _GROUP))


def verify_url_for(code: str) -> str:
    """Build the public verify URL printed (and drawn as a QR code) on a letter."""
    return url_for("verify.letter", code=code, _external=True)
