"""Tables of typed cells written as CSV (UTF-8 with BOM) or .xlsx, for every download.

Money is a ``Decimal`` (a number cell ``#,##0.00``; "1234.50" in CSV), counts are ``int``, dates
are ``date``/``datetime`` (real date cells with the column's display format; the column's text
format in CSV), everything else text, defused against formula injection.

The .xlsx is written by XlsxWriter in its constant-memory mode: each row goes to the sheet's
temporary XML file as it comes (strings inline), so the time per row is flat and the rows are
never all held as cells. openpyxl, whose normal mode keeps every cell (and asking it for the last
row, as this module once did per cell, was quadratic: 4,000 rows took 137 s), also wrote it in
write-only mode for a while: about twice as slow per cell as XlsxWriter, and it keeps every
distinct string in memory (its shared-strings table). openpyxl still reads the files (imports,
tests).

Either file can be written to a stream as it is made (``write_csv``, ``iter_csv``,
``write_xlsx``, ``render_to``): the rows are read once, as they come, and neither the rows nor
the whole file are held (a CSV is passed on every ``CSV_CHUNK_CHARS`` characters; the .xlsx's
sheets wait in XlsxWriter's temporary files until the workbook is zipped into the stream).
``to_csv``, ``to_xlsx`` and ``render`` are the same written into memory, byte for byte.
"""

from __future__ import annotations

import csv
import io
import itertools
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, BinaryIO

from xlsxwriter import Workbook
from xlsxwriter.format import Format

from portal.rules import to_fen

MONEY_FORMAT = "#,##0.00"
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MIMETYPE = "text/csv; charset=utf-8"
ZIP_MIMETYPE = "application/zip"
FORMATS = ("csv", "xlsx")
#: XlsxWriter's workbook options: rows go to each sheet's temporary file as they are written
#: (constant memory: strings inline, no shared-strings table held), and text is written as
#: text, never guessed into a number, a formula or a link.
XLSX_OPTIONS = {
    "constant_memory": True,
    "strings_to_numbers": False,
    "strings_to_formulas": False,
    "strings_to_urls": False,
}
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
    write_sheets(stream, [table], more)


def write_sheets(stream: BinaryIO, first: Iterable[Table], then: Iterable[Table] = ()) -> None:
    """The tables of ``first`` then ``then`` as the sheets of one workbook, in order, zipped
    into ``stream``. Each table is asked for once the sheets before it are written: a later
    sheet may depend on what the earlier ones' rows found (the 缓缴清单's removals)."""
    book = Workbook(stream, XLSX_OPTIONS)
    formats: dict[str, Format] = {}
    for each in itertools.chain(first, then):
        _write_sheet(book, each, formats)
    book.close()


def _write_sheet(book: Workbook, table: Table, formats: dict[str, Format]) -> None:
    sheet = book.add_worksheet(table.title[:31])

    def styled(number_format: str) -> Format:
        if number_format not in formats:
            formats[number_format] = book.add_format({"num_format": number_format})
        return formats[number_format]

    for index, column in enumerate(table.columns):
        sheet.set_column(index, index, column.width)
    sheet.freeze_panes(len(table.above) + 1, 0)
    row = 0
    for line in table.above:
        _write_line(sheet, row, line)
        row += 1
    _write_line(sheet, row, [column.header for column in table.columns])
    row += 1
    # Each cell by its kind, straight to XlsxWriter's typed writers (its generic ``write``
    # guesses the kind again, cell by cell). ``write_number`` is called with the float of the
    # cents, as openpyxl wrote the Decimal: the same number read back.
    money = styled(MONEY_FORMAT)
    dates = [styled(column.excel_format) for column in table.columns]
    write_string, write_number = sheet.write_string, sheet.write_number
    write_datetime = sheet.write_datetime
    width = len(table.columns)
    for cells in table.rows:
        if len(cells) != width:
            raise ValueError(f"a row of {len(cells)} cells in a table of {width} columns")
        cell: Any
        for col, cell in enumerate(cells):
            kind = type(cell)
            if cell is None:
                continue
            if kind is str:
                write_string(row, col, defuse(cell))
            elif kind is int:
                write_number(row, col, cell)
            elif kind is Decimal:
                write_number(row, col, float(to_fen(cell)), money)
            elif kind is datetime:  # Excel has no zones: the caller gives local time
                write_datetime(row, col, cell.replace(tzinfo=None), dates[col])
            elif kind is date:
                write_datetime(row, col, cell, dates[col])
            else:
                _write_other(sheet, row, col, cell, money, dates[col])
        row += 1
    if table.below:
        row += 1
    for line in table.below:
        _write_line(sheet, row, line)
        row += 1


def _write_other(sheet, row: int, col: int, cell: Cell, money: Format, dated: Format) -> None:
    """A cell of a subclass of the usual kinds (a bool is an int, as openpyxl took it)."""
    if isinstance(cell, Decimal):
        sheet.write_number(row, col, float(to_fen(cell)), money)
    elif isinstance(cell, datetime):
        sheet.write_datetime(row, col, cell.replace(tzinfo=None), dated)
    elif isinstance(cell, date):
        sheet.write_datetime(row, col, cell, dated)
    elif isinstance(cell, int):
        sheet.write_number(row, col, int(cell))
    else:
        sheet.write_string(row, col, defuse(str(cell)))


def _write_line(sheet, row: int, line: Sequence[str | None]) -> None:
    """A form's line of text cells (``Table.above`` and ``below``), or the column headers."""
    for col, cell in enumerate(line):
        if cell is not None:
            sheet.write_string(row, col, defuse(cell))


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


def defuse(text: str) -> str:
    """Keep spreadsheet programs from running a cell as a formula (CSV injection)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
