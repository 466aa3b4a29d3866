"""The import pages: upload, check (refused or what will happen), apply on purpose."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from portal.core.extensions import db
from portal.models import Employer, ImportRecord, UploadedFile
from tests.applications.helpers import multipart_post, soup, text_of
from tests.conftest import csrf_token, sign_in
from tests.factories import credit_code

HEADER = "统一社会信用代码,单位名称,医保单位编号,医保经办机构代码,企业划型,是否纳入缓缴名单"


def _upload(client, kind: str, name: str, body: bytes):
    return multipart_post(
        client,
        "/imports/",
        {"csrf_token": csrf_token(client, "/imports/"), "kind": kind},
        [("file", name, body)],
    )


def _world(make):
    agency = make.agency(make.region("liaocheng-2022"), code="LC01")
    other = make.agency(make.region("inner-mongolia-2022"), code="WH01")
    reviewer = make.user(staff_role="reviewer", agency=agency)
    make.commit()
    return agency, other, reviewer


def test_check_then_apply(client, make):
    agency, _other, reviewer = _world(make)
    sign_in(client, reviewer)
    code = credit_code()
    body = f"{HEADER}\n{code},甲公司,U1,LC01,小型,是\n".encode()
    response = _upload(client, "list", "名单.csv", body)
    assert response.status_code == 302
    page = client.get(response.location)
    assert "新增 1 条" in text_of(page)
    assert db.session.scalar(select(func.count()).select_from(Employer)) == 0  # checked only
    record = db.session.scalar(select(ImportRecord))
    assert record.status == "checked" and record.agency_id == agency.id
    form = soup(page).select_one("form[action$='/apply']")
    sha = form.select_one("input[name=sha256]")["value"]
    applied = client.post(
        form["action"], data={"csrf_token": csrf_token(client, "/imports/"), "sha256": sha}
    )
    assert applied.status_code == 302
    done = client.get(applied.location)
    assert soup(done).select_one("#applied")
    assert db.session.scalar(select(Employer.name).where(Employer.credit_code == code)) == "甲公司"
    assert db.session.scalar(select(func.count()).select_from(UploadedFile)) == 0
    again = client.post(
        form["action"], data={"csrf_token": csrf_token(client, "/imports/"), "sha256": sha}
    )
    assert again.status_code == 409  # applied already: said, not applied twice


def test_a_refused_file_shows_every_bad_row_and_the_upload_again(client, make):
    _agency, _other, reviewer = _world(make)
    sign_in(client, reviewer)
    body = f"{HEADER}\n{credit_code()},甲公司,U1,WH01,小型,是\nx,乙,U2,LC01,巨型,是\n".encode()
    page = client.get(_upload(client, "list", "bad.csv", body).location)
    rows = [r.get_text(" ", strip=True) for r in soup(page).select("#problem-rows tbody tr")]
    assert any(r.startswith("2 医保经办机构代码 WH01") for r in rows), rows
    assert any(r.startswith("3 企业划型 巨型") for r in rows), rows
    assert soup(page).select_one("input[type=file]")
    csv_link = soup(page).find("a", href=re.compile(r"problems\.csv$"))["href"]
    download = client.get(csv_link)
    assert download.data.decode("utf-8-sig").splitlines()[0] == "行号,列,问题"
    assert "第" not in download.data.decode("utf-8-sig")  # line numbers are a column
    assert db.session.scalar(select(func.count()).select_from(Employer)) == 0


def test_another_agencys_record_is_a_404(client, make):
    _agency, other, reviewer = _world(make)
    foreign = ImportRecord(
        kind="list",
        status="refused",
        file_name="x.csv",
        sha256="0" * 64,
        size=1,
        agency_id=other.id,
        errors=[],
        conflicts=[],
    )
    db.session.add(foreign)
    make.commit()
    sign_in(client, reviewer)
    assert client.get(f"/imports/{foreign.id}").status_code == 404


def test_empty_and_wrong_kind_uploads_get_the_forms_message(client, make):
    _agency, _other, reviewer = _world(make)
    sign_in(client, reviewer)
    empty = _upload(client, "list", "empty.csv", b"")
    assert empty.status_code == 200 and "请选择 CSV 或 .xlsx 文件" in text_of(empty)
    wrong = _upload(client, "everything", "x.csv", b"a,b\n")
    assert wrong.status_code == 200 and soup(wrong).select_one(".error-summary")


def test_a_reviewer_without_an_agency_imports_nothing(client, make):
    lost = make.user(staff_role="reviewer")
    make.commit()
    sign_in(client, lost)
    assert client.get("/imports/").status_code == 403


def test_a_second_confirmation_of_an_applied_file_changes_nothing(client, make):
    from portal.features.imports.operations import ImportError_, apply_checked, check_upload

    agency, _other, reviewer = _world(make)
    body = f"{HEADER}\n{credit_code()},甲公司,U1,LC01,小型,是\n".encode()
    record = check_upload(
        "list", "a\x00\u202e.csv", body, actor=reviewer, scope_agency_id=agency.id
    )
    assert record.file_name == "a.csv"
    apply_checked(record, record.sha256, actor=reviewer)
    import pytest

    with pytest.raises(ImportError_):
        apply_checked(record, record.sha256, actor=reviewer)
    assert db.session.scalar(select(func.count()).select_from(Employer)) == 1
