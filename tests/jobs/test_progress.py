"""A job's progress on a SQLite file (the embedded mode, ``JOBS_RUN=thread``): written beside
the database while the job is its one writer, shown on the job's page, never the job's end.

bench/bench_jobs.py found it: a 691,313-row list checked in the web process crashed at its
first progress write (SQLite refused the progress connection's COMMIT; the error raised was not
the one the skip caught). Then progress went through an engine that never waited, and was lost
whenever the job held the file. Now the job holds SQLite's write lock from its start (BEGIN
IMMEDIATE, the file in WAL mode) and its progress goes to ``<database>-progress``
(``jobs.ProgressFile``), read back by ``jobs.with_progress``.
"""

from __future__ import annotations

import sqlite3

from portal import create_app
from portal.config import TestConfig
from portal.core import jobs
from portal.core.extensions import db
from portal.models import Job


def test_progress_is_written_beside_the_database_while_another_writes(tmp_path):
    path = tmp_path / "portal.sqlite"

    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{path}"

    app = create_app(Config)
    with app.app_context():
        db.create_all()
        job = Job(kind="imports.check", params={}, status="running", stage="started")
        db.session.add(job)
        db.session.commit()
        progress = jobs.Progress(job.id, None)
        assert progress.separate

        writer = sqlite3.connect(path, isolation_level=None)
        try:
            writer.execute("BEGIN IMMEDIATE")  # the job's connection: SQLite's one writer
            progress.write("checking", 10, 100)  # not into the database: beside it
            db.session.expire_all()
            job = db.session.get(Job, job.id)  # a read: it does not wait for the writer
            assert job.stage == "started"
            shown = jobs.with_progress([job])[0]
            assert (shown.stage, shown.done, shown.total) == ("checking", 10, 100)
            assert not jobs.is_stale(shown)
            assert not db.session.dirty  # shown, not to be saved
        finally:
            writer.execute("ROLLBACK")
            writer.close()

        progress.forget()  # the job ended: what it said is gone, the database says the rest
        db.session.expire_all()
        job = jobs.with_progress([db.session.get(Job, job.id)])[0]
        assert job.stage == "started"
        db.session.remove()
        db.engine.dispose()


def test_progress_on_the_suites_database(app):
    """PostgreSQL: into the job's row, on another pooled connection. The tests' in-memory
    SQLite (one connection, the job's own): kept nowhere, and the job goes on."""
    job = Job(kind="imports.check", params={}, status="running", stage="started")
    db.session.add(job)
    db.session.commit()
    progress = jobs.Progress(job.id, None)
    progress.write("checking", 10, 100)
    db.session.expire_all()
    shown = jobs.with_progress([db.session.get(Job, job.id)])[0]
    if db.engine.dialect.name == "postgresql":
        assert (shown.stage, shown.done, shown.total) == ("checking", 10, 100)
    else:
        assert not progress.separate
        assert shown.stage == "started"
