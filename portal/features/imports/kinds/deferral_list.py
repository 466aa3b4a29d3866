"""The list import (缓缴名单, DOMAIN.md §8.1): one row per employer, written to the register.

A million rows long, the list is staged (COPY on PostgreSQL) and compared and written a chunk at
a time, on PostgreSQL in a second thread while the next rows are read (``ListStage``). Nothing
an employer did is undone: a list row that contradicts a decision or an approved application
is applied and reported as a conflict for staff.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from contextvars import copy_context
from dataclasses import dataclass, field
from typing import Any, NoReturn

from sqlalchemy import Column as SqlColumn
from sqlalchemy import (
    Integer,
    MetaData,
    Table,
    and_,
    case,
    exists,
    false,
    func,
    insert,
    or_,
    select,
    true,
    update,
)

from portal.core.extensions import db
from portal.features.imports import cells
from portal.features.imports.bulk import copy_rows
from portal.features.imports.cells import CellError
from portal.features.imports.kinds.base import Context, Kind, Problem, RowErrors, RowReader, Tally
from portal.features.imports.reader import Column
from portal.models import CommitmentApplication, DeferralDecision, Employer
from portal.models.history import facts_before

LIST_COLUMNS = (
    Column("credit_code", "统一社会信用代码"),
    Column("name", "单位名称"),
    Column("insurance_unit_number", "医保单位编号"),
    Column("agency_code", "医保经办机构代码"),
    Column("unit_kind", "单位类型", required=False),
    Column("industry", "行业", required=False),
    Column("size_class", "企业划型"),
    Column("on_list", "是否纳入缓缴名单"),
    Column("first_insured_month", "参保年月", required=False),
    Column("founded_month", "成立年月", required=False),
    Column("july_paid", "7月是否已缴费", required=False),
)
#: What a list row sets on the employer (portal column -> row key).
LIST_FIELDS = {
    "name": "name",
    "insurance_unit_number": "insurance_unit_number",
    "agency_id": "agency_id",
    "unit_kind": "unit_kind",
    "industry": "industry",
    "size_class": "size_class",
    "size_source": "size_source",
    "list_status": "list_status",
    "first_insured_month": "first_insured_month",
    "founded_month": "founded_month",
    "is_july_paid": "is_july_paid",
}


#: The stage's columns after the line, in order: what ``_list_reader`` returns for a row.
LIST_STAGED = ("credit_code", "unit_kind_default", *LIST_FIELDS)
#: Columns of few distinct texts, in the generic reader's order: each distinct text of a file
#: is parsed once (a million rows have a few sizes, yes/no, months and industries).
LIST_SMALL = (
    ("industry", cells.industry),
    ("size_class", cells.size_class),
    ("on_list", cells.yes_no),
    ("first_insured_month", cells.month),
    ("founded_month", cells.month),
    ("july_paid", cells.yes_no),
)
#: Distinct texts kept per column (a hostile file of a million different ones stays small).
MEMO_TEXTS = 1000


def _list_reader(header: dict[str, int], context: Context) -> RowReader:
    """Read a list row into a tuple in ``LIST_STAGED`` order, or raise every cell's error.

    The checks are every kind's (``cells``), made in the generic reader's order (``read_cells``;
    tests/imports/test_list_reader.py holds the two equal on any cells): the credit code,
    name, unit number and ``LIST_SMALL``, a blank required cell refused, a blank or absent
    optional one None; then the agency; then the unit kind, only when every cell before was
    good. Only the loop is specialised, for a million rows: cells by index, absent columns
    skipped, and the few distinct texts of the small columns parsed once.
    """
    width = max(header.values()) + 1
    optional = {column.key for column in LIST_COLUMNS if not column.required}
    i_code, i_name, i_unit = header["credit_code"], header["name"], header["insurance_unit_number"]
    i_agency, i_kind = header["agency_code"], header.get("unit_kind")
    small: tuple[tuple[int, str, int, bool, Callable[[str], Any], dict[str, Any]], ...] = tuple(
        (position, key, header[key], key in optional, parse, {})
        for position, (key, parse) in enumerate(LIST_SMALL)
        if key in header
    )
    agencies, scope = context.agencies, context.scope_agency_id
    kinds: dict[tuple[str, str], str] = {}
    defaults: dict[str, str] = {}
    credit_code, text, reference = cells.credit_code, cells.text, cells.reference

    def read(row: list[str]) -> tuple:
        if len(row) < width:
            row = row + [""] * (width - len(row))
        errors: list[tuple[str, CellError]] = []
        code = name = unit = None
        try:
            cell = row[i_code].strip()
            code = credit_code(cell) if cell else _blank()
        except CellError as error:
            errors.append(("credit_code", error))
        try:
            cell = row[i_name].strip()
            name = text(cell, limit=200) if cell else _blank()
        except CellError as error:
            errors.append(("name", error))
        try:
            cell = row[i_unit].strip()
            unit = reference(cell, limit=40) if cell else _blank()
        except CellError as error:
            errors.append(("insurance_unit_number", error))
        values: list = [None] * len(LIST_SMALL)
        for position, key, index, is_optional, parse, memo in small:
            cell = row[index].strip()
            value = memo.get(cell)
            if value is None:
                if not cell:
                    if not is_optional:
                        errors.append((key, CellError("required")))
                    continue
                try:
                    value = parse(cell)
                except CellError as error:
                    errors.append((key, error))
                    continue
                if len(memo) < MEMO_TEXTS:
                    memo[cell] = value
            values[position] = value
        good = not errors
        agency_id = agencies.get(row[i_agency].strip())
        if agency_id is None:
            errors.append(("agency_code", CellError("unknown_agency")))
        elif scope is not None and agency_id != scope:
            errors.append(("agency_code", CellError("other_agency")))
        kind = None
        if good and i_kind is not None and (named := row[i_kind].strip()):
            assert code is not None  # noqa: S101 - good: no cell refused, the code was read
            kind = kinds.get((named, code[:2]))
            if kind is None:
                try:
                    kind = cells.unit_kind(named, code)
                except CellError as error:
                    errors.append(("unit_kind", error))
                else:
                    if len(kinds) < MEMO_TEXTS:
                        kinds[named, code[:2]] = kind
        if errors:
            raise RowErrors(errors)
        assert code is not None  # noqa: S101 - no cell refused: the code was read
        default = defaults.get(code[:2])
        if default is None:
            default = defaults[code[:2]] = cells.unit_kind_of(code)
        industry, size, on_list, first, founded, july = values
        # None: the column is absent or the cell blank; the stored value stays (_list_finish)
        return (
            code,
            default,
            name,
            unit,
            agency_id,
            kind,
            industry,
            size,
            "list",
            "listed" if on_list else "not_listed",
            first,
            founded,
            july,
        )

    return read


def _code_key(row: tuple) -> int | str:
    """A list row's key in the file: its credit code as a base-36 number (every checked code
    has 18 characters of 0-9 A-Z): a million of them in 35 MB less than as strings."""
    try:
        return int(row[0], 36)
    except ValueError:  # never for a checked code; the code itself is as good a key
        return row[0]


def _blank() -> NoReturn:
    raise CellError("required")


#: Staged rows compared with the register and written together. On PostgreSQL a chunk is
#: compared and written by a second thread while the main one reads the next rows.
LIST_CHUNK_ROWS = 100_000
#: Batches of COPY text the reading thread may be ahead of the writing one (~1 MB each).
LIST_BATCHES_AHEAD = 10


def _list_batch(batch: list[tuple[int, tuple]], context: Context, tally: Tally, apply: bool):
    """Stage the batch; every ``LIST_CHUNK_ROWS`` staged rows are compared with the register
    and, when applying, written (``ListStage``)."""
    if context.stage is None:
        context.stage = ListStage(context, tally, apply)
    context.stage.add(batch)


def _list_finish(context: Context, tally: Tally, apply: bool) -> None:
    """Compare and write the last chunk, wait for every chunk, and drop the stage."""
    stage = context.stage
    if stage is None:
        return
    stage.finish()
    context.discard_stage()
    if apply and not tally.refused_rows:
        # Written behind the ORM's back: employers already loaded are read again when used.
        for loaded in list(db.session.identity_map.values()):
            if isinstance(loaded, Employer):
                db.session.expire(loaded)


@dataclass
class _Chunk:
    """What one chunk of the file does to the register (merged into the Tally in order)."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    refused_lines: list[tuple[int, str]] = field(default_factory=list)  # (line, credit code)
    conflicts: list[dict[str, Any]] = field(default_factory=list)


class ListStage:
    """The list file's rows in a temporary table, a chunk at a time, each chunk compared with
    the register and, when applying, written in a few set-based statements (``_compare``).

    A chunk's credit codes are its own (a repeated code is refused before it is staged), so
    comparing chunk by chunk gives the counts, refusals and conflicts comparing the whole file
    would, and writing a chunk changes nothing the next one is compared with. Everything runs
    in the import's transaction (and savepoint: a refused file takes back what was written).

    PostgreSQL: the reading thread turns each batch into COPY text; one worker thread, the only
    user of the connection until ``finish`` or ``close``, copies it into the stage and compares
    and writes each chunk while the reading thread goes on (the database's time and Python's
    overlap, on two cores). SQLite: the same, inline.
    """

    def __init__(self, context: Context, tally: Tally, apply: bool) -> None:
        self.context, self.tally, self.apply = context, tally, apply
        self.connection = db.session.connection()
        self.postgres = self.connection.dialect.name == "postgresql"
        raw = self.connection.connection.driver_connection
        assert raw is not None  # noqa: S101 - a begun connection has the driver's
        self.encoding = raw.info.encoding if self.postgres else "utf-8"
        self.table = _list_stage()
        self.table.create(self.connection)
        # No employer yet (an agency's first list): every row is new, nothing to compare.
        register = Employer.__table__
        self.empty = not self.connection.scalar(select(exists().select_from(register)))
        self.rows = 0  # in the stage now
        self.refused = False  # a chunk refused a row: later chunks are compared, not written
        self.worker = (
            ThreadPoolExecutor(max_workers=1, thread_name_prefix="import-list")
            if self.postgres
            else None
        )
        self.pending: deque[Future] = deque()

    def add(self, batch: list[tuple[int, tuple]]) -> None:
        self.rows += len(batch)
        if self.worker is None:
            copy_rows(self.table, ("line", *LIST_STAGED), [(line, *row) for line, row in batch])
        else:
            self._later(self._copy, _copy_text(batch, self.encoding))
        if self.rows >= LIST_CHUNK_ROWS:
            self._later(self._compare, self.rows)
            self.rows = 0

    def finish(self) -> None:
        if self.rows:
            self._later(self._compare, self.rows)
            self.rows = 0
        while self.pending:
            self._merge(self.pending.popleft().result())
        if self.refused:
            self.tally.problems.sort(key=lambda problem: problem.line)

    def close(self) -> None:
        """Stop the worker (its running statement ends; the rest is dropped). No SQL."""
        if self.worker is not None:
            self.worker.shutdown(wait=True, cancel_futures=True)
            self.worker = None
        self.pending.clear()

    def _later(self, job: Callable, *args) -> None:
        if self.worker is None:
            self._merge(job(*args))
            return
        # In the reading thread's context: its Flask app context (the clock, the config).
        self.pending.append(self.worker.submit(copy_context().run, job, *args))
        while self.pending and (self.pending[0].done() or len(self.pending) > LIST_BATCHES_AHEAD):
            self._merge(self.pending.popleft().result())  # raises the worker's error here

    def _merge(self, chunk: _Chunk | None) -> None:
        """Add a compared chunk to the Tally (in the reading thread, in the file's order)."""
        if chunk is None:
            return
        tally = self.tally
        tally.created += chunk.created
        tally.updated += chunk.updated
        tally.unchanged += chunk.unchanged
        for line, code in chunk.refused_lines:
            tally.refuse(Problem(line, "统一社会信用代码", "other_agency", value=code))
        tally.conflicts.extend(chunk.conflicts)

    # -- in the worker (PostgreSQL) or inline: only self.connection, never db.session

    def _copy(self, data: bytes) -> None:
        raw = self.connection.connection.driver_connection
        assert raw is not None  # noqa: S101 - in use until finish or close
        columns = ", ".join(("line", *LIST_STAGED))
        with (
            raw.cursor() as cursor,
            cursor.copy(f"COPY {self.table.name} ({columns}) FROM STDIN") as copy,  # noqa: S608
        ):
            copy.write(data)

    def _compare(self, staged_rows: int) -> _Chunk:
        """Compare the staged chunk with the register: the counts in one statement; then, if
        there are any, the other agencies' rows and the conflicts; when applying and nothing is
        refused, an UPDATE … FROM of the changed rows and an INSERT … SELECT of the new ones;
        then empty the stage. Into an empty register, only the INSERT."""
        if self.empty:
            return self._insert_all(staged_rows)
        connection, stage = self.connection, self.table
        register, staged = Employer.__table__, stage.c
        known = register.c.credit_code == staged.credit_code
        if self.postgres:
            # Each staged row looks its employer up by the credit code's index: a hash join
            # would read the whole register once per chunk (and the register's statistics
            # are stale while this very import grows it).
            found = (
                select(register.c.id, *(register.c[column] for column in LIST_FIELDS))
                .where(known)
                .limit(1)
                .lateral("stored")
            )
            stored, compared = found.c, stage.outerjoin(found, true())
        else:
            stored, compared = register.c, stage.outerjoin(register, known)
        scope = self.context.scope_agency_id
        changed, _sets, other, contested = _compared(staged, stored, scope)
        mine = and_(stored.id.is_not(None), ~other, changed)
        counts = connection.execute(
            select(
                func.count(),
                func.count(stored.id),
                *(
                    func.coalesce(func.sum(case((condition, 1), else_=0)), 0)
                    for condition in (mine, other, and_(stored.id.is_not(None), contested))
                ),
            ).select_from(compared)
        ).one()
        rows, existing, updated, refused, contested_rows = (int(n) for n in counts)
        chunk = _Chunk(rows - existing, updated, existing - updated - refused)
        changed, sets, other, contested = _compared(staged, register.c, scope)
        if self.postgres and (refused or contested_rows or updated):
            connection.exec_driver_sql(f"ANALYZE {stage.name}")  # joins to come
        if refused:
            self.refused = True
            chunk.refused_lines = [
                (line, code)
                for line, code in connection.execute(
                    select(staged.line, staged.credit_code)
                    .select_from(stage.join(register, known))
                    .where(other)
                    .order_by(staged.line)
                )
            ]
        if contested_rows:
            chunk.conflicts = _list_conflicts(connection, stage, register, known, contested)
        if self._writing():
            if updated:
                # What a report as of an earlier moment reads (EmployerFactHistory).
                connection.execute(facts_before(stage.join(register, known), changed))
                connection.execute(update(register).where(known, changed).values(sets))
            if rows > existing:
                self._insert(None if not existing else ~exists().where(known))
        self._empty_stage()
        return chunk

    def _insert_all(self, rows: int) -> _Chunk:
        if self._writing():
            self._insert(None)
        self._empty_stage()
        return _Chunk(created=rows)

    def _writing(self) -> bool:
        return self.apply and not self.refused and not self.tally.refused_rows

    def _insert(self, where) -> None:
        """INSERT … SELECT the staged rows (``where``: those that are new)."""
        register, staged = Employer.__table__, self.table.c
        defaults = {"unit_kind": staged.unit_kind_default, "is_july_paid": false()}
        new = select(
            staged.credit_code,
            *(
                func.coalesce(staged[column], defaults[column])
                if column in defaults
                else staged[column]
                for column in LIST_FIELDS
            ),
        )
        if where is not None:
            new = new.where(where)
        self.connection.execute(insert(register).from_select(["credit_code", *LIST_FIELDS], new))

    def _empty_stage(self) -> None:
        if self.postgres:
            self.connection.exec_driver_sql(f"TRUNCATE {self.table.name}")
        else:
            self.connection.execute(self.table.delete())


def _compared(staged, stored, scope: int | None) -> tuple[Any, dict[str, Any], Any, Any]:
    """A staged row against its stored employer (the register's columns, or a lookup's):
    whether it changes it, what it sets (an optional column left blank or absent keeps what
    is stored), whether the employer is another agency's, and whether it is contested (a
    listed employer now off the list or large: a conflict if it deferred or was approved)."""
    sets = {
        column: func.coalesce(staged[column], stored[column])
        if key in LIST_OPTIONAL
        else staged[column]
        for column, key in LIST_FIELDS.items()
    }
    changed = or_(*(value.is_distinct_from(stored[column]) for column, value in sets.items()))
    other = stored.agency_id != scope if scope is not None else false()
    contested = and_(
        changed,
        stored.list_status == "listed",
        or_(staged.list_status != "listed", staged.size_class == "large"),
    )
    return changed, sets, other, contested


def _copy_text(batch: list[tuple[int, tuple]], encoding: str) -> bytes:
    """A batch of staged rows as COPY text (tab-separated, \\N for None, in ``LIST_STAGED``
    order). Of the text, only a name can hold a backslash (escaped here): control characters
    (tab, newline …) are refused in every text cell, and the other texts are codes, months
    and the portal's own keys."""
    lines = []
    for line, (code, default, name, unit, agency, kind, industry, size, source, status,
               first, founded, july) in batch:  # fmt: skip
        if "\\" in name:
            name = name.replace("\\", "\\\\")
        lines.append(
            f"{line}\t{code}\t{default}\t{name}\t{unit}\t{agency}\t"
            f"{_NULL if kind is None else kind}\t{_NULL if industry is None else industry}\t"
            f"{size}\t{source}\t{status}\t{_NULL if first is None else first}\t"
            f"{_NULL if founded is None else founded}\t"
            f"{_NULL if july is None else ('t' if july else 'f')}\n"
        )
    return "".join(lines).encode(encoding)


_NULL = "\\N"


def _list_stage() -> Table:
    """A temporary table of the file's rows: the register's own column types, plus the line
    and the unit kind a new employer's credit code shows."""
    register = Employer.__table__.c
    return Table(
        "import_list_stage",
        MetaData(),
        SqlColumn("line", Integer, nullable=False),
        SqlColumn("credit_code", register.credit_code.type, nullable=False),
        SqlColumn("unit_kind_default", register.unit_kind.type, nullable=False),
        *(SqlColumn(name, register[name].type) for name in LIST_FIELDS),
        prefixes=["TEMPORARY"],
        postgresql_on_commit="DROP",
    )


#: Optional list columns: absent or blank keeps the stored value (a new employer: the credit
#: code's unit kind, July not paid, the rest unknown).
LIST_OPTIONAL = {"unit_kind", "industry", "first_insured_month", "founded_month", "is_july_paid"}


def _list_conflicts(connection, stage: Table, register: Table, known, contested) -> list[dict]:
    """A listed employer that took the deferral or was approved, now off the list or large:
    applied, and listed for staff (nothing an employer did is undone)."""
    staged = stage.c
    deferred = (
        exists()
        .where(DeferralDecision.employer_id == register.c.id, DeferralDecision.choice == "defer")
        .correlate(register)
    )
    approved = (
        exists()
        .where(
            CommitmentApplication.employer_id == register.c.id,
            CommitmentApplication.status == "approved",
        )
        .correlate(register)
    )
    found = connection.execute(
        select(staged.line, staged.credit_code, deferred.label("deferred"))
        .select_from(stage.join(register, known))
        .where(contested, or_(deferred, approved))
        .order_by(staged.line)
    )
    return [
        {"line": line, "credit_code": code, "code": "confirmed" if is_deferred else "approved"}
        for line, code, is_deferred in found
    ]


KIND = Kind(
    "list",
    LIST_COLUMNS,
    _list_reader,
    _code_key,
    _list_batch,
    finish=_list_finish,
    batch_rows=10_000,  # staged only: one COPY per batch
)
