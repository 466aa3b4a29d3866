"""The back office in a real browser: the administrator opens the monthly report from the staff
page, reads the table and the chart, and downloads the 缓缴清单."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from portal.cli.demo import DEMO_PASSWORD
from tests.browser.conftest import screenshot, sign_in

pytestmark = pytest.mark.browser


def test_the_administrator_reads_the_report_and_downloads_the_list(live_server, browser):
    base_url, _app = live_server
    context = browser.new_context(viewport={"width": 1280, "height": 1000}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15000)
    sign_in(page, base_url, "admin", DEMO_PASSWORD)
    page.goto(f"{base_url}/staff/employers")
    page.click("#back-office a[href='/reports/monthly']")
    page.fill("#month", "2022-08")
    page.click("#filters button")
    assert "全部经办机构，2022-08" in page.inner_text("#report-title")
    assert page.locator("#report tfoot tr").count() == 1
    assert page.locator("svg#chart rect").count() >= 2
    assert page.locator("svg#chart").bounding_box()["height"] > 150
    screenshot(page, "monthly-report")
    page.click("#xlsx")  # the report's file, made by a job: its page offers it
    page.wait_for_selector("#job-file")
    with page.expect_download() as download:
        page.click("#job-file")
    assert download.value.suggested_filename.startswith("deferral-report-")
    assert load_workbook(io.BytesIO(download.value.path().read_bytes())).active.max_row > 1

    page.goto(f"{base_url}/reports/tax-list")
    page.check("input[value='xlsx']")
    page.click("#tax-list button.button")  # made by a job: its page offers the file
    page.wait_for_selector("#job-file")
    screenshot(page, "tax-list-job")
    with page.expect_download() as download:
        page.click("#job-file")
    content = download.value.path().read_bytes()
    sheet = load_workbook(io.BytesIO(content)).active
    assert sheet["A1"].value == "统一社会信用代码" and sheet["L1"].value == "传输时间"
    assert sheet.max_row > 1
    screenshot(page, "tax-list")
    context.close()


def test_the_july_report_before_and_after_it_is_marked_sent(live_server, browser):
    """The demo's July report (its date is 2022-08-15: July has ended) at both widths and in
    both languages, before and after the administrator marks it sent."""
    base_url, _app = live_server
    shots = []
    for state in ("unsent", "sent"):
        for locale in ("zh", "en"):
            for width in (1280, 360):
                context = browser.new_context(
                    viewport={"width": width, "height": 900}, locale="zh-CN"
                )
                page = context.new_page()
                page.set_default_timeout(15000)
                sign_in(page, base_url, "admin", DEMO_PASSWORD)
                page.goto(f"{base_url}/reports/monthly?month=2022-07")
                switch = page.locator(f"button[name='locale'][value='{locale}']")
                if switch.count():  # the choice is kept with the user
                    switch.click()
                page.wait_for_selector(f"html[lang='{'en' if locale == 'en' else 'zh-CN'}']")
                if state == "sent" and page.locator("#mark-sent").count():
                    page.click("#mark-sent")
                    page.wait_for_selector("#sent")
                if state == "sent":
                    assert page.locator("#sent").count() == 1
                    assert page.locator("#mark-sent").count() == 0
                else:
                    assert page.locator("#mark-sent").count() == 1
                shots.append(screenshot(page, f"monthly-{state}-{locale}-{width}"))
                context.close()
    assert len(shots) == 8
