"""An unlisted employer applies, signs the commitment letter and downloads the PDF, in Chromium."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from portal.core.extensions import db
from portal.letters.text import COMMITMENT_TEXT
from portal.models import Employer, Membership, User
from tests.browser.conftest import SCREENSHOTS, screenshot, sign_in
from tests.factories import PASSWORD, password_hash
from tests.files import png as png_bytes

pytestmark = pytest.mark.browser


@pytest.fixture
def unlisted_owner(live_server):
    _base_url, app = live_server
    with app.app_context():
        employer = db.session.scalar(
            select(Employer).where(Employer.name == "聊城市未列名餐饮有限公司")
        )
        user = User(username="owner-d", display_name="孙老板", password_hash=password_hash())
        db.session.add(user)
        db.session.flush()
        db.session.add(Membership(user_id=user.id, employer_id=employer.id, role="owner"))
        db.session.commit()
        return employer.id, employer.name, employer.credit_code


def _continue(page) -> None:
    page.click("main form:not(.inline) button.button, main a.button >> nth=-1")


def test_apply_sign_and_download_the_letter(live_server, page, unlisted_owner, tmp_path):
    base_url, _app = live_server
    employer_id, name, credit_code = unlisted_owner
    sign_in(page, base_url, "owner-d", PASSWORD)
    page.goto(f"{base_url}/e/{employer_id}/")
    page.click("#next-step a.button")
    page.click("main form button.button")  # start now
    # The unit kind comes from the credit code, so the journey goes straight to the industry.
    page.check("input[name=industry][value=catering]")
    page.click("main form button.button")
    page.fill("#employees", "25")
    page.fill("#revenue", "300")
    page.click("main form button.button")
    assert "小型企业" in page.inner_text("main")
    page.click("main a.button")  # to evidence
    # Liaocheng asks for 相关证明材料 with the 承诺书 (鲁医保发〔2022〕21号 四).
    page.set_input_files(
        "input[type=file]",
        files=[{"name": "营业执照.png", "mimeType": "image/png", "buffer": png_bytes()}],
    )
    page.click("main form button.button-secondary")  # upload
    assert "营业执照.png" in page.inner_text("main")
    page.click("main a.button >> text=继续")  # to the letter
    assert COMMITMENT_TEXT[:30] in page.inner_text("main").replace("\n", "")
    page.click("main a.button")  # to signing
    page.fill("#signatory_name", "孙老板")
    page.check("input[name=statement]")
    page.fill("#password", PASSWORD)
    page.click("main form button.button")
    page.click("form[action$='/submit'] button.button")
    assert "3" in page.inner_text("main")
    screenshot(page, "commitment-submitted")
    letter_link = page.locator("a[href*='/applications/letters/']").first
    if letter_link.count() == 0:
        page.goto(f"{base_url}/e/{employer_id}/applications/")
        letter_link = page.locator("a[href*='/letters/']").first
    with page.expect_download() as download_info:
        letter_link.click()
    pdf_path = tmp_path / "letter.pdf"
    download_info.value.save_as(pdf_path)
    text = (
        "".join(p.extract_text() for p in PdfReader(pdf_path).pages)
        .replace("\n", "")
        .replace(" ", "")
    )
    assert COMMITMENT_TEXT in text and name in text and credit_code in text
    pdftoppm = shutil.which("pdftoppm")
    assert pdftoppm, "poppler-utils (pdftoppm) is installed by make test"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            pdftoppm,
            "-png",
            "-r",
            "60",
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            str(pdf_path),
            str(SCREENSHOTS / "commitment-letter-page-1"),
        ],
        check=True,
    )
    png = SCREENSHOTS / "commitment-letter-page-1.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 5_000
