"""The template filters that the amounts pages call dozens of times per page."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import pytest
from babel.dates import format_date
from babel.numbers import format_decimal
from hypothesis import given
from hypothesis import strategies as st

from portal.config import BaseConfig
from portal.templating import _day, money

amounts = st.decimals(
    min_value=Decimal("-100000000"), max_value=Decimal("100000000"), allow_nan=False, places=4
)


@pytest.mark.parametrize("locale", BaseConfig.LANGUAGES)
@given(value=amounts)
def test_money_reads_as_babel_writes_it_in_every_language(locale, value):
    fen = value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    assert money(value) == "¥" + format_decimal(fen, format="#,##0.00", locale=locale)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal("1234567.005"), "¥1,234,567.01"),  # half-up at the fen
        (Decimal("0.004"), "¥0.00"),
        (Decimal("205"), "¥205.00"),
        (Decimal("-12.345"), "¥-12.35"),
        (None, "—"),
    ],
)
def test_money_rounds_half_up_to_the_fen(value, expected):
    assert money(value) == expected


@given(value=st.dates(min_value=date(2019, 1, 1), max_value=date(2027, 12, 31)))
def test_day_is_babels_long_date(value):
    assert _day(value, "zh") == format_date(value, format="long", locale="zh")
    assert _day(value, "en") == format_date(value, format="d MMM y", locale="en")
    assert _day(date(2022, 8, 15), "zh") == "2022年8月15日"
    assert _day(date(2022, 8, 15), "en") == "15 Aug 2022"


def test_form_fields_carry_no_none_attributes(client):
    """Issue 15 item 13: the lookup form rendered autocomplete="None" inputmode="None"."""
    page = client.get("/lookup/classification").get_data(as_text=True)
    assert '="None"' not in page


def test_the_start_page_leads_to_the_public_services(client):
    """Issue 15 item 12: nothing linked the lookups, the verify page or the JSON API."""
    from bs4 import BeautifulSoup

    page = BeautifulSoup(client.get("/").get_data(as_text=True), "html.parser")
    links = {a["href"].split("?")[0] for a in page.select("#public-services a")}
    assert links == {
        "/lookup/classification",
        "/lookup/employer",
        "/verify/",
        "/api/v1/classification",
    }
    for href in links:
        assert (
            client.get(href, query_string={"industry": "retail", "employees": "5"}).status_code
            == 200
        )


def test_the_readme_names_the_public_services_and_each_answers(client):
    """Issue 15 item 12: nothing in the README led to the lookups, the verify page or the API."""
    import re

    from portal.config import REPO_ROOT

    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Without signing in", 1)[1].split("\n## ", 1)[0]
    paths = re.findall(r"^\| `(/[^`]*)`", section, flags=re.MULTILINE)
    assert {p.split("?")[0] for p in paths} >= {
        "/lookup/classification",
        "/lookup/employer",
        "/verify/",
        "/api/v1/classification",
    }
    for path in paths:
        assert client.get(path).status_code == 200, path


def test_id_url_builds_what_url_for_builds(app):
    """The staff employer list builds its rows' URLs from one pattern (issue 17)."""
    from flask import url_for

    from portal.templating import id_url

    @given(employer_id=st.integers(min_value=0, max_value=10**15))
    def check(employer_id):
        for endpoint in ("hall.visit", "staff.activation_code", "employer.home"):
            built = id_url(endpoint, "employer_id") % employer_id
            assert built == url_for(endpoint, employer_id=employer_id)
        # A percent sign elsewhere in the URL (%25 once quoted) is not a place for the id.
        built = id_url("employer.home", "employer_id", note="5%") % employer_id
        assert built == url_for("employer.home", employer_id=employer_id, note="5%")

    with app.test_request_context("/staff/employers"):
        check()
