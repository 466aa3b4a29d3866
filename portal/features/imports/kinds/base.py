"""What every import kind shares: the Kind, how a row is read, the Tally, and the upsert.

A kind (``deferral_list``, ``assessments``, ``persons``, ``payments``) names its columns, reads
a row into values (``by_key`` and ``read_cells`` for the plain kinds) and checks and writes a
batch; the Tally counts what the batches did and keeps the refused rows. ``own_rows`` finds a
batch's employers in one statement; ``upsert`` inserts or updates a batch of per-employer rows
in a few.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update

from portal.core import audit
from portal.core.extensions import db
from portal.features.imports.bulk import insert_rows
from portal.features.imports.cells import CellError
from portal.features.imports.reader import Column
from portal.models import Agency, Employer, PoolingRegion, User
from portal.models.base import utcnow
from portal.rules.confirmation import Held

if TYPE_CHECKING:
    from portal.features.imports.kinds.deferral_list import ListStage

Row = dict[str, Any]


@dataclass
class Problem:
    line: int
    column: str  # the column's Chinese name, as in the file's header
    code: str
    details: dict[str, Any] = field(default_factory=dict)
    value: str = ""  # the cell as the file has it (cut to 100 characters), shown beside the error


#: Problems kept for the page, the CSV of problems and the record; the rest are counted.
MAX_PROBLEMS_KEPT = 10_000


@dataclass
class Tally:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    problems: list[Problem] = field(default_factory=list)
    conflicts: list[dict[str, Any]] = field(default_factory=list)
    held: list[Held] = field(default_factory=list)
    # Pending held changes this file replaces (a later list's word on the same employer's column)
    superseded: list[int] = field(default_factory=list)
    refused_rows: int = 0
    _last_refused: int = -1

    def refuse(self, problem: Problem) -> None:
        """Note a problem; a file of ten million bad rows keeps the first ten thousand."""
        if problem.line != self._last_refused:
            self.refused_rows += 1
            self._last_refused = problem.line
        if len(self.problems) < MAX_PROBLEMS_KEPT:
            self.problems.append(problem)


@dataclass
class Context:
    """What every batch needs: the agencies by code and the importer's agency (None: all).

    ``actor`` and ``audit_details`` (the file) name who and what in the audit rows of a kind
    that writes one per row (the reference data); ``state``: what a kind keeps from batch to
    batch of one pass.
    """

    scope_agency_id: int | None
    agencies: dict[str, int]
    stage: ListStage | None = None  # where a kind stages the file's rows (list)
    actor: User | None = None
    audit_details: dict[str, Any] = field(default_factory=dict)
    state: dict[str, Any] = field(default_factory=dict)

    def discard_stage(self) -> None:
        """Stop staging and drop the stage (the file is read, or refused as a whole)."""
        if self.stage is not None:
            self.stage.close()
            self.stage.table.drop(db.session.connection())
            self.stage = None

    def close(self) -> None:
        """Stop staging without a statement (the transaction is being rolled back)."""
        if self.stage is not None:
            self.stage.close()

    @classmethod
    def load(
        cls,
        scope_agency_id: int | None,
        *,
        actor: User | None = None,
        audit_details: dict[str, Any] | None = None,
    ) -> Context:
        agencies = dict(db.session.execute(select(Agency.code, Agency.id)).all())
        return cls(scope_agency_id, agencies, actor=actor, audit_details=audit_details or {})

    def scope_region_id(self) -> int | None:
        """The pooling region of the importer's agency (None: every region), read once."""
        if self.scope_agency_id is None:
            return None
        if "scope_region_id" not in self.state:
            self.state["scope_region_id"] = db.session.scalar(
                select(Agency.region_id).where(Agency.id == self.scope_agency_id)
            )
        return self.state["scope_region_id"]


#: Reads one row's cells (as the file has them, maybe fewer than the header's); raises
#: RowErrors with every cell's error.
RowReader = Callable[[list[str]], Any]


@dataclass(frozen=True)
class Kind:
    name: str
    columns: tuple[Column, ...]
    #: The row reader for a file with this header ({column key: index}).
    reader: Callable[[dict[str, int], Context], RowReader]
    key: Callable[[Any], Any]  # a row's identity in the file (a repeated key is refused)
    batch: Callable[[list[tuple[int, Any]], Context, Tally, bool], None]
    #: Called once the whole file is read and batched (a kind that stages its rows).
    finish: Callable[[Context, Tally, bool], None] | None = None
    key_column: str = "credit_code"  # where a repeated row is reported
    batch_rows: int = 2000  # rows handed to ``batch`` together (compared and written, or staged)
    #: Only for who works for every agency (administrators, the command line): the agencies.
    every_agency_only: bool = False

    def column(self, key: str) -> str:
        return next(c.zh for c in self.columns if c.key == key)


def by_key(parse: Callable[[dict[str, str], Context], Row]) -> Callable[..., RowReader]:
    """The row reader of a kind whose ``parse`` takes {column key: trimmed text}."""

    def reader(header: dict[str, int], context: Context) -> RowReader:
        items = tuple(header.items())

        def read(cells: list[str]) -> Row:
            n = len(cells)
            return parse({key: cells[i].strip() if i < n else "" for key, i in items}, context)

        return read

    return reader


class RowErrors(Exception):
    def __init__(self, errors: list[tuple[str, CellError]]) -> None:
        super().__init__(errors)
        self.errors = errors


def read_cells(
    cells_in: dict[str, str],
    parsers: dict[str, Callable[[str], Any]],
    columns: tuple[Column, ...],
) -> Row:
    """Parse every present cell; collect every cell's error, not just the first.

    An optional column absent from the file, or left blank, gives None (keep what is stored);
    a blank required cell is refused as such.
    """
    optional = {c.key for c in columns if not c.required}
    row: Row = {}
    errors: list[tuple[str, CellError]] = []
    for key, parse in parsers.items():
        value = cells_in.get(key)
        if value is None or (value == "" and key in optional):
            row[key] = None
            continue
        if value == "":
            errors.append((key, CellError("required")))
            continue
        try:
            row[key] = parse(value)
        except CellError as error:
            errors.append((key, error))
    if errors:
        raise RowErrors(errors)
    return row


def _employers_by_code(codes: set[str]) -> dict[str, tuple[int, int]]:
    """credit code -> (employer id, agency id), in one statement."""
    rows = db.session.execute(
        select(Employer.credit_code, Employer.id, Employer.agency_id).where(
            Employer.credit_code.in_(codes)
        )
    )
    return {code: (employer_id, agency_id) for code, employer_id, agency_id in rows}


def own_rows(
    kind: Kind, batch: list[tuple[int, Row]], context: Context, tally: Tally
) -> list[tuple[int, Row, int]]:
    """The batch's rows with their employer id; unknown or other agencies' employers refused."""
    known = _employers_by_code({row["credit_code"] for _, row in batch})
    mine = []
    column = kind.column("credit_code")
    for line, row in batch:
        found = known.get(row["credit_code"])
        if found is None:
            tally.refuse(Problem(line, column, "unknown_employer", value=row["credit_code"]))
        elif context.scope_agency_id is not None and found[1] != context.scope_agency_id:
            tally.refuse(Problem(line, column, "other_agency", value=row["credit_code"]))
        else:
            mine.append((line, row, found[0]))
    return mine


def upsert(model, *, keys, values, stamp, mine, tally: Tally, apply: bool) -> None:
    """Insert or update ``model`` rows by (employer, *keys) in a few statements per batch.

    ``values`` maps the model's columns to the parsed row's keys; ``stamp`` (if any) is set to
    the import time on every written row.
    """
    key_columns = [getattr(model, k) for k in keys]
    columns = [model.id, model.employer_id, *key_columns, *(getattr(model, c) for c in values)]
    where = [model.employer_id.in_({employer_id for _, _, employer_id in mine})]
    where += [
        column.in_({row[k] for _, row, _ in mine})
        for k, column in zip(keys, key_columns, strict=True)
    ]
    stored = {
        (r.employer_id, *(getattr(r, k) for k in keys)): r
        for r in db.session.execute(select(*columns).where(*where))
    }
    inserts, updates = [], []
    now = {stamp: utcnow()} if stamp else {}
    for _line, row, employer_id in mine:
        new = {column: row[key] for column, key in values.items()}
        current = stored.get((employer_id, *(row[k] for k in keys)))
        if current is None:
            tally.created += 1
            inserts.append({"employer_id": employer_id, **{k: row[k] for k in keys}, **now, **new})
        elif all(same(getattr(current, k), v) for k, v in new.items()):
            tally.unchanged += 1
        else:
            tally.updated += 1
            updates.append({"id": current.id, **now, **new})
    if apply and not tally.refused_rows:
        if inserts:
            insert_rows(model.__table__, inserts)
        if updates:
            db.session.execute(update(model), updates)


def same(stored: Any, new: Any) -> bool:
    if isinstance(new, Decimal) and stored is not None:
        return Decimal(stored) == new
    return stored == new


# ------------------------------------------------------------------------------ reference data


def region_rows(
    kind: Kind, batch: list[tuple[int, Row]], context: Context, tally: Tally
) -> list[tuple[int, Row, int]]:
    """The batch's rows with their region id; unknown regions, and for agency staff other
    regions than their agency's, refused (``own_rows`` for rows keyed by 统筹地区代码)."""
    codes = {row["region_code"] for _, row in batch}
    known = dict(
        db.session.execute(
            select(PoolingRegion.code, PoolingRegion.id).where(PoolingRegion.code.in_(codes))
        ).all()
    )
    scope = context.scope_region_id()
    column = kind.column("region_code")
    mine = []
    for line, row in batch:
        region_id = known.get(row["region_code"])
        if region_id is None:
            tally.refuse(Problem(line, column, "unknown_region", value=row["region_code"]))
        elif scope is not None and region_id != scope:
            tally.refuse(Problem(line, column, "other_region", value=row["region_code"]))
        else:
            mine.append((line, row, region_id))
    return mine


def plain(value: Any) -> Any:
    """A value as an audit row's JSON keeps it (Decimal as its text)."""
    return str(value) if isinstance(value, Decimal) else value


def audit_change(
    context: Context, action: str, obj: Any, line: int, before: Row | None, after: Row
) -> None:
    """The audit row of one reference row an import created (``before`` None) or changed."""
    audit.record(
        context.actor,
        action,
        obj=obj,
        details={
            **context.audit_details,
            "line": line,
            "before": None if before is None else {k: plain(v) for k, v in before.items()},
            "after": {k: plain(v) for k, v in after.items()},
        },
    )


def dated_upsert(
    model,
    *,
    action: str,
    date_key: str,
    values: dict[str, str],
    mine: list[tuple[int, Row, int]],
    context: Context,
    tally: Tally,
    apply: bool,
) -> None:
    """Insert or update a region's dated rows (``model`` by region and ``date_key``), each
    created or changed row audited with what it held before and after."""
    if not mine:
        return
    dated = getattr(model, date_key)
    stored = {
        (r.region_id, getattr(r, date_key)): r
        for r in db.session.scalars(
            select(model).where(
                model.region_id.in_({region_id for _, _, region_id in mine}),
                dated.in_({row[date_key] for _, row, _ in mine}),
            )
        )
    }
    for line, row, region_id in mine:
        new = {column: row[key] for column, key in values.items()}
        current = stored.get((region_id, row[date_key]))
        if current is not None and all(same(getattr(current, k), v) for k, v in new.items()):
            tally.unchanged += 1
            continue
        if current is None:
            tally.created += 1
        else:
            tally.updated += 1
        if not apply or tally.refused_rows:
            continue
        key = {"region_code": row["region_code"], date_key: row[date_key]}
        if current is None:
            current = model(region_id=region_id, **{date_key: row[date_key]}, **new)
            db.session.add(current)
            db.session.flush()
            audit_change(context, f"{action}.create", current, line, None, {**key, **new})
            continue
        before = {k: getattr(current, k) for k in new}
        for k, v in new.items():
            setattr(current, k, v)
        current.updated_at = utcnow()
        db.session.flush()
        audit_change(context, f"{action}.update", current, line, {**key, **before}, {**key, **new})
