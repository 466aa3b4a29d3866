"""Tables written as they are made (portal/core/tables.py): the same bytes as in memory, in
flat memory whatever the number of rows."""

from __future__ import annotations

import csv
import io
import tracemalloc
from datetime import date, datetime
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
