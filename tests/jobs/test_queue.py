"""Jobs through procrastinate's queue on PostgreSQL: deferred with the page's own commit, run by
a worker, and a worker killed mid-import (SIGKILL) leaving nothing, the job then retried."""

from __future__ import annotations

import os
import signal
import subprocess  # noqa: S404 - our own worker
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from portal.core import queue
from portal.core.extensions import db
from portal.features.imports.operations import check_upload, start_apply
from portal.models import Employer, ImportRecord, Job
from tests.applications.helpers import multipart_post, soup
from tests.conftest import IS_POSTGRES, csrf_token, sign_in
from tests.factories import credit_code

pytestmark = pytest.mark.skipif(not IS_POSTGRES, reason="procrastinate's queue: PostgreSQL")

ROOT = Path(__file__).resolve().parents[2]
HEADER = "统一社会信用代码,单位名称,医保单位编号,医保经办机构代码,企业划型,是否纳入缓缴名单"


def _world(make):
    agency = make.agency(make.region("liaocheng-2022"), code="LC01")
    reviewer = make.user(staff_role="reviewer", agency=agency)
    make.commit()
    return agency, reviewer


def _list(rows: int) -> bytes:
    lines = "".join(f"{credit_code()},公司{n},U{n},LC01,小型,是\n" for n in range(rows))
    return f"{HEADER}\n{lines}".encode()


def test_the_page_queues_the_job_and_a_worker_runs_it(app, client, make):
    _agency, reviewer = _world(make)
    app.config["JOBS_RUN"] = "queue"
    sign_in(client, reviewer)
    response = multipart_post(
        client,
        "/imports/",
        {"csrf_token": csrf_token(client, "/imports/"), "kind": "list"},
        [("file", "名单.csv", _list(3))],
    )
    job_path = response.location
    waiting = client.get(job_path)
    assert waiting.status_code == 200
    page = soup(waiting)
    assert page.select_one("meta[http-equiv=refresh]")  # watches itself, without JavaScript
    assert page.select_one("#job-stage").get_text(strip=True) == "等待处理"
    queued = db.session.execute(
        text("SELECT task_name, args->>'job_id' FROM procrastinate_jobs WHERE status = 'todo'")
    ).all()
    job = db.session.scalar(select(Job))
    assert queued == [("portal.run_job", str(job.id))]  # committed with the page's Job row

    queue.run_worker(app, wait=False)

    db.session.expire_all()
    assert db.session.get(Job, job.id).status == "done"
    record = db.session.scalar(select(ImportRecord))
    done = client.get(job_path)
    assert done.status_code == 302 and done.location.endswith(f"/imports/{record.id}")
    assert record.status == "checked" and record.rows == 3


def test_a_worker_killed_mid_import_leaves_nothing_and_the_retry_completes(app, make, database_url):
    agency, reviewer = _world(make)
    rows = 100_000
    record = check_upload(
        "list", "名单.csv", _list(rows), actor=reviewer, scope_agency_id=agency.id
    )
    app.config["JOBS_RUN"] = "queue"
    job = start_apply(record, record.sha256, actor=reviewer)
    db.session.commit()
    worker = subprocess.Popen(  # noqa: S603 - our own command
        [sys.executable, "-m", "flask", "--app", "wsgi", "portal", "worker"],
        cwd=ROOT,
        env={
            **os.environ,
            "PORTAL_ENV": "development",
            "PORTAL_TODAY": "2022-08-15",
            "DATABASE_URL": database_url,
            "SECRET_KEY": "worker-test-" * 4,
        },
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            db.session.expire_all()
            if db.session.get(Job, job.id).stage == "applying":
                break
            time.sleep(0.02)
        else:
            pytest.fail("the worker never started applying")
        worker.send_signal(signal.SIGKILL)
    finally:
        worker.wait(timeout=30)
    db.session.expire_all()
    assert db.session.get(Job, job.id).status == "running"  # as the killed worker left it
    assert db.session.scalar(select(func.count(Employer.id))) == 0  # not one row of the file
    assert db.session.get(ImportRecord, record.id).status == "applying"
    db.session.commit()

    queue.run_worker(app, wait=False, stalled_after=0)  # the killed worker's job, again

    db.session.expire_all()
    finished = db.session.get(Job, job.id)
    assert finished.status == "done" and finished.attempts == 2
    assert db.session.get(ImportRecord, record.id).status == "applied"
    assert db.session.scalar(select(func.count(Employer.id))) == rows
