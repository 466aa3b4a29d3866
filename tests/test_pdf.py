"""The signed commitment letter as a real PDF, read back with pypdf (issue 6; DOMAIN.md §9).

Each render takes seconds (fontTools subsets the CJK font), so the letters are rendered once per
module and shared by the tests that read them.
"""

from __future__ import annotations

import dataclasses
import io
import os
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import jinja2
import pypdf
import pytest
import segno

from portal.core import pdf, weasy
from portal.letters import document
from portal.letters.text import COMMITMENT_TEXT, COMMITMENT_TITLE

REPO_ROOT = Path(__file__).resolve().parent.parent

HOSTILE_NAME = '示例<script>alert("x")</script>有限公司'
HOSTILE_HALL = "<img src=http://evil.example/track.png>大厅"


def make_letter(**changes: object) -> document.CommitmentLetterData:
    values: dict[str, object] = dict(
        reference="CA-2022-000123",
        employer_name="聊城市东昌府区示例商贸有限公司",
        credit_code="91371502MA3C4XYZ1K",
        insurance_unit_number="37150200123",
        program_name="山东省阶段性缓缴职工医保单位缴费",
        period_label="2022-07 至 2022-09",
        signed_at=datetime(2022, 7, 15, 2, 30, tzinfo=UTC),
        signature_method="online",
        signatory_name="张三",
        verification_code="7K3M-Q9TX-2B8D-WZ4R-H6NP",
        verify_url="https://portal.example.cn/verify/7K3M-Q9TX-2B8D-WZ4R-H6NP",
        issued_on=date(2022, 7, 15),
    )
    values.update(changes)
    return document.CommitmentLetterData(**values)  # type: ignore[arg-type]


PAPER = dict(
    signature_method="paper",
    signatory_name="李四",
    hall_name="聊城市医疗保障服务大厅",
    received_by="王五",
    signed_at=datetime(2022, 8, 1, 1, 0, tzinfo=UTC),
    issued_on=date(2022, 8, 3),
    decision="已批准 approved 2022-08-03 聊城市医疗保障局",
)


@pytest.fixture(scope="module")
def online_pdf() -> bytes:
    return document.render_commitment_letter(make_letter())


@pytest.fixture(scope="module")
def paper_pdf() -> bytes:
    return document.render_commitment_letter(make_letter(**PAPER))


def text_of(data: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages)


def squashed(text: str) -> str:
    """Drop all whitespace: extraction wraps lines where the layout did."""
    return "".join(text.split())


def fonts_of(data: bytes) -> list[tuple[str, bool]]:
    """Return (BaseFont, is_embedded) for every font used on every page."""
    reader = pypdf.PdfReader(io.BytesIO(data))
    found = []
    for page in reader.pages:
        for ref in page["/Resources"]["/Font"].values():
            font = ref.get_object()
            described = font
            if "/DescendantFonts" in font:
                described = font["/DescendantFonts"][0].get_object()
            descriptor = described["/FontDescriptor"].get_object()
            embedded = any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3"))
            found.append((str(font["/BaseFont"]), embedded))
    return found


def image_count(data: bytes) -> int:
    reader = pypdf.PdfReader(io.BytesIO(data))
    return sum(len(page.images) for page in reader.pages)


# --- the letter's content -------------------------------------------------------------


def test_letter_contains_title_and_verbatim_body(online_pdf: bytes) -> None:
    text = squashed(text_of(online_pdf))
    assert squashed(COMMITMENT_TITLE) in text
    assert squashed(COMMITMENT_TEXT) in text


def test_commitment_text_is_the_source_text() -> None:
    # A guard against edits: the body as DOMAIN.md §9 quotes it, start, middle and end.
    assert COMMITMENT_TEXT.startswith(
        "我单位承诺：单位划型符合《关于印发中小企业划型标准规定的通知》"
    )
    assert "（工信部联企业〔2011〕300号）" in COMMITMENT_TEXT
    assert COMMITMENT_TEXT.endswith("若提供虚假信息，一切后果由我单位承担。")
    assert COMMITMENT_TEXT == squashed(COMMITMENT_TEXT)


def test_letter_shows_particulars_reference_and_code(online_pdf: bytes) -> None:
    text = squashed(text_of(online_pdf))
    for value in (
        "聊城市东昌府区示例商贸有限公司",
        "91371502MA3C4XYZ1K",
        "37150200123",
        "山东省阶段性缓缴职工医保单位缴费",
        "2022-07至2022-09",
        "CA-2022-000123",
        "7K3M-Q9TX-2B8D-WZ4R-H6NP",
        "承诺单位（章）",
        "单位法定代表人签字",
    ):
        assert value in text


def test_online_signature_is_recorded_in_beijing_time(online_pdf: bytes) -> None:
    text = squashed(text_of(online_pdf))
    # 02:30 UTC is 10:30 in Asia/Shanghai.
    assert squashed("法定代表人 张三 于 2022-07-15 10:30（北京时间）在线签署") in text
    assert squashed("Legal representative 张三 signed online at 2022-07-15 10:30") in text
    assert squashed("2022 年 7 月 15 日") in text
    assert "纸质签署" not in text


def test_paper_signature_names_hall_staff_and_decision(paper_pdf: bytes) -> None:
    text = squashed(text_of(paper_pdf))
    assert (
        squashed("李四 于 2022-08-01 在 聊城市医疗保障服务大厅 纸质签署，经办人 王五 受理") in text
    )
    assert (
        squashed("Signed on paper at 聊城市医疗保障服务大厅 on 2022-08-01, received by 王五")
        in text
    )
    assert squashed("已批准 approved 2022-08-03 聊城市医疗保障局") in text
    assert "在线签署" not in text


def test_date_line_uses_the_signing_day_in_shanghai() -> None:
    # 2022-07-15 17:00 UTC is already 2022-07-16 in Shanghai.
    context = document.commitment_letter_context(
        make_letter(signed_at=datetime(2022, 7, 15, 17, 0, tzinfo=UTC), issued_on=date(2022, 7, 16))
    )
    assert (context["signed_year"], context["signed_month"], context["signed_day"]) == (
        "2022",
        "7",
        "16",
    )
    assert context["signed_at_local"] == "2022-07-16 01:00"


def test_letter_data_rejects_naive_time_and_incomplete_paper_record() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        make_letter(signed_at=datetime(2022, 7, 15, 10, 30))
    with pytest.raises(ValueError, match="hall_name"):
        make_letter(signature_method="paper", hall_name=None, received_by=None)
    with pytest.raises(ValueError, match="signature method"):
        make_letter(signature_method="fax")


def test_qr_code_encodes_the_verify_url() -> None:
    letter = make_letter()
    html = pdf.render_html("commitment_letter.html", document.commitment_letter_context(letter))
    expected = segno.make(letter.verify_url, error="m").svg_inline(scale=1, border=4, omitsize=True)
    other = segno.make("https://elsewhere.example/", error="m").svg_inline(
        scale=1, border=4, omitsize=True
    )
    assert expected in html
    assert other not in html


# --- the PDF as a file ----------------------------------------------------------------


def test_page_is_a4(online_pdf: bytes) -> None:
    reader = pypdf.PdfReader(io.BytesIO(online_pdf))
    for page in reader.pages:
        width_mm = float(page.mediabox.width) * 25.4 / 72
        height_mm = float(page.mediabox.height) * 25.4 / 72
        assert (round(width_mm), round(height_mm)) == (210, 297)


def test_only_noto_sans_cjk_is_used_and_it_is_embedded(online_pdf: bytes, paper_pdf: bytes) -> None:
    for data in (online_pdf, paper_pdf):
        fonts = fonts_of(data)
        assert fonts
        for base_font, embedded in fonts:
            # BaseFont is "ABCDEF+Noto-Sans-CJK-SC": a subset tag, then the family.
            assert "NotoSansCJKSC" in base_font.replace("-", "").replace(" ", "")
            assert embedded


def test_metadata_dates_come_from_the_signature(online_pdf: bytes, paper_pdf: bytes) -> None:
    online = pypdf.PdfReader(io.BytesIO(online_pdf)).metadata
    assert online.creation_date == datetime(2022, 7, 15, 2, 30, tzinfo=UTC)
    assert online.modification_date == datetime(2022, 7, 15, 2, 30, tzinfo=UTC)
    paper = pypdf.PdfReader(io.BytesIO(paper_pdf)).metadata
    # Re-issued on approval: modified at the start of the issue day in Shanghai.
    assert paper.creation_date == datetime(2022, 8, 1, 1, 0, tzinfo=UTC)
    assert paper.modification_date == datetime(2022, 8, 3, tzinfo=timezone(timedelta(hours=8)))


def test_same_letter_gives_identical_bytes(online_pdf: bytes) -> None:
    again = document.render_commitment_letter(make_letter())
    assert again == online_pdf
    assert pdf.sha256_hex(again) == pdf.sha256_hex(online_pdf)


def test_same_letter_gives_identical_bytes_in_another_process(online_pdf: bytes) -> None:
    # A fresh interpreter with another hash seed and a later clock renders the same bytes.
    script = (
        "import sys, hashlib\n"
        "sys.path[:0] = [sys.argv[1], sys.argv[2]]\n"
        "from test_pdf import make_letter\n"
        "from portal.core import pdf\n"
        "from portal.letters import document\n"
        "print(pdf.sha256_hex(document.render_commitment_letter(make_letter())))\n"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345", "PYTHONWARNINGS": "ignore"}
    env.pop("SOURCE_DATE_EPOCH", None)
    result = subprocess.run(
        [sys.executable, "-c", script, str(REPO_ROOT), str(Path(__file__).parent)],
        capture_output=True,
        text=True,
        env=env,
        check=True,
        timeout=300,
    )
    assert result.stdout.strip() == pdf.sha256_hex(online_pdf)


def test_another_code_gives_other_bytes(online_pdf: bytes) -> None:
    code = "AAAA-BBBB-CCCC-DDDD-EEEE"
    other = document.render_commitment_letter(
        make_letter(verification_code=code, verify_url=f"https://portal.example.cn/verify/{code}")
    )
    assert other != online_pdf
    assert code in text_of(other)


def test_render_leaves_source_date_epoch_as_it_was(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "42")
    with pdf._fixed_font_timestamps():
        assert os.environ["SOURCE_DATE_EPOCH"] == pdf._FONT_TIMESTAMP_EPOCH
    assert os.environ["SOURCE_DATE_EPOCH"] == "42"
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    with pdf._fixed_font_timestamps():
        pass
    assert "SOURCE_DATE_EPOCH" not in os.environ


def test_sha256_hex() -> None:
    assert pdf.sha256_hex(b"") == (
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    )


# --- user values are text, never markup -----------------------------------------------


def test_user_values_are_escaped_in_html() -> None:
    letter = make_letter(employer_name=HOSTILE_NAME, **{**PAPER, "hall_name": HOSTILE_HALL})
    html = pdf.render_html("commitment_letter.html", document.commitment_letter_context(letter))
    assert "<script" not in html
    assert "<img" not in html
    assert "&lt;script&gt;" in html
    assert "&lt;img src=http://evil.example/track.png&gt;" in html


def test_user_values_show_as_text_in_pdf() -> None:
    letter = make_letter(employer_name=HOSTILE_NAME, **{**PAPER, "hall_name": HOSTILE_HALL})
    # Had the <img> been markup, the fetcher would have refused it and render_pdf raised.
    data = document.render_commitment_letter(letter)
    text = squashed(text_of(data))
    assert squashed(HOSTILE_NAME) in text
    assert squashed(HOSTILE_HALL) in text
    assert image_count(data) == 0


# --- the URL fetcher serves only static/pdf -------------------------------------------


def test_fetcher_serves_the_package_stylesheet() -> None:
    fetcher = weasy.PackageAssetFetcher()
    response = fetcher.fetch(pdf.PDF_ASSETS_BASE_URL + "letter.css")
    assert b"Noto Sans CJK SC" in response.read()
    assert response.content_type == "text/css"
    assert fetcher.failures == []


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/letter.css",
        "https://example.com/letter.css",
        "ftp://example.com/letter.css",
        "data:text/css,body{color:red}",
        "file:///etc/passwd",
        "file://otherhost" + str(pdf.PDF_ASSETS_DIR / "letter.css"),
        pdf.PDF_ASSETS_BASE_URL + "../../pyproject.toml",
        pdf.PDF_ASSETS_BASE_URL + "%2e%2e/%2e%2e/pyproject.toml",
        pdf.PDF_ASSETS_BASE_URL + "missing.css",
        pdf.PDF_ASSETS_BASE_URL + "letter.css%00.png",
        pdf.PDF_ASSETS_BASE_URL,
    ],
)
def test_fetcher_refuses_everything_else(url: str) -> None:
    fetcher = weasy.PackageAssetFetcher()
    with pytest.raises(pdf.AssetRefusedError):
        fetcher.fetch(url)
    assert fetcher.failures == [url]


def test_fetcher_refuses_symlinks_out_of_the_assets_dir(tmp_path: Path) -> None:
    assets = tmp_path / "assets"
    assets.mkdir()
    secret = tmp_path / "secret.css"
    secret.write_text("body { color: red }")
    (assets / "link.css").symlink_to(secret)
    fetcher = weasy.PackageAssetFetcher(assets)
    with pytest.raises(pdf.AssetRefusedError):
        fetcher.fetch((assets / "link.css").as_uri())


def hostile_references(tmp_path: Path) -> str:
    """HTML that reaches outside static/pdf in every way; loading any of it would show."""
    evil_css = tmp_path / "evil.css"
    evil_css.write_text("@page { size: A5 } body { background: red }")
    escape = os.path.relpath(evil_css, pdf.PDF_ASSETS_DIR)
    assert escape.startswith("../")
    return (
        '<link rel="stylesheet" href="http://127.0.0.1:9/evil.css">'
        f'<link rel="stylesheet" href="{escape}">'
        f'<link rel="stylesheet" href="{evil_css.as_uri()}">'
        '<img src="https://example.com/pixel.png">'
        '<img src="file:///etc/passwd">'
        '<div style="width:9mm;height:9mm;background:url(file:///etc/hostname)"></div>'
    )


def test_weasyprint_with_the_fetcher_loads_nothing_outside(tmp_path: Path) -> None:
    import weasyprint

    fetcher = weasy.PackageAssetFetcher()
    # No text in this page, so no fonts to subset: the render stays fast.
    data = weasyprint.HTML(
        string=f"<!DOCTYPE html><html><body>{hostile_references(tmp_path)}</body></html>",
        base_url=pdf.PDF_ASSETS_BASE_URL,
        url_fetcher=fetcher,
    ).write_pdf()
    assert image_count(data) == 0
    page = pypdf.PdfReader(io.BytesIO(data)).pages[0]
    # The escaped stylesheets would have made the page A5.
    assert round(float(page.mediabox.width) * 25.4 / 72) == 210
    assert "http://127.0.0.1:9/evil.css" in fetcher.failures
    assert (tmp_path / "evil.css").as_uri() in fetcher.failures
    assert "https://example.com/pixel.png" in fetcher.failures
    assert "file:///etc/passwd" in fetcher.failures
    assert "file:///etc/hostname" in fetcher.failures
    assert len(fetcher.failures) == 6


def test_render_pdf_fails_when_a_template_reaches_outside(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    template = f"<html><body>{hostile_references(tmp_path)}</body></html>"
    environment = jinja2.Environment(
        loader=jinja2.DictLoader({"evil.html": template}), autoescape=True
    )
    monkeypatch.setattr(pdf, "_jinja", environment)
    with pytest.raises(pdf.PdfAssetError, match="etc/passwd"):
        pdf.render_pdf("evil.html", {})


def test_letter_data_is_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        make_letter().reference = "other"  # type: ignore[misc]


def test_an_approved_letter_keeps_its_qr_code_on_its_one_page(paper_pdf: bytes) -> None:
    """Issue 15 item 14: the approved letter spilled its QR code onto a second page."""
    long_name = "聊城市东昌府区" + "示例" * 30 + "有限公司"
    approved = document.render_commitment_letter(
        make_letter(**{**PAPER, "employer_name": long_name})
    )
    for data in (paper_pdf, approved):
        reader = pypdf.PdfReader(io.BytesIO(data))
        assert len(reader.pages) == 1
        assert "7K3M-Q9TX-2B8D-WZ4R-H6NP" in reader.pages[0].extract_text()
