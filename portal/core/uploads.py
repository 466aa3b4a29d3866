"""Uploaded files: the type from the content (magic bytes), the size and count limits, storage.

Shared by the features that take uploads: an application's evidence
(portal/features/applications), a letter of authority and a paper-signed letter's scan
(portal/features/hall), an imported register (portal/features/imports). The bytes live in the
database (``UploadedFile``) under random names; only the views that check access ever read them
back, and always as downloads (portal/web/downloads.py). A register of up to 200 MB is kept and
read a megabyte at a time (``keep_stream``, ``open_kept``: portal/core/chunks.py), never whole.
"""

from __future__ import annotations

import io
import secrets
import shutil
from dataclasses import dataclass
from pathlib import PurePath
from typing import IO, BinaryIO

from sqlalchemy import String, insert, literal, select
from sqlalchemy import delete as sa_delete

from portal.core import chunks, contents
from portal.core.extensions import db
from portal.models import UploadedFile, UploadedFileChunk
from portal.models.base import UTCDateTime, utcnow
from portal.rules.errors import DomainError

MAX_EVIDENCE_BYTES = 10 * 1024 * 1024
MAX_EVIDENCE_FILES = 5

#: (leading bytes, MIME type, extension): PDF, JPEG and PNG, recognised by content only.
FILE_SIGNATURES: tuple[tuple[bytes, str, str], ...] = (
    (b"%PDF-", "application/pdf", ".pdf"),
    (b"\xff\xd8\xff", "image/jpeg", ".jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
)
EXTENSIONS = {mime: ext for _, mime, ext in FILE_SIGNATURES}


class EvidenceError(DomainError):
    """An upload refused as a whole; ``code`` names why, ``filename`` which file."""

    kind = "evidence"

    def __init__(self, code: str, filename: str = "", **details: object) -> None:
        super().__init__(code, None, filename=filename, **details)
        self.filename = filename


@dataclass(frozen=True)
class Upload:
    """One uploaded file as received: its name as the user's computer called it, and bytes."""

    filename: str
    data: bytes


@dataclass(frozen=True)
class Accepted(Upload):
    """An upload that passed the checks: ``data`` is what to keep, ``mime`` what it is."""

    mime: str = ""


def sniff(data: bytes) -> str | None:
    """Return the MIME type the content shows (PDF, JPEG or PNG), or None."""
    for magic, mime, _ in FILE_SIGNATURES:
        if data.startswith(magic):
            return mime
    return None


def check_uploads(uploads: list[Upload], *, already: int) -> list[Accepted]:
    """Check every upload before any is stored; return them as they are to be kept.

    Images come back re-encoded, PDFs written again (``portal.core.contents``). The images'
    pixels are counted from their headers before any is decoded.

    :raise EvidenceError: no file, too many files, an empty or too large file, a file that is
        not a PDF, JPEG or PNG by its content, one that could act when opened or needs a
        password, or images with more pixels than one request may decode.
    """
    if not uploads:
        raise EvidenceError("none")
    if already + len(uploads) > MAX_EVIDENCE_FILES:
        raise EvidenceError("too_many")
    types = []
    for upload in uploads:
        if not upload.data:
            raise EvidenceError("empty", upload.filename)
        if len(upload.data) > MAX_EVIDENCE_BYTES:
            raise EvidenceError("too_large", upload.filename)
        mime = sniff(upload.data)
        if mime is None:
            raise EvidenceError("wrong_type", upload.filename)
        types.append(mime)
    _within_the_pixel_budget(uploads, types)
    accepted = []
    for upload, mime in zip(uploads, types, strict=True):
        try:
            data = contents.clean(upload.data, mime)
        except contents.UnsafeContent as error:
            raise EvidenceError(error.code, upload.filename) from error
        accepted.append(Accepted(upload.filename, data, mime))
    return accepted


def _within_the_pixel_budget(uploads: list[Upload], types: list[str]) -> None:
    """:raise EvidenceError: an image, or all of them together, has too many pixels."""
    total = 0
    for upload, mime in zip(uploads, types, strict=True):
        try:
            total += contents.pixels(upload.data, mime)
        except contents.UnsafeContent as error:
            raise EvidenceError(error.code, upload.filename) from error
    if total > contents.MAX_PIXELS_PER_REQUEST:
        raise EvidenceError("too_many_pixels_together", pixels=total)


def clean_name(filename: str, mime: str) -> str:
    """A display name: the base name the user gave, with the extension its content deserves."""
    base = PurePath(filename.replace("\\", "/")).name.strip() or "evidence"
    stem = base.rsplit(".", 1)[0] if "." in base else base
    stem = "".join(ch for ch in stem if ch.isprintable() and ch not in '"/\\')[:150] or "evidence"
    return stem + EXTENSIONS[mime]


def new_stored_name() -> str:
    return secrets.token_hex(20)


def write(stored_name: str, data: bytes) -> None:
    """Keep ``data`` under ``stored_name``, in the request's transaction."""
    db.session.add(UploadedFile(name=stored_name, data=data))


def read(stored_name: str) -> bytes:
    """:raise LookupError: no file has that name (a row names a file that was never kept)."""
    data = db.session.scalar(select(UploadedFile.data).where(UploadedFile.name == stored_name))
    if data is None:
        raise LookupError(f"no uploaded file named {stored_name}")
    return data


def copy(stored_name: str, new_name: str) -> None:
    """Keep a second copy under ``new_name``, copied inside the database."""
    db.session.flush()
    db.session.execute(
        insert(UploadedFile).from_select(
            ["name", "data", "created_at"],
            select(
                literal(new_name, String), UploadedFile.data, literal(utcnow(), UTCDateTime())
            ).where(UploadedFile.name == stored_name),
        )
    )


def keep_stream(stream: IO[bytes]) -> tuple[str, int]:
    """Keep a large upload read from ``stream`` (a register of a million rows) in chunks, in
    the request's transaction, never holding it whole: its stored name and size."""
    stored_name = f"import-{secrets.token_hex(16)}"
    db.session.add(UploadedFile(name=stored_name, data=b""))
    db.session.flush()
    with chunks.ChunkWriter(UploadedFileChunk, {"name": stored_name}) as writer:
        shutil.copyfileobj(stream, writer, chunks.CHUNK_BYTES)
        size = writer.size
    return stored_name, size


def open_kept(stored_name: str) -> BinaryIO:
    """A kept file as a seekable stream, read a chunk at a time (or whole, if kept whole).

    :raise LookupError: no file has that name.
    """
    data = db.session.scalar(select(UploadedFile.data).where(UploadedFile.name == stored_name))
    if data is None:
        raise LookupError(f"no uploaded file named {stored_name}")
    if data:
        return io.BytesIO(data)
    return chunks.open_chunks(UploadedFileChunk, {"name": stored_name})


def delete(stored_name: str) -> None:
    chunks.delete_chunks(UploadedFileChunk, {"name": stored_name})
    db.session.execute(sa_delete(UploadedFile).where(UploadedFile.name == stored_name))
