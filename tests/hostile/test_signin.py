"""Sign-in and activation from one client are limited; failures are audited; locks take as long."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import func, select

from portal.core import ratelimit
from portal.core.extensions import db
from portal.features.auth import operations
from portal.models import AuditEntry, User
from portal.models.base import utcnow
from tests.conftest import post_form
from tests.factories import PASSWORD


def soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


@pytest.fixture
def one_window(monkeypatch):
    """Stay inside one rate-limit minute, 10 seconds before its end."""
    monkeypatch.setattr(ratelimit, "_clock", lambda: 60 * 29_000_000 + 50.0)


def test_sign_in_attempts_from_one_client_are_limited(app, client, make, one_window):
    app.config["LOGIN_RATE_LIMIT_PER_MINUTE"] = 3
    user = make.user()
    make.commit()
    for _ in range(3):
        assert (
            post_form(client, "/login", {"username": user.username, "password": "x"}).status_code
            == 200
        )
    response = post_form(client, "/login", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "10"
    assert "登录尝试次数过多" in soup(response).select_one(".lead").get_text()
    # The page itself can still be read.
    assert client.get("/login").status_code == 200


def test_activation_attempts_from_one_client_are_limited(app, client, one_window):
    app.config["ACTIVATE_RATE_LIMIT_PER_MINUTE"] = 2
    data = {"credit_code": "91371500MA3C9XXXXX", "code": "ABCD-EFGH-JKLM-NPQR"}
    for _ in range(2):
        assert post_form(client, "/activate", data).status_code == 200
    response = post_form(client, "/activate", data)
    assert response.status_code == 429
    assert "激活尝试次数过多" in soup(response).select_one(".lead").get_text()


def test_a_failed_sign_in_with_an_unknown_username_is_audited(client):
    post_form(client, "/login", {"username": "nobody-here", "password": "guess-guess"})
    entry = db.session.scalar(
        select(AuditEntry).where(AuditEntry.action == "auth.login_unknown_user")
    )
    assert entry.actor_id is None and entry.role == "anonymous"
    assert entry.details == {"username": "nobody-here"}


def test_a_locked_account_does_the_work_of_a_password_check(client, make, monkeypatch):
    """The answer must not come sooner for a locked account than for a wrong password."""
    user = make.user()
    make.commit()
    db.session.get(User, user.id).locked_until = utcnow().replace(year=2099)
    db.session.commit()
    checked = []
    real = operations.verify_password

    def counting(password_hash, password):
        checked.append(password_hash)
        return real(password_hash, password)

    monkeypatch.setattr(operations, "verify_password", counting)
    response = post_form(client, "/login", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 200
    assert checked == [db.session.get(User, user.id).password_hash]


def test_an_activation_sent_again_answers_like_the_first(app, client, make):
    from portal.features.auth.operations import issue_activation_code

    agency = make.agency()
    employer = make.employer(agency)
    hall = make.user(staff_role="hall", agency=agency)
    make.commit()
    _code, plain = issue_activation_code(employer, "owner", actor=hall, valid_days=14)
    db.session.commit()
    form = {
        "credit_code": employer.credit_code,
        "code": plain,
        "display_name": "王法人",
        "username": "wang.faren",
        "password": "a long enough password",
        "password_confirm": "a long enough password",
    }
    assert post_form(client, "/activate", form, token_from="/activate").status_code == 302
    second = app.test_client()  # the second click, from a page loaded before the first
    assert post_form(second, "/activate", form, token_from="/activate").status_code == 302
    other = app.test_client()  # the same code for another username is refused
    response = post_form(other, "/activate", {**form, "username": "li.si"}, token_from="/activate")
    assert response.status_code == 200
    wrong = app.test_client()  # ... and with another password
    response = post_form(
        wrong,
        "/activate",
        {**form, "password": "x" * 12, "password_confirm": "x" * 12},
        token_from="/activate",
    )
    assert response.status_code == 200
    assert db.session.scalar(select(func.count()).select_from(User)) == 2


def test_a_staff_account_sent_again_answers_like_the_first(client, make):
    agency = make.agency()
    admin = make.user(staff_role="admin")
    make.commit()
    from tests.conftest import sign_in

    sign_in(client, admin)
    form = {
        "display_name": "李审核",
        "username": "li.shenhe",
        "staff_role": "reviewer",
        "agency_id": str(agency.id),
        "password": "a long enough password",
    }
    for _ in range(2):
        response = post_form(client, "/admin/users/new", form, token_from="/admin/users/new")
        assert response.status_code == 302
    response = post_form(
        client, "/admin/users/new", {**form, "display_name": "王"}, token_from="/admin/users/new"
    )
    assert response.status_code == 200  # the username is someone else's now
    assert db.session.scalar(select(func.count()).select_from(User)) == 2
