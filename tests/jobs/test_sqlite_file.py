"""A long import on a SQLite file, as under ``make run`` (``JOBS_RUN=thread``: the job in a
thread of the web process): the pages go on answering while the job writes, its progress shows,
a page that writes meanwhile gets a clear 503, and the rows land.

bench/bench_jobs.py found it on a 691,313-row list: in SQLite's rollback journal the apply's
transaction, once its changes outgrew the page cache, held the lock that keeps readers out, and
5 of 81 polls of the job's page answered 503; its progress was never written (the job held the
write lock). Now the file is in WAL mode (readers never wait for the writer), the job's
transaction begins with BEGIN IMMEDIATE (nothing commits between its reads and its writes) and
its progress goes to the progress file beside the database.

Each job is held at its end, everything written and nothing committed, while this thread reads
its page: no sleep, no race.
"""

from __future__ import annotations

import dataclasses
import sqlite3
import threading

from portal import create_app
from portal.config import TestConfig
from portal.core import jobs
from portal.core.extensions import db
from tests.applications.helpers import multipart_post, soup
from tests.conftest import FreshContextClient, csrf_token, sign_in
from tests.factories import Factory, credit_code

HEADER = "统一社会信用代码,单位名称,医保单位编号,医保经办机构代码,企业划型,是否纳入缓缴名单"
ROWS = 20_000  # a few megabytes of new rows and indexes: more than SQLite's page cache holds


def _list(rows: int, first: int) -> bytes:
    lines = [HEADER]
    lines += [
        f"{credit_code(serial=first + i)},示例企业{first + i}有限公司,U{first + i:08d},LC01,小型,是"
        for i in range(rows)
    ]
    return ("\n".join(lines) + "\n").encode()


class Held:
    """Holds a job kind's run at its end (its work done, not committed) until released."""

    def __init__(self, monkeypatch, *kinds: str):
        self.reached, self.released = threading.Event(), threading.Event()
        for name in kinds:
            kind = jobs.kind_of(name)
            assert kind is not None
            held = dataclasses.replace(kind, function=self._hold(kind.function))
            monkeypatch.setitem(jobs._KINDS, name, held)

    def _hold(self, function):
        def run(job_run):
            result = function(job_run)
            self.reached.set()
            assert self.released.wait(60), "the test did not release the job"
            self.released.clear()
            return result

        return run

    def wait(self) -> None:
        assert self.reached.wait(60), "the job did not get to its end"
        self.reached.clear()


def _count(path, table: str) -> int:
    """Rows committed in ``table``, read on a connection of its own that never waits."""
    with sqlite3.connect(path, timeout=0) as connection:
        return connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608


def _read_while_held(client, path, job_id: int, stage: str, done: str) -> None:
    """What a person sees while the job holds SQLite's write lock with its work not committed:
    the job's page (again and again, as it refreshes itself) and the jobs list answer, and say
    how far it is; the register reads as it was; a page that writes waits, then says try again,
    and saves nothing."""
    for _poll in range(5):
        page = client.get(f"/jobs/{job_id}")
        assert page.status_code == 200, page.status_code
        html = soup(page)
        assert html.select_one("#job-stage").get_text(strip=True) == stage
        assert html.select_one("#job-rows").get_text(strip=True) == done
    assert client.get("/jobs/").status_code == 200
    assert _count(path, "employers") == 0
    uploads = _count(path, "uploaded_files")
    again = multipart_post(
        client, "/imports/", {"kind": "list"}, [("file", "又一份.csv", _list(1, 900_000))]
    )
    assert again.status_code == 503 and again.headers["Retry-After"]
    assert "正在写入数据库" in again.get_data(as_text=True)  # says why, and to try again
    assert _count(path, "uploaded_files") == uploads


def test_a_long_import_on_a_sqlite_file_leaves_the_pages_answering(tmp_path, monkeypatch):
    path = tmp_path / "portal.sqlite"

    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{path}"
        JOBS_RUN = "thread"
        # A page that writes waits this long for the job's write lock (the driver's default
        # is 5 s): the test stays fast.
        SQLALCHEMY_ENGINE_OPTIONS = {"connect_args": {"timeout": 0.5}}

    monkeypatch.setattr(jobs, "PROGRESS_EVERY", 0.0)  # every batch's rows written
    app = create_app(Config)
    held = Held(monkeypatch, "imports.check", "imports.apply")
    app.test_client_class = FreshContextClient
    client = app.test_client()
    with app.app_context():
        db.create_all()
        make = Factory()
        agency = make.agency(make.region("liaocheng-2022"), code="LC01")
        reviewer = make.user(staff_role="reviewer", agency=agency)
        make.commit()
        sign_in(client, reviewer)
        with sqlite3.connect(path) as connection:
            assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"

        started = multipart_post(
            client, "/imports/", {"kind": "list"}, [("file", "名单.csv", _list(ROWS, 1))]
        )
        assert started.status_code == 302
        check_job = int(started.location.rsplit("/", 1)[1])
        held.wait()
        _read_while_held(client, path, check_job, "正在校验各行", f"{ROWS:,} / {ROWS:,}")
        held.released.set()
        jobs._pool(app).submit(int).result(timeout=60)  # the job's thread is free: it ended

        record_page = client.get(client.get(f"/jobs/{check_job}").location)
        assert f"新增 {ROWS:,} 条" in record_page.get_data(as_text=True)
        form = soup(record_page).select_one("form[action$='/apply']")
        sha = form.select_one("input[name=sha256]")["value"]
        token = csrf_token(client, "/imports/")
        started = client.post(form["action"], data={"csrf_token": token, "sha256": sha})
        assert started.status_code == 302
        apply_job = int(started.location.rsplit("/", 1)[1])
        held.wait()
        _read_while_held(client, path, apply_job, "正在写入各行", f"{ROWS:,} / {ROWS:,}")
        held.released.set()
        jobs._pool(app).submit(int).result(timeout=60)

        assert _count(path, "employers") == ROWS  # the rows landed
        done = client.get(f"/jobs/{apply_job}")
        assert done.status_code == 302  # on to the record's page: applied
        assert soup(client.get(done.location)).select_one("#applied")
        # The progress file keeps nothing of finished jobs.
        with sqlite3.connect(f"{path}-progress") as connection:
            assert connection.execute("SELECT count(*) FROM job_progress").fetchone()[0] == 0
        db.session.remove()
        db.engine.dispose()
