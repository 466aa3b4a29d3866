"""Send the 缓缴清单: build the file, record what was sent, write the audit row."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select, text
from sqlalchemy.exc import IntegrityError

from portal.core import audit
from portal.core.extensions import db
from portal.core.tables import FORMATS, mimetype, render, to_csv, to_xlsx, to_zip
from portal.features.reports.monthly import monthly_report, monthly_table, report_figures
from portal.features.reports.reconciliation import reconciliation
from portal.features.reports.tax_list import (
    REMOVALS_TITLE,
    monthly_rows,
    tax_list_state,
    tax_list_table,
)
from portal.models import Agency, SentMonthlyReport, TaxListExport, TaxListExportRow, User
from portal.rules.exchange import monthly_sharing_month, tax_list_format
from portal.rules.months import last_day
from portal.util import clock

#: The advisory lock's first key for the 缓缴清单's exports (the feed's is 25, the payment
#: returns' 2503): one lock, second key 0, for every export of every agency, since what the
#: bureau last received is kept per employer whatever agency's export sent it.
TAX_LIST_LOCK = 2401


@dataclass(frozen=True)
class ExportedFile:
    """What an export hands to the bureau: the list (a .csv, or an .xlsx whose second sheet,
    移出清单, holds the removals) and, for a .csv with removals, the removals' own .csv."""

    content: bytes
    filename: str
    mimetype: str
    export: TaxListExport
    removals: bytes | None = None
    removals_filename: str | None = None

    def download(self) -> tuple[bytes, str, str]:
        """One file to download (content, name, format): the list itself, or a .zip of the
        list's .csv and the removals' .csv, each byte for byte as ``content``/``removals``."""
        if self.removals is None or self.removals_filename is None:
            return self.content, self.filename, self.export.file_format
        # dated 传输时间, in the list's time zone: the same export zips to the same bytes
        zone = ZoneInfo(tax_list_format().time_zone.value)
        zipped = to_zip(
            [(self.filename, self.content), (self.removals_filename, self.removals)],
            self.export.exported_at.astimezone(zone),
        )
        return zipped, self.filename.rsplit(".", 1)[0] + ".zip", "zip"


def export_tax_list(
    on: date,
    *,
    agency: Agency | None,
    since_last: bool,
    file_format: str,
    actor: User | None,
    monthly: bool = False,
) -> ExportedFile:
    """Build the 缓缴清单 of ``agency`` (None: every agency) on ``on`` and record it.

    ``since_last``: only the rows new or changed since what the bureau last received for each
    employer (日常共享, 内医保办发〔2022〕19号 五 1). Either way, every employer the bureau last
    received on the list that is off it now (not deferred on ``on``: opted out, no longer
    listed, or no longer eligible — in arrears, a large enterprise, deregistering) goes once as
    a removal (移出清单), in the list's columns: a second sheet of the .xlsx, a file of its own
    beside the .csv. The list's own sheet or file keeps its format. ``actor`` None: a command.

    ``monthly``: the monthly sharing (按月共享, 五 2) made on ``on``, for statistics: last
    month's whole list with last month's 当期数 (``tax_list.monthly_rows``), no removals; its rows
    are not recorded as received, so the daily sharing's changes and removals go on as before.
    """
    if file_format not in FORMATS:
        raise ValueError(f"file_format must be one of {FORMATS}")
    if monthly and since_last:
        raise ValueError("the monthly sharing is the whole list: it has no since_last")
    agency_id = agency.id if agency is not None else None
    _one_export_at_a_time()
    if monthly:
        rows, removals = monthly_rows(on, agency_id=agency_id), []
    else:
        state = tax_list_state(on, agency_id=agency_id)
        rows = state.changed() if since_last else state.rows
        removals = state.removals
    at = clock.now()
    table = tax_list_table(rows, at)
    removals_table = tax_list_table(removals, at, REMOVALS_TITLE) if removals else None
    removals_content = None
    if file_format == "xlsx" and removals_table is not None:
        content = to_xlsx(table, removals_table)
    else:
        content = render(table, file_format)
        if removals_table is not None:
            removals_content = to_csv(removals_table)
    export = TaxListExport(
        agency_id=agency_id,
        on_date=on,
        is_since_last=since_last,
        is_monthly=monthly,
        file_format=file_format,
        row_count=len(rows),
        file_sha256=hashlib.sha256(content).hexdigest(),
        removal_count=len(removals),
        removals_sha256=(
            hashlib.sha256(removals_content).hexdigest() if removals_content is not None else None
        ),
        exported_at=at,
        exported_by_id=actor.id if actor is not None else None,
    )
    db.session.add(export)
    db.session.flush()
    sent = [] if monthly else [(r, False) for r in rows] + [(r, True) for r in removals]
    if sent:
        db.session.execute(
            insert(TaxListExportRow),
            [
                {
                    "export_id": export.id,
                    "employer_id": r.employer_id,
                    "fingerprint": r.fingerprint,
                    "is_removal": is_removal,
                }
                for r, is_removal in sent
            ],
        )
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
            "rows": len(rows),
            # rows sent with 缓缴人数 and 缓缴金额 blank for want of an assessment (五 1)
            "awaiting_assessment": sum(row.is_awaiting_assessment for row in rows),
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
    base = file_base(export, agency)
    exported = ExportedFile(
        content,
        f"{base}.{file_format}",
        mimetype(file_format),
        export,
        removals_content,
        f"{base}-removals.csv" if removals_content is not None else None,
    )
    # What the page hands out, kept: the same request sent again is given it again
    # (portal/web/submissions.py), not a second export.
    export.content = exported.download()[0]
    return exported


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
    """The name and format of what the page hands out (``ExportedFile.download``): the list,
    or a .zip of the list's .csv and its removals'."""
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
