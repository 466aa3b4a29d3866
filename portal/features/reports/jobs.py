"""The reports' jobs: the 缓缴清单 export, the monthly sharing the schedule starts, and the
files of the monthly report, the reconciliation and the Wuxi 附表."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, BinaryIO, cast

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.core import jobs
from portal.core.extensions import db
from portal.core.tables import render_to
from portal.features.reports.monthly import monthly_report, monthly_table, report_of
from portal.features.reports.operations import sent_monthly_report, write_tax_list
from portal.features.reports.reconciliation import reconciliation, reconciliation_table
from portal.features.reports.wuxi_2020 import annex_lines, reduction_statistics, statistics_table
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
    # Written as it is made, to the job's file and to the export's kept copy: the rows are
    # read once and the file is never held whole. The job's row is left untouched until the
    # end (its name waits for the export's number): once this transaction updates it, each
    # progress written from the other connection waits for that row (on PostgreSQL, until it
    # times out: 2 minutes for 10,000 employers).
    with run.file() as out:
        export, name, file_format = write_tax_list(
            cast(BinaryIO, out),
            date.fromisoformat(params["on"]),
            agency=agency,
            since_last=bool(params["since_last"]),
            file_format=params["file_format"],
            actor=run.actor,
            monthly=bool(params["monthly"]),
            progress=lambda done, total: run.progress("building", done, total),
        )
    run.job.file_name, run.job.file_format = name, file_format
    return {"export_id": export.id, "rows": export.row_count}


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


# The downloads of the monthly report, the reconciliation and the Wuxi 附表: each page's
# button starts a job (a GET changes nothing), whose page offers the file. The scope (the
# agency, or every agency) and the day were decided in the request that started it.


def _agency(params: dict[str, Any]) -> Agency | None:
    agency_id = params.get("agency_id")
    return db.session.get(Agency, agency_id) if agency_id is not None else None


def start_file(
    kind: str, params: dict[str, Any], *, agency: Agency | None, actor: User | None
) -> Job:
    """Start the job ``kind`` that makes one of the reports' files, over ``agency`` (None:
    every agency, an administrator's); made as of today, the day it was asked."""
    agency_id = agency.id if agency is not None else None
    params = {**params, "agency_id": agency_id, "on": today().isoformat()}
    return jobs.start(kind, params, actor=actor, agency_id=agency_id)


@jobs.register("reports.monthly_file", label=_l("Making the monthly report's file"))
def monthly_file(run: jobs.JobRun) -> dict[str, Any]:
    params = run.params
    agency, month, file_format = _agency(params), params["month"], params["file_format"]
    run.progress("building")
    sent = sent_monthly_report(month, agency)
    if sent is not None and file_format == "xlsx":
        with run.file(sent.file_name, "xlsx") as out:  # the very file sent
            out.write(sent.file_bytes)
        return {"sent": True}
    if sent is not None:
        report = report_of(sent.figures, agency)
    else:
        on = date.fromisoformat(params["on"])
        report = monthly_report(month, on, agency_id=agency.id if agency is not None else None)
    scope = agency.code if agency is not None else "all"
    run.progress("writing")
    with run.file(f"deferral-report-{scope}-{report.month}.{file_format}", file_format) as out:
        render_to(monthly_table(report), file_format, cast(BinaryIO, out))
    return {"sent": sent is not None}


@jobs.register("reports.reconciliation_file", label=_l("Making the reconciliation's file"))
def reconciliation_file(run: jobs.JobRun) -> dict[str, Any]:
    params = run.params
    agency, month, file_format = _agency(params), params["month"], params["file_format"]
    run.progress("building")
    result = reconciliation(
        month,
        date.fromisoformat(params["on"]),
        agency_id=agency.id if agency is not None else None,
    )
    scope = agency.code if agency is not None else "all"
    run.progress("writing")
    with run.file(f"reconciliation-{scope}-{month}.{file_format}", file_format) as out:
        render_to(reconciliation_table(result), file_format, cast(BinaryIO, out))
    return {}


@jobs.register("reports.wuxi_2020_file", label=_l("Making the Wuxi statistics (附表)"))
def wuxi_2020_file(run: jobs.JobRun) -> dict[str, Any]:
    params = run.params
    agency, month = _agency(params), params["month"]
    fund = {
        name: Decimal(value) if value is not None else None
        for name, value in params["fund"].items()
    }
    run.progress("building")
    rows = reduction_statistics(month, agency_id=agency.id if agency is not None else None)
    lines = annex_lines(agency, date.fromisoformat(params["on"]))
    run.progress("writing", len(rows), len(rows))
    with run.file(f"wuxi-2020-statistics-{month}.xlsx", "xlsx") as out:
        render_to(statistics_table(rows, fund, lines), "xlsx", cast(BinaryIO, out))
    return {"rows": len(rows)}
