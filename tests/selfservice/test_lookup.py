"""The public classification lookup, its JSON API, and the credit-code lookup."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import post_form
from tests.selfservice.test_home_and_decision import soup, text


def test_the_lookup_explains_the_class_in_chinese(client):
    page = client.get(
        "/lookup/classification",
        query_string={"industry": "retail", "employees": "9", "revenue": "150"},
    )
    assert text(page, "#result").startswith("微型企业")
    assert "工信部联企业〔2011〕300号 第四条（五）" in text(page, "#result")
    assert "从业人员（人）达到 10 或以上，将划为：小型企业" in text(page, "#hint-1")
    rows = soup(page).select("#checks tbody tr")
    assert len(rows) == 6


def test_the_lookup_in_english_with_a_gbt_code(client):
    post_form(client, "/language", {"locale": "en"})
    page = client.get(
        "/lookup/classification", query_string={"code": "5211", "employees": "60", "revenue": "600"}
    )
    assert "Code 5211 belongs to: Retail" in text(page, "#industry-match")
    assert text(page, "#result").startswith("Medium enterprise")


def test_a_missing_figure_says_which(client):
    post_form(client, "/language", {"locale": "en"})
    page = client.get(
        "/lookup/classification", query_string={"industry": "industry", "employees": "50"}
    )
    assert text(page, "#result").startswith("Cannot be determined")
    assert "operating revenue (10,000 yuan)" in text(page, "#missing")


def test_negative_figures_are_refused_beside_the_field(client):
    post_form(client, "/language", {"locale": "en"})
    page = soup(
        client.get("/lookup/classification", query_string={"industry": "retail", "employees": "-1"})
    )
    assert page.select_one(".error-summary a")["href"] == "#employees"
    assert page.select_one("#result") is None


def test_railway_codes_need_staff_review(client):
    post_form(client, "/language", {"locale": "en"})
    page = client.get(
        "/lookup/classification", query_string={"code": "53", "employees": "60", "revenue": "600"}
    )
    assert "needs a check by agency staff" in text(page, "#industry-match")


def test_the_json_api(client):
    response = client.get(
        "/api/v1/classification",
        query_string={"industry": "retail", "employees": "9", "revenue": "150"},
    )
    body = response.get_json()
    assert response.status_code == 200
    assert body["size"] == "micro" and body["clause"] == "工信部联企业〔2011〕300号 第四条（五）"
    assert body["missing"] == [] and len(body["explanation"]) >= 3
    body = client.get("/api/v1/classification", query_string={"industry": "industry"}).get_json()
    assert body["size"] == "undetermined" and set(body["missing"]) == {"employees", "revenue"}


def test_bad_api_input_names_the_parameter(client):
    cases = {
        ("industry", "mining-on-mars"): "industry",
        ("employees", "-3"): "employees",
        ("revenue", "lots"): "revenue",
        ("employees", "2.5"): "employees",
    }
    for (name, value), parameter in cases.items():
        query = {"industry": "retail", name: value}
        response = client.get("/api/v1/classification", query_string=query)
        assert response.status_code == 400
        assert response.get_json()["parameter"] == parameter


@settings(max_examples=30, deadline=None)
@given(
    employees=st.integers(min_value=0, max_value=10**6),
    revenue=st.decimals(min_value=0, max_value=10**7, places=2),
)
def test_the_api_agrees_with_the_rules(employees, revenue):
    from portal import create_app, rules
    from portal.config import TestConfig

    app = create_app(TestConfig)
    with app.app_context():
        from portal.core.extensions import db

        db.create_all()
        body = (
            app.test_client()
            .get(
                "/api/v1/classification",
                query_string={
                    "industry": "retail",
                    "employees": str(employees),
                    "revenue": str(revenue),
                },
            )
            .get_json()
        )
        db.engine.dispose()
    assert body["size"] == rules.classify("retail", employees=employees, revenue=revenue).size


def test_the_api_is_rate_limited_per_client(app, client, frozen_minute):
    app.config["API_RATE_LIMIT_PER_MINUTE"] = 3
    codes = [
        client.get(
            "/api/v1/classification", query_string={"industry": "other", "employees": "5"}
        ).status_code
        for _ in range(4)
    ]
    assert codes == [200, 200, 200, 429]
    response = client.get("/api/v1/classification", query_string={"industry": "other"})
    assert response.get_json()["status"] == 429 and "Retry-After" in response.headers


def test_credit_code_lookup_shows_list_status_and_nothing_else(client, make):
    employer = make.employer(insurance_unit_number="SECRET-UNIT-1")
    make.commit()
    page = client.get(
        "/lookup/employer", query_string={"credit_code": employer.credit_code.lower()}
    )
    found = text(page, "#found")
    assert employer.name in found and "在名单中" in found and "小型企业" in found
    assert "SECRET-UNIT-1" not in soup(page).get_text()


def test_credit_code_lookup_of_unknown_and_mistyped_codes(client, make):
    employer = make.employer()
    make.commit()
    post_form(client, "/language", {"locale": "en"})
    last = employer.credit_code[-1]
    typo = employer.credit_code[:-1] + ("1" if last != "1" else "2")
    page = soup(client.get("/lookup/employer", query_string={"credit_code": typo}))
    assert "probably a typo" in page.select_one(".error-message").get_text()
    from tests.factories import credit_code

    other = credit_code()
    page = client.get("/lookup/employer", query_string={"credit_code": other})
    assert other in text(page, "#not-found")


def test_a_short_credit_code_is_told_its_length_and_what_the_page_looks_up(client):
    page = soup(client.get("/lookup/employer", query_string={"credit_code": "9999"}))
    message = page.select_one(".error-message").get_text()
    assert "您输入了4位" in message
    assert "只能按完整的统一社会信用代码查询" in message
    assert page.select_one("#not-found") is None
