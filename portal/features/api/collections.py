"""The tax bureau's payment returns as JSON (内医保办发〔2022〕19号 三（三）: 缴费信息回传):
``POST /api/v1/collections``.

A batch is read here into the collections import's rows, cell by cell through the same
parsers (``kinds.collections.parse_collection``: ``cells.amount`` refuses exponents, NaN and
overlong digits; a JSON number is kept as the text it was written in, never made a float),
and recorded by the import's own operation (``imports.operations.record_collection_rows``):
keyed by employer, month and part, the same figure again changes nothing, a different one is
the bureau's correction. Whole batch or nothing: any bad item, any item of an employer outside
the token's agencies, and nothing is written; every bad item is named by its index and field.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select, text

from portal.core.extensions import db
from portal.features.api.schemas import MAX_COLLECTION_ITEMS
from portal.features.imports.cells import CellError
from portal.features.imports.kinds.base import RowErrors, Tally
from portal.features.imports.kinds.collections import COLLECTION_COLUMNS, parse_collection
from portal.features.imports.operations import record_collection_rows
from portal.models import ApiClient, Employer
from portal.web.api_tokens import Problem

#: Bytes a batch's body may hold: 1000 items of some 200 bytes, with room to spare.
MAX_BODY_BYTES = 1024 * 1024
#: The advisory lock's first key for the payment returns (the feed's is 25).
LOCK_KIND = 2503
FIELDS = tuple(column.key for column in COLLECTION_COLUMNS)
#: What each refusal of a cell parser means, in the API's words (the import's own words
#: speak of a file's cells and lines).
CELL_WORDS = {
    "required": "give this field",
    "control_characters": "remove the control characters",
    "too_long": "too long",
    "formula": "must not begin with =, + or @",
    "credit_code_checksum": "the check character does not match: probably a typo",
    "credit_code_format": "not an 18-character unified social credit code",
    "month": "give the month as YYYY-MM (or YYYYMM), from 2000",
    "day": "give the date as YYYY-MM-DD (or YYYYMMDD)",
    "amount": (
        "yuan with at most 2 decimal places and 15 digits before the point, like 1234.50: "
        "no sign, exponent, NaN or infinity"
    ),
    "part": "unit (单位) or personal (个人)",
}
ROW_WORDS = {
    "duplicate": "the same employer, month and part as item {first}: send each key once",
    "unknown_employer": "not an employer of this token's agencies",
    "other_agency": "not an employer of this token's agencies",
}


class JsonNumber(str):
    """A JSON number as written in the body (``1234.50``, ``1e5``): parsed as text, later."""


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number")


def read_batch(body: bytes) -> list[Any]:
    """The body's ``items``. :raise Problem: not a JSON object with 1 to 1000 items (415/
    413/422 for the batch as a whole)."""
    if len(body) > MAX_BODY_BYTES:
        raise too_large()
    try:
        data = json.loads(
            body.decode("utf-8"),
            parse_float=JsonNumber,
            parse_int=JsonNumber,
            parse_constant=_refuse_constant,
        )
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise _batch_problem(422, 'not JSON in UTF-8: send {"items": [...]}', name="body") from None
    if not isinstance(data, dict) or set(data) != {"items"} or not isinstance(data["items"], list):
        raise _batch_problem(422, 'send one object {"items": [...]}, nothing else', name="body")
    items = data["items"]
    if not items:
        raise _batch_problem(422, "give at least one item")
    if len(items) > MAX_COLLECTION_ITEMS:
        raise _batch_problem(
            413, f"{len(items)} items: a batch holds at most {MAX_COLLECTION_ITEMS}"
        )
    return items


def too_large() -> Problem:
    return _batch_problem(413, f"the body is over {MAX_BODY_BYTES} bytes: send fewer items")


def _batch_problem(status: int, detail: str, *, name: str = "items") -> Problem:
    title = "Batch too large" if status == 413 else "Invalid batch"
    slug = "batch-too-large" if status == 413 else "invalid-batch"
    return Problem(status, slug, title, detail, errors=[{"name": name, "detail": detail}])


def _item_error(index: int, field: str | None, detail: str) -> dict[str, Any]:
    name = f"items[{index}]" if field is None else f"items[{index}].{field}"
    return {"name": name, "detail": detail, "index": index, "field": field}


def parse_items(items: list[Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The items as the import's rows, and every bad item's errors."""
    rows, errors = [], []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            errors.append(_item_error(index, None, "each item is an object of the 5 fields"))
            continue
        found = []
        for key in sorted(set(item) - set(FIELDS)):
            found.append(_item_error(index, key[:40], "not a field of an item"))
        raw = {}
        for key in FIELDS:
            value = item.get(key)
            if value is None:
                raw[key] = ""
            elif isinstance(value, JsonNumber) and key != "amount":
                found.append(_item_error(index, key, "give this field as a string"))
            elif isinstance(value, str):
                raw[key] = value.strip()
            elif key == "amount":
                found.append(_item_error(index, key, 'give the amount as "1234.50" or a number'))
            else:
                found.append(_item_error(index, key, "give this field as a string"))
        try:
            row = parse_collection(raw)
        except RowErrors as refused:
            found += [
                _item_error(index, key, _cell_words(key, error))
                for key, error in refused.errors
                if key in raw  # a field of the wrong type is named once, above
            ]
            row = None
        if found:
            errors += found
        elif row is not None:
            rows.append(row)
    return rows, errors


def _cell_words(key: str, error: CellError) -> str:
    if error.code == "required" and key == "amount":
        return "give the amount, like 1234.50"
    if error.code == "too_long":
        return f"at most {error.details.get('limit')} characters"
    return CELL_WORDS.get(error.code, error.code)


def out_of_scope(rows: list[dict[str, Any]], client: ApiClient) -> list[dict[str, Any]]:
    """Items whose employer is unknown or of an agency the token does not hold; both are
    answered alike, so nothing says whether a code is another agency's employer."""
    codes = {row["credit_code"] for row in rows}
    agency_of = dict(
        db.session.execute(
            select(Employer.credit_code, Employer.agency_id).where(Employer.credit_code.in_(codes))
        ).all()
    )
    allowed = set(client.agency_ids or [])
    return [
        _item_error(index, "credit_code", ROW_WORDS["other_agency"])
        for index, row in enumerate(rows)
        if agency_of.get(row["credit_code"]) not in allowed
    ]


def record(items: list[Any], client: ApiClient) -> Tally:
    """Record a batch (the body's ``items``) for ``client``, all or nothing.

    :raise Problem: 422 naming every bad item; 403 naming every item outside the token's
        agencies. Nothing is flushed when refused; the request rolls back besides."""
    rows, errors = parse_items(items)
    if errors:
        raise _items_problem(422, errors)
    outside = out_of_scope(rows, client)
    if outside:
        raise Problem(
            403,
            "agency",
            "Not in the token's scope",
            f"{len(outside)} item(s) are not for an employer of this token's agencies; "
            "nothing was recorded.",
            errors=outside,
        )
    agencies = client.agency_ids or []
    if db.engine.dialect.name == "postgresql":
        # One batch at a time: a retry arriving while its first send is still being recorded
        # waits, then finds every key recorded (unchanged), instead of inserting the same keys
        # at the same moment (a unique violation). SQLite has one writer anyway.
        db.session.execute(text("SELECT pg_advisory_xact_lock(:kind, 0)"), {"kind": LOCK_KIND})
    tally = record_collection_rows(
        rows,
        # One agency: the import's own check too; several: each row was checked above.
        scope_agency_id=agencies[0] if len(agencies) == 1 else None,
        actor=None,
        apply=True,
        via=f"api client {client.id}",
        role="api",
    )
    if tally.refused_rows:
        raise _items_problem(
            422,
            [
                _item_error(
                    problem.line - 1,
                    _field(problem.column),
                    ROW_WORDS.get(problem.code, problem.code).format(
                        first=int(problem.details.get("first", 1)) - 1
                    ),
                )
                for problem in tally.problems
            ],
        )
    return tally


def _field(column: str) -> str:
    return next(c.key for c in COLLECTION_COLUMNS if c.zh == column)


def _items_problem(status: int, errors: list[dict[str, Any]]) -> Problem:
    count = len({error["index"] for error in errors})
    return Problem(
        status,
        "invalid-items",
        "Invalid items",
        f"{count} item(s) cannot be recorded, named in errors; nothing was recorded.",
        errors=errors,
    )
