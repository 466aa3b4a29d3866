"""Tables written as they are made (portal/core/tables.py): the same bytes as in memory, in
flat memory whatever the number of rows."""

from __future__ import annotations

import csv
import io
import tracemalloc
from datetime import UTC, date, datetime
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from portal.core.tables import (
    CSV_CHUNK_CHARS,
    Column,
    Table,
    _text,
    defuse,
    iter_csv,
    render,
    render_to,
    to_csv,
    write_csv,
    write_xlsx,
)

COLUMNS = [
    Column("名称"),
    Column("人数"),
    Column("金额"),
    Column("日期"),
    Column("传输时间", text_format="%Y-%m-%d %H:%M:%S", excel_format="yyyy-mm-dd hh:mm:ss"),
]


def whole_csv(table: Table) -> bytes:
    """The CSV as ``to_csv`` made it before it was streamed: one text, encoded at the end."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([defuse(column.header) for column in table.columns])
    for row in table.rows:
        writer.writerow([_text(cell, column) for cell, column in zip(row, table.columns)])
    return buffer.getvalue().encode("utf-8-sig")


# Text as people and other systems type it: Chinese, quotes, commas, line breaks, a formula.
texts = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs",)) | st.sampled_from('=+-@",\r\n甲'),
    max_size=30,
)
rows = st.lists(
    st.tuples(
        texts | st.none(),
        st.integers(min_value=-(10**12), max_value=10**12) | st.none(),
        st.decimals(allow_nan=False, allow_infinity=False, min_value=-(10**9), max_value=10**9)
        | st.none(),
        st.dates() | st.none(),
        st.datetimes() | st.none(),
    ),
    max_size=40,
)


@settings(max_examples=60, deadline=None)
@given(rows=rows, chunk_chars=st.integers(min_value=1, max_value=300))
def test_the_streamed_csv_is_the_whole_csv_byte_for_byte(rows, chunk_chars):
    expected = whole_csv(Table("t", COLUMNS, rows))
    assert to_csv(Table("t", COLUMNS, iter(rows))) == expected
    assert render(Table("t", COLUMNS, iter(rows)), "csv") == expected
    chunks = list(iter_csv(Table("t", COLUMNS, iter(rows)), chunk_chars=chunk_chars))
    assert b"".join(chunks) == expected
    assert chunks[0].startswith(b"\xef\xbb\xbf") and all(chunks)  # one BOM, no empty piece
    assert not any(chunk.startswith(b"\xef\xbb\xbf") for chunk in chunks[1:])
    stream = io.BytesIO()
    write_csv(Table("t", COLUMNS, iter(rows)), stream)
    assert stream.getvalue() == expected
    stream = io.BytesIO()
    render_to(Table("t", COLUMNS, iter(rows)), "csv", stream)
    assert stream.getvalue() == expected


def test_the_streamed_xlsx_holds_the_same_typed_cells():
    row = ("甲一", 3, Decimal("1234.505"), date(2022, 8, 15), datetime(2022, 8, 15, 10, 3, 4))
    stream = io.BytesIO()
    render_to(Table("清单", COLUMNS, iter([row])), "xlsx", stream)
    for content in (stream.getvalue(), render(Table("清单", COLUMNS, [row]), "xlsx")):
        sheet = load_workbook(io.BytesIO(content)).active
        cells = [cell.value for cell in sheet[2]]
        assert cells == ["甲一", 3, 1234.51, datetime(2022, 8, 15), datetime(2022, 8, 15, 10, 3, 4)]
        assert sheet["C2"].number_format == "#,##0.00"


def openpyxl_xlsx(*tables: Table) -> bytes:
    """The workbook as openpyxl's write-only mode wrote it before XlsxWriter did."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.utils import get_column_letter

    from portal.rules import to_fen

    def value(cell):
        if isinstance(cell, Decimal):
            return to_fen(cell)
        if isinstance(cell, datetime):
            return cell.replace(tzinfo=None)
        return defuse(cell) if isinstance(cell, str) else cell

    book = Workbook(write_only=True)
    for table in tables:
        sheet = book.create_sheet(table.title[:31])
        for index, column in enumerate(table.columns, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = column.width
        sheet.freeze_panes = f"A{len(table.above) + 2}"
        for line in table.above:
            sheet.append([value(cell) for cell in line])
        sheet.append([defuse(column.header) for column in table.columns])
        for row in table.rows:
            cells = []
            for cell, column in zip(row, table.columns, strict=True):
                if isinstance(cell, Decimal | date):
                    typed = WriteOnlyCell(sheet)
                    typed.value = value(cell)
                    typed.number_format = (
                        "#,##0.00" if isinstance(cell, Decimal) else column.excel_format
                    )
                    cells.append(typed)
                else:
                    cells.append(value(cell))
            sheet.append(cells)
        if table.below:
            sheet.append([])
        for line in table.below:
            sheet.append([value(cell) for cell in line])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def cells_of(content: bytes) -> list[tuple[str, str | None, list[list[tuple]]]]:
    """Each sheet's title, frozen panes and cells (value, kind, number format), read back."""
    book = load_workbook(io.BytesIO(content))
    return [
        (
            sheet.title,
            sheet.freeze_panes,
            [
                [
                    (c.value, c.data_type, c.number_format if c.value is not None else None)
                    for c in r
                ]
                for r in sheet.iter_rows()
            ],
        )
        for sheet in book.worksheets
    ]


def test_the_xlsx_has_the_cells_openpyxl_wrote():
    """XlsxWriter's file (constant memory) read back holds what openpyxl's did: the same
    sheets, frozen headers, text, numbers, money and dates with their formats."""
    rows = [
        ("甲一", 3, Decimal("1234.505"), date(2022, 8, 15), datetime(2022, 8, 15, 10, 3, 4)),
        ("=HYPERLINK(1)", None, Decimal("0"), None, None),
        (None, 0, Decimal("-98765432.1"), date(2023, 3, 31), datetime(2022, 1, 1, tzinfo=UTC)),
        ("  带空格 ", 10**12, None, date(1999, 12, 31), datetime(2022, 12, 31, 23, 59, 59)),
    ]
    form = {
        "above": [["表一", None, "单位"], ["填报单位：", "甲"]],
        "below": [["负责人：", None, "x"]],
    }

    def tables() -> tuple[Table, Table]:  # the rows are read once: a fresh pair each time
        return (
            Table("清单", COLUMNS, iter(rows)),
            Table("移出清单", COLUMNS, iter(rows[:2]), **form),
        )

    expected = cells_of(openpyxl_xlsx(*tables()))
    stream = io.BytesIO()
    write_xlsx(stream, *tables())
    assert cells_of(stream.getvalue()) == expected
    assert expected[0][1] == "A2" and expected[1][1] == "A4"
    assert expected[0][2][1][2] == (1234.51, "n", "#,##0.00")


class CountingSink(io.RawIOBase):
    """A binary file that keeps nothing: it counts the bytes written to it, and notes at each
    write how far the rows' generator has gone."""

    def __init__(self, produced: list[int]) -> None:
        self.produced = produced
        self.written = 0
        self.largest = 0
        self.lines = 0
        self.ahead = 0  # the most rows made but not yet written, at any write

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.written += len(data)
        self.largest = max(self.largest, len(data))
        self.lines += bytes(data).count(b"\r\n")
        self.ahead = max(self.ahead, self.produced[0] - (self.lines - 1))  # less the header
        return len(data)


def generated(count: int, produced: list[int]):
    for n in range(count):
        produced[0] = n + 1
        yield (f"聊城市示例商贸有限公司{n}", n)


def test_two_hundred_thousand_rows_stream_in_flat_memory():
    """A generator's rows go to a sink that keeps nothing: they are written as they are made
    (never all read first), in pieces of a bounded size, and what Python holds at its peak is
    a piece's worth, not the rows' nor the file's (tracemalloc over 30,000 of them: ten times
    slower, so not over all)."""
    columns = COLUMNS[:2]
    produced = [0]
    sink = CountingSink(produced)
    write_csv(Table("t", columns, generated(200_000, produced)), sink)
    assert sink.lines == 1 + 200_000 and sink.written > 8_000_000
    assert sink.ahead <= 3_000  # a 64 KiB piece holds some 2,300 of these rows
    assert sink.largest <= 4 * (CSV_CHUNK_CHARS + 100)  # UTF-8: at most 4 bytes a character

    produced = [0]
    sink = CountingSink(produced)
    tracemalloc.start()
    try:
        write_csv(Table("t", columns, generated(30_000, produced)), sink)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # Kept whole until the end, the text peaks at 5.7 MB here; a piece at under 1 MB.
    assert sink.lines == 1 + 30_000
    assert peak < 2_000_000, f"peak {peak:,} bytes"
