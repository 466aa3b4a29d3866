"""A walk-in visit: hall staff find the employer, record the visitor, confirm the deferral for
it under the banner, stop; the owner then sees who did it. In a real browser."""

from __future__ import annotations

import pytest

from portal.cli.demo import DEMO_PASSWORD
from tests.browser.conftest import screenshot, sign_in

pytestmark = pytest.mark.browser

BANNER = "正在代 聊城市示例商贸有限公司 办理 — 经办人 赵窗口"


def test_a_walk_in_employer_confirms_the_deferral_at_the_hall(live_server, browser):
    base_url, _app = live_server
    context = browser.new_context(viewport={"width": 1024, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15000)
    sign_in(page, base_url, "hall", DEMO_PASSWORD)
    page.goto(f"{base_url}/staff/employers")
    page.fill("#q", "示例商贸")
    page.click("form.search button")
    row = page.locator("#results tbody tr", has_text="聊城市示例商贸有限公司")
    assert "在名单中" in row.inner_text()
    row.locator("a.button").click()

    page.fill("#visitor_name", "王店主")
    page.fill("#id_number", "37130219950101123")  # one character short
    page.check("input[value='legal_representative']")
    page.click("form[enctype] button.button")
    assert "身份证号码为18位" in page.inner_text(".error-summary")
    assert page.input_value("#visitor_name") == "王店主"
    page.fill("#id_number", "37130219950101123X")
    page.check("input[value='legal_representative']")
    page.click("form[enctype] button.button")

    assert BANNER in page.inner_text("#acting-banner")
    page.click("#next-step a.button")
    assert BANNER in page.inner_text("#acting-banner")
    page.check("input[value='defer:2022-08']")
    page.click("main form button.button")
    page.click("form[action$='/confirm'] button.button")
    reference = page.inner_text(".panel .code")
    assert reference.startswith("JD20220815-")
    assert BANNER in page.inner_text("#acting-banner")
    screenshot(page, "hall-walk-in-confirmed")
    page.click("#stop-acting")
    assert page.locator("#acting-banner").count() == 0
    assert "不再代 聊城市示例商贸有限公司 办理" in page.inner_text("main")
    context.close()

    owner = browser.new_context(viewport={"width": 1024, "height": 900}, locale="zh-CN")
    owner_page = owner.new_page()
    sign_in(owner_page, base_url, "owner-a", DEMO_PASSWORD)
    owner_page.wait_for_selector("#history")
    history = owner_page.inner_text("#history")
    assert "已确认缓缴" in history and "经办人 赵窗口 代办" in history
    owner.close()
