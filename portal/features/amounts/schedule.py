"""The catch-up schedule as rows, for the page and for the CSV and Excel downloads."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from portal.labels import amount_source_label
from portal.rules import to_fen
from portal.rules.standing import Standing

#: A cell: text, money (Decimal, yuan), a date or a count; None for an empty cell.
Cell = str | Decimal | date | int | None
MONEY_FORMAT = "#,##0.00"
DATE_FORMAT = "yyyy-mm-dd"


def schedule_rows(standing: Standing) -> list[list[Cell]]:
    """Header plus one row per deferred month, then the totals, as typed cells: money in fen
    (Decimal), dates as dates, so that a spreadsheet can add them up and sort them."""
    header: list[Cell] = [
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
                line.headcount,
                amount_source_label(line.source),
            ]
        )
    quote = standing.quote
    if quote is not None:
        rows.append([_("Deferred total"), _fen(quote.deferred_total), None, None, None])
        rows.append([_("Paid so far"), _fen(quote.paid), None, None, None])
        rows.append([_("Outstanding"), _fen(quote.outstanding), None, None, None])
        rows.append([_("Catch-up deadline"), quote.deadline, None, None, None])
        rows.append([_("Late fees start on"), quote.late_fee_from, None, None, None])
        if quote.not_assessed:
            rows.append([_("Not assessed yet"), ", ".join(quote.not_assessed), None, None, None])
    return rows


def _fen(amount: Decimal | None) -> Decimal | None:
    return None if amount is None else to_fen(amount)


def _text(cell: Cell) -> str:
    if cell is None:
        return ""
    if isinstance(cell, date):
        return cell.isoformat()
    return _defuse(cell) if isinstance(cell, str) else str(cell)


def to_csv(rows: list[list[Cell]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow([_text(cell) for cell in row])
    # UTF-8 with a byte-order mark, so that Excel opens the Chinese text correctly.
    return buffer.getvalue().encode("utf-8-sig")


def to_xlsx(rows: list[list[Cell]], title: str) -> bytes:
    book = Workbook()
    sheet = book.active
    assert isinstance(sheet, Worksheet)  # noqa: S101 - a new workbook's one sheet
    sheet.title = title[:31]
    for row in rows:
        sheet.append([_defuse(cell) if isinstance(cell, str) else cell for cell in row])
        for target, cell in zip(sheet[sheet.max_row], row, strict=False):
            if isinstance(cell, Decimal):
                target.number_format = MONEY_FORMAT
            elif isinstance(cell, date):
                target.number_format = DATE_FORMAT
    for column in ("A", "B", "C", "D", "E"):
        sheet.column_dimensions[column].width = 22
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _defuse(text: str) -> str:
    """Keep spreadsheet programs from running a cell as a formula (CSV injection)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text
