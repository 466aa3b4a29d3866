"""The returns' job: the worklist of refunds and offsets as a file."""

from __future__ import annotations

from datetime import date
from typing import Any, BinaryIO, cast

from flask_babel import lazy_gettext as _l

from portal.core import jobs
from portal.core.tables import render_to
from portal.features.returns.files import worklist_table
from portal.features.returns.queries import worklist
from portal.models import Job, User


def start_worklist_file(
    on: date, *, agency_id: int | None, file_format: str, actor: User | None
) -> Job:
    """Start the job that writes the worklist of ``agency_id`` (None: every agency) on ``on``,
    the day it was asked."""
    params = {"on": on.isoformat(), "agency_id": agency_id, "file_format": file_format}
    return jobs.start("returns.worklist_file", params, actor=actor, agency_id=agency_id)


@jobs.register("returns.worklist_file", label=_l("Making the refunds and offsets worklist file"))
def worklist_file(run: jobs.JobRun) -> dict[str, Any]:
    params = run.params
    on, file_format = date.fromisoformat(params["on"]), params["file_format"]
    run.progress("building")
    items = worklist(on, agency_id=params["agency_id"])
    run.progress("writing", len(items), len(items))
    with run.file(f"refunds-and-offsets-{on:%Y%m%d}.{file_format}", file_format) as out:
        render_to(worklist_table(items), file_format, cast(BinaryIO, out))
    return {"rows": len(items)}
