"""Tables of typed cells written as CSV (UTF-8 with BOM) or .xlsx, for every download.

Money is a ``Decimal`` (a number cell ``#,##0.00``; "1234.50" in CSV), counts are ``int``, dates
are ``date``/``datetime`` (real date cells with the column's display format; the column's text
format in CSV), everything else text, defused against formula injection.

The .xlsx is written in openpyxl's write-only mode: each row goes to the sheet's XML as it comes,
so the time per row is flat and the rows are never all held as cells (the normal mode keeps
every cell, and asking it for the last row, as this module once did per cell, was quadratic:
4,000 rows took 137 s).

Either file can be written to a stream as it is made (``write_csv``, ``iter_csv``,
``write_xlsx``, ``render_to``): the rows are read once, as they come, and neither the rows nor
the whole file are held (a CSV is passed on every ``CSV_CHUNK_CHARS`` characters; the .xlsx's
sheets wait in openpyxl's temporary files until the workbook is zipped into the stream).
``to_csv``, ``to_xlsx`` and ``render`` are the same written into memory, byte for byte.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import BinaryIO

from openpyxl import Workbook
from openpyxl.cell import Cell as ExcelCell
from openpyxl.cell import WriteOnlyCell
from openpyxl.utils import get_column_letter

from portal.rules import to_fen

MONEY_FORMAT = "#,##0.00"
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MIMETYPE = "text/csv; charset=utf-8"
ZIP_MIMETYPE = "application/zip"
FORMATS = ("csv", "xlsx")
#: A CSV is handed on in pieces of about this many characters (a row is never split): 64 KiB
#: keeps the writes few and the memory flat whatever the number of rows.
CSV_CHUNK_CHARS = 64 * 1024

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
    rows: Iterable[Sequence[Cell]]  # read once
    # A form's lines above its column headers and below its rows (a title, who fills it in and
    # when): the .xlsx only, as text cells; a CSV is the table alone, for other systems.
    above: Sequence[Sequence[str | None]] = ()
    below: Sequence[Sequence[str | None]] = ()


def to_csv(table: Table) -> bytes:
    return b"".join(iter_csv(table))


def write_csv(table: Table, stream: BinaryIO) -> None:
    """The CSV (UTF-8 with BOM) written to ``stream`` piece by piece, as the rows come."""
    for chunk in iter_csv(table):
        stream.write(chunk)


def iter_csv(table: Table, *, chunk_chars: int = CSV_CHUNK_CHARS) -> Iterator[bytes]:
    """The CSV in pieces of whole rows, each of about ``chunk_chars`` characters (for a
    streamed response): the first starts with the byte-order mark, so that Excel opens the
    Chinese text correctly; joined, they are the whole text's ``encode("utf-8-sig")``."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([defuse(column.header) for column in table.columns])
    first = True
    for row in table.rows:
        cells = zip(row, table.columns, strict=True)
        writer.writerow([_text(cell, column) for cell, column in cells])
        if buffer.tell() >= chunk_chars:
            yield _take(buffer, bom=first)
            first = False
    if first or buffer.tell():
        yield _take(buffer, bom=first)


def _take(buffer: io.StringIO, *, bom: bool) -> bytes:
    """What ``buffer`` holds, encoded; the buffer emptied for the next rows."""
    chunk = buffer.getvalue().encode("utf-8-sig" if bom else "utf-8")
    buffer.seek(0)
    buffer.truncate()
    return chunk


def to_xlsx(table: Table, *more: Table) -> bytes:
    """The tables as the sheets of one workbook, in order."""
    buffer = io.BytesIO()
    write_xlsx(buffer, table, *more)
    return buffer.getvalue()


def write_xlsx(stream: BinaryIO, table: Table, *more: Table) -> None:
    """The tables as the sheets of one workbook, in order, zipped into ``stream``."""
    book = Workbook(write_only=True)
    for each in (table, *more):
        _write_sheet(book, each)
    book.save(stream)


def _write_sheet(book: Workbook, table: Table) -> None:
    sheet = book.create_sheet(table.title[:31])
    for index, column in enumerate(table.columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    sheet.freeze_panes = f"A{len(table.above) + 2}"
    for line in table.above:
        sheet.append([_value(cell) for cell in line])
    sheet.append([defuse(column.header) for column in table.columns])
    formats = [column.excel_format for column in table.columns]
    for row in table.rows:
        sheet.append([_cell(sheet, cell, form) for cell, form in zip(row, formats, strict=True)])
    if table.below:
        sheet.append([])
    for line in table.below:
        sheet.append([_value(cell) for cell in line])


def _cell(sheet, cell: Cell, date_format: str) -> Cell | ExcelCell:
    """A plain value, or a cell carrying its number format (money, dates)."""
    if isinstance(cell, Decimal | date):
        typed = WriteOnlyCell(sheet)
        typed.value = _value(cell)
        typed.number_format = MONEY_FORMAT if isinstance(cell, Decimal) else date_format
        return typed
    return _value(cell)


def render(table: Table, file_format: str) -> bytes:
    return to_xlsx(table) if file_format == "xlsx" else to_csv(table)


def render_to(table: Table, file_format: str, stream: BinaryIO) -> None:
    """``render``, written to ``stream`` as it is made."""
    if file_format == "xlsx":
        write_xlsx(stream, table)
    else:
        write_csv(table, stream)


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


def cell_text(cell: Cell, column: Column) -> str:
    """A cell as the CSV file writes it."""
    return _text(cell, column)


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
