"""Stored bytes sent to the browser: always as a download, never for display in it.

The views of several features (applications, review, hall) send the same kinds of file; they
call these instead of each other's views.
"""

from __future__ import annotations

from io import BytesIO

from flask import Response, send_file

from portal.core import uploads
from portal.letters.stored import download_name
from portal.models import CommitmentApplication, EvidenceFile, StoredLetter


def send_letter(stored: StoredLetter, application: CommitmentApplication) -> Response:
    """Send the stored bytes exactly as they were when the letter was issued."""
    response = send_file(
        BytesIO(stored.pdf),
        mimetype="application/pdf",
        as_attachment=True,
        download_name=download_name(stored, application),
        max_age=0,
        etag=stored.sha256,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def send_evidence(record: EvidenceFile) -> Response:
    """Send an evidence file as a download, never for display in the browser."""
    return send_upload(
        record.stored_name, mimetype=record.content_type, download_name=record.original_name
    )


def send_upload(stored_name: str, *, mimetype: str, download_name: str) -> Response:
    """Send an uploaded file (portal/core/uploads.py) as a download under the name it was given."""
    response = send_file(
        BytesIO(uploads.read(stored_name)),
        mimetype=mimetype,
        as_attachment=True,
        download_name=download_name,
        max_age=0,
        etag=False,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
