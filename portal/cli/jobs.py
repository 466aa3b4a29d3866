"""``flask portal worker`` and ``flask portal jobs ...``: the queue's workers, and the jobs."""

from __future__ import annotations

import json
import sys

import click
from flask import current_app
from flask.cli import with_appcontext

from portal.core import jobs
from portal.core.extensions import db


@click.command("worker")
@click.option("--concurrency", default=1, show_default=True, help="Jobs run at once.")
@click.option("--burst", is_flag=True, help="Stop once the queue is empty (for tests, scripts).")
@with_appcontext
def worker_command(concurrency: int, burst: bool) -> None:
    """Run the job queue's worker on PostgreSQL (as many as wanted, on any machines): the
    imports, exports and reports started from the pages, and the schedule (the daily
    reminders, the monthly sharing). On the embedded SQLite mode jobs run in the web process:
    there is no worker to start."""
    if db.engine.dialect.name != "postgresql":
        raise click.ClickException(
            "the embedded SQLite mode runs jobs in the web process; a worker needs PostgreSQL "
            "(DATABASE_URL)"
        )
    from portal.core import queue

    queue.run_worker(current_app._get_current_object(), wait=not burst, concurrency=concurrency)  # type: ignore[attr-defined]


jobs_cli = click.Group("jobs", help="The jobs: list them, run one here.")


@jobs_cli.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@with_appcontext
def list_command(as_json: bool) -> None:
    """The 50 most recent jobs."""
    from sqlalchemy import select

    from portal.models import Job

    found = list(db.session.scalars(select(Job).order_by(Job.id.desc()).limit(50)))
    for job in jobs.with_progress(found):
        row = {
            "id": job.id,
            "kind": job.kind,
            "status": "interrupted" if jobs.is_stale(job) else job.status,
            "stage": job.stage,
            "done": job.done,
            "total": job.total,
            "error": job.error,
            "created_at": job.created_at.isoformat(),
        }
        click.echo(
            json.dumps(row)
            if as_json
            else "{id:>6} {kind:<28} {status:<11} {done}/{total}".format(**row)
        )


@jobs_cli.command("run")
@click.argument("job_id", type=click.IntRange(1, 2**31 - 1))
@click.option("--json", "as_json", is_flag=True, help="Print the job as one JSON object.")
@with_appcontext
def run_command(job_id: int, as_json: bool) -> None:
    """Run the queued, interrupted or crashed job JOB_ID here, in the foreground, with a
    progress bar on a terminal. Exit 0 when it is done, 1 otherwise."""
    from portal.models import Job

    job = db.session.get(Job, job_id)
    if job is None:
        raise click.ClickException(f"no job {job_id}")
    if jobs.is_stale(jobs.with_progress([job])[0]) or (
        job.status == "failed" and job.error == "crashed"
    ):
        job.status, job.stage, job.error = "queued", "queued", None
        db.session.commit()
    with progress_bar(quiet=as_json) as echo:
        job = jobs.execute(job_id, echo=echo)
    if as_json:
        click.echo(
            json.dumps(
                {"id": job.id, "status": job.status, "error": job.error, "result": job.result}
            )
        )
    else:
        click.echo(f"job {job.id}: {job.status}" + (f" ({job.error})" if job.error else ""))
    sys.exit(0 if job.status == "done" else 1)


class progress_bar:
    """``echo(stage, done, total)`` drawing a bar on a terminal (stderr); silent when ``quiet``
    or when stderr is no terminal (a log)."""

    def __init__(self, *, quiet: bool):
        self.quiet = quiet or not sys.stderr.isatty()
        self.drawn = False

    def __enter__(self):
        return self.echo

    def __exit__(self, *exc) -> None:
        if self.drawn:
            click.echo("", err=True)

    def echo(self, stage: str, done: int, total: int | None) -> None:
        if self.quiet:
            return
        if total:
            width = 30
            filled = min(width, done * width // total)
            bar = "#" * filled + "-" * (width - filled)
            line = f"\r{stage:<10} [{bar}] {done:,}/{total:,}"
        else:
            line = f"\r{stage:<10} {done:,}"
        click.echo(line, err=True, nl=False)
        self.drawn = True
