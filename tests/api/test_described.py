"""/api/v1 against its own description (issue 25): the OpenAPI 3.1 document covers every
endpoint, and Schemathesis, in-process through WSGI with a test token, finds no 5xx and no
answer outside the schema, on both databases. Examples are few, so that it stays a few seconds."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from portal.features.api.operations import grant_access
from tests.api.helpers import token
from tests.reports.helpers import build_world

EXAMPLES = 30  # per operation: a few seconds in all
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def test_every_api_endpoint_is_described(app, client):
    doc = client.get("/api/v1/openapi.json").json
    assert doc["openapi"] == "3.1.0"
    served = {
        rule.rule.replace("<credit_code>", "{credit_code}")
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("api.") and rule.endpoint not in ("api.openapi", "api.docs")
    }
    assert set(doc["paths"]) == served
    assert doc["paths"]["/api/v1/tax-list"]["get"]["security"] == [{"token": []}]
    page = client.get("/api/v1/docs")
    assert page.status_code == 200 and "<script" not in page.text
    assert "/api/v1/employers/{credit_code}/standing" in page.text
    collections = doc["paths"]["/api/v1/collections"]["post"]
    assert collections["x-token-scope"] == "collections"
    assert set(collections["responses"]) >= {"200", "401", "403", "413", "422"}
    assert "POST /api/v1/collections" in page.text and "CollectionsIn" in page.text


@pytest.fixture
def api(app, make):
    """The app with agency SD-A's list, E1's standing granted, and a token for all three
    (one that may write: the payment returns)."""
    from datetime import date

    world = build_world(make)
    api_client, headers = token(
        make,
        scopes=("tax-list", "standing", "collections"),
        agencies=[world.agency],
        can_write=True,
    )
    owner = make.user(employer=world.e1)
    grant_access(world.e1, api_client, date(2022, 12, 31), actor=owner)
    make.commit()
    credit_code = world.e1.credit_code
    return {
        "schema": schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app),
        "headers": headers,
        "credit_code": credit_code,
    }


def test_no_5xx_and_every_answer_in_the_schema(api):
    """Every operation of the description, fuzzed with the token (schemathesis's pytest plugin
    is not used: its lazy fixture loader does not work with pytest 9)."""
    tried = []
    for result in api["schema"].get_all_operations():
        operation = result.ok()
        tried.append(operation.path)

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def fuzz(case):
            case.call_and_validate(headers=api["headers"], checks=CHECKS)

        fuzz()
    assert len(tried) == 4, tried


def test_the_success_answers_are_in_the_schema(api):
    """Random credit codes and agencies are refused: the answers a client lives on, checked."""
    schema, headers = api["schema"], api["headers"]
    cases = [
        schema["/api/v1/tax-list"]["GET"].Case(query={"agency": "SD-A", "limit": "1"}),
        schema["/api/v1/employers/{credit_code}/standing"]["GET"].Case(
            path_parameters={"credit_code": api["credit_code"]}, query={"on": "2022-11-15"}
        ),
        schema["/api/v1/collections"]["POST"].Case(
            body={
                "items": [
                    {
                        "credit_code": api["credit_code"],
                        "month": "2022-08",
                        "part": "单位",
                        "amount": 1000.5,
                        "collected_on": "2022-08-20",
                    }
                ]
            },
            media_type="application/json",
        ),
        schema["/api/v1/classification"]["GET"].Case(
            query={"industry": "retail", "employees": "45", "revenue": "850.5"}
        ),
    ]
    for case in cases:
        response = case.call_and_validate(headers=headers, checks=CHECKS)
        assert response.status_code == 200, response.text
