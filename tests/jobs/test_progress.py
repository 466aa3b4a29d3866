"""A job's progress on a SQLite file (the embedded mode, ``JOBS_RUN=thread``): skipped while the
database is busy, never the job's end.

bench/bench_jobs.py found it: a 691,313-row list checked in the web process crashed at its
first progress write. SQLite refused the progress connection's COMMIT (a reader held the file,
rollback-journal mode), and resetting the connection's busy timeout afterwards raised
``PendingRollbackError`` (the connection's transaction not rolled back), which is not the
``OperationalError`` the skip catches: the job ended as "crashed". Progress on SQLite is now
written through an engine of its own, in autocommit and never waiting (``_progress_engine``).
"""

from __future__ import annotations

import sqlite3

from sqlalchemy import select

from portal import create_app
from portal.config import TestConfig
from portal.core import jobs
from portal.core.extensions import db
from portal.models import Job


def test_progress_is_skipped_not_fatal_while_a_reader_holds_the_file(tmp_path):
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

        reader = sqlite3.connect(path, isolation_level=None)
        try:
            reader.execute("BEGIN")
            reader.execute("SELECT count(*) FROM jobs").fetchone()  # a SHARED lock, held
            progress.write("checking", 10, 100)  # the COMMIT is refused: skipped
        finally:
            reader.execute("ROLLBACK")
            reader.close()
        db.session.expire_all()
        assert db.session.scalar(select(Job.stage).where(Job.id == job.id)) == "started"

        progress.write("applying", 20, 100)  # the file free again: written
        db.session.expire_all()
        stored = db.session.get(Job, job.id)
        assert (stored.stage, stored.done, stored.total) == ("applying", 20, 100)
        db.session.remove()
        db.engine.dispose()
