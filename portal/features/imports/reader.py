"""Read an imported table, CSV or .xlsx, row by row, without trusting it.

CSV: UTF-8 with or without a byte-order mark, or GB18030 (what the departments' Excel saves as
"CSV"); the encoding is detected from the first megabyte and any undecodable byte later refuses
the file. .xlsx: the first sheet, read-only (streamed) through openpyxl, which parses the XML
with defusedxml (no entity expansion); the archive's sizes are checked before anything is
expanded (a zip bomb is refused unopened). The first row names the columns, in Chinese or by
the English alias; order is free; unknown columns are ignored; formula cells are refused.
"""

from __future__ import annotations

import codecs
import csv
import io
import unicodedata
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import BinaryIO

from portal.rules.errors import DomainError

#: Bytes read to tell UTF-8 from GB18030.
SNIFF_BYTES = 1 << 20
#: An .xlsx may expand to at most this much, and at most this many times its own size.
MAX_UNPACKED_BYTES = 1 << 30
MAX_RATIO = 200
#: A longer cell is refused (no column of any import holds more).
MAX_CELL_CHARS = 500
#: A row with more cells is refused (the widest import, the list, has sixteen columns).
MAX_COLUMNS = 200

Opener = Callable[[], BinaryIO]


class FileRefused(DomainError):
    """The file as a whole cannot be read: ``code`` says why (portal/labels/errors.py)."""

    kind = "import_file"


@dataclass(frozen=True)
class Column:
    key: str
    zh: str
    required: bool = True
    #: The refusal's code when the header lacks the column and it must not be guessed (its
    #: own words, ``import_file.<code>``); None: the plain "these columns are missing".
    missing_code: str | None = None

    @property
    def names(self) -> tuple[str, str]:
        return (_fold(self.zh), _fold(self.key))


@dataclass(frozen=True)
class Source:
    """A file that can be read more than once (checked, then applied): a name and an opener."""

    name: str
    open: Opener

    @classmethod
    def from_bytes(cls, name: str, data: bytes) -> Source:
        return cls(name, lambda: io.BytesIO(data))

    @classmethod
    def from_path(cls, path: str) -> Source:
        import os

        return cls(os.path.basename(path), lambda: open(path, "rb"))  # noqa: SIM115


def _fold(text: str) -> str:
    """Header text as compared: NFKC (full-width folded), trimmed, lower case, no spaces."""
    return "".join(unicodedata.normalize("NFKC", text).split()).lower()


def is_xlsx(name: str) -> bool:
    return name.lower().endswith(".xlsx")


def table(
    source: Source, columns: tuple[Column, ...]
) -> tuple[dict[str, int], Iterator[tuple[int, list[str]]]]:
    """The header's {column key: index} and the rows after it: (line number as in the file,
    the cells as the file has them, untrimmed, maybe fewer than the header's), blank rows left
    out. Each kind's row reader takes its cells by index (``kinds.base.Kind.reader``).

    :raise FileRefused: unreadable file, no header, a missing or repeated column (here, or
        later from the rows: an undecodable byte, a cell too long …).
    """
    raw = _xlsx_rows(source) if is_xlsx(source.name) else _csv_rows(source)
    first = next(raw, None)
    if first is None:
        raise FileRefused("no_header")
    return _header(first[1], columns), raw


def _header(cells: list[str], columns: tuple[Column, ...]) -> dict[str, int]:
    by_name = {name: column for column in columns for name in column.names}
    found: dict[str, int] = {}
    for index, cell in enumerate(cells):
        column = by_name.get(_fold(cell))
        if column is None:
            continue  # unknown columns are ignored
        if column.key in found:
            raise FileRefused("duplicate_column", column=column.zh)
        found[column.key] = index
    missing = [c for c in columns if c.required and c.key not in found]
    if missing:
        raise FileRefused(
            "missing_columns",
            columns="、".join(c.zh for c in missing),
            missing=[
                {"code": c.missing_code or "missing_column", "column": c.zh, "alias": c.key}
                for c in missing
            ],
        )
    return found


def file_refusals(error: FileRefused) -> list[FileRefused]:
    """A refusal of the whole file as its problems, one each: a header missing columns gives
    one per column (``missing_code`` says why where it must not be guessed)."""
    missing = error.details.get("missing") if error.code == "missing_columns" else None
    if not isinstance(missing, list) or not missing:
        return [error]
    return [
        FileRefused(item["code"], column=item["column"], alias=item["alias"]) for item in missing
    ]


# ------------------------------------------------------------------------------ CSV


def _csv_rows(source: Source) -> Iterator[tuple[int, list[str]]]:
    """(line, cells) of every row that is not blank (the header too)."""
    with source.open() as stream:
        encoding = _encoding(stream.read(SNIFF_BYTES))
        stream.seek(0)
        text = io.TextIOWrapper(stream, encoding=encoding, errors="strict", newline="")
        reader = csv.reader(text)
        try:
            for cells in reader:
                if len(cells) > MAX_COLUMNS:
                    raise FileRefused("too_many_columns", line=reader.line_num, limit=MAX_COLUMNS)
                joined = "".join(cells)  # one string per row: the length and blank checks
                if len(joined) > MAX_CELL_CHARS and max(map(len, cells)) > MAX_CELL_CHARS:
                    raise FileRefused("cell_too_long", line=reader.line_num, limit=MAX_CELL_CHARS)
                if joined.strip():
                    yield reader.line_num, cells
        except UnicodeDecodeError as error:
            raise FileRefused("encoding", line=reader.line_num + 1) from error
        except csv.Error as error:
            raise FileRefused("not_csv", line=reader.line_num) from error


def _encoding(head: bytes) -> str:
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if b"\x00" in head:
        raise FileRefused("encoding", line=1)  # UTF-16, or not text at all
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        decoder.decode(head, final=False)  # a character cut at the sniff boundary is fine
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        codecs.getincrementaldecoder("gb18030")().decode(head, final=False)
        return "gb18030"
    except UnicodeDecodeError as error:
        raise FileRefused("encoding", line=1) from error


# ------------------------------------------------------------------------------ .xlsx


def _xlsx_rows(source: Source) -> Iterator[tuple[int, list[str]]]:
    """(line, cells) of every row of the first sheet that is not blank (the header too)."""
    import openpyxl  # defusedxml installed: openpyxl parses with it (openpyxl.xml.DEFUSEDXML)

    with source.open() as stream:
        if not zipfile.is_zipfile(stream):
            raise FileRefused("not_xlsx")
        stream.seek(0)
        try:
            with zipfile.ZipFile(stream) as archive:
                _check_archive(archive, stream)
            stream.seek(0)
            book = openpyxl.load_workbook(stream, read_only=True, data_only=False)
        except FileRefused:
            raise
        except Exception as error:  # noqa: BLE001 - any parse failure of a hostile file
            raise FileRefused("not_xlsx") from error
        try:
            sheet = book.worksheets[0] if book.worksheets else None
            if sheet is None:
                raise FileRefused("no_header")
            # The sheet's own <dimension> is not trusted: it can claim 16,384 columns a row, and
            # read-only mode would pad every row to it.
            sheet.reset_dimensions()
            line = 0
            for row in sheet.iter_rows():
                # An empty cell of a read-only sheet has no row of its own.
                line = next((found for c in row if (found := getattr(c, "row", None))), line + 1)
                if len(row) > MAX_COLUMNS:
                    raise FileRefused("too_many_columns", line=line, limit=MAX_COLUMNS)
                cells = [_xlsx_text(cell, line) for cell in row]
                if "".join(cells).strip():
                    yield line, cells
        except FileRefused:
            raise
        except Exception as error:  # noqa: BLE001 - a sheet that breaks half-way
            raise FileRefused("not_xlsx") from error
        finally:
            book.close()


def _check_archive(archive: zipfile.ZipFile, stream: BinaryIO) -> None:
    stream.seek(0, io.SEEK_END)
    packed = max(stream.tell(), 1)
    unpacked = sum(info.file_size for info in archive.infolist())
    if unpacked > MAX_UNPACKED_BYTES or unpacked / packed > MAX_RATIO:
        raise FileRefused("xlsx_too_large")
    if "xl/workbook.xml" not in archive.namelist():
        raise FileRefused("not_xlsx")


def _xlsx_text(cell, line: int) -> str:
    value = cell.value
    if value is None:
        return ""
    if getattr(cell, "data_type", None) == "f" or (isinstance(value, str) and value[:1] == "="):
        raise FormulaCell(line)
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, datetime):
        text = value.date().isoformat() if value.time() == datetime.min.time() else str(value)
        return DateCell(text, value.date())
    if isinstance(value, date):
        return DateCell(value.isoformat(), value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    text = str(value)
    if len(text) > MAX_CELL_CHARS:
        raise FileRefused("cell_too_long", line=line, limit=MAX_CELL_CHARS)
    return text


class DateCell(str):
    """A cell Excel stores as a date: its ISO text, with the date kept as ``day``. Excel turns a
    month typed as "2022-09" into the date 2022-09-01, so a month column takes the date's year
    and month (``cells.month``); a day column reads the text. Trimming keeps the date."""

    day: date

    def __new__(cls, text: str, day: date) -> DateCell:
        cell = super().__new__(cls, text)
        cell.day = day
        return cell

    def strip(self, chars: str | None = None) -> str:
        return self if chars is None else str(self).strip(chars)


class FormulaCell(FileRefused):
    """A cell holds a formula: the file must carry values (paste as values)."""

    def __init__(self, line: int) -> None:
        super().__init__("formula", line=line)
