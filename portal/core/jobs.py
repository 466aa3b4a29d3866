"""Work longer than a page runs as a job: started by a page or the schedule, run by a worker,
followed on its own page.

A feature registers its job functions (``@register("imports.check", ...)``); a page calls
``start(kind, params, ...)``, which records a ``Job`` and queues it, and answers at once with
the job's page. Where the job runs depends on ``JOBS_RUN``:

- ``"queue"`` (PostgreSQL, production): procrastinate's queue (portal/core/queue.py). The job
  is deferred on the request's own connection, so the ``Job`` row and its place in the queue
  commit together or not at all. Workers (``flask --app wsgi portal worker``) run on any
  machine; a worker killed mid-job is found by its stopped heartbeat and the job is retried.
- ``"thread"`` (the embedded SQLite default of ``make run``): in a thread of the web process
  that started it, once the request has committed. Nothing more to install; a process that
  stops takes its running job with it (the job's page then says it was interrupted, with a
  button to run it again).
- ``"now"`` (the tests, and commands): in the request, once it has committed.

A job function does its work in one transaction, committed together with the job's result:
killed half-way, it leaves nothing, and the retry starts again from the beginning. Its
progress (stage, rows done of rows in all) is written beside that transaction, on a
connection of its own, so that the page can show it while the work is not committed yet.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import Flask, current_app, g, has_request_context
from sqlalchemy import CursorResult, Engine, create_engine, or_, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool, StaticPool

from portal.core import audit, chunks
from portal.core.extensions import db
from portal.models import Job, JobFileChunk, User
from portal.models.base import utcnow
from portal.rules.errors import DomainError

log = logging.getLogger(__name__)

#: A running job whose progress has not been written for this long was interrupted (its
#: process stopped); progress is written at least every few seconds while a job runs.
STALE_AFTER = timedelta(minutes=2)
#: How often progress is written, at most (seconds).
PROGRESS_EVERY = 1.0
#: Tries of a job in the queue (the first and the retries after a crash).
MAX_ATTEMPTS = 3


@dataclass(frozen=True)
class JobKind:
    name: str
    function: Callable[[JobRun], dict[str, Any]]
    label: Any  # a lazy string: what the job is, on its page and in lists
    # Jobs with the same lock run one at a time, in the order they were asked (procrastinate's
    # ``lock``): two exports "since the last" never overlap.
    lock: str | None = None


_KINDS: dict[str, JobKind] = {}


def register(
    name: str, *, label: Any, lock: str | None = None
) -> Callable[[Callable[[JobRun], dict[str, Any]]], Callable[[JobRun], dict[str, Any]]]:
    def decorate(function: Callable[[JobRun], dict[str, Any]]):
        _KINDS[name] = JobKind(name, function, label, lock)
        return function

    return decorate


def kind_of(name: str) -> JobKind | None:
    return _KINDS.get(name)


class JobRefused(DomainError):
    """A job that cannot start: an unknown kind."""

    kind = "jobs"


# ------------------------------------------------------------------------------ starting


def start(kind: str, params: dict[str, Any], *, actor: User | None, agency_id: int | None) -> Job:
    """Record a job of ``kind`` and queue it; it runs once the caller's transaction commits."""
    if kind not in _KINDS:
        raise JobRefused("unknown_kind", kind=kind)
    job = Job(
        kind=kind,
        params=params,
        actor_id=actor.id if actor is not None else None,
        agency_id=agency_id,
        status="queued",
        stage="queued",
    )
    db.session.add(job)
    db.session.flush()
    audit.record(actor, "jobs.started", obj=job, details={"kind": kind})
    _enqueue(job)
    return job


def _mode() -> str:
    mode = current_app.config.get("JOBS_RUN")
    if mode:
        return str(mode)
    return "queue" if db.engine.dialect.name == "postgresql" else "thread"


def _enqueue(job: Job) -> None:
    mode = _mode()
    if mode == "queue":
        from portal.core import queue

        queue.defer(job)
    elif mode == "thread":
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        job_id = job.id
        _after_commit(lambda: _pool(app).submit(_run_in_app, app, job_id))
    else:
        job_id = job.id
        _after_commit(lambda: execute(job_id))


def _after_commit(work: Callable[[], object]) -> None:
    """Run ``work`` once the request commits (portal/web/hooks.py); a command runs it now."""
    if has_request_context():
        g.setdefault("after_commit_jobs", []).append(work)
    else:
        db.session.commit()
        work()


def run_started_jobs() -> None:
    """Called by the request's teardown once it has committed (portal/web/hooks.py)."""
    for work in g.pop("after_commit_jobs", []):
        try:
            work()
        except Exception:  # the response is made: the job's page says what happened
            db.session.rollback()
            log.exception("a job started by this request failed")


_pools: dict[int, ThreadPoolExecutor] = {}
_pools_lock = threading.Lock()


def _pool(app: Flask) -> ThreadPoolExecutor:
    """One thread per web process runs the embedded mode's jobs, one after the other (SQLite
    has one writer at a time)."""
    with _pools_lock:
        pool = _pools.get(id(app))
        if pool is None:
            pool = _pools[id(app)] = ThreadPoolExecutor(1, thread_name_prefix="portal-job")
        return pool


def _run_in_app(app: Flask, job_id: int) -> None:
    with app.app_context():
        try:
            execute(job_id)
        finally:
            db.session.remove()


# ------------------------------------------------------------------------------ running


@dataclass
class JobRun:
    """What a job function is given: its job, who asked, and ways to say how far it is and to
    write its file."""

    job: Job
    actor: User | None
    _progress: Progress

    @property
    def params(self) -> dict[str, Any]:
        return self.job.params

    def progress(self, stage: str, done: int = 0, total: int | None = None) -> None:
        self._progress.write(stage, done, total)

    def file(self, name: str, file_format: str) -> chunks.ChunkWriter:
        """A binary stream for the job's file, written in chunks in the job's transaction:
        what is written is the file only if the job finishes."""
        self.job.file_name, self.job.file_format = name[:255], file_format

        def sized(size: int) -> None:
            self.job.file_size = size

        return chunks.ChunkWriter(JobFileChunk, {"job_id": self.job.id}, on_close=sized)


def execute(job_id: int, *, echo: Callable[[str, int, int | None], None] | None = None) -> Job:
    """Run the job ``job_id`` here, unless it has finished already (a repeat delivery).

    ``echo(stage, done, total)`` also hears the progress (a command's progress bar). A refusal
    (a ``DomainError``) ends the job as failed with its reason; any other exception is a crash:
    in the queue the job is tried again, up to ``MAX_ATTEMPTS``, else it has failed.
    """
    job = db.session.get(Job, job_id)
    if job is None or job.status in ("done", "failed"):
        db.session.rollback()
        return job  # type: ignore[return-value]
    kind = _KINDS.get(job.kind)
    claimed = db.session.execute(
        update(Job)
        .where(Job.id == job_id, Job.status.in_(("queued", "running")))
        .values(
            status="running",
            stage="started",
            attempts=Job.attempts + 1,
            started_at=utcnow(),
            beat_at=utcnow(),
            finished_at=None,
            error=None,
        )
        .execution_options(synchronize_session=False)
    )
    assert isinstance(claimed, CursorResult)  # noqa: S101 - what an UPDATE returns
    db.session.commit()
    db.session.refresh(job)
    if claimed.rowcount != 1 or kind is None:
        return _fail(job, "jobs.unknown_kind", {"kind": job.kind}) if kind is None else job
    actor = db.session.get(User, job.actor_id) if job.actor_id is not None else None
    progress = Progress(job.id, echo)
    run = JobRun(job, actor, progress)
    if db.engine.dialect.name == "postgresql":
        # A job may take longer than a page is allowed to (DATABASE_STATEMENT_TIMEOUT_SECONDS).
        db.session.execute(select(db.func.set_config("statement_timeout", "0", True)))
    try:
        result = kind.function(run)
    except DomainError as refusal:
        db.session.rollback()
        return _fail(job, f"{refusal.kind}.{refusal.code}", _plain(refusal.details))
    except Exception:
        db.session.rollback()
        log.exception("job %s (%s) crashed", job_id, job.kind)
        db.session.refresh(job)
        retrying = _mode() == "queue" and job.attempts < MAX_ATTEMPTS
        if retrying:
            job.status, job.stage, job.error = "queued", "retrying", "crashed"
            db.session.commit()
            raise  # procrastinate tries it again
        return _fail(job, "crashed", {})
    job.status, job.stage, job.result = "done", "done", result
    job.finished_at = utcnow()
    job.total = progress.total if progress.total is not None else progress.done
    job.done = job.total
    audit.record(actor, "jobs.done", obj=job, details={"kind": job.kind, **_brief(result)})
    db.session.commit()
    return job


def _fail(job: Job, code: str, details: dict[str, Any]) -> Job:
    job = db.session.merge(job)
    job.status, job.stage, job.error, job.error_details = "failed", "failed", code, details
    job.finished_at = utcnow()
    actor = db.session.get(User, job.actor_id) if job.actor_id is not None else None
    audit.record(actor, "jobs.failed", obj=job, details={"kind": job.kind, "error": code})
    db.session.commit()
    return job


def _plain(details: dict[str, Any]) -> dict[str, Any]:
    return {
        k: v if isinstance(v, str | int | float | bool | None) else str(v)
        for k, v in details.items()
    }


def _brief(result: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in result.items() if isinstance(v, str | int | float | bool | None)}


def is_stale(job: Job) -> bool:
    """A running job whose progress stopped: the process running it stopped."""
    return job.status == "running" and (job.beat_at is None or utcnow() - job.beat_at > STALE_AFTER)


def retry(job: Job, *, actor: User | None) -> bool:
    """Queue again a job that failed by a crash or was interrupted; False if it is neither
    (finished, still running, refused for a reason: running it again would change nothing)."""
    stale_before = utcnow() - STALE_AFTER
    taken = db.session.execute(
        update(Job)
        .where(
            Job.id == job.id,
            or_(
                (Job.status == "failed") & (Job.error == "crashed"),
                (Job.status == "running") & (Job.beat_at < stale_before),
            ),
        )
        .values(status="queued", stage="queued", error=None)
        .execution_options(synchronize_session=False)
    )
    assert isinstance(taken, CursorResult)  # noqa: S101 - what an UPDATE returns
    if taken.rowcount != 1:
        return False
    db.session.refresh(job)
    audit.record(actor, "jobs.retried", obj=job, details={"kind": job.kind})
    _enqueue(job)
    return True


class Progress:
    """The job's stage and rows, written at most once a second on a connection of its own
    (the job's transaction is not committed yet), and always at a change of stage.

    Not written where there is no second connection to the database (the tests' in-memory
    SQLite), and skipped, not waited for, while SQLite's one writer is the job itself.
    """

    def __init__(self, job_id: int, echo: Callable[[str, int, int | None], None] | None):
        self.job_id, self.echo = job_id, echo
        self.stage: str | None = None
        self.done: int = 0
        self.total: int | None = None
        self.written_at = 0.0
        self.separate = not isinstance(db.engine.pool, StaticPool)

    def write(self, stage: str, done: int, total: int | None) -> None:
        if self.echo is not None:
            self.echo(stage, done, total)
        self.done, self.total = done, total
        now = time.monotonic()
        if stage == self.stage and now - self.written_at < PROGRESS_EVERY:
            return
        self.stage, self.written_at = stage, now
        if not self.separate:
            return
        values = {"stage": stage, "done": done, "total": total, "beat_at": utcnow()}
        statement = update(Job).where(Job.id == self.job_id).values(**values)
        try:
            with _progress_engine().connect() as connection:
                connection.execute(statement)
                connection.commit()
        except OperationalError:
            log.debug("progress of job %s not written: the database is busy", self.job_id)


def _progress_engine() -> Engine:
    """The engine progress is written with. On PostgreSQL the app's own (another pooled
    connection). On SQLite one of its own, in autocommit and never waiting: while the job's
    connection is SQLite's one writer, an UPDATE fails at once and leaves no lock behind, and
    the job goes on (a pooled connection left waiting in a failed commit would hold the lock
    the job needs)."""
    engine = db.engine
    if engine.dialect.name != "sqlite":
        return engine
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    own = app.extensions.get("portal.progress_engine")
    if own is None:
        own = create_engine(
            engine.url,
            poolclass=NullPool,
            isolation_level="AUTOCOMMIT",
            connect_args={"timeout": 0},
        )
        app.extensions["portal.progress_engine"] = own
    return own


def file_chunks(job: Job) -> Iterator[bytes]:
    """The job's file, a chunk at a time."""
    return chunks.iter_chunks(JobFileChunk, {"job_id": job.id})


def run_scheduled(kind: str, params: dict[str, Any] | None = None) -> Job:
    """The schedule's work (portal/core/queue.py), with nobody asking: recorded, then run
    here, in the worker the schedule woke."""
    job = Job(kind=kind, params=params or {}, status="queued", stage="queued")
    db.session.add(job)
    db.session.flush()
    audit.record(None, "jobs.started", obj=job, details={"kind": kind, "scheduled": True})
    db.session.commit()
    return execute(job.id)
