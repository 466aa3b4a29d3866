"""An address on the account: asked at activation and invitation, changed by the person,
confirmed by a link (which never signs in) before anything else goes there; the switch."""

from __future__ import annotations

import re
from datetime import date
from urllib.parse import urlsplit

from sqlalchemy import select

from portal.cli.reminders import run
from portal.core.extensions import db
from portal.models import ActivationCode, AuditEntry, OutboxMessage, User
from tests.applications.helpers import soup, text_of
from tests.conftest import csrf_token, post_form, sign_in

LINK = re.compile(r"http://\S+/reminders/confirm/[\w.-]+")


def _actions(user) -> list[str]:
    return [
        e.action
        for e in db.session.scalars(
            select(AuditEntry)
            .where(AuditEntry.object_type == "User", AuditEntry.object_id == str(user.id))
            .order_by(AuditEntry.id)
        )
    ]


def _link(smtp, address: str) -> str:
    message = smtp.inbox.to(address)[-1]
    return LINK.search(smtp.inbox.text(message)).group(0)


def test_change_confirm_by_link_then_reminders_go_there(app, client, make, smtp, deferred):
    owner = deferred["owner"]
    sign_in(client, owner)
    response = post_form(
        client,
        "/reminders/settings",
        {"email": "New.Owner@Example.COM"},
        token_from="/reminders/settings",
    )
    assert response.status_code == 302
    db.session.refresh(owner)
    assert (owner.email, owner.email_confirmed_at) == ("New.Owner@example.com", None)
    # The link went out at once (after the request committed), and only the link.
    [message] = smtp.inbox.to("New.Owner@example.com")
    assert "确认" in message["Subject"]
    assert (
        run(date(2022, 10, 1))
        .messages.keys()
        .isdisjoint({(owner.id, deferred["employer"].id, "catch_up", "2022-10-31/d30")})
    )
    assert len(smtp.inbox.to("New.Owner@example.com")) == 1  # no reminder before confirming
    link = _link(smtp, "New.Owner@example.com")
    path = urlsplit(link).path
    anonymous = app.test_client()
    page = anonymous.get(path)
    assert page.status_code == 200 and db.session.get(User, owner.id).email_confirmed_at is None
    done = anonymous.post(path, data={"csrf_token": csrf_token(anonymous, path)})
    assert done.status_code == 200 and "New.Owner@example.com" in text_of(done)
    assert anonymous.get("/reminders/settings").status_code == 302  # not signed in by it
    db.session.expire_all()
    assert db.session.get(User, owner.id).email_confirmed_at is not None
    run(date(2022, 10, 2))
    assert len(smtp.inbox.to("New.Owner@example.com")) == 2
    assert _actions(owner) == ["email.change", "email.confirm"]


def test_a_link_for_an_address_changed_since_confirms_nothing(app, client, smtp, deferred):
    owner = deferred["owner"]
    sign_in(client, owner)
    post_form(
        client,
        "/reminders/settings",
        {"email": "first@example.com"},
        token_from="/reminders/settings",
    )
    old_link = _link(smtp, "first@example.com")
    post_form(
        client,
        "/reminders/settings",
        {"email": "second@example.com"},
        token_from="/reminders/settings",
    )
    path = urlsplit(old_link).path
    anonymous = app.test_client()
    refused = anonymous.post(path, data={"csrf_token": csrf_token(anonymous, path)})
    assert refused.status_code == 400
    db.session.expire_all()
    assert db.session.get(User, owner.id).email_confirmed_at is None
    forged = anonymous.post(
        "/reminders/confirm/abc", data={"csrf_token": csrf_token(anonymous, path)}
    )
    assert forged.status_code == 400


def test_a_bad_address_is_refused_with_what_to_do(app, client, deferred):
    sign_in(client, deferred["owner"])
    response = post_form(
        client, "/reminders/settings", {"email": "not an address"}, token_from="/reminders/settings"
    )
    assert response.status_code == 200
    assert "name@example.com" in soup(response).select_one(".error-message").get_text()


def test_turning_reminders_off_and_on_is_audited(app, client, smtp, deferred):
    owner = deferred["owner"]
    sign_in(client, owner)
    post_form(
        client, "/reminders/settings/switch", {"enabled": "off"}, token_from="/reminders/settings"
    )
    db.session.expire_all()
    assert db.session.get(User, owner.id).reminders_enabled is False
    run(date(2022, 10, 1))
    assert smtp.inbox.to("owner@example.com") == []
    page = client.get("/reminders/settings")
    assert "关闭" in soup(page).select_one("#reminders-state").get_text()
    post_form(
        client, "/reminders/settings/switch", {"enabled": "on"}, token_from="/reminders/settings"
    )
    assert _actions(owner) == ["reminders.turn_off", "reminders.turn_on"]


def test_activation_asks_for_the_address_and_sends_the_link(app, client, make, smtp, deferred):
    from portal.features.auth.operations import issue_activation_code

    staff = make.user(staff_role="hall")
    _code, plain = issue_activation_code(
        deferred["employer"], "finance", actor=staff, valid_days=14
    )
    make.commit()
    response = post_form(
        client,
        "/activate",
        {
            "credit_code": deferred["employer"].credit_code,
            "code": plain,
            "display_name": "李四",
            "username": "lisi",
            "email": "lisi@example.com",
            "password": "a long enough password",
            "password_confirm": "a long enough password",
        },
        token_from="/activate",
    )
    assert response.status_code == 302
    user = db.session.scalar(select(User).where(User.username == "lisi"))
    assert (user.email, user.email_confirmed_at) == ("lisi@example.com", None)
    assert len(smtp.inbox.to("lisi@example.com")) == 1


def test_an_invitation_carries_the_invitees_address(app, client, make, smtp, deferred):
    sign_in(client, deferred["owner"])
    members = f"/e/{deferred['employer'].id}/members"
    response = post_form(
        client, f"{members}/invite", {"email": "cfo@example.com"}, token_from=members
    )
    assert response.status_code == 200
    code = db.session.scalar(select(ActivationCode).order_by(ActivationCode.id.desc()))
    assert code.email == "cfo@example.com"
    plain = soup(response).select_one(".code").get_text(strip=True)
    fresh = app.test_client()
    post_form(
        fresh,
        "/activate",
        {
            "credit_code": deferred["employer"].credit_code,
            "code": plain,
            "display_name": "王五",
            "username": "wangwu",
            "password": "a long enough password",
            "password_confirm": "a long enough password",
        },
        token_from="/activate",
    )
    user = db.session.scalar(select(User).where(User.username == "wangwu"))
    assert user.email == "cfo@example.com" and user.email_confirmed_at is None
    assert len(smtp.inbox.to("cfo@example.com")) == 1
    bad = post_form(client, f"{members}/invite", {"email": "nope"}, token_from=members)
    assert bad.status_code == 200 and soup(bad).select_one(".error-summary")


def test_without_a_mail_server_messages_go_to_the_log(app, client, caplog, deferred):
    app.config["MAIL_SERVER"] = None
    sign_in(client, deferred["owner"])
    with caplog.at_level("WARNING", logger="portal.mail"):
        post_form(
            client,
            "/reminders/settings",
            {"email": "log@example.com"},
            token_from="/reminders/settings",
        )
    assert "To: log@example.com" in caplog.text
    assert db.session.scalar(select(OutboxMessage.status)) == "sent"


def test_changing_the_address_again_and_again_is_limited(app, client, frozen_minute, deferred):
    sign_in(client, deferred["owner"])
    codes = [
        post_form(
            client,
            "/reminders/settings",
            {"email": f"spam{n}@example.com"},
            token_from="/reminders/settings",
        ).status_code
        for n in range(7)
    ]
    assert codes[:5] == [302] * 5 and codes[-1] == 429
