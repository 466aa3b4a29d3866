"""Send the 缓缴清单: build the file, record what was sent, write the audit row."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date

from sqlalchemy import insert

from portal.core import audit
from portal.core.extensions import db
from portal.features.reports.files import FORMATS, mimetype, render
from portal.features.reports.tax_list import last_sent_fingerprints, tax_list_rows, tax_list_table
from portal.models import Agency, TaxListExport, TaxListExportRow, User
from portal.util import clock


@dataclass(frozen=True)
class ExportedFile:
    content: bytes
    filename: str
    mimetype: str
    export: TaxListExport


def export_tax_list(
    on: date,
    *,
    agency: Agency | None,
    since_last: bool,
    file_format: str,
    actor: User | None,
) -> ExportedFile:
    """Build the 缓缴清单 of ``agency`` (None: every agency) on ``on`` and record it.

    ``since_last``: only the rows new or changed since what the bureau last received for each
    employer (日常共享, 内医保办发〔2022〕19号 五 1). ``actor`` None: a command.
    """
    if file_format not in FORMATS:
        raise ValueError(f"file_format must be one of {FORMATS}")
    agency_id = agency.id if agency is not None else None
    rows = tax_list_rows(on, agency_id=agency_id)
    if since_last:
        sent = last_sent_fingerprints(agency_id=agency_id)
        rows = [row for row in rows if sent.get(row.employer_id) != row.fingerprint]
    at = clock.now()
    content = render(tax_list_table(rows, at), file_format)
    export = TaxListExport(
        agency_id=agency_id,
        on_date=on,
        is_since_last=since_last,
        file_format=file_format,
        row_count=len(rows),
        file_sha256=hashlib.sha256(content).hexdigest(),
        content=content,
        exported_at=at,
        exported_by_id=actor.id if actor is not None else None,
    )
    db.session.add(export)
    db.session.flush()
    if rows:
        db.session.execute(
            insert(TaxListExportRow),
            [
                {"export_id": export.id, "employer_id": r.employer_id, "fingerprint": r.fingerprint}
                for r in rows
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
            "rows": len(rows),
            # rows sent with 缓缴人数 and 缓缴金额 blank for want of an assessment (五 1)
            "awaiting_assessment": sum(row.is_awaiting_assessment for row in rows),
            "format": file_format,
            "sha256": export.file_sha256,
        },
    )
    return ExportedFile(content, file_name(export, agency), mimetype(file_format), export)


def file_name(export: TaxListExport, agency: Agency | None) -> str:
    """The name the export's file is sent with: its agency, date, kind and number."""
    scope = agency.code if agency is not None else "all"
    suffix = "-changes" if export.is_since_last else ""
    return f"tax-list-{scope}-{export.on_date:%Y%m%d}{suffix}-{export.id}.{export.file_format}"
