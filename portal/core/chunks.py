"""Large files kept in the database a megabyte a row, written and read as streams.

A file too large to hold in a process at once (an uploaded register of a million rows, a job's
export) is kept as numbered chunks in a table of its own (``UploadedFileChunk``,
``JobFileChunk``): every worker on every machine reads it, it is written in the caller's
transaction (a request or job that fails leaves none of it), and neither writing nor reading
holds more than a chunk and a buffer. ``key`` names the file among the table's rows, e.g.
``{"job_id": 7}``; the table has that key's columns, ``seq`` (0, 1, …) and ``data``.
"""

from __future__ import annotations

import bisect
import io
from collections.abc import Callable, Iterator
from typing import Any

from sqlalchemy import delete, func, insert, select

from portal.core.extensions import db

CHUNK_BYTES = 1 << 20


def _where(model: Any, key: dict[str, Any]) -> list[Any]:
    return [getattr(model, column) == value for column, value in key.items()]


class ChunkWriter(io.RawIOBase):
    """A write-only, unseekable binary stream into ``model``'s rows for ``key``, a megabyte a
    row, in the session's transaction. ``on_close`` is told the file's size."""

    def __init__(
        self,
        model: Any,
        key: dict[str, Any],
        on_close: Callable[[int], None] | None = None,
        chunk_bytes: int | None = None,
    ):
        super().__init__()
        self.model, self.key, self.on_close = model, key, on_close
        self.chunk_bytes = chunk_bytes or CHUNK_BYTES
        self.buffer = bytearray()
        self.seq = 0
        self.size = 0

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        view = memoryview(data).cast("B")
        self.size += len(view)
        start = 0
        if not self.buffer:  # whole chunks straight from what is written: one copy each
            while len(view) - start >= self.chunk_bytes:
                self._put(bytes(view[start : start + self.chunk_bytes]))
                start += self.chunk_bytes
        self.buffer += view[start:]
        while len(self.buffer) >= self.chunk_bytes:
            self._put(bytes(self.buffer[: self.chunk_bytes]))
            del self.buffer[: self.chunk_bytes]
        return len(view)

    def close(self) -> None:
        if not self.closed:
            if self.buffer or self.seq == 0:
                self._put(bytes(self.buffer))
                self.buffer.clear()
            if self.on_close is not None:
                self.on_close(self.size)
        super().close()

    def _put(self, data: bytes) -> None:
        db.session.execute(insert(self.model), {**self.key, "seq": self.seq, "data": data})
        self.seq += 1


class ChunkReader(io.RawIOBase):
    """A readable, seekable binary stream over ``model``'s rows for ``key``: one chunk is
    fetched at a time, as the reading reaches it (an .xlsx's archive seeks; a CSV reads on)."""

    def __init__(self, model: Any, key: dict[str, Any]):
        super().__init__()
        self.model, self.key = model, key
        lengths = db.session.execute(
            select(model.seq, func.length(model.data))
            .where(*_where(model, key))
            .order_by(model.seq)
        ).all()
        self.seqs = [seq for seq, _ in lengths]
        self.starts: list[int] = []
        total = 0
        for _, length in lengths:
            self.starts.append(total)
            total += length or 0
        self.size = total
        self.position = 0
        self.index = -1  # the chunk held, by its place in ``seqs``
        self.chunk = b""

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self.position, io.SEEK_END: self.size}[whence]
        self.position = max(base + offset, 0)
        return self.position

    def readinto(self, buffer) -> int:
        if self.position >= self.size:
            return 0
        index = self._index_at(self.position)
        if index != self.index:
            self.chunk = (
                db.session.scalar(
                    select(self.model.data).where(
                        *_where(self.model, self.key), self.model.seq == self.seqs[index]
                    )
                )
                or b""
            )
            self.index = index
        start = self.position - self.starts[index]
        piece = memoryview(self.chunk)[start : start + len(buffer)]
        buffer[: len(piece)] = piece
        self.position += len(piece)
        return len(piece)

    def _index_at(self, position: int) -> int:
        if 0 <= self.index < len(self.starts) and self.starts[self.index] <= position < (
            self.starts[self.index] + len(self.chunk)
        ):
            return self.index
        return max(bisect.bisect_right(self.starts, position) - 1, 0)


def open_chunks(model: Any, key: dict[str, Any]) -> io.BufferedReader:
    """The file kept as ``model``'s rows for ``key``, as a buffered, seekable stream."""
    return io.BufferedReader(ChunkReader(model, key), buffer_size=CHUNK_BYTES)


def iter_chunks(model: Any, key: dict[str, Any]) -> Iterator[bytes]:
    """The file, a chunk at a time (a download's body)."""
    seqs = db.session.scalars(
        select(model.seq).where(*_where(model, key)).order_by(model.seq)
    ).all()
    for seq in seqs:
        yield (
            db.session.scalar(select(model.data).where(*_where(model, key), model.seq == seq))
            or b""
        )


def delete_chunks(model: Any, key: dict[str, Any]) -> None:
    db.session.execute(delete(model).where(*_where(model, key)))
