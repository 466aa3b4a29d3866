"""Check a file, then apply it whole or not at all; every file is recorded, with one audit row.

``check`` reads every row and compares it with what is stored, changing nothing; ``apply``
checks again and, only if no row is refused, writes every batch in the request's (or the
command's) one transaction: a process killed half-way leaves no row of the file. The web page
keeps the checked bytes in ``uploaded_files`` so that the second, explicit confirmation applies
exactly the file that was checked (its SHA-256), on whichever worker it arrives.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO, Any

from sqlalchemy import CursorResult, update

from portal.core import audit, jobs, uploads
from portal.core.extensions import db
from portal.features.held.operations import hold_changes
from portal.features.imports import reader
from portal.features.imports.kinds import KINDS
from portal.features.imports.kinds.base import (
    MAX_PROBLEMS_KEPT,
    Context,
    Problem,
    RowErrors,
    Tally,
)
from portal.features.imports.reader import FileRefused, Source
from portal.models import ImportRecord, Job, UploadedFile, User
from portal.models.base import utcnow
from portal.rules.confirmation import Held
from portal.rules.errors import DomainError

#: A file with more data rows is refused before anything is compared.
MAX_ROWS = 2_000_000


class ImportError_(DomainError):
    """An import refused as a whole: unknown kind, stale confirmation, already applied."""

    kind = "import"


@dataclass
class Outcome:
    """What a file did or would do: the counts, every refused row, the conflicts."""

    kind: str
    file_name: str
    sha256: str
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    refused_rows: int = 0
    problems: list[Problem] = field(default_factory=list)
    conflicts: list[dict[str, Any]] = field(default_factory=list)
    # Changes to confirmed employers not applied, waiting for agency staff (the list only)
    held: list[Held] = field(default_factory=list)
    superseded: list[int] = field(default_factory=list)  # pending held changes replaced
    file_error: FileRefused | None = None
    applied: bool = False

    @property
    def is_refused(self) -> bool:
        return self.file_error is not None or bool(self.problems)

    @property
    def changes_nothing(self) -> bool:
        return not self.is_refused and self.created == 0 and self.updated == 0


def sha256_of(source: Source) -> str:
    digest = hashlib.sha256()
    with source.open() as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def run(
    kind_name: str,
    source: Source,
    *,
    scope_agency_id: int | None,
    apply: bool,
    progress: Callable[[int], None] | None = None,
    actor: User | None = None,
) -> Outcome:
    """Check ``source`` as a ``kind_name`` import; with ``apply``, write it if no row is refused.

    ``actor`` (None: the command line) is named in the audit rows of the kinds that write one
    per row (the reference data).

    :raise ImportError_: no such kind, or one the importer's scope may not import.
    """
    kind = KINDS.get(kind_name)
    if kind is None:
        raise ImportError_("unknown_kind")
    if kind.every_agency_only and scope_agency_id is not None:
        raise ImportError_("every_agency_only", kind=kind_name)
    outcome = Outcome(kind_name, source.name, sha256_of(source))
    context = Context.load(
        scope_agency_id,
        actor=actor,
        audit_details={
            "import": kind_name,
            "file": source.name[:255],
            "sha256": outcome.sha256,
            **({"via": "command line"} if actor is None else {}),
        },
    )
    if not apply:
        _fill(outcome, _pass(kind, source, context, outcome, apply=False, progress=progress))
        return outcome
    # One pass: each batch is checked, then written while no row so far is refused; from the
    # first refused row on nothing more is written but every row is still checked (every
    # problem is reported), and the savepoint takes back what was written: all or nothing.
    savepoint = db.session.begin_nested()
    try:
        tally = _pass(kind, source, context, outcome, apply=True, progress=progress)
    except BaseException:
        savepoint.rollback()
        raise
    _fill(outcome, tally)
    if outcome.is_refused:
        savepoint.rollback()
    else:
        savepoint.commit()
        outcome.applied = True
    return outcome


def _fill(outcome: Outcome, tally: Tally | None) -> None:
    if tally is None:
        return
    outcome.created, outcome.updated = tally.created, tally.updated
    outcome.unchanged = tally.unchanged
    outcome.conflicts = tally.conflicts
    outcome.held, outcome.superseded = tally.held, tally.superseded
    # By line, as in the file: a row's cells are checked as it is read, its employer and
    # duplicates with its batch, after later rows' cells (sorted is stable: a line's problems
    # keep their column order).
    outcome.problems = sorted(tally.problems, key=lambda problem: problem.line)
    outcome.refused_rows = tally.refused_rows


def _pass(
    kind, source, context: Context, outcome: Outcome, *, apply: bool, progress
) -> Tally | None:
    tally = Tally()
    # Keys seen so far: a million of them, kept small (Kind.key: a list row's credit code as
    # one number, not a string or a one-element tuple), and without their lines: a repeated
    # key's first line is looked up once the file is read (``_first_lines``), and only then.
    seen: set[object] = set()
    repeated: list[tuple[object, dict[str, Any]]] = []  # (key, its problem's details)
    batch: list = []
    rows = 0
    try:
        header, body = reader.table(source, kind.columns)
        read = kind.reader(header, context)
        for line, cells in body:
            rows += 1
            if rows > MAX_ROWS:
                raise FileRefused("too_many_rows", limit=MAX_ROWS)
            try:
                row = read(cells)
            except RowErrors as errors:
                for key, error in errors.errors:
                    index = header.get(key, len(cells))
                    value = cells[index].strip()[:100] if index < len(cells) else ""
                    tally.refuse(Problem(line, kind.column(key), error.code, error.details, value))
                continue
            key = kind.key(row)
            if key in seen:
                index = header.get(kind.key_column, len(cells))
                value = cells[index].strip()[:100] if index < len(cells) else ""
                column = kind.column(kind.key_column)
                details: dict[str, Any] = {}  # {"first": line}, filled in below
                if len(tally.problems) < MAX_PROBLEMS_KEPT:
                    repeated.append((key, details))
                tally.refuse(Problem(line, column, "duplicate", details, value))
                continue
            seen.add(key)
            batch.append((line, row))
            if len(batch) >= kind.batch_rows:
                kind.batch(batch, context, tally, apply)
                batch = []
                if progress is not None:
                    progress(rows)
        if batch:
            kind.batch(batch, context, tally, apply)
        if kind.finish is not None:
            kind.finish(context, tally, apply)
        del seen
        if repeated:
            first = _first_lines(kind, source, context, {code for code, _ in repeated})
            for code, found in repeated:
                found["first"] = first[code]
    except FileRefused as error:
        context.discard_stage()
        outcome.file_error = error
        outcome.rows = rows
        return None
    except BaseException:
        context.close()  # the caller rolls back; the stage goes with the transaction
        raise
    outcome.rows = rows
    return tally


def _first_lines(kind, source, context: Context, keys: set[object]) -> dict[object, int]:
    """The line of the first readable row of each of ``keys``: the file read again, to where
    the last of them is found (only a file with repeated keys, refused anyway, is)."""
    first: dict[object, int] = {}
    header, body = reader.table(source, kind.columns)
    read = kind.reader(header, context)
    for line, cells in body:
        try:
            key = kind.key(read(cells))
        except RowErrors:
            continue
        if key in keys and key not in first:
            first[key] = line
            if len(first) == len(keys):
                break
    return first


# ------------------------------------------------------------------------------ records


def check_upload(
    kind_name: str,
    file_name: str,
    data: bytes | IO[bytes],
    *,
    actor: User,
    scope_agency_id: int | None,
    progress: Callable[[int], None] | None = None,
) -> ImportRecord:
    """Keep an upload and check it here, without a job: ``start_check``'s work in one call."""
    stored_name, _size = uploads.keep_stream(io.BytesIO(data) if isinstance(data, bytes) else data)
    return check_stored(
        kind_name,
        file_name,
        stored_name,
        actor=actor,
        scope_agency_id=scope_agency_id,
        progress=progress,
    )


def start_check(
    kind_name: str, file_name: str, stream: IO[bytes], *, actor: User, scope_agency_id: int | None
) -> Job:
    """Keep the upload read from ``stream``, a chunk at a time, and start the job that checks
    it (``imports.check``)."""
    if kind_name not in KINDS:
        raise ImportError_("unknown_kind")
    stored_name, size = uploads.keep_stream(stream)
    params = {
        "kind": kind_name,
        "file_name": _clean_name(file_name),
        "stored_name": stored_name,
        "size": size,
        "agency_id": scope_agency_id,
    }
    return jobs.start("imports.check", params, actor=actor, agency_id=scope_agency_id)


def check_stored(
    kind_name: str,
    file_name: str,
    stored_name: str,
    *,
    actor: User | None,
    scope_agency_id: int | None,
    progress: Callable[[int], None] | None = None,
) -> ImportRecord:
    """Check the kept upload ``stored_name`` and record it; a refused file is not kept."""
    source = _kept(_clean_name(file_name), stored_name)
    with source.open() as stream:
        size = stream.seek(0, io.SEEK_END)
    outcome = run(
        kind_name, source, scope_agency_id=scope_agency_id, apply=False, progress=progress
    )
    if outcome.is_refused:
        uploads.delete(stored_name)
    record = _record(
        outcome,
        actor=actor,
        scope_agency_id=scope_agency_id,
        size=size,
        stored_name=None if outcome.is_refused else stored_name,
        status="refused" if outcome.is_refused else "checked",
    )
    audit.record(actor, f"import.{record.status}", obj=record, details=_summary(record))
    return record


def apply_checked(
    record: ImportRecord,
    sha256: str,
    *,
    actor: User,
    progress: Callable[[int], None] | None = None,
) -> ImportRecord:
    """Apply the file that ``record`` checked, confirmed by its SHA-256.

    :raise ImportError_: the confirmation names another file, or the file is applied already.
    """
    claim(record, sha256)
    return apply_claimed(record, actor=actor, progress=progress)


def start_apply(record: ImportRecord, sha256: str, *, actor: User) -> Job:
    """Claim ``record`` for applying and start the job that applies it (``imports.apply``).

    :raise ImportError_: as ``claim``: of two confirmations at once, the second.
    """
    claim(record, sha256)
    job = jobs.start(
        "imports.apply", {"record_id": record.id}, actor=actor, agency_id=record.agency_id
    )
    record.job_id = job.id
    return job


def claim(record: ImportRecord, sha256: str) -> None:
    """Take ``record`` from "checked" to "applying", once.

    :raise ImportError_: not checked (applied, refused, or being applied), or another file.
    """
    if record.status != "checked" or record.stored_name is None:
        raise ImportError_("not_checked")
    if sha256 != record.sha256:
        raise ImportError_("other_file")
    # Of two confirmations at once (a double click, two tabs) only one finds it still
    # "checked"; on PostgreSQL the other waits for the row and then finds it taken.
    claimed = db.session.execute(
        update(ImportRecord)
        .where(ImportRecord.id == record.id, ImportRecord.status == "checked")
        .values(status="applying")
        .execution_options(synchronize_session=False)
    )
    assert isinstance(claimed, CursorResult)  # noqa: S101 - what an UPDATE returns
    if claimed.rowcount != 1:
        raise ImportError_("not_checked")
    record.status = "applying"


def apply_claimed(
    record: ImportRecord, *, actor: User | None, progress: Callable[[int], None] | None = None
) -> ImportRecord:
    """Apply the claimed ``record``'s file (``claim``), all of it or nothing."""
    if record.status != "applying" or record.stored_name is None:
        raise ImportError_("not_checked")
    source = _kept(record.file_name, record.stored_name)
    if sha256_of(source) != record.sha256:
        raise ImportError_("other_file")
    outcome = run(
        record.kind,
        source,
        scope_agency_id=record.agency_id,
        apply=True,
        actor=actor,
        progress=progress,
    )
    _update(record, outcome)
    record.status = "applied" if outcome.applied else "refused"
    record.applied_at = utcnow() if outcome.applied else None
    uploads.delete(record.stored_name)
    record.stored_name = None
    db.session.flush()
    if outcome.applied:
        hold_changes(record, outcome.held, outcome.superseded, actor=actor)
    audit.record(actor, f"import.{record.status}", obj=record, details=_summary(record))
    return record


def import_file(
    kind_name: str, source: Source, *, dry_run: bool, progress: Callable[[int], None] | None = None
) -> tuple[Outcome, ImportRecord]:
    """The command line's import (every agency): check, and apply unless ``dry_run``."""
    outcome = run(kind_name, source, scope_agency_id=None, apply=not dry_run, progress=progress)
    status = "refused" if outcome.is_refused else ("applied" if outcome.applied else "checked")
    record = _record(
        outcome, actor=None, scope_agency_id=None, size=0, stored_name=None, status=status
    )
    if outcome.applied:
        record.applied_at = utcnow()
        hold_changes(record, outcome.held, outcome.superseded, actor=None)
    audit.record(
        None, f"import.{status}", obj=record, details={**_summary(record), "via": "command line"}
    )
    return outcome, record


def _kept(file_name: str, stored_name: str) -> Source:
    """The kept upload ``stored_name`` as a file that can be read more than once.

    :raise ImportError_: it is not kept (any more).
    """
    if db.session.get(UploadedFile, stored_name) is None:
        raise ImportError_("not_checked")
    return Source(file_name, lambda: uploads.open_kept(stored_name))


def _clean_name(name: str) -> str:
    """The file's name as the browser sent it, without control characters, at most 255."""
    cleaned = "".join(
        ch
        for ch in name
        if ch.isprintable() and ch not in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
    )
    return (cleaned.strip() or "upload")[-255:]


def _record(
    outcome: Outcome,
    *,
    actor: User | None,
    scope_agency_id: int | None,
    size: int,
    stored_name: str | None,
    status: str,
) -> ImportRecord:
    record = ImportRecord(
        kind=outcome.kind,
        status=status,
        file_name=outcome.file_name[:255],
        sha256=outcome.sha256,
        size=size,
        stored_name=stored_name,
        actor_id=actor.id if actor is not None else None,
        agency_id=scope_agency_id,
    )
    _update(record, outcome)
    db.session.add(record)
    db.session.flush()
    return record


def _update(record: ImportRecord, outcome: Outcome) -> None:
    record.rows, record.created = outcome.rows, outcome.created
    record.updated, record.unchanged = outcome.updated, outcome.unchanged
    record.refused = outcome.refused_rows
    errors = [
        {"line": p.line, "column": p.column, "code": p.code, "details": p.details, "value": p.value}
        for p in outcome.problems
    ]
    if outcome.file_error is not None:
        errors[:0] = [
            {
                "line": error.details.get("line"),
                "column": "",
                "code": f"file.{error.code}",
                "details": {k: v for k, v in error.details.items()},
            }
            for error in reader.file_refusals(outcome.file_error)
        ]
    record.errors = errors
    record.conflicts = outcome.conflicts
    record.held = [held.as_json() for held in outcome.held]


def _summary(record: ImportRecord) -> dict[str, Any]:
    return {
        "kind": record.kind,
        "file": record.file_name,
        "sha256": record.sha256,
        "rows": record.rows,
        "created": record.created,
        "updated": record.updated,
        "unchanged": record.unchanged,
        "refused": record.refused,
        "conflicts": len(record.conflicts),
        "held": len(record.held),
    }


# ------------------------------------------------------------------------------ rows, not files


def record_collection_rows(
    rows: list[dict[str, Any]],
    *,
    scope_agency_id: int | None,
    actor: User | None,
    apply: bool,
    via: str = "api",
    role: str | None = None,
) -> Tally:
    """Check the tax bureau's collected figures given as parsed rows (``kinds.collections.
    parse_collection``'s values, numbered from 1 in ``Tally.problems``) and, with ``apply`` and
    no row refused, record them all: the operation of the collections import without its file
    (an API's). A key repeated among the rows is refused as in a file. Nothing is written when
    any row is refused; the caller commits.
    """
    kind = KINDS["collections"]
    context = Context.load(
        scope_agency_id, actor=actor, audit_details={"import": kind.name, "via": via}
    )
    tally = Tally()
    seen: dict[object, int] = {}
    numbered = []
    for line, row in enumerate(rows, start=1):
        key = kind.key(row)
        if key in seen:
            column = kind.column(kind.key_column)
            tally.refuse(
                Problem(line, column, "duplicate", {"first": seen[key]}, row[kind.key_column])
            )
            continue
        seen[key] = line
        numbered.append((line, row))
    kind.batch(numbered, context, tally, apply)
    tally.problems.sort(key=lambda problem: problem.line)
    if apply and not tally.refused_rows:
        audit.record(
            actor,
            "collections.recorded",
            details={"via": via, "created": tally.created, "updated": tally.updated},
            role=role,  # "api": another system's call, no person
        )
    return tally
