"""A large list through the pages as the embedded mode runs it (JOBS_RUN "thread": a job in a
thread of the web process): upload, watch the job's page move by itself, apply, then download
the 缓缴清单 from its job's page. Screenshots of each step."""

from __future__ import annotations

import io
import re

from openpyxl import load_workbook
from sqlalchemy import func, select

from portal.core.extensions import db
from portal.models import Employer, Job
from tests.browser.conftest import screenshot, sign_in
from tests.factories import credit_code

DEMO_PASSWORD = "demo-portal-2022"  # noqa: S105 - the published demonstration password
HEADER = "统一社会信用代码,单位名称,医保单位编号,医保经办机构代码,企业划型,是否纳入缓缴名单"
ROWS = 10_000


def test_a_large_list_is_checked_applied_and_exported_as_jobs(live_server, page):
    base_url, app = live_server
    app.config["JOBS_RUN"] = "thread"
    try:
        body = (
            HEADER
            + "\n"
            + "".join(
                f"{credit_code(serial=70_000_000 + n)},大名单公司{n},JB{n},LC01,小型,是\n"
                for n in range(ROWS)
            )
        )
        sign_in(page, base_url, "reviewer", DEMO_PASSWORD)
        page.goto(f"{base_url}/imports/")
        page.select_option("#kind", "list")
        page.set_input_files(
            "#file", {"name": "大名单.csv", "mimeType": "text/csv", "buffer": body.encode()}
        )
        page.click("main form button.button")
        # The page answered at once with the job's page, which refreshes itself (no script).
        assert re.search(r"/jobs/\d+$", page.url)
        screenshot(page, "job-checking")
        html = page.content()  # one snapshot: the page refreshes itself every 2 s
        if "/jobs/" in page.url:  # not yet moved on to the check's result
            stage = re.search(r'id="job-stage">([^<]*)<', html)
            assert stage and stage.group(1) in ("等待处理", "已开始", "正在校验各行", "已完成")
        page.wait_for_url(re.compile(r"/imports/\d+$"), timeout=120_000)
        screenshot(page, "job-checked")
        assert f"新增 {ROWS:,} 条" in page.inner_text("main"), page.inner_text("main")[:1500]
        screenshot(page, "job-checked")

        page.click("form[action$='/apply'] button.button")
        page.wait_for_url(re.compile(r"/imports/\d+$"), timeout=120_000)
        page.wait_for_selector("#applied", timeout=120_000)
        screenshot(page, "job-applied")
        with app.app_context():
            listed = select(func.count(Employer.id)).where(Employer.name.like("大名单公司%"))
            assert db.session.scalar(listed) == ROWS
            kinds = db.session.scalars(select(Job.kind).where(Job.status == "done")).all()
            assert {"imports.check", "imports.apply"} <= set(kinds)

        page.goto(f"{base_url}/reports/tax-list", timeout=60_000)
        page.check("input[value='xlsx']")
        page.click("#tax-list button.button")
        page.wait_for_selector("#job-file", timeout=120_000)
        screenshot(page, "job-tax-list")
        with page.expect_download() as download:
            page.click("#job-file")
        sheet = load_workbook(io.BytesIO(download.value.path().read_bytes())).active
        assert sheet.max_row > ROWS  # the header and every employer of the list
    finally:
        app.config["JOBS_RUN"] = "now"
