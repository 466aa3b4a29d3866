"""Hostile uploads: PDFs that could act when opened are refused, images are kept re-encoded."""

from __future__ import annotations

import io
import time
import zipfile
import zlib

import pikepdf
import pytest
from PIL import Image

from portal.core import contents
from portal.core.uploads import EvidenceError, Upload, check_uploads
from tests import files
from tests.applications.helpers import base, errors, soup, upload, walk_to_sign
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


def _zip_with_html() -> bytes:
    """A real ZIP holding evil.html, its comment ending in %%EOF like a PDF's last line."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("evil.html", "<script>alert(document.cookie)</script>")
        archive.comment = b"\n%%EOF"
    return out.getvalue()


def _kept(data: bytes) -> bytes:
    return check_uploads([Upload("x.pdf", data)], already=0)[0].data


TAILS = {
    "zip-ending-in-eof": _zip_with_html(),
    "html-ending-in-eof": b"<html><script>alert(1)</script></html><!--\n%%EOF",
    "zip-header": b"PK\x03\x04" + b"\x00" * 30,
    "second-header": b"%PDF-1.4",
    "line-breaks": b"\r\n\r\n",
}


@pytest.mark.parametrize("tail", TAILS.values(), ids=TAILS.keys())
def test_only_the_pdf_is_kept_of_what_follows_its_end(tail):
    hostile = files.pdf() + tail
    assert hostile.rstrip().endswith(b"%%EOF") or tail in (TAILS["zip-header"], b"%PDF-1.4")
    kept = _kept(hostile)
    assert kept == _kept(files.pdf())  # the document qpdf read, written again
    assert not tail.strip() or tail.strip() not in kept
    assert not zipfile.is_zipfile(io.BytesIO(kept))
    assert b"<script" not in kept and b"evil.html" not in kept
    with pikepdf.open(io.BytesIO(kept)) as pdf:
        assert len(pdf.pages) == 1


def test_the_evidence_served_back_is_only_the_pdf(client, make):
    employer = _drafting(client, make)
    response = upload(client, employer, ("accounts.pdf", files.pdf() + _zip_with_html()))
    assert response.status_code == 302
    link = soup(client.get(f"{base(employer)}/evidence")).select_one("a[href*='/evidence/']")
    served = client.get(link["href"])
    assert served.status_code == 200
    assert served.mimetype == "application/pdf"
    assert served.data == _kept(files.pdf())
    assert not zipfile.is_zipfile(io.BytesIO(served.data))
    assert uploaded_files() and all(b"evil.html" not in body for body in uploaded_files().values())


def _encrypted(user: str) -> bytes:
    document = pikepdf.new()
    document.add_blank_page()
    out = io.BytesIO()
    document.save(out, encryption=pikepdf.Encryption(user=user, owner="owner-secret"))
    return out.getvalue()


def test_a_pdf_that_needs_a_password_is_refused_in_words():
    assert code_of(_encrypted("user-secret")) == "encrypted"


def test_a_pdf_with_only_an_owner_password_is_kept_without_it():
    kept = _kept(_encrypted(""))
    with pikepdf.open(io.BytesIO(kept)) as pdf:
        assert not pdf.is_encrypted and len(pdf.pages) == 1


def _link(action) -> object:
    def edit(document):
        document.pages[0].obj["/Annots"] = pikepdf.Array(
            [
                pikepdf.Dictionary(
                    Type=pikepdf.Name.Annot,
                    Subtype=pikepdf.Name.Link,
                    Rect=pikepdf.Array([0, 0, 100, 20]),
                    A=action,
                )
            ]
        )

    return edit


def _uri(address: bytes):
    return pikepdf.Dictionary(S=pikepdf.Name.URI, URI=pikepdf.String(address))


def _open_action(action):
    def edit(document):
        document.Root.OpenAction = action

    return edit


UNC = pikepdf.String("\\\\evil.example\\share\\x.pdf")
ACTING_LINKS = {
    "uri-javascript": _link(_uri(b"javascript:app.alert(1)")),
    "uri-javascript-hidden": _link(_uri(b" \tJava\nScript:app.alert(1)")),
    "uri-file": _link(_uri(b"file:///C:/Windows/System32/calc.exe")),
    "uri-unc": _link(_uri(b"\\\\evil.example\\share")),
    "uri-relative": _link(_uri(b"evil.exe")),
    "gotor-unc": _link(pikepdf.Dictionary(S=pikepdf.Name.GoToR, F=UNC, D=pikepdf.Array([0]))),
    "launch": _link(pikepdf.Dictionary(S=pikepdf.Name.Launch, F=pikepdf.String("cmd.exe"))),
    "rendition": _link(pikepdf.Dictionary(S=pikepdf.Name.Rendition, OP=0)),
    "submit-form": _link(
        pikepdf.Dictionary(S=pikepdf.Name.SubmitForm, F=pikepdf.String("https://evil.example"))
    ),
    "javascript": _link(JAVASCRIPT),
    "next-javascript": _link(
        pikepdf.Dictionary(S=pikepdf.Name.GoTo, D=pikepdf.Array([0]), Next=JAVASCRIPT)
    ),
    "open-uri": _open_action(_uri(b"https://tracker.example/opened")),
    "open-gotor": _open_action(pikepdf.Dictionary(S=pikepdf.Name.GoToR, F=UNC)),
    "page-open-uri": lambda d: d.pages[0].obj.__setitem__(
        "/AA", pikepdf.Dictionary(O=_uri(b"https://tracker.example/page"))
    ),
}


@pytest.mark.parametrize("edit", ACTING_LINKS.values(), ids=ACTING_LINKS.keys())
def test_links_and_actions_that_launch_submit_or_run_are_refused(edit):
    assert code_of(_pdf_with(edit)) == "active_content"


def _goto_page(document):
    document.Root.OpenAction = pikepdf.Dictionary(
        S=pikepdf.Name.GoTo, D=pikepdf.Array([document.pages[0].obj, pikepdf.Name.Fit])
    )


PLAIN_LINKS = {
    "uri-https": _link(_uri(b"https://www.gov.cn/zhengce/")),
    "uri-http": _link(_uri(b"HTTP://example.com/")),
    "open-at-page": lambda d: d.Root.__setitem__(
        "/OpenAction", pikepdf.Array([d.pages[0].obj, pikepdf.Name.XYZ, None, None, 0])
    ),
    "open-goto": _goto_page,
}


@pytest.mark.parametrize("edit", PLAIN_LINKS.values(), ids=PLAIN_LINKS.keys())
def test_web_links_and_opening_at_a_page_are_kept(edit):
    with pikepdf.open(io.BytesIO(_kept(_pdf_with(edit)))) as pdf:
        assert len(pdf.pages) == 1


def _signed(tail: bytes = b"") -> bytes:
    """A PDF with a signature whose /ByteRange covers the whole file but its /Contents."""
    document = pikepdf.new()
    document.add_blank_page()
    signature = document.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.Sig,
            Filter=pikepdf.Name("/Adobe.PPKLite"),
            SubFilter=pikepdf.Name("/adbe.pkcs7.detached"),
            ByteRange=pikepdf.Array([0, 1111111111, 2222222222, 3333333333]),
            Contents=pikepdf.String(b"\x00" * 64),
        )
    )
    document.Root.AcroForm = pikepdf.Dictionary(
        SigFlags=3,
        Fields=pikepdf.Array(
            [
                document.make_indirect(
                    pikepdf.Dictionary(FT=pikepdf.Name.Sig, T=pikepdf.String("s"), V=signature)
                )
            ]
        ),
    )
    out = io.BytesIO()
    document.save(out, compress_streams=False, object_stream_mode=pikepdf.ObjectStreamMode.disable)
    data = out.getvalue()
    start = data.index(b"/Contents <") + len(b"/Contents ")
    end = data.index(b">", start) + 1
    ranges = [0, start, end, len(data) - end]
    for old, new in zip((b"1111111111", b"2222222222", b"3333333333"), ranges[1:]):
        data = data.replace(old, str(new).rjust(10, "0").encode(), 1)
    return data + tail


def test_a_pdf_signed_to_its_last_byte_is_kept_as_uploaded():
    signed = _signed()
    assert _kept(signed) == signed


def test_a_signed_pdf_with_a_zip_after_it_keeps_only_the_pdf():
    kept = _kept(_signed(_zip_with_html()))
    assert not zipfile.is_zipfile(io.BytesIO(kept)) and b"evil.html" not in kept


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


def _chunk(kind: bytes, body: bytes) -> bytes:
    return len(body).to_bytes(4, "big") + kind + body + zlib.crc32(kind + body).to_bytes(4, "big")


def _declared_png(width: int, height: int) -> bytes:
    """A PNG whose header declares width x height, with a few bytes of noise for pixels."""
    header = width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes([8, 2, 0, 0, 0])
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", b"\x00not pixels")
        + _chunk(b"IEND", b"")
    )


def test_images_over_the_request_budget_are_refused_before_any_is_decoded():
    five = [Upload(f"{n}.png", _declared_png(7000, 7000)) for n in range(5)]  # 245 million
    started = time.perf_counter()
    with pytest.raises(EvidenceError) as caught:
        check_uploads(five, already=0)
    assert caught.value.code == "too_many_pixels_together"
    assert caught.value.details["pixels"] == 5 * 7000 * 7000
    # Headers only: decoding and encoding 245 million pixels takes seconds and 700 MB.
    assert time.perf_counter() - started < 1


def test_real_images_within_the_budget_are_kept():
    kept = check_uploads([Upload(f"{n}.png", files.png((400, 300))) for n in range(5)], already=0)
    assert [k.mime for k in kept] == ["image/png"] * 5


def _drafting(client, make):
    agency = make.agency()
    employer = make.employer(
        agency, list_status="not_listed", size_class=None, size_source=None, industry=None
    )
    owner = make.user(employer=employer, role="owner")
    make.commit()
    sign_in(client, owner)
    walk_to_sign(client, employer)
    return employer


REFUSED_IN_WORDS = {
    "active": (
        [("ok.png", files.png()), ("accounts.pdf", files.pdf(OpenAction=JAVASCRIPT))],
        "accounts.pdf 含有脚本、自动操作、嵌入文件，或会打开程序、其他文件或非网页地址的链接。"
        "请将其打印为新的 PDF，或扫描纸质文件后上传；本次没有保存任何文件。",
    ),
    "encrypted": (
        [("locked.pdf", _encrypted("user-secret"))],
        "打开 locked.pdf 需要密码，审核人员无法阅读。请将其另存或打印为不带密码的 PDF 后上传；"
        "本次没有保存任何文件。",
    ),
    "pixels-together": (
        [(f"scan-{n}.png", _declared_png(7000, 7000)) for n in range(5)],
        "这些图片合计 245 百万像素，一次上传最多 60 百万像素。请分几次上传，或用较低的分辨率扫描或"
        "拍摄；本次没有保存任何文件。",
    ),
}


@pytest.mark.parametrize(
    ("uploads", "message"), REFUSED_IN_WORDS.values(), ids=REFUSED_IN_WORDS.keys()
)
def test_the_evidence_page_says_what_to_do_and_keeps_nothing(client, make, uploads, message):
    employer = _drafting(client, make)
    before = uploaded_files()
    response = upload(client, employer, *uploads)
    assert response.status_code == 200
    assert errors(response) == [message]
    assert uploaded_files() == before
    assert client.get(f"{base(employer)}/evidence").status_code == 200
