"""Password hashing with scrypt (werkzeug), and the rules a new password must meet."""

from __future__ import annotations

from werkzeug.security import check_password_hash, generate_password_hash

MIN_LENGTH = 10
# A fixed hash to compare against when the user does not exist, so both paths cost the same.
_DUMMY_HASH = generate_password_hash("not-a-real-password", method="scrypt")


def hash_password(password: str) -> str:
    return generate_password_hash(password, method="scrypt")


def verify_password(password_hash: str | None, password: str) -> bool:
    return check_password_hash(password_hash or _DUMMY_HASH, password) and bool(password_hash)
