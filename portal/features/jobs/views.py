"""A job's page: its stage, rows done of rows in all, elapsed time and an estimate, updating
by itself (a refresh every few seconds: no JavaScript needed); when done, its result (the
page it made, or its file). Staff see their agency's recent jobs."""

from __future__ import annotations

import re
from typing import Any

from flask import Response, abort, redirect, render_template, stream_with_context, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from portal.core import jobs
from portal.core.tables import mimetype
from portal.features.jobs import bp
from portal.features.jobs.forms import RetryForm
from portal.features.jobs.queries import get_job_or_404, recent_jobs
from portal.labels.errors import error_message
from portal.models import Job
from portal.models.base import utcnow
from portal.rules.errors import DomainError
from portal.web.permissions import BACK_OFFICE, permission

#: Seconds between the page's refreshes while the job runs.
REFRESH_SECONDS = 2

STAGES = {
    "queued": _l("Waiting for a worker"),
    "started": _l("Started"),
    "retrying": _l("Stopped by a fault; waiting to be tried again"),
    "reading": _l("Reading the file"),
    "checking": _l("Checking the rows"),
    "applying": _l("Writing the rows"),
    "building": _l("Building the file"),
    "writing": _l("Writing the file"),
    "sending": _l("Sending"),
    "done": _l("Done"),
    "failed": _l("Failed"),
}


@bp.route("/")
@permission(BACK_OFFICE)
def index():
    items = [{"job": j, "view": _view(j)} for j in recent_jobs(current_user)]
    return render_template("jobs/index.html", jobs=items)


@bp.route("/<int:job_id>")
@permission(BACK_OFFICE)
def show(job_id: int):
    job = get_job_or_404(current_user, job_id)
    follow = job.result.get("next") if job.status == "done" else None
    if isinstance(follow, dict) and follow.get("endpoint"):
        return redirect(url_for(follow["endpoint"], **follow.get("values", {})))
    view = _view(job)
    return render_template(
        "jobs/show.html",
        job=job,
        view=view,
        refresh=REFRESH_SECONDS if view["active"] else None,
        retry_form=RetryForm() if view["can_retry"] else None,
    )


@bp.route("/<int:job_id>/file")
@permission(BACK_OFFICE)
def download(job_id: int):
    job = get_job_or_404(current_user, job_id)
    if job.status != "done" or not job.file_name or not job.file_format:
        abort(404)
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", job.file_name)
    headers = {
        "Content-Type": mimetype(job.file_format),
        "Content-Disposition": f'attachment; filename="{safe}"',
        "X-Content-Type-Options": "nosniff",
    }
    if job.file_size is not None:
        headers["Content-Length"] = str(job.file_size)
    return Response(stream_with_context(jobs.file_chunks(job)), headers=headers)


@bp.route("/<int:job_id>/retry", methods=["POST"])
@permission(BACK_OFFICE)
def retry(job_id: int):
    job = get_job_or_404(current_user, job_id)
    if RetryForm().validate_on_submit():
        jobs.retry(job, actor=current_user)
    return redirect(url_for("jobs.show", job_id=job.id))


class _Stored(DomainError):
    """A refusal as the job recorded it: its kind, code and details, for its message."""

    def __init__(self, key: str, details: dict[str, Any]):
        kind, _dot, code = key.partition(".")
        super().__init__(code, None, **details)
        self.kind = kind


def _view(job: Job) -> dict[str, Any]:
    """What the page says of ``job``: its name, stage, figures and times."""
    kind = jobs.kind_of(job.kind)
    stale = jobs.is_stale(job)
    active = job.status in ("queued", "running") and not stale
    now = utcnow()
    started = job.started_at
    elapsed = ((job.finished_at or now) - started).total_seconds() if started else None
    estimate = None
    if active and elapsed and job.total and 0 < job.done < job.total:
        estimate = elapsed / job.done * (job.total - job.done)
    message = None
    if job.status == "failed" and job.error and job.error != "crashed":
        message = error_message(_Stored(job.error, job.error_details or {}))
    return {
        "label": kind.label if kind is not None else job.kind,
        "stage": STAGES.get(job.stage, job.stage),
        "active": active,
        "stale": stale,
        "crashed": job.status == "failed" and job.error == "crashed",
        "message": message,
        "elapsed": elapsed,
        "estimate": estimate,
        "percent": int(job.done * 100 / job.total) if job.total else None,
        "can_retry": stale or (job.status == "failed" and job.error == "crashed"),
        "has_file": job.status == "done" and bool(job.file_name),
    }
