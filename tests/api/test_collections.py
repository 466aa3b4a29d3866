"""POST /api/v1/collections (issue 25): the tax bureau's payment returns, recorded by the
collections import's own operation: whole batch or nothing, idempotent by employer, month and
part, every bad item named, only for the token's agencies and only by a token that may write."""

from __future__ import annotations

import json
from decimal import Decimal

from sqlalchemy import func, select

from portal.core.extensions import db
from portal.features.api.schemas import MAX_COLLECTION_ITEMS
from portal.models import AuditEntry, Collection
from tests.api.helpers import token

URL = "/api/v1/collections"


def _world(make):
    region = make.region("shandong-2022")
    mine, other = make.agency(region, code="SD-A"), make.agency(region, code="SD-B")
    e1, e2, e3 = make.employer(mine), make.employer(mine), make.employer(other)
    make.commit()
    return mine, other, e1, e2, e3


def _writer(make, agencies, **kw):
    return token(make, scopes=["collections"], agencies=agencies, can_write=True, **kw)


def _stored():
    db.session.expire_all()
    return sorted(
        (c.employer_id, c.month, c.part, c.amount, c.collected_on.isoformat())
        for c in db.session.scalars(select(Collection))
    )


def _problem(response, status, slug):
    assert response.status_code == status, response.text
    assert response.mimetype == "application/problem+json"
    assert response.json["type"].endswith(f"#problem-{slug}"), response.json
    return response.json


def test_a_batch_is_recorded_audited_and_the_same_batch_again_changes_nothing(client, make):
    mine, _other, e1, e2, _e3 = _world(make)
    api_client, headers = _writer(make, [mine])
    batch = {
        "items": [
            {
                "credit_code": e1.credit_code,
                "month": "2022-08",
                "part": "unit",
                "amount": "1000.00",
                "collected_on": "2022-08-15",
            },
            # A JSON number is read as the text it is written in, not as a float.
            {
                "credit_code": e1.credit_code,
                "month": "202208",
                "part": "个人",
                "amount": 80.1,
                "collected_on": "20220815",
            },
            {
                "credit_code": e2.credit_code.lower(),
                "month": "2022-07",
                "part": "单位",
                "amount": "1,234.5",
                "collected_on": "2022-08-01",
            },
        ]
    }
    first = client.post(URL, json=batch, headers=headers)
    assert first.status_code == 200, first.text
    assert first.json == {"items": 3, "created": 3, "updated": 0, "unchanged": 0}
    stored = _stored()
    assert stored == sorted(
        [
            (e1.id, "2022-08", "unit", Decimal("1000.00"), "2022-08-15"),
            (e1.id, "2022-08", "personal", Decimal("80.10"), "2022-08-15"),
            (e2.id, "2022-07", "unit", Decimal("1234.50"), "2022-08-01"),
        ]
    )
    # Double submit: the API is idempotent by its key (employer, month, part), so a retry after
    # a lost answer is answered, changes nothing and writes no second row; no form key needed.
    again = client.post(URL, json=batch, headers=headers)
    assert again.json == {"items": 3, "created": 0, "updated": 0, "unchanged": 3}
    assert _stored() == stored
    # The bureau's correction of one figure replaces it, audited with before and after.
    batch["items"][0]["amount"] = "1100.00"
    corrected = client.post(URL, json=batch, headers=headers)
    assert corrected.json == {"items": 3, "created": 0, "updated": 1, "unchanged": 2}
    audits = db.session.scalars(
        select(AuditEntry)
        .where(AuditEntry.action.in_(["collections.recorded", "collection.update"]))
        .order_by(AuditEntry.id)
    ).all()
    assert [(a.action, a.details.get("created"), a.details.get("updated")) for a in audits] == [
        ("collections.recorded", 3, 0),
        ("collections.recorded", 0, 0),
        ("collection.update", None, None),
        ("collections.recorded", 0, 1),
    ]
    assert audits[0].role == "api" and audits[0].details["via"] == f"api client {api_client.id}"
    assert audits[2].details["before"]["amount"] == "1000.00"
    assert audits[2].details["after"]["amount"] == "1100.00"
    calls = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "api.call").order_by(AuditEntry.id)
    ).all()
    assert [(c.details["status"], c.details["created"]) for c in calls] == [
        (200, 3),
        (200, 0),
        (200, 0),
    ]


def test_bad_items_are_named_by_index_and_field_and_nothing_is_written(client, make):
    mine, _other, e1, e2, _e3 = _world(make)
    _c, headers = _writer(make, [mine])
    good = {
        "credit_code": e1.credit_code,
        "month": "2022-08",
        "part": "unit",
        "amount": "10.00",
        "collected_on": "2022-08-15",
    }
    items = [
        good,
        {**good, "credit_code": e2.credit_code, "amount": "1e5", "part": "both"},
        {**good, "credit_code": e2.credit_code, "month": "2022-13", "amount": "NaN"},
        {**good, "credit_code": e2.credit_code, "part": "personal", "amount": "1" * 16},
        {k: v for k, v in good.items() if k != "collected_on"} | {"ammount": "1"},
        "not an item",
        {**good, "credit_code": e2.credit_code, "part": "personal", "month": 202208},
    ]
    body = _problem(client.post(URL, json={"items": items}, headers=headers), 422, "invalid-items")
    named = [(e["index"], e["field"]) for e in body["errors"]]
    assert named == [
        (1, "part"),
        (1, "amount"),
        (2, "month"),
        (2, "amount"),
        (3, "amount"),
        (4, "ammount"),
        (4, "collected_on"),
        (5, None),
        (6, "month"),
    ]
    assert body["errors"][1]["name"] == "items[1].amount"
    assert "exponent" in body["errors"][1]["detail"]
    assert _stored() == []
    # NaN is not JSON's; a key sent twice in one batch is named at its second place.
    nan = b'{"items": [{"amount": NaN}]}'
    response = client.post(URL, data=nan, content_type="application/json", headers=headers)
    _problem(response, 422, "invalid-batch")
    # A JSON number with an exponent: refused as the import refuses "1E+5" in a cell.
    exponent = json.dumps({"items": [{**good, "amount": "X"}]}).replace('"X"', "1E+5")
    response = client.post(URL, data=exponent, content_type="application/json", headers=headers)
    body = _problem(response, 422, "invalid-items")
    assert [(e["index"], e["field"]) for e in body["errors"]] == [(0, "amount")]
    body = _problem(
        client.post(URL, json={"items": [good, good]}, headers=headers), 422, "invalid-items"
    )
    assert [(e["index"], e["field"]) for e in body["errors"]] == [(1, "credit_code")]
    assert "item 0" in body["errors"][0]["detail"]
    assert _stored() == []


def test_an_item_of_another_agency_refuses_the_batch_by_name(client, make):
    mine, _other, e1, _e2, e3 = _world(make)
    _c, headers = _writer(make, [mine])
    item = {"month": "2022-08", "part": "unit", "amount": "1", "collected_on": "2022-08-15"}
    batch = {
        "items": [{**item, "credit_code": e1.credit_code}, {**item, "credit_code": e3.credit_code}]
    }
    body = _problem(client.post(URL, json=batch, headers=headers), 403, "agency")
    assert body["errors"] == [
        {
            "name": "items[1].credit_code",
            "detail": "not an employer of this token's agencies",
            "index": 1,
            "field": "credit_code",
        }
    ]
    assert _stored() == []


def test_read_only_expired_and_oversized_are_refused(app, client, make):
    mine, _other, e1, _e2, _e3 = _world(make)
    _c, reader = token(make, scopes=["tax-list"], agencies=[mine])
    written, read_only = _writer(make, [mine])
    written.can_write = False  # the guard of every method but GET, HEAD and OPTIONS
    make.commit()
    item = {
        "credit_code": e1.credit_code,
        "month": "2022-08",
        "part": "unit",
        "amount": "1",
        "collected_on": "2022-08-15",
    }
    _problem(client.post(URL, json={"items": [item]}, headers=reader), 403, "scope")
    _problem(client.post(URL, json={"items": [item]}, headers=read_only), 403, "read-only")
    _c, writer = _writer(make, [mine])
    app.config["PORTAL_TODAY"] = "2023-08-15"  # the day after its last
    _problem(client.post(URL, json={"items": [item]}, headers=writer), 401, "token-expired")
    app.config["PORTAL_TODAY"] = "2022-08-15"
    too_many = {"items": [item] * (MAX_COLLECTION_ITEMS + 1)}
    body = _problem(client.post(URL, json=too_many, headers=writer), 413, "batch-too-large")
    assert body["errors"][0]["name"] == "items" and "at most 1000" in body["detail"]
    response = client.post(URL, data="items", content_type="text/plain", headers=writer)
    _problem(response, 415, "unsupported-media-type")
    assert db.session.scalar(select(func.count()).select_from(Collection)) == 0
