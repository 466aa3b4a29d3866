from __future__ import annotations

from sqlalchemy import select

from portal import audit
from portal.auth.passwords import hash_password
from portal.extensions import db
from portal.models import User
from portal.rules.errors import DomainError


class StaffUserError(DomainError):
    """A staff account refused: username_taken."""

    kind = "staff_user"


def create_staff_user(
    *, username: str, display_name: str, staff_role: str, agency_id: int, password: str, actor: User
) -> User:
    if db.session.scalar(select(User.id).where(User.username == username)):
        raise StaffUserError("username_taken", field="username")
    user = User(
        username=username,
        display_name=display_name,
        staff_role=staff_role,
        agency_id=agency_id,
        password_hash=hash_password(password),
    )
    db.session.add(user)
    db.session.flush()
    audit.record(actor, "staff_user.create", obj=user, details={"role": staff_role})
    return user
