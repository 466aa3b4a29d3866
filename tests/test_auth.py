"""Sign-in, lockout, sessions that end server-side, safe redirects, CSRF, activation."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

from bs4 import BeautifulSoup
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from portal.core.extensions import db
from portal.models import ActivationCode, AuditEntry, Membership, User
from portal.models.base import utcnow
from portal.util import clock
from portal.web.permissions import is_safe_next
from tests.conftest import csrf_token, post_form, sign_in
from tests.factories import PASSWORD

SAME_MESSAGE = "The username or password is not right, or the account is locked for now."


def _login(client, username, password, **kw):
    return post_form(client, "/login", {"username": username, "password": password}, **kw)


def _errors(response) -> list[str]:
    soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    return [
        p.get_text(" ", strip=True).replace("Error: ", "") for p in soup.select(".error-message")
    ]


def _english(client):
    post_form(client, "/language", {"locale": "en"})


def test_sign_in_and_out(client, make):
    user = make.user(employer=make.employer())
    make.commit()
    response = _login(client, user.username, PASSWORD)
    assert response.status_code == 302
    assert client.get("/dashboard").status_code == 302  # to the one employer's home
    assert "portal_session" in response.headers.get("Set-Cookie", "")
    assert "remember_token" not in response.headers.get("Set-Cookie", "")
    response = post_form(client, "/logout", token_from="/login")
    assert response.status_code == 302
    assert client.get("/dashboard").status_code == 302
    assert "/login" in client.get("/dashboard").location


SIGN_OUT_EXPIRED = "您仍处于登录状态：退出按钮已失效，什么也没有改变。请点击下方的“退出”。"


def test_sign_out_with_a_bad_or_missing_token_shows_the_page_again_and_stays_signed_in(
    client, make
):
    user = make.user(employer=make.employer())
    make.commit()
    assert _login(client, user.username, PASSWORD).status_code == 302
    audit = db.session.scalar(select(func.count()).select_from(AuditEntry))
    for data in ({"csrf_token": "not-a-token"}, {}, {"csrf_token": csrf_token(client)[:-2]}):
        response = client.post("/logout", data=data)
        assert response.status_code == 200
        page = BeautifulSoup(response.get_data(as_text=True), "html.parser")
        assert (
            page.select_one(".error-summary").get_text(" ", strip=True).endswith(SIGN_OUT_EXPIRED)
        )
        assert page.select_one("main form button").get_text(strip=True) == "退出"
        assert "portal_session" not in response.headers.get("Set-Cookie", "")
        assert client.get("/dashboard").status_code == 302  # still to the employer's home
        assert "/login" not in client.get("/dashboard").location
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == audit
    # The page's own button signs out.
    assert client.get("/logout").status_code == 200
    response = post_form(client, "/logout", token_from="/logout")
    assert response.status_code == 302
    assert "/login" in client.get("/dashboard").location


def test_unknown_user_and_wrong_password_read_the_same(client, make):
    user = make.user()
    make.commit()
    _english(client)
    wrong_password = _errors(_login(client, user.username, "not the password"))
    unknown_user = _errors(_login(client, "nobody-here", "not the password"))
    assert wrong_password == unknown_user == [SAME_MESSAGE]


def test_ten_failures_lock_the_account_for_fifteen_minutes(app, client, make):
    user = make.user()
    make.commit()
    for _ in range(10):
        _login(client, user.username, "wrong")
    db.session.expire_all()
    locked = db.session.get(User, user.id)
    assert locked.locked_until is not None
    minutes = (locked.locked_until - utcnow()).total_seconds() / 60
    assert 14 < minutes <= 15
    # Even the right password is refused while locked, with the same message.
    response = _login(client, user.username, PASSWORD)
    assert response.status_code == 200
    # After the lock runs out, the right password works again.
    locked.locked_until = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert _login(client, user.username, PASSWORD).status_code == 302
    actions = db.session.scalars(db.select(AuditEntry.action).where(AuditEntry.actor_id == user.id))
    assert "auth.login_refused_locked" in list(actions)


def test_failures_are_counted_in_the_database(client, make):
    user = make.user()
    make.commit()
    for _ in range(3):
        _login(client, user.username, "wrong")
    db.session.expire_all()
    assert db.session.get(User, user.id).failed_logins == 3
    _login(client, user.username, PASSWORD)
    db.session.expire_all()
    assert db.session.get(User, user.id).failed_logins == 0


def test_a_replayed_cookie_fails_after_sign_out(app, make):
    user = make.user(employer=make.employer())
    make.commit()
    client = app.test_client()
    _login(client, user.username, PASSWORD)
    cookie = client.get_cookie("portal_session").value
    post_form(client, "/logout", token_from="/login")
    replay = app.test_client()
    replay.set_cookie("portal_session", cookie)
    response = replay.get("/dashboard")
    assert response.status_code == 302 and "/login" in response.location


def test_sessions_end_after_thirty_idle_minutes(client, make):
    user = make.user(employer=make.employer())
    make.commit()
    sign_in(client, user)
    assert client.get("/dashboard").status_code == 302
    with client.session_transaction() as session:
        session["seen_at"] = int(clock.timestamp()) - 31 * 60
    response = client.get("/dashboard")
    assert "/login" in response.location


def test_sessions_end_after_twelve_hours_in_all(client, make):
    user = make.user(employer=make.employer())
    make.commit()
    sign_in(client, user)
    with client.session_transaction() as session:
        session["login_at"] = int(clock.timestamp()) - 12 * 3600 - 1
    assert "/login" in client.get("/dashboard").location


def test_next_leads_only_to_a_local_path(client, make):
    user = make.user(employer=make.employer())
    make.commit()
    for target in (
        "https://evil.example/",
        "//evil.example/x",
        "/\\evil.example",
        "javascript:alert(1)",
    ):
        response = _login(client, user.username, PASSWORD, query_string={"next": target})
        assert response.location.endswith("/dashboard"), target
        post_form(client, "/logout", token_from="/login")
    response = _login(client, user.username, PASSWORD, query_string={"next": "/e/1/members"})
    assert response.location.endswith("/e/1/members")


@given(st.text())
def test_safe_next_never_names_another_host(target):
    if is_safe_next(target):
        parts = urlsplit(target)
        assert parts.scheme == "" and parts.netloc == ""
        assert target.startswith("/") and not target.startswith("//")


def test_a_rejected_csrf_token_keeps_what_the_user_typed(client, make):
    user = make.user()
    make.commit()
    _english(client)
    response = client.post("/login", data={"username": user.username, "password": PASSWORD})
    assert response.status_code == 200
    soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    assert soup.select_one("#username")["value"] == user.username
    summary = soup.select_one(".error-summary").get_text(" ", strip=True)
    assert "This form had expired, so nothing was saved" in summary
    assert client.get("/dashboard").status_code == 302  # not signed in


def _issue_code(client, staff, employer) -> str:
    sign_in(client, staff)
    response = post_form(client, f"/staff/employers/{employer.id}/activation-code")
    soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    post_form(client, "/logout", token_from="/login")
    return soup.select_one(".code").get_text(strip=True)


def test_activation_makes_the_legal_representative_owner(app, make):
    agency = make.agency()
    employer = make.employer(agency)
    hall = make.user(staff_role="hall", agency=agency)
    make.commit()
    client = app.test_client()
    code = _issue_code(client, hall, employer)
    form = {
        "credit_code": employer.credit_code.lower(),
        "code": code.lower().replace("-", ""),
        "display_name": "王法人",
        "username": "wang.faren",
        "password": "a long enough password",
        "password_confirm": "a long enough password",
    }
    response = post_form(client, "/activate", form, token_from="/activate")
    assert response.status_code == 302
    owner = db.session.scalar(db.select(User).filter_by(username="wang.faren"))
    membership = db.session.scalar(db.select(Membership).filter_by(user_id=owner.id))
    assert membership.role == "owner" and membership.employer_id == employer.id
    # The code works once.
    post_form(client, "/logout", token_from="/login")
    form["username"] = "someone.else"
    _english(client)
    response = post_form(client, "/activate", form, token_from="/activate")
    assert response.status_code == 200
    assert "Codes can be used once" in " ".join(_errors(response))


def test_expired_code_and_typo_in_credit_code(app, make):
    agency = make.agency()
    employer = make.employer(agency)
    hall = make.user(staff_role="hall", agency=agency)
    make.commit()
    client = app.test_client()
    code = _issue_code(client, hall, employer)
    _english(client)
    typo = employer.credit_code[:-1] + ("0" if employer.credit_code[-1] != "0" else "1")
    form = {
        "credit_code": typo,
        "code": code,
        "display_name": "王",
        "username": "wang1",
        "password": "a long enough password",
        "password_confirm": "a long enough password",
    }
    response = post_form(client, "/activate", form, token_from="/activate")
    assert "probably a typo" in " ".join(_errors(response))
    activation = db.session.scalar(db.select(ActivationCode))
    activation.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    form["credit_code"] = employer.credit_code
    response = post_form(client, "/activate", form, token_from="/activate")
    assert "expire after 14 days" in " ".join(_errors(response))


def test_owner_invites_and_removes_finance_staff(app, make):
    employer = make.employer()
    owner = make.user(employer=employer)
    make.commit()
    client = app.test_client()
    sign_in(client, owner)
    response = post_form(client, f"/e/{employer.id}/members/invite", token_from="/login")
    code = (
        BeautifulSoup(response.get_data(as_text=True), "html.parser")
        .select_one(".code")
        .get_text(strip=True)
    )
    post_form(client, "/logout", token_from="/login")
    form = {
        "credit_code": employer.credit_code,
        "code": code,
        "display_name": "李会计",
        "username": "li.kuaiji",
        "password": "a long enough password",
        "password_confirm": "a long enough password",
    }
    assert post_form(client, "/activate", form, token_from="/activate").status_code == 302
    assert client.get(f"/e/{employer.id}/").status_code == 200
    assert client.get(f"/e/{employer.id}/members").status_code == 403
    finance = db.session.scalar(db.select(User).filter_by(username="li.kuaiji"))
    membership_id = finance.memberships[0].id
    post_form(client, "/logout", token_from="/login")
    sign_in(client, owner)
    post_form(client, f"/e/{employer.id}/members/{membership_id}/remove", token_from="/login")
    assert db.session.get(Membership, membership_id) is None
    sign_in(client, finance)
    assert client.get(f"/e/{employer.id}/").status_code == 404
    actions = list(db.session.scalars(db.select(AuditEntry.action).order_by(AuditEntry.id)))
    assert actions.count("activation.issue") == 1 and "member.remove" in actions


def test_csrf_cookie_session_without_token_cannot_post_state_changes(client, make):
    employer = make.employer()
    owner = make.user(employer=employer)
    make.commit()
    sign_in(client, owner)
    client.post(f"/e/{employer.id}/members/invite")
    assert db.session.scalar(db.select(ActivationCode)) is None
    assert csrf_token(client)  # a real token is handed out on every page
