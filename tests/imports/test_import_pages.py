"""The import pages: upload, check (refused or what will happen), apply on purpose."""

from __future__ import annotations

import io
import re

import openpyxl
import pytest
from sqlalchemy import func, select

from portal.core.extensions import db
from portal.models import Employer, ImportRecord, UploadedFile, UploadedFileChunk
from tests.applications.helpers import multipart_post, soup, text_of
from tests.conftest import csrf_token, sign_in, through_job
from tests.factories import credit_code

HEADER = "统一社会信用代码,单位名称,医保单位编号,医保经办机构代码,企业划型,是否纳入缓缴名单"


def _upload(client, kind: str, name: str, body: bytes):
    return through_job(
        client,
        multipart_post(
            client,
            "/imports/",
            {"csrf_token": csrf_token(client, "/imports/"), "kind": kind},
            [("file", name, body)],
        ),
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
    applied = through_job(
        client,
        client.post(
            form["action"], data={"csrf_token": csrf_token(client, "/imports/"), "sha256": sha}
        ),
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


@pytest.mark.parametrize("file_format", ["csv", "gb18030", "xlsx"])
def test_a_file_kept_in_many_chunks_reads_as_one(client, make, monkeypatch, file_format):
    """The upload is kept a chunk at a time (portal/core/chunks.py) and read back as one
    stream: characters cut between chunks, and an .xlsx archive's seeks, read as in the file."""
    from portal.core import chunks

    monkeypatch.setattr(chunks, "CHUNK_BYTES", 61)  # a prime: chunks cut every character
    _agency, _other, reviewer = _world(make)
    sign_in(client, reviewer)
    rows = [
        [credit_code(serial=i + 1), f"甲乙丙丁公司{i}", f"U{i}", "LC01", "小型", "是"]
        for i in range(30)
    ]
    if file_format == "xlsx":
        book = openpyxl.Workbook()
        book.active.append(HEADER.split(","))
        for row in rows:
            book.active.append(row)
        buffer = io.BytesIO()
        book.save(buffer)
        name, body = "名单.xlsx", buffer.getvalue()
    else:
        text = "\n".join([HEADER, *(",".join(row) for row in rows)]) + "\n"
        name, body = "名单.csv", text.encode("gb18030" if file_format == "gb18030" else "utf-8")
    response = _upload(client, "list", name, body)
    page = client.get(response.location)
    assert "新增 30 条" in text_of(page), text_of(page)[:500]
    record = db.session.scalar(select(ImportRecord))
    assert record.size == len(body)
    sha = soup(page).select_one("input[name=sha256]")["value"]
    through_job(
        client,
        client.post(
            f"/imports/{record.id}/apply",
            data={"csrf_token": csrf_token(client, "/imports/"), "sha256": sha},
        ),
    )
    names = set(db.session.scalars(select(Employer.name)))
    assert names == {row[1] for row in rows}
    assert db.session.scalar(select(func.count()).select_from(UploadedFileChunk)) == 0


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


def test_the_refusals_are_in_line_order_each_with_the_cell_as_in_the_file(client, make):
    """Issue 28 item 14: a row refused with its batch (another agency's employer, a repeated
    row) came after the cell errors of later lines, and showed nothing under 文件中的内容."""
    _agency, other, reviewer = _world(make)
    theirs = make.employer(other)
    make.commit()
    sign_in(client, reviewer)
    code = theirs.credit_code
    body = (
        f"{HEADER}\n{code},甲公司,U1,LC01,小型,是\n{credit_code()},乙,U2,LC01,巨型,是\n"
        f"{code},甲公司,U1,LC01,小型,是\n"
    ).encode()
    page = client.get(_upload(client, "list", "bad.csv", body).location)
    rows = [
        [td.get_text(" ", strip=True) for td in r.select("td")]
        for r in soup(page).select("#problem-rows tbody tr")
    ]
    assert [r[:3] for r in rows] == [
        ["2", "统一社会信用代码", code],
        ["3", "企业划型", "巨型"],
        ["4", "统一社会信用代码", code],
    ], rows
    unknown = credit_code()
    body = (
        "统一社会信用代码,费款所属期,缴费人数,缴费基数,单位缴费金额,个人缴费金额\n"
        f"{unknown},2022-07,3,30000,2250,600\n{code},2022-13,3,30000,2250,600\n"
    ).encode()
    page = client.get(_upload(client, "assessments", "a.csv", body).location)
    rows = [
        [td.get_text(" ", strip=True) for td in r.select("td")][:3]
        for r in soup(page).select("#problem-rows tbody tr")
    ]
    assert rows == [["2", "统一社会信用代码", unknown], ["3", "费款所属期", "2022-13"]], rows


def test_the_check_page_says_what_applying_will_do_not_what_it_did(client, make):
    """Issue 28 item 14: the check page says what applying will do; issue 22 item 3: a change
    to a confirmed employer is listed under "needs a decision", not applied."""
    agency, _other, reviewer = _world(make)
    employer = make.employer(agency)
    make.decision(employer, make.user(employer=employer))
    make.commit()
    sign_in(client, reviewer)
    body = f"{HEADER}\n{employer.credit_code},{employer.name},U1,LC01,大型,是\n".encode()
    page = client.get(_upload(client, "list", "名单.csv", body).location)
    held = soup(page).select_one("#needs-decision").get_text(" ", strip=True)
    assert "将不会应用" in held and "未应用" not in held, held
    assert employer.credit_code in held and "小型企业 → 大型企业" in held, held
    assert "缓缴终止" in held and "内医保办发〔2022〕19号 三（一）2" in held, held
    form = soup(page).select_one("form[action$='/apply']")
    sha = form.select_one("input[name=sha256]")["value"]
    token = csrf_token(client, "/imports/")
    applied = through_job(
        client, client.post(form["action"], data={"csrf_token": token, "sha256": sha})
    )
    done = soup(client.get(applied.location)).select_one("#needs-decision")
    assert "未应用" in done.get_text(" ", strip=True), done
    assert done.select_one(".held-card a[href^='/held/']").get_text(strip=True) == "等待决定"
    assert db.session.get(Employer, employer.id).size_class == "small"


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
