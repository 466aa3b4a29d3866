"""The job queue on PostgreSQL: procrastinate, and the schedule of periodic work.

Why procrastinate (3.10): it keeps its queue in the PostgreSQL database the portal already
runs on (no broker to run), defers a job on the caller's own connection (``configure(
connection=...)``: the ``Job`` row and its place in the queue commit together), has periodic
tasks that fire once per tick however many workers run (``procrastinate_periodic_defers``),
locks that run jobs of one lock one at a time, retries, and worker heartbeats from which a
worker killed mid-job is found (``get_stalled_jobs``). PgQueuer was weighed: it has the queue
and schedules, but no deferring on the caller's transaction. Workers: ``flask --app wsgi
portal worker``, on as many machines as wanted.

**The schedule** (``SCHEDULE``, the one place it is configured; times are UTC, China is
UTC+8): the reminders every morning, and the monthly sharing of the 缓缴清单 on the 1st
(内医保办发〔2022〕19号 五 2: 按月共享). An agency sets no cron. A worker also retries, every
minute and when it starts, the jobs of workers whose heartbeat stopped.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import procrastinate
from flask import Flask, current_app
from sqlalchemy.engine import make_url

from portal.core import jobs
from portal.core.extensions import db
from portal.models import Job

log = logging.getLogger(__name__)

#: kind of job -> cron (UTC). 00:30 UTC is 08:30 in China; 01:00 UTC on the 1st is 09:00.
SCHEDULE: dict[str, str] = {
    "reminders.send": "30 0 * * *",
    "reports.monthly_sharing": "0 1 1 * *",
}
#: A worker whose heartbeat is older than this (seconds) is taken for dead, its jobs retried.
STALLED_AFTER_SECONDS = 60
TASK_NAME = "portal.run_job"


def queue_of(app: Flask) -> procrastinate.App:
    """The procrastinate app of the Flask app ``app`` (made once), on its database."""
    existing = app.extensions.get("procrastinate")
    if existing is not None:
        return existing
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"]).set(drivername="postgresql")
    conninfo = url.render_as_string(hide_password=False)
    queue = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=conninfo))
    _define_tasks(queue, app)
    app.extensions["procrastinate"] = queue
    return queue


def _define_tasks(queue: procrastinate.App, app: Flask) -> None:
    @queue.task(
        name=TASK_NAME,
        retry=procrastinate.RetryStrategy(max_attempts=jobs.MAX_ATTEMPTS - 1, wait=5),
    )
    def run_job(job_id: int) -> None:
        with app.app_context():
            try:
                jobs.execute(job_id)
            finally:
                db.session.remove()

    for kind, cron in SCHEDULE.items():
        _schedule(queue, app, kind, cron)

    @queue.periodic(cron="* * * * *", periodic_id="retry-stalled")
    @queue.task(name="portal.retry_stalled", queueing_lock="retry-stalled")
    async def retry_stalled(timestamp: int) -> None:
        await retry_stalled_jobs(queue)


def _schedule(queue: procrastinate.App, app: Flask, kind: str, cron: str) -> None:
    @queue.periodic(cron=cron, periodic_id=kind)
    @queue.task(name=f"portal.scheduled.{kind}", queueing_lock=f"scheduled.{kind}")
    def scheduled(timestamp: int) -> None:
        with app.app_context():
            try:
                jobs.run_scheduled(kind)
            finally:
                db.session.remove()


async def retry_stalled_jobs(
    queue: procrastinate.App, seconds: float = STALLED_AFTER_SECONDS
) -> int:
    """Queue again the jobs of workers whose heartbeat stopped ``seconds`` ago (killed, or
    their machine lost); the job function starts over (its transaction went with them)."""
    stalled = await queue.job_manager.get_stalled_jobs(seconds_since_heartbeat=seconds)
    for job in stalled:
        log.warning("retrying job %s of a stopped worker", job.id)
        await queue.job_manager.retry_job(job)
    return len(list(stalled))


def defer(job: Job) -> None:
    """Put ``job`` in the queue, on the session's own connection: it is queued if and when the
    caller's transaction commits, and never without its ``Job`` row."""
    queue = queue_of(current_app._get_current_object())  # type: ignore[attr-defined]
    connection = db.session.connection().connection.driver_connection
    options: dict[str, Any] = {"connection": connection}
    kind = jobs.kind_of(job.kind)
    if kind is not None and kind.lock is not None:
        options["lock"] = kind.lock
    queue.configure_task(TASK_NAME, **options).defer(job_id=job.id)


def run_worker(
    app: Flask,
    *,
    wait: bool = True,
    concurrency: int = 1,
    stalled_after: float = STALLED_AFTER_SECONDS,
) -> None:
    """Run a worker here until stopped (``wait``; else until the queue is empty), after
    queueing again the jobs of workers silent for ``stalled_after`` seconds."""
    queue = queue_of(app)

    async def work() -> None:
        async with queue.open_async():
            await retry_stalled_jobs(queue, stalled_after)
            await queue.run_worker_async(
                wait=wait, concurrency=concurrency, install_signal_handlers=wait
            )

    asyncio.run(work())
