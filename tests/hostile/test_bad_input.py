"""Input that no form offers — ids past the column, dates past the calendar, stale second tabs."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup

from tests.conftest import sign_in

HUGE = "99999999999999999999"


def soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


@pytest.fixture
def everyone(make):
    agency = make.agency()
    employer = make.employer(agency)
    people = {
        "owner": make.user(employer=employer, role="owner"),
        "admin": make.user(staff_role="admin"),
        "reviewer": make.user(staff_role="reviewer", agency=agency),
        "hall": make.user(staff_role="hall", agency=agency),
        "employer": employer,
    }
    make.commit()
    return people


@pytest.mark.parametrize(
    ("who", "path"),
    [
        ("owner", f"/e/{HUGE}/"),
        ("owner", f"/e/{HUGE}/commitment/"),
        ("owner", "/e/{employer}/commitment/evidence/" + HUGE),
        ("owner", "/e/" + "9" * 5000 + "/"),
        ("owner", "/e/0/"),
        ("owner", "/e/2147483648/"),
        ("admin", f"/admin/halls/{HUGE}/edit"),
        ("reviewer", f"/review/{HUGE}"),
        ("hall", f"/staff/employers/{HUGE}/activation-code"),
    ],
)
def test_ids_past_the_integer_range_are_not_found(client, everyone, who, path):
    sign_in(client, everyone[who])
    path = path.replace("{employer}", str(everyone["employer"].id))
    response = client.get(path)
    assert response.status_code in (404, 405)


def test_the_largest_id_is_still_an_id(client, everyone):
    sign_in(client, everyone["owner"])
    assert client.get("/e/2147483647/").status_code == 404
    assert client.get(f"/e/{everyone['employer'].id}/").status_code == 200
    assert client.get(f"/e/000{everyone['employer'].id}/").status_code in (200, 308)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"to_date": "9999-12-31"}, "输入2000年至2099年之间的日期，例如 2022-08-15"),
        ({"from_date": "0001-01-01"}, "输入2000年至2099年之间的日期，例如 2022-08-15"),
        ({"staff": HUGE}, "从列表中选择工作人员"),
        ({"staff": "²"}, "从列表中选择工作人员"),
    ],
)
def test_audit_filters_out_of_range_give_the_forms_message(client, everyone, query, message):
    sign_in(client, everyone["admin"])
    response = client.get("/admin/audit", query_string=query)
    assert response.status_code == 200
    assert message in soup(response).select_one(".error-summary").get_text()


def test_an_all_blanks_industry_code_asks_for_one(client):
    response = client.get("/lookup/classification", query_string={"industry": "   ", "code": "  "})
    assert response.status_code == 200
    assert soup(response).select_one(".error-summary")


@pytest.mark.parametrize("based_on", ["²", "99999999999999999999", "-1", "1e3", "\x00"])
def test_a_hand_made_decision_id_is_no_500(client, make, based_on):
    from decimal import Decimal

    from tests.conftest import post_form

    region = make.region(
        "liaocheng-2022", unit_medical_rate=Decimal("0.06"), maternity_rate=Decimal("0.01")
    )
    employer = make.employer(make.agency(region), contribution_base_amount=Decimal("50000"))
    owner = make.user(employer=employer, role="owner")
    make.commit()
    sign_in(client, owner)
    response = post_form(
        client,
        f"/e/{employer.id}/decision/confirm",
        {"choice": "opt_out", "based_on": based_on},
    )
    assert response.status_code in (302, 409)
