"""The one rule for state-changing forms (portal/web/submissions.py), in the test's process on
both databases: a form sent again is answered like the first and changes nothing more; a
refused form keeps no key; the same key with other contents is a 409. The 20-at-once battery
against a real server is tests/hostile/test_double_submit.py."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from bs4 import BeautifulSoup
from sqlalchemy import func, select

from portal.core.extensions import db
from portal.models import ActivationCode, AuditEntry, Membership, ServiceHall, Submission, User
from tests.conftest import sign_in
from tests.factories import PASSWORD

CODE = r"[2-9A-HJ-NP-Z]{4}(?:-[2-9A-HJ-NP-Z]{4}){3}"


def form(client, page: str, action: str | None = None) -> dict[str, str]:
    """The hidden fields (CSRF token, key) of the form on ``page`` that posts to ``action``."""
    html = client.get(page).get_data(as_text=True)
    for node in BeautifulSoup(html, "html.parser").find_all("form"):
        target = urlsplit(node.get("action") or page).path
        if (node.get("method") or "").lower() == "post" and target == (action or page):
            return {i["name"]: i.get("value", "") for i in node.select("input[type=hidden]")}
    raise AssertionError(f"no form to {action or page} on {page}")


def share_session(client, other) -> None:
    """Give ``other`` the session cookie of ``client``: two tabs of one browser."""
    name = client.application.config["SESSION_COOKIE_NAME"]
    other.set_cookie(name, client.get_cookie(name).value)


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


HALL = {
    "city": "聊城市",
    "district": "东昌府区",
    "address": "柳园路1号",
    "phone": "0635-1234567",
    "position": "1",
    "is_listed": "y",
}


def _admin(client, make):
    agency = make.agency()
    admin = make.user(staff_role="admin")
    make.commit()
    sign_in(client, admin)
    return {**HALL, "agency_id": str(agency.id)}


def test_a_form_sent_again_is_answered_like_the_first_and_changes_state_once(client, make):
    fields = {**_admin(client, make), **form(client, "/admin/halls/new")}
    assert fields["form_key"]  # every rendered form carries a key of its own
    first = client.post("/admin/halls/new", data=fields)
    again = client.post("/admin/halls/new", data=fields)
    assert (first.status_code, first.location) == (again.status_code, again.location)
    assert first.status_code == 302
    assert count(ServiceHall) == 1
    assert count(AuditEntry, AuditEntry.action == "service_hall.create") == 1
    kept = db.session.scalar(select(Submission))
    assert (kept.endpoint, kept.status, kept.location) == ("admin.new_hall", 302, "/admin/halls")
    assert fields["form_key"] not in kept.key_hash  # only its hash is kept
    # Without a key (a page from before keys, a hand-made request) it is served as before.
    del fields["form_key"]
    assert client.post("/admin/halls/new", data=fields).status_code == 302
    assert count(ServiceHall) == 2 and count(Submission) == 1


def test_a_refused_form_keeps_no_key_and_is_sent_again_corrected(client, make):
    fields = {**_admin(client, make), **form(client, "/admin/halls/new")}
    refused = client.post("/admin/halls/new", data={**fields, "phone": "电话"})
    assert refused.status_code == 200 and "phone-error" in refused.get_data(as_text=True)
    assert count(Submission) == 0
    assert client.post("/admin/halls/new", data=fields).status_code == 302
    assert count(ServiceHall) == 1


def test_the_same_key_with_other_answers_or_from_another_session_is_a_409(app, client, make):
    fields = {**_admin(client, make), **form(client, "/admin/halls/new")}
    assert client.post("/admin/halls/new", data=fields).status_code == 302
    other = client.post("/admin/halls/new", data={**fields, "address": "另一条路2号"})
    assert other.status_code == 409
    assert "sent already" in other.get_data(as_text=True) or "已经提交" in other.get_data(
        as_text=True
    )
    stranger = app.test_client()
    sign_in(stranger, db.session.scalar(select(User)))
    token = form(stranger, "/admin/halls/new")["csrf_token"]
    assert (
        stranger.post("/admin/halls/new", data={**fields, "csrf_token": token}).status_code == 409
    )
    assert count(ServiceHall) == 1


def test_a_page_sent_again_shows_the_same_code_issued_once(client, make):
    employer = make.employer()
    owner = make.user(employer=employer)
    make.commit()
    sign_in(client, owner)
    page = f"/e/{employer.id}/members"
    fields = form(client, page, f"{page}/invite")
    first = client.post(f"{page}/invite", data=fields)
    again = client.post(f"{page}/invite", data=fields)
    codes = {re.search(CODE, r.get_data(as_text=True)).group(0) for r in (first, again)}
    assert len(codes) == 1 and first.status_code == again.status_code == 200
    assert count(ActivationCode) == 1
    assert count(AuditEntry, AuditEntry.action == "activation.issue") == 1


def test_a_sign_in_sent_again_signs_that_browser_in_too_and_a_refusal_counts_once(app, make):
    user = make.user(staff_role="admin")
    make.commit()
    first, second = app.test_client(), app.test_client()
    fields = {**form(first, "/login"), "username": user.username, "password": "wrong password"}
    share_session(first, second)
    assert first.post("/login", data=fields).status_code == 200
    assert second.post("/login", data=fields).status_code == 200
    db.session.expire_all()
    assert db.session.get(User, user.id).failed_logins == 1  # one try, however many clicks
    fields = {**form(first, "/login"), "username": user.username, "password": PASSWORD}
    share_session(first, second)
    assert first.post("/login", data=fields).status_code == 302
    answer = second.post("/login", data=fields)  # this one's cookie never saw the first's answer
    assert answer.status_code == 302
    assert second.get("/admin/users").status_code == 200
    assert count(AuditEntry, AuditEntry.action == "auth.login") == 1


def test_a_member_removed_twice_is_removed_once_with_one_audit_row(client, make):
    employer = make.employer()
    owner = make.user(employer=employer)
    finance = make.user(employer=employer, role="finance")
    make.commit()
    sign_in(client, owner)
    page = f"/e/{employer.id}/members"
    membership_id = db.session.scalar(select(Membership.id).where(Membership.user_id == finance.id))
    action = f"{page}/{membership_id}/remove"
    fields = form(client, page, action)
    answers = [client.post(action, data=fields) for _ in range(2)]
    assert [(a.status_code, a.location) for a in answers] == [(302, page)] * 2
    assert count(Membership, Membership.user_id == finance.id) == 0
    assert count(AuditEntry, AuditEntry.action == "member.remove") == 1
