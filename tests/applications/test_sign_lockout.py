"""Guessing the password at the signing step counts towards the same lock as signing in."""

from __future__ import annotations

from portal.core.extensions import db
from portal.models import AuditEntry, User
from tests.applications.helpers import sign, walk_to_sign
from tests.conftest import sign_in


def test_ten_wrong_passwords_at_signing_lock_the_account(client, people, fast_letters):
    employer, owner = people["employer"], people["owner"]
    sign_in(client, owner)
    walk_to_sign(client, employer)
    for _ in range(10):
        sign(client, employer, password="a guess")
    locked = db.session.get(User, owner.id)
    assert locked.locked_until is not None
    # Even the right password is refused now, and nothing was signed.
    response = sign(client, employer)
    assert response.status_code == 200
    actions = list(
        db.session.scalars(db.select(AuditEntry.action).where(AuditEntry.actor_id == owner.id))
    )
    assert actions.count("auth.login_failed") == 10
    assert "auth.reauthenticate" not in actions


def test_the_right_password_is_recorded_as_a_fresh_check_not_a_sign_in(
    client, people, fast_letters
):
    employer, owner = people["employer"], people["owner"]
    sign_in(client, owner)
    walk_to_sign(client, employer)
    assert sign(client, employer).status_code == 302
    actions = list(
        db.session.scalars(db.select(AuditEntry.action).where(AuditEntry.actor_id == owner.id))
    )
    assert "auth.reauthenticate" in actions and "auth.login" not in actions
