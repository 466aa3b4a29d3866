"""Tables of typed cells written as CSV (UTF-8 with BOM) or .xlsx, for every report.

Money is a ``Decimal`` (a number cell ``#,##0.00``; "1234.50" in CSV), counts are ``int``, dates
are ``date``/``datetime`` (real date cells with the column's display format; the column's text
format in CSV), everything else text, defused against formula injection.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from portal.rules import to_fen

MONEY_FORMAT = "#,##0.00"
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MIMETYPE = "text/csv; charset=utf-8"
ZIP_MIMETYPE = "application/zip"
FORMATS = ("csv", "xlsx")

Cell = str | int | Decimal | date | datetime | None


@dataclass(frozen=True)
class Column:
    header: str
    # For date and datetime cells: strftime for CSV, and the Excel number format.
    text_format: str = "%Y-%m-%d"
    excel_format: str = "yyyy-mm-dd"
    width: int = 16


@dataclass(frozen=True)
class Table:
    title: str
    columns: Sequence[Column]
    rows: Sequence[Sequence[Cell]]


def to_csv(table: Table) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([defuse(column.header) for column in table.columns])
    for row in table.rows:
        cells = zip(row, table.columns, strict=True)
        writer.writerow([_text(cell, column) for cell, column in cells])
    # UTF-8 with a byte-order mark, so that Excel opens the Chinese text correctly.
    return buffer.getvalue().encode("utf-8-sig")


def to_xlsx(table: Table, *more: Table) -> bytes:
    """A workbook of ``table``'s sheet (the first, active one), then one sheet per ``more``."""
    book = Workbook()
    sheet = book.active
    assert isinstance(sheet, Worksheet)  # noqa: S101 - a new workbook's one sheet
    _fill(sheet, table)
    for other in more:
        _fill(book.create_sheet(), other)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _fill(sheet: Worksheet, table: Table) -> None:
    sheet.title = table.title[:31]
    sheet.append([defuse(column.header) for column in table.columns])
    for row in table.rows:
        sheet.append([_value(cell) for cell in row])
        for index, (cell, column) in enumerate(zip(row, table.columns, strict=True), start=1):
            target = sheet.cell(row=sheet.max_row, column=index)
            if isinstance(cell, Decimal):
                target.number_format = MONEY_FORMAT
            elif isinstance(cell, date):
                target.number_format = column.excel_format
    for index, column in enumerate(table.columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    sheet.freeze_panes = "A2"


def render(table: Table, file_format: str) -> bytes:
    return to_xlsx(table) if file_format == "xlsx" else to_csv(table)


def mimetype(file_format: str) -> str:
    return {"xlsx": XLSX_MIMETYPE, "zip": ZIP_MIMETYPE}.get(file_format, CSV_MIMETYPE)


def to_zip(files: Sequence[tuple[str, bytes]], at: datetime) -> bytes:
    """A .zip of ``(name, content)`` files, each dated ``at`` (naive local time, as zip keeps
    it): the same files at the same moment give the same bytes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files:
            info = zipfile.ZipInfo(name, date_time=at.timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, content)
    return buffer.getvalue()


def _text(cell: Cell, column: Column) -> str:
    if cell is None:
        return ""
    if isinstance(cell, Decimal):
        return str(to_fen(cell))
    if isinstance(cell, date):  # datetime too
        return cell.strftime(column.text_format)
    if isinstance(cell, int):
        return str(cell)
    return defuse(cell)


def _value(cell: Cell) -> Cell:
    if isinstance(cell, Decimal):
        return to_fen(cell)
    if isinstance(cell, datetime):
        return cell.replace(tzinfo=None)  # Excel has no zones: the caller gives local time
    if isinstance(cell, str):
        return defuse(cell)
    return cell


def defuse(text: str) -> str:
    """Keep spreadsheet programs from running a cell as a formula (CSV injection)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
