"""The signed letter as a real PDF (pypdf), byte-identical downloads, and public verification."""

from __future__ import annotations

import io
import re
from datetime import date

import pypdf
from sqlalchemy import select

from portal.core.extensions import db
from portal.core.pdf import sha256_hex
from portal.letters.stored import period_label
from portal.letters.text import COMMITMENT_TEXT
from portal.models import CommitmentApplication, StoredLetter
from tests.applications.helpers import (
    PNG,
    base,
    english,
    multipart_post,
    sign,
    soup,
    submit,
    submitted_application,
    text_of,
    upload,
    walk_to_sign,
)
from tests.conftest import post_form, sign_in


def _flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _pdf_text(data: bytes) -> str:
    return _flat("".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages))


def test_signing_renders_a_real_letter_and_approval_reissues_it(client, people):
    """Two real WeasyPrint renders: signing, then approval."""
    employer = people["employer"]
    sign_in(client, people["owner"])
    english(client)
    walk_to_sign(client, employer)
    sign(client, employer)
    upload(client, employer, ("payroll.png", PNG))  # 相关证明材料 (鲁医保发〔2022〕21号 四)
    submit(client, employer)
    application = db.session.scalar(select(CommitmentApplication))
    signed = application.letters[0]
    page = soup(client.get(f"{base(employer)}/{application.id}"))
    link = page.select_one("table.letters a")["href"]
    first, again = client.get(link), client.get(link)
    assert first.headers["Content-Type"] == "application/pdf"
    assert first.headers["Content-Disposition"].startswith("attachment")
    assert first.data == again.data == signed.pdf
    assert sha256_hex(first.data) == signed.sha256
    text = _pdf_text(first.data)
    assert _flat(COMMITMENT_TEXT) in text
    assert _flat(employer.name) in text and employer.credit_code in text
    assert signed.verification_code in text and application.reference in text
    assert "2022-07至2022-09" in text  # Liaocheng's default period
    assert "张三" in text

    sign_in(client, people["reviewer"])
    post_form(client, f"/review/{application.id}/approve", token_from=f"/review/{application.id}")
    db.session.expire_all()
    application = db.session.get(CommitmentApplication, application.id)
    old, new = application.letters
    assert old.superseded_at is not None and new.kind == "approved"
    assert "审核通过2022-08-15" in _pdf_text(new.pdf)
    assert client.get(f"/review/{application.id}/letters/{new.id}").data == new.pdf
    # The signed letter's code now says it was superseded; the new one is approved.
    assert "Superseded" in text_of(client.get(f"/verify/{old.verification_code}"))
    assert "Approved by the agency" in text_of(client.get(f"/verify/{new.verification_code}"))


def test_verify_shows_name_status_date_and_hash_only(client, people):
    application = submitted_application(people["employer"])
    letter = application.letters[0]
    db.session.commit()
    english(client)
    code = letter.verification_code.lower().replace("-", "")
    response = client.get(f"/verify/{code}")
    assert response.status_code == 200
    page = soup(response)
    summary = page.select_one("dl.verification")
    assert summary.select_one(".employer").get_text() == people["employer"].name
    # Issue 15 item 5: a letter whose application waits for review is not "valid" yet.
    assert summary.select_one(".letter-status").get_text() == (
        "Signed; the agency is reviewing the application"
    )
    assert summary.select_one(".sha256").get_text() == letter.sha256
    assert [dt.get_text() for dt in summary.select("dt")] == [
        "Employer",
        "Letter status",
        "Issued",
        "SHA-256",
    ]
    assert people["employer"].credit_code not in page.get_text()
    assert application.reference not in page.get_text()


def test_verify_says_when_the_application_was_rejected(client, people):
    application = submitted_application(people["employer"], status="rejected", decision_reason="x")
    db.session.commit()
    english(client)
    page = text_of(client.get(f"/verify/{application.letters[0].verification_code}"))
    assert "Application rejected" in page


def test_verify_says_approved_only_once_the_agency_approved(client, people):
    application = submitted_application(people["employer"], status="approved")
    db.session.commit()
    english(client)
    page = text_of(client.get(f"/verify/{application.letters[0].verification_code}"))
    assert "Approved by the agency" in page


def test_an_unknown_or_malformed_code_is_a_404_that_says_so_in_words(client, people):
    response = client.get("/verify/0000-0000-0000-0000-0000")
    assert response.status_code == 404
    page = text_of(response)
    assert "没有承诺书使用验证码 0000-0000-0000-0000-0000" in page
    assert "页面不存在" not in page
    english(client)
    response = client.get("/verify/0000-0000-0000-0000-0000")
    assert response.status_code == 404
    assert "No commitment letter issued by this portal has the verification code" in (
        text_of(response)
    )
    response = client.get("/verify/not-a-code")
    assert response.status_code == 404
    assert "not-a-code is not a verification code" in text_of(response)
    assert "Page not found" not in text_of(response)


def test_the_upload_check_compares_bytes(client, people):
    application = submitted_application(people["employer"])
    letter = db.session.scalar(select(StoredLetter))
    db.session.commit()
    english(client)
    path = f"/verify/{letter.verification_code}"
    exact = multipart_post(client, path, {}, [("pdf", "letter.pdf", letter.pdf)])
    assert "exactly the letter we issued" in soup(exact).select_one(".match").get_text()
    flipped = bytearray(letter.pdf)
    flipped[len(flipped) // 2] ^= 0x01
    changed = multipart_post(client, path, {}, [("pdf", "letter.pdf", bytes(flipped))])
    assert soup(changed).select_one(".match") is None
    assert "is not the letter we issued" in soup(changed).select_one(".no-match").get_text()
    assert application.id


def test_the_lookup_form_leads_to_the_letter(client, people):
    application = submitted_application(people["employer"])
    db.session.commit()
    code = application.letters[0].verification_code
    response = client.get(f"/verify/?code={code.lower()}")
    assert response.location.endswith(f"/verify/{code}")
    english(client)
    assert "Enter the verification code" in text_of(client.get("/verify/?code=nonsense"))


def test_the_eleventh_lookup_in_a_minute_gets_429(client, people, frozen_minute):
    application = submitted_application(people["employer"])
    db.session.commit()
    code = application.letters[0].verification_code
    statuses = [client.get(f"/verify/{code}").status_code for _ in range(10)]
    statuses.append(client.get("/verify/0000-0000-0000-0000-0000").status_code)
    assert statuses == [200] * 10 + [429]
    assert client.get(f"/verify/{code}").headers.get("Retry-After")


def test_the_letter_names_the_period_a_new_business_gets(make):
    """鲁医保发〔2022〕21号 四: a business insured from 2022-08 defers from that month."""
    employer = make.employer(make.agency(), list_status="not_listed")
    make.commit()
    on = date(2022, 8, 15)
    assert period_label(employer, on) == "2022-07 至 2022-09"
    employer.first_insured_month = "2022-08"
    assert period_label(employer, on) == "2022-08 至 2022-10"
    employer.first_insured_month, employer.is_july_paid = None, True
    assert period_label(employer, on) == "2022-08 至 2022-10"
