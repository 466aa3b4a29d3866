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
from portal.util.formatting import _day, money

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

    from portal.web.templating import id_url

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


def test_built_url_gives_what_url_for_gives_wherever_the_site_is_mounted(app):
    """Templates build each URL once per worker (issue 17): the same URL as ``url_for``, for the
    site at the root and mounted under a prefix (the prefix is part of what is kept), and
    ``url_for`` itself for what is not kept (external links, unhashable values)."""
    from flask import url_for

    from portal.web.templating import built_url

    @given(
        employer_id=st.integers(min_value=0, max_value=10**15),
        note=st.text(max_size=12),
    )
    def check(employer_id, note):
        for endpoint, values in (
            ("main.index", {}),
            ("static", {"filename": "css/portal.css"}),
            ("employer.home", {"employer_id": employer_id}),
            ("staff.employers", {"q": note}),
        ):
            assert built_url(endpoint, **values) == url_for(endpoint, **values)
            assert built_url(endpoint, **values) == url_for(endpoint, **values)  # kept

    for prefix in ("", "/portal"):
        with app.test_request_context("/staff/employers", base_url=f"http://localhost{prefix}"):
            check()
            assert built_url("main.index") == f"{prefix}/"
    with app.test_request_context("/", base_url="https://portal.example.cn"):
        external = built_url("main.index", _external=True)
        assert external == "https://portal.example.cn/"
        unhashable = built_url("staff.employers", q=["a", "b"])
        assert unhashable == url_for("staff.employers", q=["a", "b"])
    assert app.jinja_env.globals["url_for"] is built_url


def test_a_pages_csrf_token_is_signed_once_a_session_and_still_checked(client, make):
    """The signed CSRF token is kept per session token (issue 17): the same on every page of a
    session, accepted by a form; signing in starts a new session, whose token is new, and the
    old one is refused."""
    import re

    from tests.factories import PASSWORD

    def token(path: str) -> str:
        return re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text)[1]

    employer = make.employer()
    owner = make.user(employer=employer)
    make.commit()
    page = f"/e/{employer.id}/"
    before = token("/login")
    assert token("/login") == before  # kept: the same signature on the next page
    form = {"csrf_token": before, "username": owner.username, "password": PASSWORD}
    assert client.post("/login", data=form).status_code == 302
    after = token(page)
    assert after != before and token(page) == after

    client.post("/language", data={"csrf_token": before, "locale": "en", "next": page})
    assert 'value="en"' in client.get(page).text  # the old session's token changed nothing
    client.post("/language", data={"csrf_token": after, "locale": "en", "next": page})
    assert 'value="zh"' in client.get(page).text  # the session's own token did


@pytest.mark.parametrize("locale", BaseConfig.LANGUAGES)
def test_the_day_filter_writes_the_pages_language(app, locale):
    """``|day`` takes the language from the page's context (issue 17): what ``day`` gives."""
    from flask import render_template_string, session

    from portal.util.formatting import day

    with app.test_request_context("/"):
        session["locale"] = locale
        for value in (date(2022, 8, 15), date(2023, 1, 1), None):
            assert render_template_string("{{ value|day }}", value=value) == day(value)
        assert day(date(2022, 8, 15)) == ("2022年8月15日" if locale == "zh" else "15 Aug 2022")
