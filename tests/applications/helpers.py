"""Shared set-up for the commitment-application tests: an unlisted employer and its people."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from decimal import Decimal

from bs4 import BeautifulSoup
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import stream_encode_multipart

from portal.core import pdf
from portal.core.extensions import db
from portal.letters import codes, document
from portal.models import CommitmentApplication, EvidenceFile, StoredLetter
from tests import files
from tests.conftest import csrf_token, post_form
from tests.factories import PASSWORD

PNG = files.png()
JPEG = files.jpeg()
SMALL_PDF = files.pdf()


def soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def text_of(response) -> str:
    return soup(response).get_text(" ", strip=True)


def errors(response) -> list[str]:
    return [
        p.get_text(" ", strip=True).replace("Error: ", "").replace("错误： ", "")
        for p in soup(response).select(".error-message")
    ]


def english(client) -> None:
    post_form(client, "/language", {"locale": "en"})


def base(employer) -> str:
    return f"/e/{employer.id}/applications"


def fake_render(letter: document.CommitmentLetterData) -> bytes:
    """A quick stand-in for the 5-second WeasyPrint render, in tests not about the PDF itself."""
    return (
        b"%PDF-1.7\n% test letter "
        + letter.reference.encode()
        + b" "
        + letter.verification_code.encode()
        + b" "
        + (letter.decision or "").encode()
        + b"\n%%EOF\n"
    )


def walk_to_sign(
    client, employer, *, unit_kind="enterprise", industry="retail", figures=None
) -> None:
    """Answer the first steps as the owner would (the client is signed in as the owner)."""
    url = base(employer)
    post_form(client, f"{url}/begin", token_from=f"{url}/")
    post_form(client, f"{url}/particulars", {"unit_kind": unit_kind}, token_from=f"{url}/")
    post_form(client, f"{url}/industry", {"industry": industry}, token_from=f"{url}/")
    post_form(
        client,
        f"{url}/figures",
        figures or {"employees": "45", "revenue": "850.5"},
        token_from=f"{url}/",
    )


def sign(client, employer, **overrides):
    data = {"signatory_name": "张三", "statement": "y", "password": PASSWORD, **overrides}
    data = {k: v for k, v in data.items() if v is not None}
    return post_form(client, f"{base(employer)}/sign", data, token_from=f"{base(employer)}/")


def submit(client, employer):
    return post_form(client, f"{base(employer)}/submit", token_from=f"{base(employer)}/")


def multipart_post(client, path: str, fields: dict, files: list[tuple[str, str, bytes]]):
    """POST multipart form data encoded in memory (the test client would spool large bodies to
    a temporary file it never closes)."""
    data = MultiDict({**fields, "csrf_token": csrf_token(client, path)})
    for field, name, body in files:
        data.add(field, FileStorage(io.BytesIO(body), filename=name))
    stream, length, boundary = stream_encode_multipart(data, use_tempfile=False)
    return client.post(
        path,
        input_stream=stream,
        content_length=length,
        content_type=f"multipart/form-data; boundary={boundary}",
    )


def upload(client, employer, *files):
    return multipart_post(
        client, f"{base(employer)}/evidence", {}, [("files", name, body) for name, body in files]
    )


def submitted_application(
    employer, *, due_on=date(2022, 8, 18), round=1, status="submitted", filed_by_staff_id=None, **kw
) -> CommitmentApplication:
    """An application already signed and sent (rows only, with a small stand-in letter)."""
    application = CommitmentApplication(
        employer_id=employer.id,
        round=round,
        status=status,
        program_id=employer.program_id,
        unit_kind="enterprise",
        industry="retail",
        employees=45,
        revenue_amount=Decimal("850.5"),
        computed_size="small",
        signature_method="online",
        signatory_name="张三",
        signed_at=datetime(2022, 8, 12, 2, 0, tzinfo=UTC),
        submitted_at=datetime(2022, 8, 12, 3, 0, tzinfo=UTC),
        due_on=due_on,
        filed_by_staff_id=filed_by_staff_id,
        **kw,
    )
    db.session.add(application)
    db.session.flush()
    application.reference = f"CA-2022-{application.id:06d}"
    code = codes.new_verification_code()
    body = SMALL_PDF + code.encode()
    db.session.add(
        StoredLetter(
            application_id=application.id,
            employer_id=employer.id,
            kind="signed",
            verification_code=code,
            pdf=body,
            sha256=pdf.sha256_hex(body),
        )
    )
    db.session.flush()
    return application


def stored_evidence(application, body: bytes = PNG) -> EvidenceFile:
    """An evidence file and its bytes in the database, as an upload would leave them."""
    from portal.core import uploads as files

    name = files.new_stored_name()
    files.write(name, body)
    record = EvidenceFile(
        application_id=application.id,
        original_name="licence.png",
        stored_name=name,
        content_type="image/png",
        size_bytes=len(body),
        sha256=pdf.sha256_hex(body),
    )
    db.session.add(record)
    db.session.flush()
    return record
