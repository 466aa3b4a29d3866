"""An owner signs in, confirms the deferral and uses the calculator, in a real browser."""

from __future__ import annotations

import pytest

from portal.cli.demo import DEMO_PASSWORD
from tests.browser.conftest import screenshot, sign_in

pytestmark = pytest.mark.browser


def test_owner_confirms_the_deferral_and_prices_a_late_payment(live_server, page):
    base_url, _app = live_server
    sign_in(page, base_url, "owner-a", DEMO_PASSWORD)
    page.wait_for_selector("#next-step")
    assert "免申即享" in page.inner_text("#next-step")
    page.click("#next-step a.button")
    page.check("input[value='defer:2022-08']")
    page.click("form button.button")
    assert "2022年11月30日" in page.inner_text(".consequence")
    page.click("form[action$='/confirm'] button.button")
    reference = page.inner_text(".panel .code")
    assert reference.startswith("JD20220815-")
    page.click("text=查看金额与期限")
    assert "2022-08 – 2022-10" in page.inner_text("#totals")
    page.fill("#pay_on", "2022-12-10")
    page.click("#calculator + form button")
    result = page.inner_text("#what-if")
    assert "滞纳金" in result and "40 天" in result
    path = screenshot(page, "owner-confirms-and-calculates")
    assert path.stat().st_size > 10_000


def test_pages_work_at_320_pixels(live_server, browser):
    base_url, _app = live_server
    context = browser.new_context(viewport={"width": 320, "height": 640})
    page = context.new_page()
    page.goto(f"{base_url}/lookup/classification?industry=retail&employees=9&revenue=150")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 320
    screenshot(page, "lookup-320px")
    context.close()
