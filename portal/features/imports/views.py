"""Upload a file, see what it would do (or every row it refuses), then apply it on purpose.

Three pages as in notifications-admin's "send from a spreadsheet": the upload, the check
(refused: the problems, row by row, with the upload right there; fine: what will happen, and one
button), and the record of what was applied.
"""

from __future__ import annotations

import io
from typing import IO

from flask import Response, redirect, render_template, request, url_for
from flask_login import current_user

from portal.features.held.queries import record_items
from portal.features.imports import bp
from portal.features.imports.forms import ApplyImportForm, ImportForm, import_form
from portal.features.imports.kinds import KINDS, kinds_for
from portal.features.imports.operations import ImportError_, start_apply, start_check
from portal.features.imports.presenting import conflict_message, errors_csv, record_errors
from portal.features.imports.queries import get_import_or_404, recent_imports
from portal.features.imports.reader import FileRefused
from portal.labels import put_error
from portal.util import clock
from portal.web.forms import entered
from portal.web.permissions import BACK_OFFICE, agency_scope, permission
from portal.web.routing import upload_limit

#: The web page takes files up to this size (a register of two million rows, ``MAX_ROWS``);
#: larger ones go through the command line.
MAX_UPLOAD_BYTES = 200 * 1024 * 1024
#: Refused rows shown on the page (all are in the CSV of problems).
SHOWN_PROBLEMS = 50


@bp.route("/", methods=["GET", "POST"])
@permission(BACK_OFFICE)
@upload_limit(MAX_UPLOAD_BYTES)
def index():
    form = import_form(kinds_for(agency_scope(current_user)))
    if form.validate_on_submit():
        upload = request.files.get(form.file.name)
        file_name = upload.filename if upload is not None else None
        size = _size(upload.stream) if upload is not None and file_name else 0
        if not size or upload is None or not file_name:
            put_error(form, FileRefused("empty", "file"))
        elif size > MAX_UPLOAD_BYTES:
            put_error(form, FileRefused("too_large", "file"))
        else:
            # Kept a chunk at a time and checked by a job: the page answers at once, with
            # the job's page to watch.
            job = start_check(
                form.kind.data,
                file_name,
                upload.stream,
                actor=current_user,
                scope_agency_id=agency_scope(current_user),
            )
            return redirect(url_for("jobs.show", job_id=job.id))
    return _render_index(form)


@bp.route("/<int:record_id>")
@permission(BACK_OFFICE)
def record(record_id: int):
    return _render_record(get_import_or_404(current_user, record_id))


@bp.route("/<int:record_id>/apply", methods=["POST"])
@permission(BACK_OFFICE)
def apply(record_id: int):
    record = get_import_or_404(current_user, record_id)
    form = ApplyImportForm()
    if form.validate_on_submit():
        try:
            job = start_apply(record, entered(form.sha256.data), actor=current_user)
        except ImportError_ as error:
            put_error(form, error)
            return _render_record(record, apply_form=form), 409
        return redirect(url_for("jobs.show", job_id=job.id))
    return redirect(url_for("imports.record", record_id=record.id))


@bp.route("/<int:record_id>/problems.csv")
@permission(BACK_OFFICE)
def problems_csv(record_id: int):
    record = get_import_or_404(current_user, record_id)
    name = f"import-{record.id}-problems.csv"
    return Response(
        errors_csv(record),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _size(stream: IO[bytes]) -> int:
    """The upload's size (werkzeug spools it to a temporary file), read from where it ends."""
    size = stream.seek(0, io.SEEK_END)
    stream.seek(0)
    return size


def _render_index(form: ImportForm):
    return render_template(
        "imports/index.html",
        form=form,
        kinds=kinds_for(agency_scope(current_user)),
        records=recent_imports(current_user),
    )


def _render_record(record, apply_form: ApplyImportForm | None = None):
    problems = record_errors(record)
    held = record_items(record, clock.today(), SHOWN_PROBLEMS)
    return render_template(
        "imports/record.html",
        record=record,
        problems=problems[:SHOWN_PROBLEMS],
        more_problems=max(len(problems) - SHOWN_PROBLEMS, 0),
        conflicts=[
            conflict_message(c, applied=record.status == "applied") for c in record.conflicts
        ],
        apply_form=apply_form or ApplyImportForm(formdata=None, sha256=record.sha256),
        upload_form=import_form(
            kinds_for(agency_scope(current_user)), formdata=None, kind=record.kind
        ),
        kind=KINDS[record.kind],
        held_items=held,
        more_held=max(len(record.held) - len(held), 0),
    )
