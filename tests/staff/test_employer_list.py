"""The staff employer list: whose employers each staff member sees, what a search matches,
what a row shows and offers."""

from __future__ import annotations

import re

from bs4 import BeautifulSoup
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import CSRF_RE, sign_in

# Names made of LIKE's wildcards (% and _), the escape character the search uses (/) and a
# backslash, beside letters: each must match only itself.
NAMES = [
    "a%b",
    "a_b",
    "a/b",
    "a//b",
    "a\\b",
    "A%B公司",
    "ab",
    "axb",
    "%",
    "_",
    "示%例",
    "示_例",
    "示例",
    "a%%b",
    "/%",
]


def _page(response) -> BeautifulSoup:
    assert response.status_code == 200
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def _rows(response) -> list[list[str]]:
    return [
        [td.get_text(" ", strip=True) for td in tr.select("td")]
        for tr in _page(response).select("#results tbody tr")
    ]


def test_a_search_matches_the_text_as_typed_wildcards_and_all(client, make):
    agency = make.agency()
    for name in NAMES:
        make.employer(agency, name=name)
    staff = make.user(staff_role="hall", agency=agency)
    make.commit()
    sign_in(client, staff)

    @settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(q=st.text(alphabet="aAbx%_/\\示例 ", min_size=1, max_size=4))
    def check(q):
        found = {row[0] for row in _rows(client.get("/staff/employers", query_string={"q": q}))}
        text = q.strip().lower()
        assert found == {name for name in NAMES if text in name.lower()}

    check()


def test_each_staff_member_sees_their_agencys_employers_an_administrator_every_agencys(
    client, make
):
    here, there = make.agency(name="东昌府区医保中心"), make.agency(name="临沂市医保中心")
    mine = make.employer(here, name="一公司")
    theirs = make.employer(there, name="二公司")
    people = {
        "hall": make.user(staff_role="hall", agency=here),
        "reviewer": make.user(staff_role="reviewer", agency=here),
        "admin of one agency": make.user(staff_role="admin", agency=here),
        "admin": make.user(staff_role="admin"),
    }
    make.commit()
    for who, user in people.items():
        sign_in(client, user)
        for q in ("", "公司", theirs.credit_code):
            names = [row[0] for row in _rows(client.get("/staff/employers", query_string={"q": q}))]
            if who == "admin":
                assert names == ([] if q == theirs.credit_code else [mine.name]) + [theirs.name], q
            else:
                assert names == ([] if q == theirs.credit_code else [mine.name]), (who, q)


def test_a_row_shows_the_employer_and_offers_what_the_role_may_do(client, make):
    agency = make.agency(name="东昌府区医保中心")
    listed = make.employer(agency, name="一公司", list_status="listed")
    unnumbered = make.employer(
        agency, name="二公司", list_status="not_listed", insurance_unit_number=None
    )
    hall = make.user(staff_role="hall", agency=agency)
    reviewer = make.user(staff_role="reviewer", agency=agency)
    admin = make.user(staff_role="admin", agency=agency)
    make.commit()

    sign_in(client, hall)
    response = client.get("/staff/employers")
    assert _rows(response) == [
        [listed.name, listed.credit_code, listed.insurance_unit_number, agency.name, "在名单中"]
        + ["代该单位办理 发放激活码"],
        [unnumbered.name, unnumbered.credit_code, "—", agency.name, "不在名单中"]
        + ["代该单位办理 发放激活码"],
    ]
    page = _page(response)
    for row, employer in zip(page.select("#results tbody tr"), (listed, unnumbered), strict=True):
        assert row.select_one("a.button")["href"] == f"/hall/employers/{employer.id}/visit"
        form = row.select_one("form")
        assert form["action"] == f"/staff/employers/{employer.id}/activation-code"
        assert form["method"] == "post"
        assert CSRF_RE.search(str(form))

    sign_in(client, reviewer)
    page = _page(client.get("/staff/employers"))
    assert page.select("#results tbody tr")
    assert not page.select("#results tbody a.button, #results form")
    # Every role's names lead to the employer's page (its facts).
    assert [a["href"] for a in page.select("#results tbody td:first-child a")] == [
        f"/staff/employers/{listed.id}",
        f"/staff/employers/{unnumbered.id}",
    ]

    sign_in(client, admin)
    page = _page(client.get("/staff/employers"))
    assert not page.select("#results tbody a.button")
    assert [f["action"] for f in page.select("#results tbody form")] == [
        f"/staff/employers/{listed.id}/activation-code",
        f"/staff/employers/{unnumbered.id}/activation-code",
    ]


def test_a_rows_form_issues_an_activation_code_with_the_token_it_carries(client, make):
    agency = make.agency()
    employer = make.employer(agency, name="一公司")
    hall = make.user(staff_role="hall", agency=agency)
    make.commit()
    sign_in(client, hall)
    form = _page(client.get("/staff/employers")).select_one("#results tbody form")
    token = re.search(r'value="([^"]+)"', str(form.select_one("input[name=csrf_token]")))[1]
    response = client.post(form["action"], data={"csrf_token": token})
    assert response.status_code == 200
    assert employer.name in response.get_data(as_text=True)
    assert "/activation-code" in form["action"]


def test_a_row_token_that_does_not_check_out_shows_the_employer_again(client, make):
    agency = make.agency()
    employer = make.employer(agency, name="一公司")
    make.employer(agency, name="二公司")
    hall = make.user(staff_role="hall", agency=agency)
    make.commit()
    sign_in(client, hall)
    response = client.post(
        f"/staff/employers/{employer.id}/activation-code", data={"csrf_token": "x"}
    )
    rows = _rows(response)
    assert [row[0] for row in rows] == ["一公司"]
    assert CSRF_RE.search(str(_page(response).select_one("#results form")))
