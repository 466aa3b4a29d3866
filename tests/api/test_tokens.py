"""Who gets in (issue 25): tokens issued, scoped, expiring, revocable, stored hashed, every call
audited, limited per token, and RFC 9457 problem details for every refusal."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import select

from portal.core.extensions import db
from portal.models import ApiClient, AuditEntry
from portal.web import api_tokens
from tests.api.helpers import token
from tests.conftest import post_form, sign_in
from tests.reports.helpers import build_world


def _calls() -> list[AuditEntry]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "api.call").order_by(AuditEntry.id)
        )
    )


def _problem(response, status: int, slug: str) -> dict:
    assert response.status_code == status, response.json
    assert response.mimetype == "application/problem+json"
    body = response.json
    assert body["status"] == status
    assert body["type"].endswith(f"#problem-{slug}"), body
    assert body["title"] and body["detail"] and body["instance"] == "/api/v1/tax-list"
    return body


def test_missing_unknown_expired_and_revoked_tokens_are_401_and_each_call_is_audited(
    app, client, make
):
    world = build_world(make)
    api_client, headers = token(make, agencies=[world.agency])
    url = "/api/v1/tax-list?agency=SD-A"
    _problem(client.get(url), 401, "token-missing")
    _problem(client.get(url, headers={"Authorization": "Bearer nope"}), 401, "token-unknown")
    _problem(
        client.get(url, headers={"Authorization": "Bearer " + "x" * 5000}), 401, "token-unknown"
    )
    assert client.get(url, headers=headers).status_code == 200
    # Expired: the last day given is 2023-08-14, in China; the day after, refused.
    app.config["PORTAL_TODAY"] = "2023-08-15"
    _problem(client.get(url, headers=headers), 401, "token-expired")
    app.config["PORTAL_TODAY"] = "2022-08-15"
    api_client.revoked_at = datetime(2022, 8, 1, tzinfo=UTC)
    make.commit()
    _problem(client.get(url, headers=headers), 401, "token-revoked")
    calls = _calls()
    assert [c.details["status"] for c in calls] == [401, 401, 401, 200, 401, 401]
    assert [c.object_id for c in calls] == [None, None, None, *[str(api_client.id)] * 3]
    assert all(c.role == "api" and c.details["path"] == "/api/v1/tax-list" for c in calls)


def test_scope_and_agency_are_403_and_a_read_token_cannot_write(app, client, make):
    world = build_world(make)
    _c, standing_only = token(make, scopes=["standing"], agencies=[world.agency])
    _problem(client.get("/api/v1/tax-list?agency=SD-A", headers=standing_only), 403, "scope")
    _c, agency_a = token(make, agencies=[world.agency])
    body = _problem(client.get("/api/v1/tax-list?agency=SD-B", headers=agency_a), 403, "agency")
    assert body["errors"] == [{"name": "agency", "detail": "not an agency of this token"}]
    # An unknown agency answers as another agency's: nothing says whether it exists.
    _problem(client.get("/api/v1/tax-list?agency=ZZ", headers=agency_a), 403, "agency")
    # No endpoint writes yet; the guard every writing one will pass through refuses this token.
    with app.test_request_context("/api/v1/tax-list", method="POST", headers=agency_a):
        with pytest.raises(api_tokens.Problem) as refused:
            api_tokens.authenticate("tax-list")
    assert (refused.value.code, refused.value.slug) == (403, "read-only")


def test_each_token_has_its_own_limit_a_minute(app, client, make, frozen_minute):
    world = build_world(make)
    app.config["API_TOKEN_RATE_LIMIT_PER_MINUTE"] = 2
    _c, first = token(make, agencies=[world.agency])
    _c, second = token(make, agencies=[world.agency])
    url = "/api/v1/tax-list?agency=SD-A"
    assert [client.get(url, headers=first).status_code for _ in range(2)] == [200, 200]
    body = _problem(client.get(url, headers=first), 429, "rate-limit")
    assert "2 requests a minute" in body["detail"]
    assert client.get(url, headers=second).status_code == 200  # another token's own count


def test_bad_parameters_are_named(client, make):
    world = build_world(make)
    _c, headers = token(make, agencies=[world.agency])
    for query, name in (
        ("agency=", "agency"),
        ("agency=SD-A&limit=0", "limit"),
        ("agency=SD-A&limit=1e3", "limit"),
        ("agency=SD-A&limit=99999999999", "limit"),
        ("agency=SD-A&since=%%%", "since"),
        ("agency=SD-A&since=djEuOTkuMC4w", "since"),  # v1.99.0.0: another agency's cursor
    ):
        body = _problem(
            client.get(f"/api/v1/tax-list?{query}", headers=headers), 400, "invalid-parameters"
        )
        assert [item["name"] for item in body["errors"]] == [name], query


def test_an_administrator_issues_a_token_shown_once_kept_hashed_and_revokes_it(client, make):
    world = build_world(make)
    admin = make.user(staff_role="admin")
    make.commit()
    sign_in(client, admin)
    answer = post_form(
        client,
        "/admin/api-clients/new",
        {
            "name": "乌海市税务局",
            "scopes": ["tax-list"],
            "agency_ids": [str(world.agency.id)],
            "expires_on": "2023-06-30",
        },
        token_from="/admin/api-clients/new",
    )
    assert answer.status_code == 200
    plain = BeautifulSoup(answer.text, "html.parser").select_one("#api-token").text
    [issued] = db.session.scalars(select(ApiClient))
    assert issued.token_sha256 == hashlib.sha256(plain.encode()).hexdigest()
    assert plain not in client.get("/admin/api-clients").text  # only its first characters
    assert issued.scopes == ["tax-list"] and issued.agency_ids == [world.agency.id]
    headers = {"Authorization": f"Bearer {plain}"}
    assert client.get("/api/v1/tax-list?agency=SD-A", headers=headers).status_code == 200
    post_form(client, f"/admin/api-clients/{issued.id}/revoke", token_from="/admin/api-clients")
    assert client.get("/api/v1/tax-list?agency=SD-A", headers=headers).status_code == 401
    actions = db.session.scalars(
        select(AuditEntry.action).where(AuditEntry.action.like("api_client.%"))
    )
    assert sorted(actions) == ["api_client.issue", "api_client.revoke"]


def test_an_administrator_issues_a_write_token_for_the_payment_returns(client, make):
    world = build_world(make)
    admin = make.user(staff_role="admin")
    make.commit()
    sign_in(client, admin)
    form = {
        "name": "乌海市税务局 缴费信息回传",
        "scopes": ["collections"],
        "agency_ids": [str(world.agency.id)],
        "expires_on": "2023-06-30",
    }
    # Without "May write" the token could only be refused: the form says so by the box.
    answer = post_form(client, "/admin/api-clients/new", form, token_from="/admin/api-clients/new")
    page = BeautifulSoup(answer.text, "html.parser")
    assert page.select_one("#can_write-group .error-message") is not None
    assert db.session.scalar(select(db.func.count()).select_from(ApiClient)) == 0
    answer = post_form(
        client,
        "/admin/api-clients/new",
        {**form, "can_write": "y"},
        token_from="/admin/api-clients/new",
    )
    plain = BeautifulSoup(answer.text, "html.parser").select_one("#api-token").text
    [issued] = db.session.scalars(select(ApiClient))
    assert issued.can_write and issued.scopes == ["collections"]
    listed = BeautifulSoup(client.get("/admin/api-clients").text, "html.parser")
    assert "collections" in listed.select_one("#api-clients tbody tr").text
    item = {
        "credit_code": world.e1.credit_code,
        "month": "2022-08",
        "part": "unit",
        "amount": "1000.00",
        "collected_on": "2022-08-20",
    }
    headers = {"Authorization": f"Bearer {plain}"}
    response = client.post("/api/v1/collections", json={"items": [item]}, headers=headers)
    assert response.json == {"items": 1, "created": 1, "updated": 0, "unchanged": 0}


def test_the_form_refuses_what_it_cannot_issue(client, make):
    admin = make.user(staff_role="admin")
    make.commit()
    sign_in(client, admin)
    answer = post_form(
        client,
        "/admin/api-clients/new",
        {"name": "x", "expires_on": "2099-01-01"},
        token_from="/admin/api-clients/new",
    )
    page = BeautifulSoup(answer.text, "html.parser")
    assert page.select_one(".error-summary") is not None
    assert db.session.scalar(select(db.func.count()).select_from(ApiClient)) == 0


def test_the_command_issues_and_revokes_through_the_same_operations(app, client, make):
    build_world(make)  # agency SD-A
    make.commit()
    runner = app.test_cli_runner()
    issued = runner.invoke(
        args=[
            "portal", "api-token", "issue", "乌海市税务局",
            "--scope", "tax-list", "--agency", "SD-A", "--until", "2023-06-30",
        ]
    )  # fmt: skip
    assert issued.exit_code == 0, issued.output
    client_id, plain = issued.output.split()[1], issued.output.split()[-1]
    headers = {"Authorization": f"Bearer {plain}"}
    assert client.get("/api/v1/tax-list?agency=SD-A", headers=headers).status_code == 200
    refused = runner.invoke(
        args=["portal", "api-token", "issue", "x", "--scope", "tax-list", "--until", "2099-01-01"]
    )
    assert refused.exit_code == 1 and "expiry_out_of_range" in refused.output
    revoked = runner.invoke(args=["portal", "api-token", "revoke", client_id])
    assert revoked.exit_code == 0, revoked.output
    assert client.get("/api/v1/tax-list?agency=SD-A", headers=headers).status_code == 401
    # A write token for the payment returns needs --write; the list says it may write.
    refused = runner.invoke(
        args=[
            "portal", "api-token", "issue", "税务局", "--scope", "collections",
            "--agency", "SD-A", "--until", "2023-06-30",
        ]
    )  # fmt: skip
    assert refused.exit_code == 1 and "write_needed" in refused.output
    issued = runner.invoke(
        args=[
            "portal", "api-token", "issue", "税务局", "--scope", "collections",
            "--agency", "SD-A", "--until", "2023-06-30", "--write",
        ]
    )  # fmt: skip
    assert issued.exit_code == 0 and "(may write)" in issued.output, issued.output
    writer = db.session.get(ApiClient, int(issued.output.split()[1]))
    assert writer is not None and writer.can_write and writer.scopes == ["collections"]
