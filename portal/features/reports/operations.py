"""Send the 缓缴清单: build the file, record what was sent, write the audit row."""

from __future__ import annotations

import hashlib
import io
import itertools
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import BinaryIO, cast
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select, text
from sqlalchemy.exc import IntegrityError

from portal.core import audit, chunks
from portal.core.extensions import db
from portal.core.tables import FORMATS, Table, mimetype, to_xlsx, write_csv, write_sheets
from portal.features.reports.monthly import monthly_report, monthly_table, report_figures
from portal.features.reports.reconciliation import reconciliation
from portal.features.reports.tax_list import (
    REMOVALS_TITLE,
    TaxListRow,
    monthly_day,
    tax_list_parts,
    tax_list_table,
)
from portal.models import (
    Agency,
    SentMonthlyReport,
    TaxListExport,
    TaxListExportChunk,
    TaxListExportRow,
    User,
)
from portal.rules.exchange import monthly_sharing_month, tax_list_format
from portal.rules.months import last_day
from portal.util import clock

#: The advisory lock's first key for the 缓缴清单's exports (the feed's is 25, the payment
#: returns' 2503): one lock, second key 0, for every export of every agency, since what the
#: bureau last received is kept per employer whatever agency's export sent it.
TAX_LIST_LOCK = 2401


#: A .csv waits in memory up to this size, then on disk, until its removals are known.
SPOOL_BYTES = 4 << 20


@dataclass(frozen=True)
class ExportedFile:
    """What an export hands to the bureau: the list (a .csv, or an .xlsx whose second sheet,
    移出清单, holds the removals) and, for a .csv with removals, the removals' own .csv; and
    the file to download, as kept (``download``)."""

    content: bytes
    filename: str
    mimetype: str
    export: TaxListExport
    removals: bytes | None = None
    removals_filename: str | None = None
    # The file to download, byte for byte as kept (tax_list_export_chunks), its name, format
    file: bytes = b""
    file_name: str = ""
    file_format: str = ""

    def download(self) -> tuple[bytes, str, str]:
        """One file to download (content, name, format): the list itself, or a .zip of the
        list's .csv and the removals' .csv, each byte for byte as ``content``/``removals``."""
        return self.file, self.file_name, self.file_format


def export_tax_list(
    on: date,
    *,
    agency: Agency | None,
    since_last: bool,
    file_format: str,
    actor: User | None,
    monthly: bool = False,
) -> ExportedFile:
    """``write_tax_list`` into memory: the list's file and the removals' apart (a command
    writes them as two files; the tests read them)."""
    out = io.BytesIO()
    export, name, download_format = write_tax_list(
        out,
        on,
        agency=agency,
        since_last=since_last,
        file_format=file_format,
        actor=actor,
        monthly=monthly,
    )
    file = out.getvalue()
    base = file_base(export, agency)
    filename = f"{base}.{file_format}"
    if download_format != "zip":
        return ExportedFile(
            file, filename, mimetype(file_format), export, None, None, file, name, download_format
        )
    with zipfile.ZipFile(io.BytesIO(file)) as archive:
        content, removals = archive.read(filename), archive.read(f"{base}-removals.csv")
    return ExportedFile(
        content,
        filename,
        mimetype(file_format),
        export,
        removals,
        f"{base}-removals.csv",
        file,
        name,
        download_format,
    )


def write_tax_list(
    out: BinaryIO,
    on: date,
    *,
    agency: Agency | None,
    since_last: bool,
    file_format: str,
    actor: User | None,
    monthly: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[TaxListExport, str, str]:
    """Build the 缓缴清单 of ``agency`` (None: every agency) on ``on``, record it, and write
    the file to download into ``out`` as it is made; the export, the file's name and format.

    ``since_last``: only the rows new or changed since what the bureau last received for each
    employer (日常共享, 内医保办发〔2022〕19号 五 1). Either way, every employer the bureau last
    received on the list that is off it now (not deferred on ``on``: opted out, no longer
    listed, or no longer eligible — in arrears, a large enterprise, deregistering) goes once as
    a removal (移出清单), in the list's columns: a second sheet of the .xlsx, a file of its own
    beside the .csv (the download is then a .zip of both). The list's own sheet or file keeps
    its format. ``actor`` None: a command.

    ``monthly``: the monthly sharing (按月共享, 五 2) made on ``on``, for statistics: last
    month's whole list with last month's 当期数 (``tax_list.monthly_rows``), no removals; its rows
    are not recorded as received, so the daily sharing's changes and removals go on as before.

    The file is written once, row by row, to ``out`` and to ``tax_list_export_chunks`` (the file
    as sent, which ``sent_file`` reads back), and never held whole. ``progress(done, total)``
    hears how many employers are worked out, after each part.
    """
    if file_format not in FORMATS:
        raise ValueError(f"file_format must be one of {FORMATS}")
    if monthly and since_last:
        raise ValueError("the monthly sharing is the whole list: it has no since_last")
    agency_id = agency.id if agency is not None else None
    _one_export_at_a_time()
    at = clock.now()
    export = TaxListExport(
        agency_id=agency_id,
        on_date=on,
        is_since_last=since_last,
        is_monthly=monthly,
        file_format=file_format,
        row_count=0,  # the counts and the SHA-256 once written, below
        file_sha256="",
        removal_count=0,
        exported_at=at,
        exported_by_id=actor.id if actor is not None else None,
    )
    db.session.add(export)
    db.session.flush()
    base = file_base(export, agency)
    # The rows are worked out part by part as the file is written (``tax_list_parts``): the
    # rows of a part are recorded as received and written, then let go. The removals (few:
    # employers that left the list since the last export) are kept for their sheet or file.
    removals: list[TaxListRow] = []
    received = _Received(export.id)
    awaiting = 0

    def listed() -> Iterator[TaxListRow]:
        nonlocal awaiting
        if monthly:
            parts = tax_list_parts(monthly_day(on), agency_id=agency_id, with_removals=False)
        else:
            parts = tax_list_parts(on, agency_id=agency_id)
        for part in parts:
            rows = part.changed() if since_last else part.rows
            removals.extend(part.removals)
            if not monthly:
                received.note(rows, is_removal=False)
            export.row_count += len(rows)
            awaiting += sum(row.is_awaiting_assessment for row in rows)
            if progress is not None:
                progress(part.done, part.total)
            yield from rows

    def removals_tables() -> Iterator[Table]:
        if removals:
            yield tax_list_table(removals, at, REMOVALS_TITLE)

    table = tax_list_table(listed(), at)
    kept = chunks.ChunkWriter(TaxListExportChunk, {"export_id": export.id})
    both = _Both(out, kept)
    if file_format == "xlsx":
        hashed = _Hashed(both)
        # the removals' sheet, if any, once the list's rows have found them
        write_sheets(cast(BinaryIO, hashed), [table], removals_tables())
        export.file_sha256 = hashed.hexdigest()
    else:
        # Whether the download is the list's .csv or a .zip of it and the removals' is known
        # once the list is written: it waits in a temporary file (on disk past a few MB).
        with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as spool:
            hashed = _Hashed(spool)
            write_csv(table, cast(BinaryIO, hashed))
            export.file_sha256 = hashed.hexdigest()
            spool.seek(0)
            if not removals:
                shutil.copyfileobj(spool, both, chunks.CHUNK_BYTES)
            else:
                export.removals_sha256 = _zip_csv(
                    cast(BinaryIO, both), cast(BinaryIO, spool), removals, base, at
                )
    kept.close()
    received.note(removals, is_removal=True)
    received.record()
    export.removal_count = len(removals)
    audit.record(
        actor,
        "reports.tax_list_export",
        obj=export,
        details={
            "agency": agency.code if agency is not None else None,
            "on": on.isoformat(),
            "since_last": since_last,
            # 按月共享: the contribution month of its 当期数, the month before ``on``
            "monthly": monthly_sharing_month(on) if monthly else None,
            "rows": export.row_count,
            # rows sent with 缓缴人数 and 缓缴金额 blank for want of an assessment (五 1)
            "awaiting_assessment": awaiting,
            # employers sent before that have left the list, and why (移出清单)
            "removals": len(removals),
            "removal_reasons": {
                reason: sum(reason in r.reasons for r in removals)
                for reason in sorted({reason for r in removals for reason in r.reasons})
            },
            "format": file_format,
            "sha256": export.file_sha256,
        },
    )
    return (export, *download_name(export, agency))


def _zip_csv(
    out: BinaryIO, listed: BinaryIO, removals: list[TaxListRow], base: str, at: datetime
) -> str:
    """The .zip of the list's .csv (``listed``, read from its start) and the removals' .csv,
    written to ``out``, each dated 传输时间 in the list's time zone; the removals' SHA-256."""
    moment = at.astimezone(ZoneInfo(tax_list_format().time_zone.value)).timetuple()[:6]
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        info = zipfile.ZipInfo(f"{base}.csv", date_time=moment)
        info.compress_type = zipfile.ZIP_DEFLATED
        with archive.open(info, "w") as member:
            shutil.copyfileobj(listed, member, chunks.CHUNK_BYTES)
        info = zipfile.ZipInfo(f"{base}-removals.csv", date_time=moment)
        info.compress_type = zipfile.ZIP_DEFLATED
        with archive.open(info, "w") as member:
            hashed = _Hashed(member)
            write_csv(tax_list_table(removals, at, REMOVALS_TITLE), cast(BinaryIO, hashed))
    return hashed.hexdigest()


class _Received:
    """The rows an export carried (``tax_list_export_rows``), noted as the parts are written
    and recorded once the file is: a later part's reading of what the bureau last received
    never meets this export's own rows (PostgreSQL, planning for the table as it was analysed,
    scanned them for every employer: minutes). Noted in a temporary file, not in memory.
    """

    def __init__(self, export_id: int) -> None:
        self.export_id = export_id
        self.spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES, mode="w+")

    def note(self, rows: Iterable[TaxListRow], *, is_removal: bool) -> None:
        flag = "t" if is_removal else "f"
        self.spool.writelines(f"{row.employer_id}\t{row.fingerprint}\t{flag}\n" for row in rows)

    def _noted(self) -> Iterator[tuple[int, str, bool]]:
        self.spool.seek(0)
        for line in self.spool:
            employer_id, fingerprint, flag = line.rstrip("\n").split("\t")
            yield int(employer_id), fingerprint, flag == "t"

    def record(self) -> None:
        """PostgreSQL's COPY, one stream for every row (a statement a row took 10 s for
        100,000); elsewhere executemany, a thousand rows at a time (SQLite's is quick)."""
        connection = db.session.connection()
        with self.spool:
            if connection.dialect.name == "postgresql":
                cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
                columns = "export_id, employer_id, fingerprint, is_removal"
                with cursor.copy(f"COPY tax_list_export_rows ({columns}) FROM STDIN") as copy:
                    for noted in self._noted():
                        copy.write_row((self.export_id, *noted))
                return
            rows = self._noted()
            while batch := list(itertools.islice(rows, 1000)):
                connection.execute(
                    insert(TaxListExportRow.__table__),
                    [
                        {
                            "export_id": self.export_id,
                            "employer_id": employer_id,
                            "fingerprint": fingerprint,
                            "is_removal": is_removal,
                        }
                        for employer_id, fingerprint, is_removal in batch
                    ],
                )


def sent_file(export: TaxListExport) -> Iterator[bytes]:
    """The file ``export`` handed out, a chunk at a time, as it was sent: from
    ``tax_list_export_chunks``, or the whole ``content`` an older export kept. Empty: an
    export older still, whose file was not kept (its SHA-256 is)."""
    if export.content is not None:
        yield export.content
        return
    yield from chunks.iter_chunks(TaxListExportChunk, {"export_id": export.id})


class _Both(io.RawIOBase):
    """A write-only stream that writes to two (the caller's and the kept file)."""

    def __init__(self, first: BinaryIO, second: io.RawIOBase) -> None:
        super().__init__()
        self.first, self.second = first, second

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.first.write(data)
        self.second.write(data)
        return len(data)


class _Hashed(io.RawIOBase):
    """A write-only stream that passes on what it is given and sums its SHA-256."""

    def __init__(self, target) -> None:
        super().__init__()
        self.target = target
        self.sha256 = hashlib.sha256()

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.sha256.update(data)
        self.target.write(data)
        return len(data)

    def hexdigest(self) -> str:
        return self.sha256.hexdigest()


def _one_export_at_a_time() -> None:
    """Wait for any other export of the list to commit, before reading what was sent.

    Two exports at once (two staff members, a page and a command) would otherwise both read
    what the bureau last received before either had recorded its rows, and both send the same
    changes and removals. Taken before anything the export decides on is read: its reads are
    Core statements on the session's connection (``tax_list_state``, ``last_sent``, the
    standings), never the ORM's identity map nor the facts cache (read-only GETs only), so each
    sees the database as of its own statement.

    PostgreSQL: a transaction-scoped advisory lock, held until this transaction commits or
    rolls back; under READ COMMITTED every statement after it sees what the first committed.
    SQLite has one writer, but a transaction begins (Python's sqlite3 sends BEGIN) only at its
    first write, so two exports could both read before either writes. A write that changes
    nothing, first, takes the database's write lock now: the second waits there (the driver's
    busy timeout) until the first commits, then reads what it recorded.
    """
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(:kind, 0)"), {"kind": TAX_LIST_LOCK})
    else:
        db.session.execute(text("UPDATE tax_list_exports SET id = id WHERE 1 = 0"))


def file_base(export: TaxListExport, agency: Agency | None) -> str:
    """The name the export's files share: its agency, date, kind and number."""
    scope = agency.code if agency is not None else "all"
    if export.is_monthly:  # named by the month it carries, not the day it went
        month = monthly_sharing_month(export.on_date).replace("-", "")
        return f"tax-list-{scope}-{month}-monthly-{export.id}"
    suffix = "-changes" if export.is_since_last else ""
    return f"tax-list-{scope}-{export.on_date:%Y%m%d}{suffix}-{export.id}"


def download_name(export: TaxListExport, agency: Agency | None) -> tuple[str, str]:
    """The name and format of what the page hands out: the list, or a .zip of the list's .csv
    and its removals'."""
    base = file_base(export, agency)
    if export.file_format == "csv" and export.removals_sha256 is not None:
        return f"{base}.zip", "zip"
    return f"{base}.{export.file_format}", export.file_format


# ---------------------------------------------------------------- the monthly report, as sent


class NotFinished(ValueError):
    """The month has not ended: its report cannot be sent yet (按月共享 follows the month)."""


class Unreconciled(ValueError):
    """The bureau's collected figures of the month differ from the portal's: the report is not
    final until they agree (内医保办发〔2022〕19号 四; data/reconciliation.yaml final_report)."""

    def __init__(self, month: str, differences: int) -> None:
        super().__init__(month, differences)
        self.month = month
        self.differences = differences


def monthly_scope(agency: Agency | None) -> str:
    """A sent report's scope: the agency's code, "" for every agency."""
    return agency.code if agency is not None else ""


def sent_monthly_report(month: str, agency: Agency | None) -> SentMonthlyReport | None:
    """The report of ``month`` for ``agency`` (None: every agency) as it was sent, if it was."""
    return db.session.scalar(
        select(SentMonthlyReport).where(
            SentMonthlyReport.month == month, SentMonthlyReport.scope == monthly_scope(agency)
        )
    )


def mark_monthly_sent(
    month: str, *, agency: Agency | None, actor: User | None
) -> tuple[SentMonthlyReport, bool]:
    """Store the report of ``month`` as it is sent (按月共享, 内医保办发〔2022〕19号 五 2): its
    figures and its .xlsx, who and when, and an audit row. Already sent: that one, unchanged
    (a second click, or two at once, stores nothing more); the bool says whether it is new.
    Needs a request context (the file's headers are translated).

    :raise NotFinished: while the month runs (its figures are not final until its end).
    :raise Unreconciled: while the bureau's collected figures of the month, once imported,
        differ from the portal's (a month with none imported is sent as before).
    """
    already = sent_monthly_report(month, agency)
    if already is not None:
        return already, False
    report = monthly_report(month, clock.today(), agency_id=agency.id if agency else None)
    if report.as_of < last_day(month):
        raise NotFinished(month)
    checked = reconciliation(month, clock.today(), agency_id=agency.id if agency else None)
    if checked.has_collections and not checked.is_agreed:
        raise Unreconciled(month, len(checked.rows))
    content = to_xlsx(monthly_table(report))
    scope = monthly_scope(agency)
    sent = SentMonthlyReport(
        month=month,
        scope=scope,
        agency_id=agency.id if agency is not None else None,
        as_of=report.as_of,
        figures=report_figures(report),
        file_name=f"deferral-report-{scope or 'all'}-{month}.xlsx",
        file_bytes=content,
        file_sha256=hashlib.sha256(content).hexdigest(),
        sent_at=clock.now(),
        sent_by_id=actor.id if actor is not None else None,
    )
    try:
        with db.session.begin_nested():
            db.session.add(sent)
            db.session.flush()
    except IntegrityError:  # sent by someone else meanwhile: theirs stands
        already = sent_monthly_report(month, agency)
        if already is None:
            raise
        return already, False
    audit.record(
        actor,
        "reports.monthly_sent",
        obj=sent,
        details={
            "month": month,
            "agency": agency.code if agency is not None else None,
            "as_of": report.as_of.isoformat(),
            "employers": report.total.employers,
            "deferred": str(report.total.deferred_amount),
            "outstanding": str(report.total.outstanding_amount),
            # agreed with the bureau's collected figures, or none of the month imported
            "reconciled": checked.has_collections,
            "sha256": sent.file_sha256,
        },
    )
    return sent, True
