from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal.core import audit
from portal.core.extensions import db
from portal.features.auth.passwords import hash_password, verify_password
from portal.models import User
from portal.rules.errors import DomainError

#: A username: what the sign-up form and the staff account form accept, and create-admin.
USERNAME_PATTERN = r"^[A-Za-z0-9._-]{3,40}$"


class StaffUserError(DomainError):
    """A staff account refused: username_taken."""

    kind = "staff_user"


def create_staff_user(
    *,
    username: str,
    display_name: str,
    staff_role: str,
    agency_id: int | None,
    password: str,
    actor: User | None,
    via: str | None = None,
) -> User:
    """Add a staff account (``actor`` None and ``via``: from a command, e.g. the first
    administrator of a new database)."""
    existing = username_owner(username)
    if existing is not None:
        return _created_already(existing, display_name, staff_role, agency_id, password)
    user = User(
        username=username,
        display_name=display_name,
        staff_role=staff_role,
        agency_id=agency_id,
        password_hash=hash_password(password),
    )
    try:
        with db.session.begin_nested():
            db.session.add(user)
    except IntegrityError:  # the same username created at the same moment
        existing = username_owner(username)
        return _created_already(existing, display_name, staff_role, agency_id, password)
    details = {"role": staff_role, **({"via": via} if via else {})}
    audit.record(actor, "staff_user.create", obj=user, details=details)
    return user


def username_owner(username: str) -> User | None:
    return db.session.scalar(select(User).where(User.username == username))


def _created_already(
    user: User | None, display_name: str, staff_role: str, agency_id: int | None, password: str
) -> User:
    """The same account sent twice (a double click) is the one created, not an error.

    :raise StaffUserError: the username belongs to another account.
    """
    wanted = (display_name, staff_role, agency_id)
    if user is None or (user.display_name, user.staff_role, user.agency_id) != wanted:
        raise StaffUserError("username_taken", field="username")
    if not verify_password(user.password_hash, password):
        raise StaffUserError("username_taken", field="username")
    return user
