"""The reminders' run as a job: the schedule starts it every morning (portal/core/queue.py),
``flask portal reminders send`` runs the same ``run`` by hand."""

from __future__ import annotations

from contextlib import closing
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l

from portal.core import jobs
from portal.core.extensions import db
from portal.features.reminders.outbox import RunReport, deliver, due_messages, queue
from portal.util.clock import today


def run(on: date, *, dry_run: bool = False, agency_id: int | None = None) -> RunReport:
    """Queue every reminder due on ``on`` and send what is queued; a second run sends nothing
    new.

    The queue is committed before anything is sent; then each step of ``deliver``: the
    messages past their last day marked expired, each batch's claim, and each message's
    outcome as soon as the server has answered, before the next is sent. A run killed at any
    point repeats at most the one message it was sending.
    """
    dues, report = due_messages(on, dry_run=dry_run, agency_id=agency_id)
    if dry_run:
        db.session.rollback()
        return report
    # Rendering makes short-lived garbage (some of it in cycles): collected as usual.
    report.queued = queue(dues, on, skip=report.existing)
    db.session.commit()
    del dues
    with closing(deliver(report)) as steps:
        for _step in steps:
            db.session.commit()
    return report


@jobs.register("reminders.send", label=_l("Sending the day's reminders"))
def send(job: jobs.JobRun) -> dict[str, Any]:
    job.progress("sending")
    report = run(today())
    return {"report": report.as_json()}
