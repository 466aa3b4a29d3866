"""A Linyi employer on 2020-03-20 sees its reduced rates, chooses offset, applies for a 4-month
deferral, a reviewer approves it and the employer sees the catch-up date: in a real browser."""

from __future__ import annotations

import pytest

from portal.cli.demo import DEMO_PASSWORD
from tests.browser.conftest import screenshot, sign_in
from tests.files import png

pytestmark = pytest.mark.browser


def test_linyi_employer_sees_reduced_rates_and_chooses_offset(live_server, browser):
    base_url, app = live_server
    app.config["PORTAL_TODAY"] = "2020-03-20"
    try:
        context = browser.new_context(viewport={"width": 1024, "height": 900}, locale="zh-CN")
        page = context.new_page()
        page.set_default_timeout(15000)
        sign_in(page, base_url, "owner-ly", DEMO_PASSWORD)
        page.wait_for_selector("#next-step")
        assert "2020年3月20日" in page.inner_text(".demo-banner")
        page.click("#next-step a.button")
        february = page.inner_text("#month-2020-02")
        assert "6%" in february and "5%" in february and "410.00" in february
        assert "4%" in page.inner_text("#month-2020-04")
        screenshot(page, "linyi-2020-rates")
        page.click("#choose-return")
        page.check("input[value='offset']")
        page.click("form button.button")
        assert "2020-04" in page.inner_text("#current-choice")
        # April is not assessed on 2020-03-20: the offset waits for it, and says so.
        waiting = page.inner_text("#offset-waiting")
        assert "2020-04" in waiting and "410.00" in waiting
        screenshot(page, "linyi-2020-offset")
        # the 4-month deferral by application (临医保发〔2020〕28号 操作细则 一（二）、二（二）)
        page.click("#apply-deferral")
        page.check("input[name=route][value='sme']")
        page.check("input[name=start_month][value='2020-03']")
        page.check("input[name=months][value='4']")
        page.fill("#reason", "疫情停工，订单延后")
        page.click("main form button.button")
        assert "2020-03 – 2020-06" in page.inner_text("#deferral-months")
        page.set_input_files(
            "input[type=file]",
            files=[{"name": "缓缴申请书.png", "mimeType": "image/png", "buffer": png()}],
        )
        page.click("#upload button")
        assert "缓缴申请书.png" in page.inner_text("#uploaded-files")
        screenshot(page, "linyi-2020-deferral-files")
        page.click("#send button")
        page.wait_for_selector("dd.status")
        reference = page.inner_text("h1")
        assert "DA-2020-" in reference
        page.click("text=退出")
        sign_in(page, base_url, "reviewer-ly", DEMO_PASSWORD)
        page.goto(f"{base_url}/review/")
        page.click("text=DA-2020-")
        assert "2020-03" in page.inner_text("#deferral-months")
        screenshot(page, "linyi-2020-review")
        page.click("form[action$='/approve'] button")
        page.wait_for_selector(".notice-success")  # the approval is recorded before signing out
        assert "审核通过" in page.inner_text("dd.status")
        page.click("text=退出")
        sign_in(page, base_url, "owner-ly", DEMO_PASSWORD)
        page.wait_for_selector("#next-step")
        page.click("#next-step a.button")
        status = page.inner_text("#deferral-status")
        assert "2020年7月31日" in status
        page.click("#deferral-status a")
        assert "2020年7月31日" in page.inner_text("#catch-up-by")
        screenshot(page, "linyi-2020-deferral-approved")
        narrow = browser.new_context(viewport={"width": 360, "height": 800}, locale="zh-CN")
        small = narrow.new_page()
        sign_in(small, base_url, "owner-ly", DEMO_PASSWORD)
        small.wait_for_selector("#next-step")
        small.click("#next-step a.button")
        small.wait_for_load_state("load")  # the style sheet too: a busy machine is slow
        assert small.evaluate("document.documentElement.scrollWidth") <= 360
        screenshot(small, "linyi-2020-rates-360px")
        narrow.close()
        context.close()
    finally:
        app.config["PORTAL_TODAY"] = "2022-08-15"
