"""Hostile uploads: PDFs that could act when opened are refused, images are kept re-encoded."""

from __future__ import annotations

import io
import zlib

import pikepdf
import pytest
from PIL import Image

from portal.core import contents
from portal.core.uploads import EvidenceError, Upload, check_uploads
from tests import files
from tests.applications.helpers import base, errors, upload, walk_to_sign
from tests.conftest import sign_in, uploaded_files

JAVASCRIPT = pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String("app.alert(1)"))


def code_of(data: bytes) -> str:
    with pytest.raises(EvidenceError) as caught:
        check_uploads([Upload("x.pdf", data)], already=0)
    return caught.value.code


def _pdf_with(edit, **save) -> bytes:
    document = pikepdf.new()
    document.add_blank_page()
    edit(document)
    out = io.BytesIO()
    document.save(out, **save)
    return out.getvalue()


def _attachment(document):
    document.attachments["payload.exe"] = pikepdf.AttachedFileSpec(document, b"MZ\x90\x00")


def _page_action(document):
    document.pages[0].obj["/AA"] = pikepdf.Dictionary(O=JAVASCRIPT)


def _launch(document):
    document.Root.OpenAction = pikepdf.Dictionary(S=pikepdf.Name.Launch, F=pikepdf.String("cmd"))


def _named_script(document):
    document.Root.Names = pikepdf.Dictionary(
        JavaScript=pikepdf.Dictionary(Names=pikepdf.Array([pikepdf.String("a"), JAVASCRIPT]))
    )


@pytest.mark.parametrize(
    "data",
    [
        files.pdf(OpenAction=JAVASCRIPT),
        _pdf_with(_page_action),
        _pdf_with(_launch),
        _pdf_with(_attachment),
        _pdf_with(_named_script),
        # Hidden in a compressed object stream: only a parser finds it.
        _pdf_with(_named_script, object_stream_mode=pikepdf.ObjectStreamMode.generate),
    ],
    ids=["open-action", "page-action", "launch", "embedded-file", "named-script", "obj-stream"],
)
def test_pdfs_that_act_when_opened_are_refused(data):
    assert code_of(data) == "active_content"


def test_an_escaped_name_is_still_javascript():
    plain = files.pdf(OpenAction=JAVASCRIPT)
    assert b"/JavaScript" in plain
    # /J#61vaScript is /JavaScript to every reader; the offsets change by two bytes, which
    # qpdf repairs as a reader would.
    assert code_of(plain.replace(b"/JavaScript", b"/J#61vaScript")) == "active_content"


@pytest.mark.parametrize(
    "tail",
    [b"PK\x03\x04" + b"\x00" * 30, b"<html><script>alert(1)</script></html>", b"%PDF-1.4"],
)
def test_data_after_the_end_of_a_pdf_is_refused(tail):
    assert code_of(files.pdf() + tail) == "active_content"


def test_a_pdf_padded_with_line_breaks_is_fine():
    data = files.pdf() + b"\r\n\r\n"
    assert check_uploads([Upload("x.pdf", data)], already=0)[0].data == data


@pytest.mark.parametrize(
    "data",
    [
        b"%PDF-1.4\n garbage\n%%EOF",
        b"\x89PNG\r\n\x1a\n" + b"\x00" * 64,
        b"\xff\xd8\xff\xe0" + b"\x00" * 64,
    ],
)
def test_files_that_only_start_like_a_pdf_or_image_are_refused(data):
    assert code_of(data) == "damaged"


def test_an_image_is_kept_without_what_was_glued_to_it():
    photo = io.BytesIO()
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (36.0, 27.0, 0.0)}  # GPS: where the photo was taken
    exif[0x0112] = 6  # orientation: turned on its side
    Image.new("RGB", (60, 20), (10, 200, 10)).save(photo, "JPEG", exif=exif, comment=b"hello")
    hostile = photo.getvalue() + b"PK\x03\x04 a zip archive"
    kept = check_uploads([Upload("p.jpg", hostile)], already=0)[0]
    assert kept.mime == "image/jpeg"
    assert b"PK\x03\x04" not in kept.data and b"hello" not in kept.data
    with Image.open(io.BytesIO(kept.data)) as image:
        assert image.format == "JPEG"
        assert image.size == (20, 60)  # turned upright
        assert not image.getexif()


def test_png_text_chunks_are_dropped():
    raw = files.png()
    chunk = b"tEXt" + b"Comment\x00<script>alert(1)</script>"
    text = len(chunk[4:]).to_bytes(4, "big") + chunk + zlib.crc32(chunk).to_bytes(4, "big")
    hostile = raw[:33] + text + raw[33:]
    kept = check_uploads([Upload("p.png", hostile)], already=0)[0]
    assert b"<script>" not in kept.data
    assert kept.data == raw


def test_an_image_with_too_many_pixels_is_refused_before_it_is_decoded():
    big = io.BytesIO()
    Image.new("1", (8000, 8000)).save(big, "PNG")
    assert len(big.getvalue()) < 1_000_000
    assert code_of(big.getvalue()) == "too_many_pixels"
    assert contents.MAX_PIXELS < 8000 * 8000


def test_the_evidence_page_says_what_to_do_and_keeps_nothing(client, make):
    agency = make.agency()
    employer = make.employer(
        agency, list_status="not_listed", size_class=None, size_source=None, industry=None
    )
    owner = make.user(employer=employer, role="owner")
    make.commit()
    sign_in(client, owner)
    walk_to_sign(client, employer)
    before = uploaded_files()
    response = upload(
        client,
        employer,
        ("ok.png", files.png()),
        ("accounts.pdf", files.pdf(OpenAction=JAVASCRIPT)),
    )
    assert response.status_code == 200
    assert errors(response) == [
        "accounts.pdf 含有打开时可能自动运行的脚本、自动操作、嵌入文件或多余数据。"
        "请将其打印为新的 PDF，或扫描纸质文件后上传；本次没有保存任何文件。"
    ]
    assert uploaded_files() == before
    assert client.get(f"{base(employer)}/evidence").status_code == 200
