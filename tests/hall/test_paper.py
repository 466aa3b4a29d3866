"""At the hall the letter is signed on paper, never online: recorded, scanned, and issued."""

from __future__ import annotations

import io
import re
from datetime import date

import pypdf
import pytest
from bs4 import BeautifulSoup
from sqlalchemy import select

from portal.core.extensions import db
from portal.core.uploads import Upload
from portal.features.hall.operations import (
    PaperSignatureError,
    load_shipped_halls,
    record_paper_signature,
)
from portal.labels import error_message
from portal.letters import document
from portal.letters.text import COMMITMENT_TEXT
from portal.models import (
    ActingSession,
    AuditEntry,
    CommitmentApplication,
    PaperSignature,
    ServiceHall,
)
from tests.applications.helpers import (
    PNG,
    fake_render,
    multipart_post,
    sign,
    submit,
    upload,
    walk_to_sign,
)
from tests.conftest import post_form, sign_in, uploaded_files
from tests.hall.conftest import PDF_BYTES, start_visit

SHIPPED_HALLS = "portal/features/hall/linyi_service_halls.yaml"


def soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def _flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _pdf_text(data: bytes) -> str:
    return _flat("".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(data)).pages))


@pytest.fixture
def walk_in(client, make):
    """An unlisted employer's legal representative at one of its agency's halls; staff acting."""
    agency = make.agency(name="临沂市医疗保障服务中心")
    employer = make.employer(
        agency, list_status="not_listed", size_class=None, size_source=None, industry=None
    )
    hall_staff = make.user(staff_role="hall", agency=agency, display_name="赵窗口")
    owner = make.user(employer=employer, role="owner", display_name="张三")
    service_hall = ServiceHall(
        agency=agency,
        city="临沂市",
        district="市直",
        address="北京路8号，市政务服务大厅3楼",
        phone="0539-8101230",
    )
    db.session.add(service_hall)
    make.commit()
    sign_in(client, hall_staff)
    assert start_visit(client, employer, visitor_name="张三").status_code == 302
    walk_to_sign(client, employer)
    return {"employer": employer, "staff": hall_staff, "owner": owner, "hall": service_hall}


def paper_path(employer) -> str:
    return f"/hall/e/{employer.id}/commitment/paper"


def record_paper(client, walk_in, *, scan: bytes | None = PDF_BYTES, **overrides):
    fields = {
        "signatory_name": "张三",
        "signed_on": "2022-08-15",
        "hall_id": str(walk_in["hall"].id),
        "is_original_seen": "y",
        **overrides,
    }
    files = [("scan", "承诺书扫描件.pdf", scan)] if scan is not None else []
    path = paper_path(walk_in["employer"])
    return multipart_post(client, path, fields, files)


def test_online_signing_is_refused_while_acting(client, walk_in, fast_letters):
    employer = walk_in["employer"]
    page = client.get(f"/e/{employer.id}/applications/sign")
    assert page.status_code == 403
    notice = soup(page).select_one("#paper-instead").get_text(" ", strip=True)
    assert "不能代单位在线签署" in notice
    assert soup(page).select_one(f"#paper-instead a[href='{paper_path(employer)}']")
    response = sign(client, employer)
    assert response.status_code == 403
    application = db.session.scalar(select(CommitmentApplication))
    assert application.signed_at is None and application.letters == []


def test_the_paper_page_prints_the_letter_pre_filled(client, walk_in):
    employer = walk_in["employer"]
    page = soup(client.get(paper_path(employer)))
    letter = page.select_one("#printable-letter").get_text(" ", strip=True)
    assert "缓缴职工医保单位缴费承诺书" in letter
    assert employer.name in letter and employer.credit_code in letter
    assert "单位法定代表人签字" in letter
    # The legal representative came in person: the name is filled in for the staff to check.
    assert page.select_one("#signatory_name")["value"] == "张三"
    assert [o.get_text() for o in page.select("#hall_id option")] == [
        "临沂市市直（北京路8号，市政务服务大厅3楼）"
    ]


def test_a_clerk_picks_only_their_own_agencys_halls(client, app, make, fast_letters):
    """A Liaocheng clerk is not offered Linyi's 14 halls, and cannot post one of them."""
    liaocheng = make.agency(name="聊城市医疗保障服务中心")
    linyi = make.agency(name="临沂市医疗保障服务中心")
    assert load_shipped_halls(app.root_path + "/../" + SHIPPED_HALLS, agency=linyi) == 14
    employer = make.employer(
        liaocheng, list_status="not_listed", size_class=None, size_source=None, industry=None
    )
    clerk = make.user(staff_role="hall", agency=liaocheng, display_name="赵窗口")
    make.commit()
    sign_in(client, clerk)
    assert start_visit(client, employer, visitor_name="张三").status_code == 302
    walk_to_sign(client, employer)
    page = soup(client.get(paper_path(employer)))
    assert page.select("#hall_id option") == []
    assert "您所在的经办机构还没有列出服务大厅" in page.get_text()
    hall = ServiceHall(
        agency=liaocheng,
        city="聊城市",
        district="东昌府区",
        address="柳园南路1号",
        phone="0635-1234567",
    )
    db.session.add(hall)
    make.commit()
    page = soup(client.get(paper_path(employer)))
    assert [o.get_text() for o in page.select("#hall_id option")] == [
        "聊城市东昌府区（柳园南路1号）"
    ]
    linyis = db.session.scalar(select(ServiceHall).where(ServiceHall.district == "市直"))
    walk = {"employer": employer, "hall": linyis}
    response = record_paper(client, walk)
    assert response.status_code == 200
    assert db.session.scalar(select(PaperSignature)) is None
    response = record_paper(client, {"employer": employer, "hall": hall})
    assert response.status_code == 302
    record = db.session.scalar(select(PaperSignature))
    assert record.hall_label == "聊城市东昌府区（柳园南路1号）"


def test_the_operation_refuses_a_hall_of_another_agency(client, walk_in, make, fast_letters):
    other = ServiceHall(
        agency=make.agency(name="聊城市医疗保障服务中心"),
        city="聊城市",
        district="东昌府区",
        address="柳园南路1号",
        phone="0635-1234567",
    )
    db.session.add(other)
    make.commit()
    application = db.session.scalar(select(CommitmentApplication))
    with pytest.raises(PaperSignatureError) as refused:
        record_paper_signature(
            application,
            visit=db.session.scalar(select(ActingSession)),
            signatory_name="张三",
            signed_on=date(2022, 8, 15),
            hall=other,
            scan=Upload("scan.pdf", PDF_BYTES),
            actor=walk_in["staff"],
            today=date(2022, 8, 15),
            verify_url_for=lambda code: f"/verify/{code}",
        )
    assert (refused.value.code, refused.value.field) == ("hall_elsewhere", "hall_id")
    assert "您所在经办机构的服务大厅" in error_message(refused.value)


@pytest.mark.parametrize(
    ("overrides", "scan", "expected"),
    [
        ({}, None, "选择要上传的文件"),
        ({}, b"GIF89a", "不是 PDF、JPEG 或 PNG 文件"),
        ({"signed_on": "2022-08-16"}, PDF_BYTES, "不能晚于今天"),
        ({"signed_on": ""}, PDF_BYTES, "输入承诺书上的日期"),
        ({"is_original_seen": ""}, PDF_BYTES, "确认您已核验签字盖章的原件"),
        ({"signatory_name": ""}, PDF_BYTES, "输入在承诺书上签字的法定代表人姓名"),
    ],
)
def test_the_paper_record_says_what_is_wrong(
    client, walk_in, fast_letters, overrides, scan, expected
):
    response = record_paper(client, walk_in, scan=scan, **overrides)
    assert response.status_code == 200
    messages = [p.get_text(" ", strip=True) for p in soup(response).select(".error-message")]
    assert any(expected in m for m in messages), messages
    assert db.session.scalar(select(PaperSignature)) is None
    assert db.session.scalar(select(CommitmentApplication)).signed_at is None


def test_the_paper_route_end_to_end_with_the_pdf_wording(client, walk_in):
    """One real WeasyPrint render: the letter says it was signed on paper, where and by whom."""
    employer, staff = walk_in["employer"], walk_in["staff"]
    response = record_paper(client, walk_in)
    assert response.status_code == 302 and response.location.endswith("/applications/check")
    application = db.session.scalar(select(CommitmentApplication))
    record = db.session.scalar(select(PaperSignature))
    assert (application.signature_method, application.signatory_name) == ("paper", "张三")
    assert application.filed_by_staff_id == staff.id
    assert (record.received_by_id, record.signed_on.isoformat()) == (staff.id, "2022-08-15")
    assert uploaded_files()[record.scan_stored_name] == PDF_BYTES
    text = _pdf_text(application.letters[0].pdf)
    assert "Signedonpaperat临沂市市直（北京路8号，市政务服务大厅3楼）on2022-08-15" in text
    assert "receivedby赵窗口" in text
    assert "张三于2022-08-15在临沂市市直（北京路8号，市政务服务大厅3楼）纸质签署" in text
    assert "经办人赵窗口受理" in text
    assert _flat(COMMITMENT_TEXT) in text
    check = soup(client.get(response.location)).select_one(".signature-record")
    assert (
        "法定代表人 张三 于 2022年8月15日 在 临沂市市直（北京路8号，市政务服务大厅3楼） 纸质签署"
        in (check.get_text(" ", strip=True))
    )
    assert "经办人 赵窗口 受理" in check.get_text(" ", strip=True)
    upload(client, employer, ("payroll.png", PNG))  # 相关证明材料 (鲁医保发〔2022〕21号 四)
    assert submit(client, employer).status_code == 302
    assert db.session.scalar(select(CommitmentApplication)).status == "submitted"
    entries = {
        e.action: e for e in db.session.scalars(select(AuditEntry).where(AuditEntry.role == "hall"))
    }
    for action in (
        "commitment.start",
        "commitment.answer",
        "commitment.paper_sign",
        "commitment.submit",
    ):
        assert entries[action].details["visitor_name"] == "张三", action
        assert entries[action].details["visitor_capacity"] == "legal_representative"
        assert entries[action].actor_id == staff.id
    assert entries["commitment.paper_sign"].details["hall"].startswith("临沂市市直")


def test_owners_cannot_record_a_paper_signature(client, walk_in):
    sign_in(client, walk_in["owner"])
    assert client.get(paper_path(walk_in["employer"])).status_code == 403


def test_the_paper_page_needs_a_draft_ready_to_sign(client, make):
    agency = make.agency()
    employer = make.employer(agency, list_status="not_listed", size_class=None)
    hall_staff = make.user(staff_role="hall", agency=agency)
    make.commit()
    sign_in(client, hall_staff)
    start_visit(client, employer)
    response = client.get(paper_path(employer))
    assert response.status_code == 302 and response.location.endswith("/applications/")


@pytest.fixture
def fast_letters(monkeypatch):
    monkeypatch.setattr(document, "render_commitment_letter", fake_render)


def test_whoever_filed_it_at_the_hall_cannot_decide_it(client, walk_in, fast_letters, make):
    employer, staff = walk_in["employer"], walk_in["staff"]
    record_paper(client, walk_in)
    upload(client, employer, ("payroll.png", PNG))  # 相关证明材料 (鲁医保发〔2022〕21号 四)
    submit(client, employer)
    application = db.session.scalar(select(CommitmentApplication))
    assert application.filed_by_staff_id == staff.id
    # The same person, later a reviewer of the agency, may not decide it.
    staff.staff_role = "reviewer"
    db.session.commit()
    sign_in(client, staff)
    path = f"/review/{application.id}"
    response = post_form(client, f"{path}/approve", token_from=path)
    assert response.status_code == 409
    assert db.session.get(CommitmentApplication, application.id).status == "submitted"
