"""The job's page and the jobs list, on both databases: what a person sees at each stage, an
interrupted job run again, a refusal in words, and nobody else's jobs."""

from __future__ import annotations

import io
from datetime import timedelta

from sqlalchemy import func, select

from portal.core.extensions import db
from portal.core.uploads import keep_stream
from portal.models import ImportRecord, Job
from portal.models.base import utcnow
from tests.applications.helpers import soup
from tests.conftest import csrf_token, sign_in
from tests.factories import credit_code

HEADER = "统一社会信用代码,单位名称,医保单位编号,医保经办机构代码,企业划型,是否纳入缓缴名单"


def _world(make):
    agency = make.agency(make.region("liaocheng-2022"), code="LC01")
    other = make.agency(make.region("inner-mongolia-2022"), code="WH01")
    reviewer = make.user(staff_role="reviewer", agency=agency)
    stranger = make.user(staff_role="reviewer", agency=other)
    make.commit()
    return agency, reviewer, stranger


def _check_job(reviewer, **values) -> Job:
    body = f"{HEADER}\n{credit_code()},甲公司,U1,LC01,小型,是\n".encode()
    params = {
        "kind": "list",
        "file_name": "名单.csv",
        "stored_name": keep_stream(io.BytesIO(body))[0],
        "agency_id": reviewer.agency_id,
    }
    job = Job(
        kind="imports.check",
        params=params,
        actor_id=reviewer.id,
        agency_id=reviewer.agency_id,
        **values,
    )
    db.session.add(job)
    db.session.commit()
    return job


def test_a_running_job_shows_its_rows_and_an_estimate_and_refreshes(client, make):
    _agency, reviewer, stranger = _world(make)
    now = utcnow()
    job = _check_job(
        reviewer,
        status="running",
        stage="checking",
        done=250_000,
        total=1_000_000,
        started_at=now - timedelta(seconds=10),
        beat_at=now,
    )
    sign_in(client, reviewer)
    page = soup(client.get(f"/jobs/{job.id}"))
    assert page.select_one("meta[http-equiv=refresh]")["content"] == "2"
    assert page.select_one("#job-stage").get_text(strip=True) == "正在校验各行"
    assert page.select_one("#job-rows").get_text(strip=True) == "250,000 / 1,000,000"
    assert page.select_one("#job-progress")["value"] == "25"
    assert "约" in page.select_one("#job-estimate").get_text()  # about 30 s left
    listed = soup(client.get("/jobs/")).select_one("#jobs").get_text(" ", strip=True)
    assert "导入文件：校验" in listed
    sign_in(client, stranger)  # another agency's staff: not theirs to see
    assert client.get(f"/jobs/{job.id}").status_code == 404
    assert soup(client.get("/jobs/")).select_one("#jobs-empty")


def test_an_interrupted_job_says_so_and_runs_again_once(client, make):
    _agency, reviewer, _stranger = _world(make)
    long_ago = utcnow() - timedelta(minutes=10)
    job = _check_job(
        reviewer, status="running", stage="checking", started_at=long_ago, beat_at=long_ago
    )
    sign_in(client, reviewer)
    page = soup(client.get(f"/jobs/{job.id}"))
    assert page.select_one("#job-interrupted") and not page.select_one("meta[http-equiv=refresh]")
    token = csrf_token(client, f"/jobs/{job.id}")
    again = client.post(f"/jobs/{job.id}/retry", data={"csrf_token": token})
    assert again.status_code == 302
    db.session.expire_all()
    assert db.session.get(Job, job.id).status == "done"  # run again (JOBS_RUN "now")
    record = db.session.scalar(select(ImportRecord))
    assert client.get(f"/jobs/{job.id}").location.endswith(f"/imports/{record.id}")
    # A finished job is not run again.
    client.post(f"/jobs/{job.id}/retry", data={"csrf_token": csrf_token(client, "/jobs/")})
    assert db.session.scalar(select(func.count(ImportRecord.id))) == 1


def test_a_refused_job_says_why_in_words(client, make):
    _agency, reviewer, _stranger = _world(make)
    job = _check_job(reviewer, status="queued")
    job.params = {**job.params, "stored_name": "import-gone"}  # the upload is gone
    db.session.commit()
    from portal.core import jobs

    jobs.execute(job.id)
    sign_in(client, reviewer)
    page = soup(client.get(f"/jobs/{job.id}"))
    assert page.select_one("#job-stage").get_text(strip=True) == "失败"
    assert page.select_one("#job-refused").get_text(strip=True)
    assert not page.select_one("#job-retry")  # a refusal is not a fault: nothing to retry


def test_the_record_being_applied_leads_to_its_job(client, make):
    agency, reviewer, _stranger = _world(make)
    job = _check_job(reviewer, status="running", stage="applying", beat_at=utcnow())
    record = ImportRecord(
        kind="list",
        status="applying",
        file_name="名单.csv",
        sha256="0" * 64,
        size=1,
        actor_id=reviewer.id,
        agency_id=agency.id,
        job_id=job.id,
        errors=[],
        conflicts=[],
    )
    db.session.add(record)
    db.session.commit()
    sign_in(client, reviewer)
    notice = soup(client.get(f"/imports/{record.id}")).select_one("#applying")
    assert notice.select_one("a")["href"] == f"/jobs/{job.id}"
