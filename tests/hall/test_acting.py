"""Hall staff find an employer, record the visitor, act for it visibly, and stop."""

from __future__ import annotations

from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import select

from portal.core.extensions import db
from portal.models import ActingSession, AuditEntry, DeferralDecision
from tests.conftest import post_form, sign_in, uploaded_files
from tests.hall.conftest import (
    OTHER_VISITOR_ID,
    PDF_BYTES,
    PNG_BYTES,
    VISITOR_ID,
    start_visit,
)


def soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def errors(response) -> list[str]:
    return [
        node.get_text(" ", strip=True).replace("错误： ", "").replace("错误:", "").strip()
        for node in soup(response).select(".error-message")
    ]


def banner(response) -> str | None:
    node = soup(response).select_one("#acting-banner")
    return node.get_text(" ", strip=True) if node else None


def the_visit() -> ActingSession:
    return db.session.scalars(select(ActingSession).order_by(ActingSession.id.desc())).first()


# ----------------------------------------------------------------------------- search


def _result_rows(response) -> list[list[str]]:
    return [
        [td.get_text(" ", strip=True) for td in tr.select("td")]
        for tr in soup(response).select("#results tbody tr")
    ]


def test_search_by_partial_name_tells_similar_names_apart(client, hall_world):
    sign_in(client, hall_world["hall"])
    rows = _result_rows(client.get("/staff/employers?q=东昌府区示例商贸"))
    assert [row[0] for row in rows] == [
        "聊城市东昌府区示例商贸中心",
        "聊城市东昌府区示例商贸有限公司",
    ]
    similar = hall_world["similar"]
    assert rows[0][1:5] == [
        similar.credit_code,
        similar.insurance_unit_number,
        "聊城市医疗保障服务中心",
        "不在名单中",
    ]
    assert rows[1][4] == "在名单中"
    assert "代该单位办理" in rows[1][5]


@pytest.mark.parametrize("field", ["credit_code", "insurance_unit_number"])
def test_search_by_credit_code_or_unit_number(client, hall_world, field):
    sign_in(client, hall_world["hall"])
    value = getattr(hall_world["employer"], field)
    rows = _result_rows(client.get(f"/staff/employers?q={value.lower()}"))
    assert [row[0] for row in rows] == ["聊城市东昌府区示例商贸有限公司"]


def test_another_agencys_employer_is_not_found(client, hall_world):
    sign_in(client, hall_world["hall"])
    elsewhere = hall_world["elsewhere"]
    assert _result_rows(client.get(f"/staff/employers?q={elsewhere.credit_code}")) == []
    assert _result_rows(client.get("/staff/employers?q=临沂示例")) == []
    assert client.get(f"/hall/employers/{elsewhere.id}/visit").status_code == 404
    assert start_visit(client, elsewhere).status_code == 404
    assert db.session.scalar(select(ActingSession)) is None


# ----------------------------------------------------------------------- the visitor


def _with_check_digit(first17: str) -> str:
    from stdnum.cn import ric

    return first17 + ric.calc_check_digit(first17 + "0")


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"id_number": "371302199501011235"}, "最后一位与前面的号码不符"),
        ({"id_number": "3713021995010112"}, "身份证号码为18位"),
        ({"id_number": "37130219950101A23X"}, "前17位为数字"),
        ({"id_number": _with_check_digit("37130219950230123")}, "出生日期或地区代码不存在"),
        ({"id_number": ""}, "输入来人的身份证号码"),
        ({"visitor_name": " "}, "输入来人姓名"),
        ({"capacity": ""}, "选择来人是法定代表人还是委托代理人"),
        ({"capacity": "agent"}, "上传授权委托书扫描件"),
    ],
)
def test_the_visitor_record_says_what_is_wrong(client, hall_world, overrides, expected):
    sign_in(client, hall_world["hall"])
    response = start_visit(client, hall_world["employer"], **overrides)
    assert response.status_code == 200
    assert any(expected in message for message in errors(response)), errors(response)
    assert soup(response).select_one(".error-summary")
    # What was typed stays in the form (except a file).
    if overrides.get("visitor_name") is None:
        assert soup(response).select_one("#visitor_name")["value"] == "李来人"
    assert db.session.scalar(select(ActingSession)) is None


def test_a_letter_of_authority_must_be_a_pdf_jpeg_or_png_by_content(client, hall_world):
    sign_in(client, hall_world["hall"])
    response = start_visit(
        client, hall_world["employer"], capacity="agent", letter=b"GIF89a not allowed"
    )
    assert any("不是 PDF、JPEG 或 PNG 文件" in m for m in errors(response)), errors(response)
    too_large = b"%PDF-" + b"0" * (10 * 1024 * 1024)
    response = start_visit(client, hall_world["employer"], capacity="agent", letter=too_large)
    assert any("超过 10 MB" in m for m in errors(response)), errors(response)
    assert db.session.scalar(select(ActingSession)) is None


def test_an_agent_with_a_letter_starts_acting_and_the_letter_is_kept(client, hall_world):
    sign_in(client, hall_world["hall"])
    response = start_visit(
        client,
        hall_world["employer"],
        capacity="agent",
        letter=PDF_BYTES,
        id_number=OTHER_VISITOR_ID,
    )
    assert response.status_code == 302
    visit = the_visit()
    assert (visit.capacity, visit.letter_content_type, visit.letter_name) == (
        "agent",
        "application/pdf",
        "授权委托书.pdf",
    )
    assert uploaded_files() == {visit.letter_stored_name: PDF_BYTES}
    download = client.get(f"/hall/visits/{visit.id}/letter")
    assert download.data == PDF_BYTES and download.headers["Content-Disposition"].startswith(
        "attachment"
    )
    # Another agency's hall staff cannot read it; an administrator can.
    client.post("/logout")
    sign_in(client, hall_world["hall_other"])
    assert client.get(f"/hall/visits/{visit.id}/letter").status_code == 404
    sign_in(client, hall_world["admin"])
    assert client.get(f"/hall/visits/{visit.id}/letter").data == PDF_BYTES


def test_the_identity_card_number_is_only_kept_masked(acting_client, hall_world):
    visit = the_visit()
    assert visit.visitor_id_masked == "371302********123X"
    assert VISITOR_ID not in visit.visitor_id_hash
    for entry in db.session.scalars(select(AuditEntry)):
        assert VISITOR_ID not in str(entry.details)
    page = acting_client.get(f"/e/{hall_world['employer'].id}/")
    assert VISITOR_ID not in page.get_data(as_text=True)


# ------------------------------------------------------------------------------ acting


def test_every_page_carries_the_banner_while_acting(acting_client, hall_world):
    employer = hall_world["employer"]
    expected = "正在代 聊城市东昌府区示例商贸有限公司 办理 — 经办人 赵窗口"
    for path in (
        f"/e/{employer.id}/",
        f"/e/{employer.id}/deferral/",
        f"/e/{employer.id}/amounts/",
        "/staff/employers",
        "/halls",
        "/lookup/classification",
    ):
        response = acting_client.get(path)
        assert response.status_code == 200, path
        text = banner(response)
        assert text is not None and expected in text, (path, text)
        assert "李来人" in text and "法定代表人" in text
        stop = soup(response).select_one("#acting-banner form")
        assert stop["method"] == "post" and stop["action"] == "/hall/stop"
        assert stop.select_one("input[name=csrf_token]")
    # Even a page that is not found says who is acting.
    assert expected in banner(acting_client.get(f"/e/{hall_world['elsewhere'].id}/"))


def test_the_banner_in_english(acting_client, hall_world):
    post_form(acting_client, "/language", {"locale": "en"})
    text = banner(acting_client.get(f"/e/{hall_world['employer'].id}/"))
    assert "Acting for 聊城市东昌府区示例商贸有限公司 — staff 赵窗口" in text
    assert "Stop acting" in text


def test_acting_is_for_that_employer_only_and_not_its_people(acting_client, hall_world):
    employer, similar = hall_world["employer"], hall_world["similar"]
    assert acting_client.get(f"/e/{employer.id}/").status_code == 200
    assert acting_client.get(f"/e/{employer.id}/members").status_code == 403
    assert acting_client.get(f"/e/{similar.id}/").status_code == 404
    assert acting_client.get(f"/e/{hall_world['elsewhere'].id}/").status_code == 404


def test_without_acting_staff_cannot_open_the_employer_pages(client, hall_world):
    sign_in(client, hall_world["hall"])
    response = client.get(f"/e/{hall_world['employer'].id}/")
    assert response.status_code == 404 and banner(response) is None


def _confirm_fields(page: BeautifulSoup) -> dict:
    form = page.select_one("form[action$='/confirm']")
    return {i["name"]: i.get("value", "") for i in form.select("input[type=hidden]")}


def _decide_as_hall(client, employer) -> DeferralDecision:
    response = post_form(
        client, f"/e/{employer.id}/deferral/", {"choice": "defer:2022-08"}, token_from="/halls"
    )
    assert response.status_code == 200
    confirm = post_form(
        client, f"/e/{employer.id}/deferral/confirm", _confirm_fields(soup(response))
    )
    assert confirm.status_code == 302
    return db.session.scalar(select(DeferralDecision))


def test_a_decision_while_acting_is_recorded_as_by_staff_for_the_employer(
    acting_client, hall_world
):
    employer, hall = hall_world["employer"], hall_world["hall"]
    decision = _decide_as_hall(acting_client, employer)
    assert (decision.choice, decision.period_start, decision.decided_by_id) == (
        "defer",
        "2022-08",
        hall.id,
    )
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "decision.defer"))
    visit = the_visit()
    assert (entry.actor_id, entry.acting_for_employer_id, entry.role) == (
        hall.id,
        employer.id,
        "hall",
    )
    assert entry.details["acting_session_id"] == visit.id
    assert entry.details["visitor_name"] == "李来人"
    assert entry.details["visitor_capacity"] == "legal_representative"
    assert entry.details["reference"] == decision.reference
    start = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "hall.acting_start"))
    assert (start.role, start.details["visitor_id_masked"]) == ("hall", "371302********123X")


def test_a_departure_while_acting_is_audited_with_the_visitor(acting_client, hall_world):
    from portal.models import PersonAssessment

    employer = hall_world["employer"]
    db.session.add(
        PersonAssessment(
            employer_id=employer.id,
            person_ref="P1",
            person_name="赵六",
            month="2022-07",
            unit_amount=__import__("decimal").Decimal("300.00"),
            personal_amount=__import__("decimal").Decimal("80.00"),
        )
    )
    db.session.commit()
    response = post_form(
        acting_client,
        f"/e/{employer.id}/amounts/departures",
        {"person_ref": "P1", "reason": "leave", "left_on": "2022-08-10"},
        token_from="/halls",
    )
    assert response.status_code == 302, errors(response)
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "departure.record"))
    assert (entry.role, entry.details["visitor_name"], entry.details["visitor_capacity"]) == (
        "hall",
        "李来人",
        "legal_representative",
    )


def test_the_employer_sees_what_the_hall_did_for_it(acting_client, client, app, hall_world):
    employer = hall_world["employer"]
    _decide_as_hall(acting_client, employer)
    post_form(acting_client, "/hall/stop", token_from="/halls")
    owner_client = app.test_client()
    sign_in(owner_client, hall_world["owner"])
    home = soup(owner_client.get(f"/e/{employer.id}/"))
    rows = [
        [td.get_text(" ", strip=True) for td in tr.select("td")]
        for tr in home.select("#history tbody tr")
    ]
    by_action = {row[1]: row for row in rows}
    assert "经办人 赵窗口 代办" in by_action["已确认缓缴"][2]
    assert "李来人" in by_action["已确认缓缴"][2] and "法定代表人" in by_action["已确认缓缴"][2]
    assert "经办大厅代办开始" in by_action and "经办大厅代办结束" in by_action
    decisions = soup(owner_client.get(f"/e/{employer.id}/deferral/"))
    by_cell = decisions.select("table tbody tr td")[2].get_text(" ", strip=True)
    assert "经办人 赵窗口 代办" in by_cell


# ----------------------------------------------------------------------- ending acting


def test_the_stop_button_ends_acting(acting_client, hall_world):
    response = post_form(acting_client, "/hall/stop", token_from="/halls")
    assert response.status_code == 302 and response.location.endswith("/staff/employers")
    page = acting_client.get(response.location)
    assert banner(page) is None
    assert "不再代 聊城市东昌府区示例商贸有限公司 办理" in page.get_data(as_text=True)
    visit = the_visit()
    assert visit.end_reason == "stopped" and visit.ended_at is not None
    assert acting_client.get(f"/e/{hall_world['employer'].id}/").status_code == 404
    end = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "hall.acting_end"))
    assert end.details["reason"] == "stopped" and end.details["acting_session_id"] == visit.id


def test_a_stop_without_a_csrf_token_changes_nothing(acting_client, hall_world):
    acting_client.post("/hall/stop")
    assert the_visit().ended_at is None


def test_acting_ends_after_30_minutes_idle(acting_client, hall_world):
    employer = hall_world["employer"]
    visit = the_visit()
    visit.last_seen_at = visit.last_seen_at - timedelta(minutes=29)
    db.session.commit()
    assert banner(acting_client.get(f"/e/{employer.id}/")) is not None  # 29 minutes: still on
    visit = the_visit()
    visit.last_seen_at = visit.last_seen_at - timedelta(minutes=31)
    db.session.commit()
    response = acting_client.get(f"/e/{employer.id}/")
    assert response.status_code == 404 and banner(response) is None
    assert "30 分钟内没有任何操作" in response.get_data(as_text=True)
    visit = the_visit()
    assert visit.end_reason == "idle"
    assert visit.ended_at == visit.last_seen_at + timedelta(minutes=30)
    assert banner(acting_client.get("/staff/employers")) is None
    end = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "hall.acting_end"))
    assert end.details["reason"] == "idle"


def test_signing_out_ends_acting(acting_client, hall_world):
    post_form(acting_client, "/logout", token_from="/halls")
    visit = the_visit()
    assert visit.end_reason == "signed_out"
    sign_in(acting_client, hall_world["hall"])
    assert banner(acting_client.get("/staff/employers")) is None
    assert acting_client.get(f"/e/{hall_world['employer'].id}/").status_code == 404


def test_a_new_visit_ends_the_previous_one(acting_client, hall_world):
    first = the_visit()
    start_visit(acting_client, hall_world["similar"], id_number=OTHER_VISITOR_ID)
    db.session.expire_all()
    assert db.session.get(ActingSession, first.id).end_reason == "replaced"
    text = banner(acting_client.get(f"/e/{hall_world['similar'].id}/"))
    assert "聊城市东昌府区示例商贸中心" in text
    assert acting_client.get(f"/e/{hall_world['employer'].id}/").status_code == 404


def test_png_letters_are_accepted(client, hall_world):
    sign_in(client, hall_world["hall"])
    response = start_visit(client, hall_world["employer"], capacity="agent", letter=PNG_BYTES)
    assert response.status_code == 302
    assert the_visit().letter_content_type == "image/png"


def test_a_sign_in_that_ends_elsewhere_ends_acting(acting_client, hall_world):
    hall_world["hall"].session_nonce = "changed-elsewhere"
    db.session.commit()
    response = acting_client.get("/halls")
    assert banner(response) is None
    assert the_visit().end_reason == "signed_out"


def test_identity_numbers_issued_after_birth_are_accepted():
    """Issue 15 item 6: region codes are checked against any edition of GB/T 2260, not the
    holder's birth year (Liaocheng's 3715xx codes date from 1997; older people hold them)."""
    import pytest

    from portal.features.hall.operations import VisitorError, check_id_number

    assert check_id_number("371502198601011233") == "371502198601011233"
    with pytest.raises(VisitorError) as unknown_region:
        check_id_number("999999198601011237")  # a valid check digit, no such region
    assert unknown_region.value.code == "id_component"
    with pytest.raises(VisitorError) as bad_date:
        check_id_number("371502198613011230")  # a valid check digit, no 13th month
    assert bad_date.value.code == "id_component"
    with pytest.raises(VisitorError) as bad_check:
        check_id_number("371502198601011234")
    assert bad_check.value.code == "id_checksum"
