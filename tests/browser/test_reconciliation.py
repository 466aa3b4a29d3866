"""The reconciliation with the tax bureau in a real browser: a Liaocheng reviewer imports the
bureau's collected figures of July, reads the differences at 1280 and 360 pixels, is refused
the July report's "mark as sent", and follows its link back to the differences; axe-core finds
nothing on the page at either width."""

from __future__ import annotations

import pytest

from portal.cli.demo import DEMO_PASSWORD, demo_credit_code
from tests.browser.conftest import screenshot, sign_in
from tests.browser.test_accessibility import _violations

pytestmark = pytest.mark.browser

HEADER = "统一社会信用代码,费款所属期,缴费类型,征收金额,征收日期"


def test_a_reviewer_reconciles_july_with_the_bureau(live_server, browser):
    base_url, _app = live_server
    employer_a = demo_credit_code("91", "371500", 1)  # 聊城市示例商贸有限公司, deferring 07–09
    rows = [
        f"{employer_a},2022-07,个人,1040.00,2022-07-15",  # the personal part, as assessed
        f"{employer_a},2022-07,单位,3640.00,2022-07-15",  # deferred July's unit part collected
    ]
    body = ("\n".join([HEADER, *rows]) + "\n").encode("gb18030")
    shots = []
    for width in (1280, 360):
        context = browser.new_context(
            viewport={"width": width, "height": 900}, locale="zh-CN", bypass_csp=True
        )
        page = context.new_page()
        page.set_default_timeout(15000)
        sign_in(page, base_url, "reviewer", DEMO_PASSWORD)
        if width == 1280:
            page.goto(f"{base_url}/imports/")
            page.select_option("#kind", "collections")
            page.set_input_files(
                "#file", {"name": "征收数据.csv", "mimeType": "text/csv", "buffer": body}
            )
            page.click("main form button.button")
            assert "新增 2 条" in page.inner_text("#what-will-happen")
            page.click("form[action$='/apply'] button.button")
            assert "已导入：新增 2 条" in page.inner_text("#applied")
        page.goto(f"{base_url}/staff/employers")
        page.click("#back-office a[href='/reports/reconciliation']")
        page.fill("#month", "2022-07")
        page.click("#filters button")
        assert "2022-07" in page.inner_text("#result-title")
        assert "处差异待处理" in page.inner_text("#differs")
        kinds = page.locator("#differences tbody tr").evaluate_all(
            "rows => rows.map(r => r.dataset.kind)"
        )
        assert kinds == ["deferred", "outstanding"]
        first = page.locator("#differences tbody tr").first
        assert "¥3,640.00" in first.inner_text() and "江苏省实施方案" in first.inner_text()
        # Nothing of the page runs off its side: the tables scroll in their own regions.
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        shots.append(screenshot(page, f"reconciliation-{width}"))
        assert [v["id"] for v in _violations(page)] == []  # axe-core, as the key pages

        page.goto(f"{base_url}/reports/monthly?month=2022-07")
        page.click("#mark-sent")
        notice = page.locator("#unreconciled")
        assert "2 处不一致" in notice.inner_text()
        shots.append(screenshot(page, f"monthly-unreconciled-{width}"))
        page.click("#see-reconciliation")
        assert page.locator("#differences tbody tr").count() == 2
        context.close()
    assert len(shots) == 4
