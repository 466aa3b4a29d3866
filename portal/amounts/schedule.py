"""The catch-up schedule as rows, for the page and for the CSV and Excel downloads."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from flask_babel import gettext as _
from openpyxl import Workbook

from portal.labels import amount_source_label
from portal.rules import to_fen
from portal.rules.standing import Standing


def schedule_rows(standing: Standing) -> list[list[str]]:
    """Header plus one row per deferred month, then the totals: plain text cells."""
    header = [
        _("Contribution month"),
        _("Unit part deferred (yuan)"),
        _("Personal part (paid monthly)"),
        _("Insured persons"),
        _("Source"),
    ]
    rows = [header]
    for line in standing.lines:
        rows.append(
            [
                line.month,
                _fen(line.unit_amount),
                _fen(line.personal_amount),
                str(line.headcount) if line.headcount is not None else "",
                amount_source_label(line.source),
            ]
        )
    quote = standing.quote
    if quote is not None:
        rows.append([_("Deferred total"), _fen(quote.deferred_total), "", "", ""])
        rows.append([_("Paid so far"), _fen(quote.paid), "", "", ""])
        rows.append([_("Outstanding"), _fen(quote.outstanding), "", "", ""])
        rows.append([_("Catch-up deadline"), quote.deadline.isoformat(), "", "", ""])
        rows.append([_("Late fees start on"), quote.late_fee_from.isoformat(), "", "", ""])
    return rows


def _fen(amount: Decimal | None) -> str:
    return "" if amount is None else str(to_fen(amount))


def to_csv(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow([_defuse(cell) for cell in row])
    # UTF-8 with a byte-order mark, so that Excel opens the Chinese text correctly.
    return buffer.getvalue().encode("utf-8-sig")


def to_xlsx(rows: list[list[str]], title: str) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = title[:31]
    for row in rows:
        sheet.append([_cell(cell) for cell in row])
    for column in ("A", "B", "C", "D", "E"):
        sheet.column_dimensions[column].width = 22
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _cell(text: str) -> str | Decimal:
    try:
        return Decimal(text) if text and text.replace(".", "", 1).isdigit() else _defuse(text)
    except ArithmeticError:
        return _defuse(text)


def _defuse(text: str) -> str:
    """Keep spreadsheet programs from running a cell as a formula (CSV injection)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text
