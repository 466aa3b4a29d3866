"""The reports' jobs: the 缓缴清单 export, and the monthly sharing the schedule starts."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.core import jobs
from portal.core.extensions import db
from portal.features.reports.operations import export_tax_list
from portal.models import Agency, Job, User
from portal.util.clock import today


def start_tax_list(
    on: date,
    *,
    agency: Agency | None,
    since_last: bool,
    file_format: str,
    monthly: bool,
    actor: User | None,
) -> Job:
    """Start the job that exports the 缓缴清单 (``export_tax_list``)."""
    params = {
        "on": on.isoformat(),
        "agency_id": agency.id if agency is not None else None,
        "since_last": since_last,
        "file_format": file_format,
        "monthly": monthly,
    }
    agency_id = agency.id if agency is not None else None
    return jobs.start("reports.tax_list", params, actor=actor, agency_id=agency_id)


# Exports run one at a time: "since the last" is per employer, across agencies.
@jobs.register(
    "reports.tax_list", label=_l("Exporting the deferral list (缓缴清单)"), lock="tax-list"
)
def tax_list(run: jobs.JobRun) -> dict[str, Any]:
    params = run.params
    agency = db.session.get(Agency, params["agency_id"]) if params.get("agency_id") else None
    run.progress("building")
    exported = export_tax_list(
        date.fromisoformat(params["on"]),
        agency=agency,
        since_last=bool(params["since_last"]),
        file_format=params["file_format"],
        actor=run.actor,
        monthly=bool(params["monthly"]),
    )
    content, name, file_format = exported.download()
    run.progress("writing", exported.export.row_count, exported.export.row_count)
    with run.file(name, file_format) as out:
        out.write(content)
    return {"export_id": exported.export.id, "rows": exported.export.row_count}


@jobs.register("reports.monthly_sharing", label=_l("The monthly sharing of the deferral list"))
def monthly_sharing(run: jobs.JobRun) -> dict[str, Any]:
    """按月共享 (内医保办发〔2022〕19号 五 2), on the schedule's day: each agency's list of last
    month as an .xlsx, a job each, which the agency's staff find among their jobs."""
    started = 0
    for agency in db.session.scalars(select(Agency).order_by(Agency.code)):
        start_tax_list(
            today(),
            agency=agency,
            since_last=False,
            file_format="xlsx",
            monthly=True,
            actor=run.actor,
        )
        started += 1
    return {"agencies": started}
