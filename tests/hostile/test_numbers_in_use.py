"""Numbers from outside, through the API and the forms: plain answers, no stall, never a 500."""

from __future__ import annotations

import time

import pytest
from bs4 import BeautifulSoup

from portal.core.extensions import db
from portal.models import ServiceHall
from tests.applications.helpers import base, errors, walk_to_sign
from tests.conftest import post_form, sign_in


def soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


HOSTILE = ["1e700000", "NaN", "sNaN", "-Infinity", "9" * 5000, "1" * 20, "0x1F", "٣", "1\x00"]


@pytest.mark.parametrize("value", HOSTILE)
def test_the_api_refuses_hostile_numbers_at_once(client, value):
    started = time.perf_counter()
    response = client.get(
        "/api/v1/classification",
        query_string={"industry": "retail", "employees": value, "revenue": "10"},
    )
    assert time.perf_counter() - started < 2
    assert response.status_code == 400
    assert response.get_json()["parameter"] == "employees"


def test_the_api_says_how_many_digits_fit(client):
    body = client.get(
        "/api/v1/classification",
        query_string={"industry": "retail", "revenue": "1" * 13},
    ).get_json()
    assert body == {
        "error": "revenue has more than 12 digits before the decimal point",
        "parameter": "revenue",
    }


@pytest.mark.parametrize("value", HOSTILE)
def test_the_lookup_page_refuses_hostile_numbers_with_a_message(client, value):
    response = client.get(
        "/lookup/classification",
        query_string={"industry": "retail", "employees": "5", "revenue": value},
    )
    assert response.status_code == 200
    assert soup(response).select_one(".error-summary a")["href"] == "#revenue"
    # What the user typed stays in the box.
    assert soup(response).select_one("#revenue")["value"] == value


def test_the_lookup_page_says_how_many_digits_fit(client):
    response = client.get(
        "/lookup/classification",
        query_string={"industry": "retail", "employees": "1" * 10, "revenue": "1.234"},
    )
    messages = [p.get_text(" ", strip=True) for p in soup(response).select(".error-message")]
    assert messages == ["错误： 输入不超过9位的整数", "错误： 小数点后最多输入2位"]


def test_the_lookup_page_takes_grouped_and_full_width_figures(client):
    response = client.get(
        "/lookup/classification",
        query_string={"industry": "retail", "employees": "１２", "revenue": "1,500"},
    )
    assert not soup(response).select(".error-message")
    assert soup(response).select_one("#result")


def test_the_figures_step_refuses_huge_figures_with_the_limit(client, make):
    agency = make.agency()
    employer = make.employer(
        agency, list_status="not_listed", size_class=None, size_source=None, industry=None
    )
    owner = make.user(employer=employer, role="owner")
    make.commit()
    sign_in(client, owner)
    walk_to_sign(client, employer, figures={"employees": "", "revenue": ""})
    response = post_form(
        client,
        f"{base(employer)}/figures",
        {"employees": "1e700000", "revenue": "9" * 40},
        token_from=f"{base(employer)}/",
    )
    assert response.status_code == 200
    assert errors(response) == ["从业人员数请填写整数，例如 45", "小数点前最多输入12位"]


@pytest.mark.parametrize(
    ("position", "message"),
    [
        ("99999999999999999999", "输入不超过4位的整数"),
        ("1e3", "输入0到9999之间的整数"),
        ("   ", "输入排列顺序（整数）"),
    ],
)
def test_the_hall_position_refuses_what_does_not_fit(client, make, position, message):
    admin = make.user(staff_role="admin")
    agency = make.agency()
    make.commit()
    sign_in(client, admin)
    response = post_form(
        client,
        "/admin/halls/new",
        {
            "agency_id": str(agency.id),
            "city": "聊城市",
            "district": "东昌府区",
            "address": "花园路1号",
            "phone": "0635-1234567",
            "position": position,
        },
        token_from="/admin/halls/new",
    )
    assert response.status_code == 200
    assert message in errors(response)
    assert db.session.scalar(db.select(db.func.count()).select_from(ServiceHall)) == 0
