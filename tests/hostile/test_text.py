"""Control characters, text-direction overrides and (in a line) line breaks: refused with a
message, never stored."""

from __future__ import annotations

import unicodedata

import pytest
from bs4 import BeautifulSoup
from hypothesis import example, given
from hypothesis import strategies as st
from sqlalchemy import func, select

from portal.core.extensions import db
from portal.features.imports.operations import run
from portal.features.imports.reader import Source
from portal.models import AuditEntry, Employer, ServiceHall, User
from portal.util.text import forbidden_character
from tests.applications.helpers import base, errors, walk_to_sign
from tests.conftest import post_form, sign_in

CONTROL = "删除其中看不见的控制字符或文字方向字符（常随粘贴的文字带入），再提交"
HALL = {
    "city": "聊城市",
    "district": "东昌府区",
    "address": "柳园南路1号",
    "phone": "0635-1234567",
    "position": "1",
    "is_listed": "y",
}


def hall_form(make) -> dict[str, str]:
    """The hall form's fields, for a new agency of its own (a hall belongs to an agency)."""
    agency = make.agency()
    make.commit()
    return {**HALL, "agency_id": str(agency.id)}


def soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


@pytest.mark.parametrize(
    "char",
    [
        "\x00",
        "\x01",
        "\x1b",
        "\x7f",
        "\x85",
        "\x9f",
        "\u202e",
        "\u202a",
        "\u2066",
        "\u2069",
        "\t",
        "\n",
        "\r",
        "\x0b",
        "\x0c",
        "\u2028",
        "\u2029",
    ],
)
def test_one_line_text_refuses_control_and_direction_characters(char):
    assert forbidden_character(f"聊城{char}市") == char


@pytest.mark.parametrize("char", ["\n", "\r", "\t", "\u2028", "\u2029"])
def test_multi_line_text_keeps_line_breaks_and_tabs(char):
    assert forbidden_character(f"第一行{char}第二行", multiline=True) is None
    assert forbidden_character(f"第一行{char}\x00", multiline=True) == "\x00"


@pytest.mark.parametrize("text", ["聊城市东昌府区柳园南路1号", "Zhāng Sān", "ﾃｽﾄ", "😀", "\u200f"])
def test_ordinary_text_is_clean(text):
    assert forbidden_character(text) is None


BIDI_CONTROLS = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _refused(char: str, *, multiline: bool) -> bool:
    """The rule in Unicode's words: controls (Cc), line and paragraph separators (Zl, Zp) and
    the direction embeddings, overrides and isolates; a text area keeps its line breaks."""
    if multiline and char in "\n\r\t\u2028\u2029":
        return False
    return unicodedata.category(char) in ("Cc", "Zl", "Zp") or char in BIDI_CONTROLS


EDGES = sorted(
    BIDI_CONTROLS | set("\x00\t\n\x0b\x0c\r\x1f\x7f\x85\x9f\xa0\u200f\u2028\u2029\u3000")
)


@given(
    st.text(st.sampled_from(EDGES), max_size=3) | st.text(st.characters(codec="utf-8")),
    st.booleans(),
)
@example("甲\u2028乙", False)
@example("甲\u2029乙", False)
def test_the_first_refused_character_is_found_in_any_text(text, multiline):
    refused = [c for c in text if _refused(c, multiline=multiline)]
    assert forbidden_character(text, multiline=multiline) == (refused[0] if refused else None)


def test_a_nul_in_the_username_is_a_message_not_a_500(client, make):
    make.user(username="owner-a")
    make.commit()
    response = post_form(client, "/login", {"username": "owner-a\x00", "password": "x" * 12})
    assert response.status_code == 200
    assert CONTROL in errors(response)


@pytest.mark.parametrize("field", ["city", "address", "phone"])
@pytest.mark.parametrize("char", ["\x00", "\u202e", "\x08"])
def test_hall_text_with_control_characters_is_refused(client, make, field, char):
    admin = make.user(staff_role="admin")
    make.commit()
    sign_in(client, admin)
    response = post_form(
        client,
        "/admin/halls/new",
        {**hall_form(make), field: f"柳园{char}南路"},
        token_from="/admin/halls/new",
    )
    assert response.status_code == 200
    assert errors(response) == [CONTROL]
    assert soup(response).select_one(".error-summary a")["href"] == f"#{field}"
    assert db.session.scalar(select(func.count()).select_from(ServiceHall)) == 0


def test_a_hall_note_keeps_its_lines_but_not_a_nul(client, make):
    admin = make.user(staff_role="admin")
    make.commit()
    sign_in(client, admin)
    response = post_form(
        client,
        "/admin/halls/new",
        {**hall_form(make), "note": "周一至周五\r\n\t9:00\x00"},
        token_from="/admin/halls/new",
    )
    assert errors(response) == [CONTROL]
    response = post_form(
        client,
        "/admin/halls/new",
        {**hall_form(make), "note": "周一至周五\r\n\t9:00"},
        token_from="/admin/halls/new",
    )
    assert response.status_code == 302
    assert db.session.scalar(select(ServiceHall.note)) == "周一至周五\r\n\t9:00"


@pytest.mark.parametrize(
    "path",
    [
        "/review/?program=x%00",
        "/verify/ABCD%00",
    ],
)
def test_a_nul_outside_forms_never_reaches_the_database(client, make, path):
    staff = make.user(staff_role="reviewer", agency=make.agency())
    make.commit()
    sign_in(client, staff)
    response = client.get(path)
    assert response.status_code in (400, 404)
    if response.status_code == 400:
        assert "NUL" in soup(response).select_one(".lead").get_text()


def test_a_search_with_cjk_and_direction_marks_still_searches(client, make):
    agency = make.agency()
    make.employer(agency, name="聊城市示例商贸有限公司")
    staff = make.user(staff_role="hall", agency=agency)
    make.commit()
    sign_in(client, staff)
    response = client.get("/staff/employers", query_string={"q": "示例商贸"})
    assert response.status_code == 200
    assert "聊城市示例商贸有限公司" in response.get_data(as_text=True)


def test_a_stale_tab_missing_a_stored_figure_asks_for_it(client, make):
    agency = make.agency()
    employer = make.employer(
        agency, list_status="not_listed", size_class=None, size_source=None, industry=None
    )
    owner = make.user(employer=employer, role="owner")
    make.commit()
    sign_in(client, owner)
    walk_to_sign(client, employer)  # stores 45 employees and 850.5 万元
    response = post_form(
        client, f"{base(employer)}/figures", {"revenue": "900"}, token_from=f"{base(employer)}/"
    )
    assert response.status_code == 200
    assert errors(response) == ["请填写从业人员数"]


def test_a_stale_hall_form_missing_a_field_asks_for_it(client, make):
    admin = make.user(staff_role="admin")
    make.commit()
    sign_in(client, admin)
    post_form(client, "/admin/halls/new", hall_form(make), token_from="/admin/halls/new")
    hall = db.session.scalar(select(ServiceHall))
    edit = f"/admin/halls/{hall.id}/edit"
    before = db.session.scalar(select(func.count()).select_from(AuditEntry))
    response = post_form(
        client, edit, {k: v for k, v in hall_form(make).items() if k != "position"}, token_from=edit
    )
    assert response.status_code == 200
    assert errors(response) == ["输入排列顺序（整数）"]
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == before


@pytest.mark.parametrize("q", ["聊\x00", "\u202e司公", "a\x1bb"])
def test_a_staff_search_with_control_characters_says_what_to_do(client, make, q):
    staff = make.user(staff_role="hall", agency=make.agency())
    make.commit()
    sign_in(client, staff)
    response = client.get("/staff/employers", query_string={"q": q})
    assert response.status_code == 200
    assert CONTROL in soup(response).select_one("#q-error").get_text()


def test_a_staff_search_takes_percent_and_underscore_as_typed(client, make):
    agency = make.agency()
    make.employer(agency, name="聊城市示例商贸有限公司")
    staff = make.user(staff_role="hall", agency=agency)
    make.commit()
    sign_in(client, staff)
    for q in ("%", "_", "示例%"):
        page = client.get("/staff/employers", query_string={"q": q})
        assert "聊城市示例商贸有限公司" not in page.get_data(as_text=True)


STAFF_USER = {
    "username": "clerk-2",
    "staff_role": "hall",
    "password": "a-long-enough-password-2022",
}


@pytest.mark.parametrize("char", ["\u2028", "\u2029", "\x85"])
def test_a_staff_display_name_with_a_line_separator_is_refused(client, make, char):
    admin = make.user(staff_role="admin", agency=make.agency())
    make.commit()
    sign_in(client, admin)
    before = db.session.scalar(select(func.count()).select_from(User))
    form = {**STAFF_USER, "agency_id": str(admin.agency_id), "display_name": f"张三{char}李四"}
    response = post_form(client, "/admin/users/new", form, token_from="/admin/users/new")
    assert response.status_code == 200
    assert errors(response) == [CONTROL]
    assert db.session.scalar(select(func.count()).select_from(User)) == before


LIST_HEADER = "统一社会信用代码,单位名称,医保单位编号,医保经办机构代码,企业划型,是否纳入缓缴名单"


@pytest.mark.parametrize("char", ["\u2028", "\u2029", "\x85"])
def test_an_imported_name_with_a_line_separator_is_refused(app, make, char):
    from tests.factories import credit_code

    make.agency(make.region("liaocheng-2022"), code="LC01")
    make.commit()
    rows = f"{LIST_HEADER}\n{credit_code()},甲{char}公司,U1,LC01,小型,是\n"
    source = Source.from_bytes("list.csv", rows.encode())
    outcome = run("list", source, scope_agency_id=None, apply=True)
    assert [(p.line, p.column, p.code) for p in outcome.problems] == [
        (2, "单位名称", "control_characters")
    ]
    assert db.session.scalar(select(func.count()).select_from(Employer)) == 0
