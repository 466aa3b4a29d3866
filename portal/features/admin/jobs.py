"""The administrators' job: the audit log's rows, as the filters chose them, as a CSV file."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l

from portal.core import jobs
from portal.features.admin.queries import AuditFilter, all_entries, audit_csv
from portal.models import Job, User


def start_audit_file(chosen: AuditFilter, on: date, *, actor: User | None) -> Job:
    """Start the job that writes the rows ``chosen`` picks (every agency's: an administrator's
    view) as of ``on``, the day it was asked."""
    params: dict[str, Any] = {
        **asdict(chosen),
        "from_date": chosen.from_date.isoformat() if chosen.from_date else None,
        "to_date": chosen.to_date.isoformat() if chosen.to_date else None,
        "on": on.isoformat(),
    }
    return jobs.start("admin.audit_file", params, actor=actor, agency_id=None)


def _date(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


@jobs.register("admin.audit_file", label=_l("Making the audit log's CSV file"))
def audit_file(run: jobs.JobRun) -> dict[str, Any]:
    params = run.params
    chosen = AuditFilter(
        staff_id=params["staff_id"],
        employer=params["employer"],
        action=params["action"],
        from_date=_date(params["from_date"]),
        to_date=_date(params["to_date"]),
    )
    run.progress("building")
    entries, employers = all_entries(chosen)
    run.progress("writing", len(entries), len(entries))
    with run.file(f"audit-{date.fromisoformat(params['on']):%Y%m%d}.csv", "csv") as out:
        out.write(audit_csv(entries, employers))
    return {"rows": len(entries)}
