"""An import's outcome in a clerk's words: lines for the command, the page and the CSV."""

from __future__ import annotations

import csv
import io
from typing import Any

from flask_babel import gettext as _

from portal.features.imports.cells import CellError
from portal.features.imports.kinds.deferral_list import held_header
from portal.features.imports.operations import Outcome
from portal.features.imports.reader import FileRefused, file_refusals
from portal.labels import error_message
from portal.labels.held import held_column_label, held_value_label
from portal.models import ImportRecord
from portal.rules.confirmation import Held


def problem_message(code: str, details: dict[str, Any]) -> str:
    """The words for a stored problem (``file.<code>`` for the file as a whole)."""
    if code.startswith("file."):
        return error_message(FileRefused(code.removeprefix("file."), **details))
    return error_message(CellError(code, **details))


def conflict_message(conflict: dict[str, Any], *, applied: bool) -> str:
    """A list row that contradicts what the employer did: ``applied`` says what happened, else
    (a file checked, not yet applied) what applying it will do."""
    if not applied:
        if conflict.get("code") == "approved":
            return _(
                "Line %(line)s: %(code)s was approved on its commitment letter and is now off "
                "the list or large. Applying this file will make that change; check it with the "
                "employer first.",
                line=conflict["line"],
                code=conflict["credit_code"],
            )
        return _(
            "Line %(line)s: %(code)s had confirmed the deferral and is now off the list or large. "
            "Applying this file will make that change; check it with the employer first.",
            line=conflict["line"],
            code=conflict["credit_code"],
        )
    if conflict.get("code") == "approved":
        return _(
            "Line %(line)s: %(code)s was approved on its commitment letter and is now off the "
            "list or large. The change was applied; check it with the employer.",
            line=conflict["line"],
            code=conflict["credit_code"],
        )
    return _(
        "Line %(line)s: %(code)s had confirmed the deferral and is now off the list or large. "
        "The change was applied; check it with the employer.",
        line=conflict["line"],
        code=conflict["credit_code"],
    )


def held_message(held: Held) -> str:
    """A change held for the agency (the employer's classification is confirmed)."""
    return _(
        "Line %(line)s: %(code)s, %(column)s %(before)s → %(after)s: not applied, the "
        "classification is confirmed; it waits for the agency's decision.",
        line=held.line,
        code=held.credit_code,
        column=held_column_label(held.column),
        before=held_value_label(held.column, held.before),
        after=held_value_label(held.column, held.after),
    )


def line_text(line: int | None, column: str, message: str) -> str:
    if line is None:
        return message
    if not column:
        return _("Line %(line)s: %(message)s", line=line, message=message)
    return _("Line %(line)s, %(column)s: %(message)s", line=line, column=column, message=message)


def record_errors(record: ImportRecord) -> list[dict[str, Any]]:
    """{"line", "column", "message"} of every refusal kept with the record."""
    return [
        {
            "line": e.get("line"),
            "column": e.get("column", ""),
            "message": problem_message(e["code"], e.get("details") or {}),
            "value": e.get("value") or "",
        }
        for e in record.errors
    ]


def outcome_errors(outcome: Outcome) -> list[dict[str, Any]]:
    errors: list[dict[str, Any]] = []
    if outcome.file_error is not None:
        errors.extend(
            {"line": error.details.get("line"), "column": "", "message": error_message(error)}
            for error in file_refusals(outcome.file_error)
        )
    errors.extend(
        {"line": p.line, "column": p.column, "message": problem_message(p.code, p.details)}
        for p in outcome.problems
    )
    return errors


def outcome_json(outcome: Outcome) -> dict[str, Any]:
    """The command's --json object (a contract: other systems read it)."""
    return {
        "kind": outcome.kind,
        "rows": outcome.rows,
        "created": outcome.created,
        "updated": outcome.updated,
        "unchanged": outcome.unchanged,
        "applied": outcome.applied,
        "errors": outcome_errors(outcome),
        # Changes to confirmed employers not applied, for agency staff to decide: the column
        # by its Chinese header as "errors" name it, values as the register keeps them
        "held": [{**held.as_json(), "column": held_header(held.column)} for held in outcome.held],
    }


def problem_lines(outcome: Outcome) -> list[str]:
    lines = [line_text(e["line"], e["column"], e["message"]) for e in outcome_errors(outcome)]
    lines.extend(conflict_message(c, applied=outcome.applied) for c in outcome.conflicts)
    lines.extend(held_message(held) for held in outcome.held)
    lines.append(summary(outcome.rows, outcome.created, outcome.updated, outcome.unchanged))
    if outcome.is_refused:
        lines.append(_("Refused: nothing was changed. Correct the rows above and import again."))
    elif outcome.applied:
        lines.append(
            _("Nothing to change: the data is already as the file says.")
            if outcome.changes_nothing and not outcome.held
            else _("Applied.")
        )
        if outcome.held:
            lines.append(
                _(
                    "%(n)s changes were not applied: agency staff accept or reject them on the "
                    "page of changes waiting for a decision.",
                    n=len(outcome.held),
                )
            )
    else:
        lines.append(_("Checked only: nothing was changed."))
    return lines


def summary(rows: int, created: int, updated: int, unchanged: int) -> str:
    return _(
        "%(rows)s rows: %(created)s new, %(updated)s changed, %(unchanged)s unchanged.",
        rows=rows,
        created=created,
        updated=updated,
        unchanged=unchanged,
    )


def errors_csv(record: ImportRecord) -> bytes:
    """The refusals as a CSV a clerk can open in Excel (UTF-8 with a byte-order mark)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([_("Line"), _("Column"), _("Problem")])
    for e in record_errors(record):
        writer.writerow([e["line"] or "", e["column"], e["message"]])
    return buffer.getvalue().encode("utf-8-sig")
