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

On a SQLite file (in write-ahead-log mode, portal/core/connections.py) the job's transaction
begins with ``BEGIN IMMEDIATE``: it is SQLite's one writer from its first read to its commit,
so nothing can commit between the two (which would refuse its write) and pages go on reading
meanwhile. A page that writes then waits the driver's busy timeout and answers 503 "try
again" if the job is still writing. The progress cannot go into that file meanwhile; it goes
into a small file beside it (``<database>-progress``, ``ProgressFile``), which the job's page
reads (``with_progress``).
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from flask import Flask, current_app, g, has_request_context
from sqlalchemy import CursorResult, or_, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm.attributes import set_committed_value

from portal.core import audit, chunks
from portal.core.connections import is_sqlite_file
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
#: How long a job on a SQLite file waits for SQLite's one write lock (another job, in another
#: web process, holding it) before it gives up as crashed (seconds).
SQLITE_WRITER_WAIT = 3600.0


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

    def file(self, name: str | None = None, file_format: str | None = None) -> chunks.ChunkWriter:
        """A binary stream for the job's file, written in chunks in the job's transaction:
        what is written is the file only if the job finishes. The job's row is named when the
        stream is closed, not before (a name known only at the end is set then, by the job):
        once this transaction updates the job's row, progress written from the other
        connection would wait for it until the job commits."""

        def sized(size: int) -> None:
            self.job.file_size = size
            if name is not None:
                self.job.file_name = name[:255]
            if file_format is not None:
                self.job.file_format = file_format

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
    try:
        if db.engine.dialect.name == "postgresql":
            # A job may take longer than a page may (DATABASE_STATEMENT_TIMEOUT_SECONDS).
            db.session.execute(select(db.func.set_config("statement_timeout", "0", True)))
        elif db.engine.dialect.name == "sqlite":
            _begin_immediate(progress)
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
    progress.forget()
    return job


def _begin_immediate(progress: Progress) -> None:
    """On SQLite: begin the job's transaction as SQLite's one writer, waiting for a writer
    there is (a page's short write; another job, in another web process) with the job's beat
    kept up meanwhile, so that its page does not call it interrupted."""
    connection = db.session.connection()
    raw = connection.connection.driver_connection
    if raw is None or raw.in_transaction:  # begun already (a command in a transaction)
        return
    waited_since = time.monotonic()
    while True:
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
            return
        except OperationalError:
            if time.monotonic() - waited_since > SQLITE_WRITER_WAIT:
                raise
            progress.beat()  # waited the busy timeout: say the job lives, and wait again


def _fail(job: Job, code: str, details: dict[str, Any]) -> Job:
    job = db.session.merge(job)
    job.status, job.stage, job.error, job.error_details = "failed", "failed", code, details
    job.finished_at = utcnow()
    actor = db.session.get(User, job.actor_id) if job.actor_id is not None else None
    audit.record(actor, "jobs.failed", obj=job, details={"kind": job.kind, "error": code})
    db.session.commit()
    ProgressFile.at_database().forget(job.id)
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
    if job.status == "running" and not is_stale(with_progress([job])[0]):
        return False  # its progress file says it is running still (SQLite)
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

    PostgreSQL: on another of the app's pooled connections. A SQLite file: into the progress
    file beside it (``ProgressFile``), since the job itself is the database's one writer. Not
    written where there is no second connection (the tests' in-memory SQLite).
    """

    def __init__(self, job_id: int, echo: Callable[[str, int, int | None], None] | None):
        self.job_id, self.echo = job_id, echo
        self.stage: str | None = None
        self.done: int = 0
        self.total: int | None = None
        self.written_at = 0.0
        self.file: ProgressFile | None = None
        if db.engine.dialect.name == "sqlite":
            self.file = ProgressFile.at_database()
        self.separate = self.file is None or self.file.path is not None

    def write(self, stage: str, done: int, total: int | None) -> None:
        if self.echo is not None:
            self.echo(stage, done, total)
        self.done, self.total = done, total
        now = time.monotonic()
        if stage == self.stage and now - self.written_at < PROGRESS_EVERY:
            return
        self.stage, self.written_at = stage, now
        self._store(stage, done, total)

    def beat(self) -> None:
        """Say the job lives, at its present stage."""
        self._store(self.stage or "started", self.done, self.total)

    def forget(self) -> None:
        if self.file is not None:
            self.file.forget(self.job_id)

    def _store(self, stage: str, done: int, total: int | None) -> None:
        if not self.separate:
            return
        if self.file is not None:
            self.file.write(self.job_id, stage, done, total)
            return
        values = {"stage": stage, "done": done, "total": total, "beat_at": utcnow()}
        statement = update(Job).where(Job.id == self.job_id).values(**values)
        try:
            with db.engine.connect() as connection:
                connection.execute(statement)
                connection.commit()
        except OperationalError:
            log.debug("progress of job %s not written: the database is busy", self.job_id)


class ProgressFile:
    """The running jobs' progress beside a SQLite database: ``<database>-progress``, a SQLite
    file of its own (its own write lock: the job holds the database's). One row a running
    job, written by the job's thread, read by any web process; removed when the job ends.
    Losing the file loses nothing but the rows done of the jobs running then. No file (the
    tests' in-memory database): nothing is written, nothing read."""

    SCHEMA = (
        "CREATE TABLE IF NOT EXISTS job_progress (job_id INTEGER PRIMARY KEY, "
        "stage TEXT NOT NULL, done INTEGER NOT NULL, total INTEGER, beat_at TEXT NOT NULL)"
    )
    #: A write never waits long: a job does not stop for its progress.
    TIMEOUT = 0.5

    def __init__(self, path: Path | None):
        self.path = path

    @classmethod
    def at_database(cls) -> ProgressFile:
        engine = db.engine
        if not is_sqlite_file(engine):
            return cls(None)
        return cls(Path(str(engine.url.database) + "-progress"))

    def _connect(self) -> sqlite3.Connection:
        assert self.path is not None  # noqa: S101 - the callers' check
        connection = sqlite3.connect(self.path, timeout=self.TIMEOUT, isolation_level=None)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute(self.SCHEMA)
        return connection

    def write(self, job_id: int, stage: str, done: int, total: int | None) -> None:
        if self.path is None:
            return
        try:
            connection = self._connect()
            try:
                connection.execute(
                    "INSERT INTO job_progress VALUES (?, ?, ?, ?, ?) ON CONFLICT (job_id) DO "
                    "UPDATE SET stage = excluded.stage, done = excluded.done, "
                    "total = excluded.total, beat_at = excluded.beat_at",
                    (job_id, stage, done, total, utcnow().isoformat()),
                )
            finally:
                connection.close()
        except sqlite3.Error as error:
            log.debug("progress of job %s not written: %s", job_id, error)

    def read(self, job_ids: list[int]) -> dict[int, tuple[str, int, int | None, datetime]]:
        if self.path is None or not job_ids or not self.path.exists():
            return {}
        marks = ", ".join("?" * len(job_ids))
        try:
            connection = self._connect()
            try:
                rows = connection.execute(
                    f"SELECT job_id, stage, done, total, beat_at FROM job_progress "  # noqa: S608
                    f"WHERE job_id IN ({marks})",
                    job_ids,
                ).fetchall()
            finally:
                connection.close()
        except sqlite3.Error as error:
            log.debug("progress not read: %s", error)
            return {}
        return {
            int(job_id): (stage, int(done), total, datetime.fromisoformat(beat_at))
            for job_id, stage, done, total, beat_at in rows
        }

    def forget(self, job_id: int) -> None:
        if self.path is None or not self.path.exists():
            return
        try:
            connection = self._connect()
            try:
                connection.execute("DELETE FROM job_progress WHERE job_id = ?", (job_id,))
            finally:
                connection.close()
        except sqlite3.Error as error:
            log.debug("progress of job %s not removed: %s", job_id, error)


def with_progress(found: list[Job]) -> list[Job]:
    """``found`` with the running ones' progress from the progress file (a SQLite file), where
    it is newer than what the database holds; as loaded, not changed (nothing to save)."""
    running = [job for job in found if job.status == "running"]
    if not running or db.engine.dialect.name != "sqlite":
        return found
    marks = ProgressFile.at_database().read([job.id for job in running])
    for job in running:
        mark = marks.get(job.id)
        if mark is None or (job.beat_at is not None and mark[3] <= job.beat_at):
            continue
        for name, value in zip(("stage", "done", "total", "beat_at"), mark, strict=True):
            set_committed_value(job, name, value)
    return found


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
