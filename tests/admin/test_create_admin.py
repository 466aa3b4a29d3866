"""``flask portal create-admin``: the first administrator of an empty database, the password
asked twice on the terminal and held to the same rule as the pages'."""

from __future__ import annotations

from sqlalchemy import select

from portal.core.extensions import db
from portal.features.auth.passwords import verify_password
from portal.models import AuditEntry, User
from tests.conftest import post_form

PASSWORD = "a long pass phrase"


def run(app, *args: str, password_lines: str = ""):
    return app.test_cli_runner().invoke(
        args=["portal", "create-admin", *args], input=password_lines
    )


def test_the_first_administrator_of_an_empty_database(app, client):
    assert db.session.scalar(select(User)) is None
    # Too short, then two that differ, then the same twice: asked again each time.
    typed = f"short\nshort\n{PASSWORD}\nsomething else\n{PASSWORD}\n{PASSWORD}\n"
    result = run(app, "root", "--name", "系统管理员", password_lines=typed)
    assert result.exit_code == 0, result.output
    assert "use at least 10 characters" in result.output
    assert "do not match" in result.output
    assert PASSWORD not in result.output  # hidden as typed
    user = db.session.scalar(select(User).where(User.username == "root"))
    assert (user.staff_role, user.agency_id, user.display_name) == ("admin", None, "系统管理员")
    assert verify_password(user.password_hash, PASSWORD)
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "staff_user.create"))
    assert entry.object_id == str(user.id) and entry.details["via"] == "command line"
    assert PASSWORD not in str(entry.details)
    # The administrator signs in with it and reaches the reference pages.
    signed_in = post_form(client, "/login", {"username": "root", "password": PASSWORD})
    assert signed_in.status_code == 302
    assert client.get("/reference/agencies/new").status_code == 200


def test_a_taken_or_malformed_username_is_refused_before_any_password(app, make):
    make.user(staff_role="hall", username="taken")
    make.commit()
    taken = run(app, "taken", password_lines=f"{PASSWORD}\n{PASSWORD}\n")
    assert taken.exit_code == 1
    assert "the username taken is taken: choose another" in taken.output
    assert "Password" not in taken.output
    malformed = run(app, "no spaces", password_lines=f"{PASSWORD}\n{PASSWORD}\n")
    assert malformed.exit_code == 1 and "3 to 40 letters" in malformed.output
    # A password on the command line is no argument it takes; no password typed, no account.
    assert run(app, "root", PASSWORD).exit_code == 2
    assert run(app, "root", password_lines="").exit_code == 1
    assert db.session.scalars(select(User.username)).all() == ["taken"]
