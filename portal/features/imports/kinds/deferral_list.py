"""The list import (缓缴名单, DOMAIN.md §8.1): one row per employer, written to the register.

A million rows long, the list is staged (COPY on PostgreSQL) and compared and written a chunk at
a time, on PostgreSQL in a second thread while the next rows are read (``ListStage``). A row
that would change the size class, list status or arrears of an employer whose classification
is confirmed (内医保办发〔2022〕19号 三（一）2: 一经确认，原则上不再变更;
``portal.rules.confirmation``) does not apply those columns: the rest of the row and of the
file applies, and each such change waits for agency staff (``Held``, then ``held_changes``;
portal/features/held).
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
    bindparam,
    case,
    delete,
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
from portal.facts.confirmation import DECIDED, confirmations
from portal.features.imports import cells
from portal.features.imports.bulk import copy_rows
from portal.features.imports.cells import CellError
from portal.features.imports.kinds.base import (
    Context,
    Kind,
    Problem,
    RowErrors,
    RowReader,
    Tally,
)
from portal.features.imports.reader import Column
from portal.models import (
    CommitmentApplication,
    DeferralDecision,
    Employer,
    HeldChange,
    PoolingRegion,
)
from portal.models.history import facts_before
from portal.rules import load_program
from portal.rules.confirmation import (
    HELD_FACTS,
    ConfirmationFacts,
    Held,
    classification_confirmed,
)
from portal.rules.employer_facts import Incoherence, incoherences
from portal.util import clock

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
    Column("has_arrears", "是否中断缴费", required=False),
    Column("arrears_until", "欠费所属期止", required=False),
    Column("deregistered_on", "注销日期", required=False),
    Column("refund_bank", "退费开户行", required=False),
    Column("refund_account", "退费账号", required=False),
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
    "has_arrears": "has_arrears",
    "arrears_until": "arrears_until",
    "deregistered_on": "deregistered_on",
    "refund_bank": "refund_bank",
    "refund_account": "refund_account",
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
    ("has_arrears", cells.yes_no),
    ("arrears_until", cells.month),
    ("deregistered_on", cells.deregistration_day),
    ("refund_bank", cells.bank),
)
#: The facts ``rules.incoherences`` checks together, as the employer's columns (the stored
#: values of a row's blank cells are checked with the row's, ``ListStage._incoherent``).
LIST_FACTS = {
    "founded_month": "founded_month",
    "first_insured_month": "first_insured_month",
    "is_july_paid": "july_paid",
    "has_arrears": "has_arrears",
    "arrears_until": "arrears_until",
    "deregistered_on": "deregistered_on",
}
#: Distinct texts kept per column (a hostile file of a million different ones stays small).
MEMO_TEXTS = 1000
#: Distinct combinations of the facts checked together whose verdict is kept.
MEMO_FACTS = 10_000


def _list_reader(header: dict[str, int], context: Context) -> RowReader:
    """Read a list row into a tuple in ``LIST_STAGED`` order, or raise every cell's error.

    The checks are every kind's (``cells``), made in the generic reader's order (``read_cells``;
    tests/imports/test_list_reader.py holds the two equal on any cells): the credit code,
    name, unit number and ``LIST_SMALL``, a blank required cell refused, a blank or absent
    optional one None; then the agency; then the unit kind, only when every cell before was
    good, then the row's facts together (``rules.incoherences``), when every cell was good.
    Only the loop is specialised, for a million rows: cells by index, absent columns skipped,
    the few distinct texts of the small columns parsed once, and each combination of facts
    checked once.
    """
    width = max(header.values()) + 1
    optional = {column.key for column in LIST_COLUMNS if not column.required}
    i_code, i_name, i_unit = header["credit_code"], header["name"], header["insurance_unit_number"]
    i_agency, i_kind = header["agency_code"], header.get("unit_kind")
    i_account = header.get("refund_account")
    # Facts to check together only where the file has a column of them (a list of the
    # required columns alone has none).
    has_facts = any(key in header for key in LIST_FACTS.values())
    small: tuple[tuple[int, str, int, bool, Callable[[str], Any], dict[str, Any]], ...] = tuple(
        (position, key, header[key], key in optional, parse, {})
        for position, (key, parse) in enumerate(LIST_SMALL)
        if key in header
    )
    agencies, scope = context.agencies, context.scope_agency_id
    kinds: dict[tuple[str, str], str] = {}
    defaults: dict[str, str] = {}
    checked: dict[tuple, list[Incoherence]] = {}
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
        account = None
        if i_account is not None and (cell := row[i_account].strip()):
            try:
                account = cells.account(cell)
            except CellError as error:
                errors.append(("refund_account", error))
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
        industry, size, on_list, first, founded, july, arrears, until, gone, bank = values
        if good and has_facts:
            facts = (founded, first, july, arrears, until, gone)
            found = checked.get(facts)
            if found is None:
                found = incoherences(
                    founded_month=founded,
                    first_insured_month=first,
                    july_paid=july,
                    has_arrears=arrears,
                    arrears_until=until,
                    deregistered_on=gone,
                )
                if len(checked) < MEMO_FACTS:
                    checked[facts] = found
            for incoherence in found:
                errors.append(
                    (incoherence.field, CellError(incoherence.code, **incoherence.details))
                )
        if errors:
            raise RowErrors(errors)
        assert code is not None  # noqa: S101 - no cell refused: the code was read
        default = defaults.get(code[:2])
        if default is None:
            default = defaults[code[:2]] = cells.unit_kind_of(code)
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
            arrears,
            until,
            gone,
            bank,
            account,
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
#: Rows set aside for a held column decided together (their employers' standings in memory).
SETTLE_ROWS = 20_000
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
    stage.settle_held()
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
    superseded: list[int] = field(default_factory=list)  # pending held changes this file replaces
    incoherent: list[Problem] = field(default_factory=list)  # facts against the stored ones


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
        # Rows that would change a held column of an employer whose classification may be
        # confirmed wait here until the file is read (``settle_held``).
        self.held_table: Table | None = None
        self.has_pending_held = bool(
            self.connection.scalar(select(exists().where(HeldChange.status == "pending")))
        )
        self.confirmed_agencies = _agencies_all_confirmed(clock.today())

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
        tally.superseded.extend(chunk.superseded)
        for problem in chunk.incoherent:
            tally.refuse(problem)

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
        changed, _sets, other, held = _compared(staged, stored, scope)
        mine = and_(stored.id.is_not(None), ~other, changed)
        counts = connection.execute(
            select(
                func.count(),
                func.count(stored.id),
                *(
                    func.coalesce(func.sum(case((condition, 1), else_=0)), 0)
                    for condition in (mine, other, and_(stored.id.is_not(None), ~other, held))
                ),
            ).select_from(compared)
        ).one()
        rows, existing, updated, refused, held_rows = (int(n) for n in counts)
        chunk = _Chunk(rows - existing, updated, existing - updated - refused)
        changed, sets, other, held = _compared(staged, register.c, scope)
        if self.postgres and (refused or held_rows or updated):
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
        chunk.incoherent = self._incoherent(compared, stored)
        self.refused = self.refused or bool(chunk.incoherent)
        if self.has_pending_held:
            chunk.superseded = self._superseded(known)
        if held_rows:
            self._set_aside(known, other, held)
        if self._writing():
            if updated:
                # What a report as of an earlier moment reads (EmployerFactHistory).
                connection.execute(facts_before(stage.join(register, known), changed))
                connection.execute(update(register).where(known, changed).values(sets))
            if rows > existing:
                self._insert(None if not existing else ~exists().where(known))
        self._empty_stage()
        return chunk

    def _superseded(self, known) -> list[int]:
        """The pending held changes of this chunk's employers for a column the file gives a
        value of: the later list's word replaces them (a new held change, the change applied,
        or withdrawn where the list now agrees with the register)."""
        stage, register, held = self.table, Employer.__table__, HeldChange.__table__
        return list(
            self.connection.scalars(
                select(held.c.id)
                .select_from(
                    stage.join(register, known).join(held, held.c.employer_id == register.c.id)
                )
                .where(
                    held.c.status == "pending",
                    or_(
                        *(
                            and_(held.c.column == column, stage.c[column].is_not(None))
                            for column in HELD_COLUMNS
                        )
                    ),
                )
            )
        )

    def _set_aside(self, known, other, held) -> None:
        """Move the chunk's rows that would change a held column of an employer whose
        classification may be confirmed (``_maybe_confirmed``, a cheap superset of the rule)
        from the stage to the held stage, where ``settle_held`` decides them by the rule once
        the file is read; the rest of the chunk is written now."""
        connection, stage, register = self.connection, self.table, Employer.__table__
        if self.held_table is None:
            self.held_table = _list_stage("import_list_held")
            self.held_table.drop(connection, checkfirst=True)
            self.held_table.create(connection)
        names = ("line", *LIST_STAGED)
        connection.execute(
            insert(self.held_table).from_select(
                names,
                select(*(stage.c[name] for name in names))
                .select_from(stage.join(register, known))
                .where(~other, held, self._maybe_confirmed(register)),
            )
        )
        connection.execute(delete(stage).where(stage.c.line.in_(select(self.held_table.c.line))))

    def _maybe_confirmed(self, register: Table):
        """Every employer whose classification the rules may find confirmed (and a few more):
        listed, deferring by its decision, approved, decided on by staff, or in a region whose
        program confirmed every classification by today (Inner Mongolia)."""
        r = register.c
        conditions = [
            r.list_status == "listed",
            exists()
            .where(DeferralDecision.employer_id == r.id, DeferralDecision.choice == "defer")
            .correlate(register),
            exists()
            .where(
                CommitmentApplication.employer_id == r.id,
                CommitmentApplication.status == "approved",
            )
            .correlate(register),
            exists()
            .where(HeldChange.employer_id == r.id, HeldChange.status.in_(DECIDED))
            .correlate(register),
        ]
        if self.confirmed_agencies:
            conditions.append(r.agency_id.in_(self.confirmed_agencies))
        return or_(*conditions)

    def settle_held(self) -> None:
        """Decide the rows set aside, by the rules (``portal.rules.confirmation``) on the
        register as it was before the file: an employer whose classification is confirmed
        keeps each held column the row would change (a ``Held`` for staff; none where staff
        rejected that very change before) and takes the rest of its row; any other takes the
        whole row. In the reading thread, once every chunk is compared; ``SETTLE_ROWS`` rows
        at a time (their standings in memory), then one UPDATE of the register."""
        table = self.held_table
        if table is None:
            return
        connection, register = self.connection, Employer.__table__
        known = register.c.credit_code == table.c.credit_code
        joined = table.join(register, known)
        changed, sets, _other, _held = _compared(table.c, register.c, self.context.scope_agency_id)
        rest = [c for c in LIST_FIELDS if c not in HELD_COLUMNS and c != "size_source"]
        columns = (
            table.c.line,
            table.c.credit_code,
            register.c.id,
            or_(*(sets[c].is_distinct_from(register.c[c]) for c in rest)),
            sets["size_source"],
            register.c.size_source,
            *(register.c[column] for column in HELD_COLUMNS),
            *(sets[column] for column in HELD_COLUMNS),
        )
        last = 0
        while rows := connection.execute(
            select(*columns)
            .select_from(joined)
            .where(table.c.line > last)
            .order_by(table.c.line)
            .limit(SETTLE_ROWS)
        ).all():
            first, last = rows[0][0], rows[-1][0]
            among = select(register.c.id).select_from(joined)
            self._settle(rows, among.where(table.c.line.between(first, last)))
        if self._writing():
            connection.execute(facts_before(joined, changed))  # as _compare: the history first
            connection.execute(update(register).where(known, changed).values(sets))
        table.drop(connection)
        self.held_table = None

    def _settle(self, rows, among) -> None:
        """Decide one batch of set-aside rows (``among``: their employers' ids)."""
        table, tally = self.held_table, self.tally
        assert table is not None  # noqa: S101 - settling the held stage
        confirmed, _standings = confirmations(among, clock.today())
        rejected = _rejected(among)
        kept: list[dict[str, Any]] = []
        width = len(HELD_COLUMNS)
        for line, code, employer_id, others, new_source, old_source, *values in rows:
            if confirmed.get(employer_id) is None:
                continue  # not confirmed: the whole row applies (counted as changed)
            stored, new = values[:width], values[width:]
            setting = {"b_line": line, "b_size_source": new_source}
            applied = others
            for column, before, after in zip(HELD_COLUMNS, stored, new, strict=True):
                setting[f"b_{column}"] = after
                if before is None or before == after:
                    applied = applied or before != after
                    continue
                change = (employer_id, column, _text(before), _text(after))
                tally.held.append(Held(line, code, *change, rejected_id=rejected.get(change)))
                setting[f"b_{column}"] = before
                if column == "size_class":  # the class's source stays with the class
                    setting["b_size_source"] = old_source
            applied = applied or setting["b_size_source"] != old_source
            kept.append(setting)
            if not applied:  # only held changes: nothing of the row is written
                tally.updated -= 1
                tally.unchanged += 1
        if kept:
            self.connection.execute(
                update(table)
                .where(table.c.line == bindparam("b_line"))
                .values(
                    {column: bindparam(f"b_{column}") for column in (*HELD_COLUMNS, "size_source")}
                ),
                kept,
            )

    def _incoherent(self, compared, stored) -> list[Problem]:
        """The rows whose facts disagree with the stored facts their blank cells keep
        (``rules.incoherences``; a row's own facts were checked as it was read).

        Only rows that change their employer and take one of these facts from the register are
        read: none for a file whose rows give every fact, or none at all.
        """
        staged = self.table.c
        changed, sets, other, _contested = _compared(staged, stored, self.context.scope_agency_id)
        given = [staged[column].is_not(None) for column in LIST_FACTS]
        kept = [and_(staged[c].is_(None), stored[c].is_not(None)) for c in LIST_FACTS]
        rows = self.connection.execute(
            select(
                staged.line,
                *(staged[column] for column in LIST_FACTS),
                *(sets[column] for column in LIST_FACTS),
            )
            .select_from(compared)
            .where(or_(*given), or_(*kept), stored.id.is_not(None), ~other, changed)
            .order_by(staged.line)
        )
        columns = {column.key: column.zh for column in LIST_COLUMNS}
        problems = []
        width = len(LIST_FACTS)
        for line, *values in rows:
            in_row = dict(zip(LIST_FACTS.values(), values[:width], strict=True))
            facts = dict(zip(LIST_FACTS.values(), values[width:], strict=True))
            for incoherence in incoherences(**facts):
                # Said on a cell of the row; two stored facts that disagree are not the row's.
                keys = [fact for fact in incoherence.facts if in_row[fact] is not None]
                if not keys:
                    continue
                key = keys[0]
                problems.append(
                    Problem(
                        line,
                        columns[key],
                        incoherence.code,
                        {**incoherence.details, "stored": True},
                        _cell_text(in_row[key]),
                    )
                )
        return problems

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
        defaults = {
            "unit_kind": staged.unit_kind_default,
            "is_july_paid": false(),
            "has_arrears": false(),
        }
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
    is stored, and 是否中断缴费 = 否 clears 欠费所属期止: ``_list_set``), whether the employer is
    another agency's, and whether it changes a held column (``HELD_COLUMNS``; a first size
    class, where none is stored, is not a change)."""
    sets = {column: _list_set(column, key, staged, stored) for column, key in LIST_FIELDS.items()}
    changed = or_(*(value.is_distinct_from(stored[column]) for column, value in sets.items()))
    other = stored.agency_id != scope if scope is not None else false()
    held = or_(
        *(
            and_(stored[column].is_not(None), sets[column].is_distinct_from(stored[column]))
            for column in HELD_COLUMNS
        )
    )
    return changed, sets, other, held


def _copy_text(batch: list[tuple[int, tuple]], encoding: str) -> bytes:
    """A batch of staged rows as COPY text (tab-separated, \\N for None, in ``LIST_STAGED``
    order). Of the text, only a name and a bank can hold a backslash (escaped here): control
    characters (tab, newline …) are refused in every text cell, and the other texts are codes,
    months, dates, digits and the portal's own keys."""
    lines = []
    for line, (code, default, name, unit, agency, kind, industry, size, source, status,
               first, founded, july, arrears, until, gone, bank, account) in batch:  # fmt: skip
        if "\\" in name:
            name = name.replace("\\", "\\\\")
        if bank is None:
            bank = _NULL
        elif "\\" in bank:
            bank = bank.replace("\\", "\\\\")
        lines.append(
            f"{line}\t{code}\t{default}\t{name}\t{unit}\t{agency}\t"
            f"{_NULL if kind is None else kind}\t{_NULL if industry is None else industry}\t"
            f"{size}\t{source}\t{status}\t{_NULL if first is None else first}\t"
            f"{_NULL if founded is None else founded}\t"
            f"{_NULL if july is None else ('t' if july else 'f')}\t"
            f"{_NULL if arrears is None else ('t' if arrears else 'f')}\t"
            f"{_NULL if until is None else until}\t{_NULL if gone is None else gone}\t"
            f"{bank}\t{_NULL if account is None else account}\n"
        )
    return "".join(lines).encode(encoding)


_NULL = "\\N"


def _cell_text(value: Any) -> str:
    """A staged fact as the check page shows the cell."""
    if isinstance(value, bool):
        return "是" if value else "否"
    return str(value)


def _list_stage(name: str = "import_list_stage") -> Table:
    """A temporary table of the file's rows: the register's own column types, plus the line
    and the unit kind a new employer's credit code shows."""
    register = Employer.__table__.c
    return Table(
        name,
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
LIST_OPTIONAL = {
    "unit_kind",
    "industry",
    "first_insured_month",
    "founded_month",
    "is_july_paid",
    "has_arrears",
    "arrears_until",
    "deregistered_on",
    "refund_bank",
    "refund_account",
}


def _list_set(column: str, key: str, staged, stored):
    """What a staged row sets ``column`` to: an optional column left blank or absent keeps
    what is stored, except 欠费所属期止 of a row saying 是否中断缴费 = 否 (no arrears, so no
    month in arrears: the stored one goes)."""
    if key not in LIST_OPTIONAL:
        return staged[column]
    kept = func.coalesce(staged[column], stored[column])
    if column == "arrears_until":
        return case((staged.has_arrears == false(), staged[column]), else_=kept)
    return kept


#: The employer's columns a list does not change silently once its classification is confirmed
#: (内医保办发〔2022〕19号 三（一）2; portal/rules/confirmation.py), those of them the list carries.
HELD_COLUMNS = tuple(column for column in HELD_FACTS if column in LIST_FIELDS)


#: The file's column of each held column (the list says 是否纳入缓缴名单 for the list status).
HELD_FILE_COLUMNS = {"size_class": "size_class", "list_status": "on_list"}


def held_header(column: str) -> str:
    """The Chinese header of the file's column that gives a held column (as errors name it)."""
    key = HELD_FILE_COLUMNS.get(column, column)
    return next((c.zh for c in LIST_COLUMNS if c.key == key), column)


def _text(value: Any) -> str | None:
    """A held column's stored value as ``held_changes`` keeps it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return None if value is None else str(value)


def _agencies_all_confirmed(on) -> list[int]:
    """The agencies whose region's program has every classification confirmed on ``on`` (the
    agencies' first confirmation, 内医保办发〔2022〕19号 三（一）2), whatever the employer did."""
    nothing = ConfirmationFacts(is_listed=False, is_eligible=False, decision=None)
    found: list[int] = []
    for region in db.session.scalars(select(PoolingRegion)):
        if classification_confirmed(load_program(region.program_on(on)), nothing, on):
            found.extend(agency.id for agency in region.agencies)
    return found


def _rejected(among) -> dict[tuple[int, str, str | None, str | None], int]:
    """Changes agency staff rejected for the employers of ``among``, by (employer, column,
    before, after): the same change again is not asked again."""
    held = HeldChange.__table__.c
    rows = db.session.connection().execute(
        select(held.employer_id, held.column, held.before, held.after, held.id)
        .where(held.employer_id.in_(among), held.status == "rejected")
        .order_by(held.id)
    )
    return {(e, c, b, a): i for e, c, b, a, i in rows}


KIND = Kind(
    "list",
    LIST_COLUMNS,
    _list_reader,
    _code_key,
    _list_batch,
    finish=_list_finish,
    batch_rows=10_000,  # staged only: one COPY per batch
)
