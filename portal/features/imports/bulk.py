"""Write many rows at once: COPY on PostgreSQL, executemany elsewhere (SQLite).

COPY is what PostgreSQL loads fastest, inside the same transaction as everything else (a
process killed half-way leaves nothing). It bypasses SQLAlchemy's per-value processing, so the
columns' own bind processing (``Money`` to integer fen, ``UTCDateTime`` to UTC) and their
scalar defaults are applied here first.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnDefault, Table, insert
from sqlalchemy.types import TypeDecorator

from portal.core.extensions import db


def insert_rows(table: Table, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    connection = db.session.connection()
    if connection.dialect.name != "postgresql":
        connection.execute(insert(table), rows)
        return
    columns = [
        c
        for c in table.columns
        if not (c.primary_key and c.autoincrement is not False and c.name not in rows[0])
    ]
    names = [c.name for c in columns]
    dialect = connection.dialect
    converters = []
    for column in columns:
        default = (
            column.default.arg
            if isinstance(column.default, ColumnDefault) and column.default.is_scalar
            else None
        )
        processor = column.type if isinstance(column.type, TypeDecorator) else None
        converters.append((column.name, default, processor))
    raw = connection.connection.driver_connection
    assert raw is not None  # noqa: S101 - a begun connection has the driver's
    with (
        raw.cursor() as cursor,
        cursor.copy(
            f"COPY {table.name} ({', '.join(names)}) FROM STDIN"  # noqa: S608 - our own table names
        ) as copy,
    ):
        for row in rows:
            values = []
            for name, default, processor in converters:
                value = row.get(name, default)
                if processor is not None:
                    value = processor.process_bind_param(value, dialect)
                values.append(value)
            copy.write_row(values)


def copy_rows(table: Table, names: tuple[str, ...], rows: list[tuple]) -> None:
    """Write tuples of ``names``' values, already as the database holds them (no defaults, no
    type processing): a staging table's rows, a million at a time."""
    if not rows:
        return
    connection = db.session.connection()
    if connection.dialect.name != "postgresql":
        connection.execute(insert(table), [dict(zip(names, row, strict=True)) for row in rows])
        return
    raw = connection.connection.driver_connection
    assert raw is not None  # noqa: S101 - a begun connection has the driver's
    with (
        raw.cursor() as cursor,
        cursor.copy(
            f"COPY {table.name} ({', '.join(names)}) FROM STDIN"  # noqa: S608 - our own table names
        ) as copy,
    ):
        for row in rows:
            copy.write_row(row)
