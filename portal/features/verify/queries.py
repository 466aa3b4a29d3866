"""Look a letter up by its verification code (public: the code is the only key)."""

from __future__ import annotations

from sqlalchemy import select

from portal.core.extensions import db
from portal.letters.codes import normalise_verification_code
from portal.models import StoredLetter


def letter_by_code(text: str) -> StoredLetter | None:
    """The letter with this code in any case, with or without dashes; None if none."""
    try:
        code = normalise_verification_code(text)
    except ValueError:
        return None
    return db.session.scalar(select(StoredLetter).where(StoredLetter.verification_code == code))
