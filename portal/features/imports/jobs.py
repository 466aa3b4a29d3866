"""The import's jobs: checking an uploaded file, and applying it once confirmed."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from portal.core import chunks, jobs, uploads
from portal.core.extensions import db
from portal.features.imports.operations import ImportError_, apply_claimed, check_stored
from portal.models import ImportRecord


def _rows_in(stored_name: str | None) -> int | None:
    """About how many rows a kept CSV has (its lines, less the header), read a chunk at a
    time; None for an .xlsx, or a file no longer kept."""
    try:
        stream = uploads.open_kept(stored_name) if stored_name else None
    except LookupError:
        return None
    if stream is None:
        return None
    with stream:
        if stream.read(4) == b"PK\x03\x04":
            return None
        stream.seek(0)
        lines, last = 0, b""
        for chunk in iter(lambda: stream.read(chunks.CHUNK_BYTES), b""):
            lines += chunk.count(b"\n")
            last = chunk
    return max(lines - 1 + (not last.endswith(b"\n")), 0)


def _next(record: ImportRecord) -> dict[str, Any]:
    return {
        "import_id": record.id,
        "next": {"endpoint": "imports.record", "values": {"record_id": record.id}},
    }


@jobs.register("imports.check", label=_l("Checking an imported file"))
def check(run: jobs.JobRun) -> dict[str, Any]:
    params = run.params
    total = _rows_in(params["stored_name"])
    run.progress("checking", 0, total)
    record = check_stored(
        params["kind"],
        params["file_name"],
        params["stored_name"],
        actor=run.actor,
        scope_agency_id=params.get("agency_id"),
        progress=lambda rows: run.progress("checking", rows, total),
    )
    return _next(record)


@jobs.register("imports.apply", label=_l("Applying an imported file"))
def apply(run: jobs.JobRun) -> dict[str, Any]:
    record = db.session.get(ImportRecord, run.params["record_id"])
    if record is None:
        raise ImportError_("not_checked")
    total = record.rows or None
    run.progress("applying", 0, total)
    apply_claimed(
        record, actor=run.actor, progress=lambda rows: run.progress("applying", rows, total)
    )
    return _next(record)
