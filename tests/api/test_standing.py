"""An employer's standing for software its owner authorised: granted and revoked by the owner
on a page, never by staff; without a grant a 404; the figures are the rules' Standing."""

from __future__ import annotations

from bs4 import BeautifulSoup
from sqlalchemy import select

from portal.core.extensions import db
from portal.models import ApiGrant, AuditEntry
from tests.api.helpers import token
from tests.conftest import post_form, sign_in
from tests.reports.helpers import build_world


def _standing(client, headers, employer, **query):
    return client.get(
        f"/api/v1/employers/{employer.credit_code}/standing", query_string=query, headers=headers
    )


def _grant(client, employer, api_client, until="2022-12-31"):
    path = f"/e/{employer.id}/api-access"
    return post_form(
        client, path, {"client_id": str(api_client.id), "until": until}, token_from=path
    )


def test_the_owner_grants_and_revokes_on_the_page(client, make):
    world = build_world(make)
    owner = make.user(employer=world.e1, role="owner")
    api_client, headers = token(make, scopes=["standing"], name="某薪资软件")
    sign_in(client, owner)
    assert _standing(client, headers, world.e1).status_code == 404  # no grant yet
    answer = _grant(client, world.e1, api_client)
    assert answer.status_code == 302
    page = BeautifulSoup(client.get(f"/e/{world.e1.id}/api-access").text, "html.parser")
    assert "某薪资软件" in page.select_one("#grants").text

    response = _standing(client, headers, world.e1)
    assert response.status_code == 200
    body = response.json
    # E1: Shandong, 07-09 deferred until 2022-10-31; 3,100.00 deferred, 300.00 paid by
    # 2022-08-15 (200.00 more on 2022-09-05).
    assert (body["program"], body["is_deferred"]) == ("shandong-2022", True)
    assert body["eligibility"]["eligible"] is True
    assert any("鲁医保发〔2022〕21号" in ref for ref in body["eligibility"]["clauses"].values())
    assert (body["period"]["start"], body["period"]["end"]) == ("2022-07", "2022-09")
    assert [(m["month"], m["unit_amount"]) for m in body["months"]] == [
        ("2022-07", "1000.00"),
        ("2022-08", "1000.00"),
        ("2022-09", "1100.00"),
    ]
    assert (body["deferred_total"], body["paid"], body["outstanding"]) == (
        "3100.00",
        "300.00",
        "2800.00",
    )
    assert (body["deadline"], body["late_fee"]) == ("2022-10-31", "0.00")
    # As of a day after the deadline, the late fee runs from 2022-10-01 (鲁医保发〔2022〕21号 二).
    later = _standing(client, headers, world.e1, on="2022-11-15").json
    assert (later["on"], later["paid"], later["outstanding"]) == ("2022-11-15", "500.00", "2600.00")
    assert later["late_fee"] != "0.00"
    # Another employer of the same client: no grant, the same 404 as an unknown code.
    assert _standing(client, headers, world.e2).status_code == 404
    assert client.get("/api/v1/employers/nope/standing", headers=headers).status_code == 404

    grant = db.session.scalar(select(ApiGrant))
    post_form(
        client,
        f"/e/{world.e1.id}/api-access/{grant.id}/revoke",
        token_from=f"/e/{world.e1.id}/api-access",
    )
    assert _standing(client, headers, world.e1).status_code == 404
    actions = sorted(
        db.session.scalars(select(AuditEntry.action).where(AuditEntry.action.like("api_grant.%")))
    )
    assert actions == ["api_grant.create", "api_grant.revoke"]
    [call] = db.session.scalars(
        select(AuditEntry).where(
            AuditEntry.action == "api.call", AuditEntry.acting_for_employer_id == world.e1.id
        )
    ).all()[:1]
    assert call.details["status"] == 200


def test_a_grant_ends_after_its_day_and_needs_the_scope(app, client, make):
    world = build_world(make)
    owner = make.user(employer=world.e1, role="owner")
    api_client, headers = token(make, scopes=["standing"])
    sign_in(client, owner)
    _grant(client, world.e1, api_client, until="2022-08-20")
    assert _standing(client, headers, world.e1).status_code == 200
    app.config["PORTAL_TODAY"] = "2022-08-21"
    assert _standing(client, headers, world.e1).status_code == 404
    app.config["PORTAL_TODAY"] = "2022-08-15"
    _c, tax_only = token(make, scopes=["tax-list"], agencies=[world.agency])
    assert _standing(client, tax_only, world.e1).status_code == 403


def test_bad_days_are_named(client, make):
    world = build_world(make)
    owner = make.user(employer=world.e1, role="owner")
    api_client, headers = token(make, scopes=["standing"])
    sign_in(client, owner)
    _grant(client, world.e1, api_client)
    for on in ("2022-02-30", "15/08/2022", "1999-12-31", "２０２２-08-15"):
        body = _standing(client, headers, world.e1, on=on).json
        assert body["status"] == 400 and body["errors"][0]["name"] == "on", on


def test_finance_staff_and_hall_staff_cannot_grant(client, make):
    world = build_world(make)
    finance = make.user(employer=world.e1, role="finance")
    api_client, _headers = token(make, scopes=["standing"])
    sign_in(client, finance)
    assert client.get(f"/e/{world.e1.id}/api-access").status_code == 403
    assert db.session.scalar(select(db.func.count()).select_from(ApiGrant)) == 0
    # Hall staff acting for the employer: tests/test_permissions.py (ACTING_EXCEPTIONS).
