"""A reviewer imports the departments' list: a refused file, then the corrected one, checked
and applied. In a real browser, with a screenshot of each of the three pages."""

from __future__ import annotations

import pytest

from portal.cli.demo import DEMO_PASSWORD
from tests.browser.conftest import screenshot, sign_in
from tests.factories import credit_code

pytestmark = pytest.mark.browser

HEADER = "统一社会信用代码,单位名称,医保单位编号,医保经办机构代码,企业划型,是否纳入缓缴名单"


def _file(name: str, rows: list[str]) -> dict:
    body = ("\n".join([HEADER, *rows]) + "\n").encode("gb18030")
    return {"name": name, "mimeType": "text/csv", "buffer": body}


def test_a_reviewer_imports_the_list(live_server, page):
    base_url, _app = live_server
    good = [credit_code(serial=700_000 + i) for i in range(3)]
    sign_in(page, base_url, "reviewer", DEMO_PASSWORD)
    page.goto(f"{base_url}/staff/employers")
    page.click("#back-office a")
    page.select_option("#kind", "list")
    page.set_input_files(
        "#file",
        _file(
            "名单-有误.csv",
            [
                f"{good[0]},聊城新甲商贸有限公司,U9001,LC01,小型,是",
                f"{good[1][:-1]}0,聊城新乙科技有限公司,U9002,WH01,巨型,是",
            ],
        ),
    )
    page.click("main form button.button")
    problems = page.inner_text("#problem-rows")
    assert "校验码不符" in problems and "巨型" in problems
    assert "只能导入本经办机构的数据" in problems
    screenshot(page, "import-refused")

    page.set_input_files(
        "#file",
        _file(
            "名单.csv",
            [
                f"{good[0]},聊城新甲商贸有限公司,U9001,LC01,小型,是",
                f"{good[1]},聊城新乙科技有限公司,U9002,LC01,中型,是",
                f"{good[2]},聊城新丙餐饮有限公司,U9003,LC01,微型,否",
            ],
        ),
    )
    page.click("main form button.button")
    assert "新增 3 条" in page.inner_text("#what-will-happen")
    screenshot(page, "import-checked")
    page.click("form[action$='/apply'] button.button")
    assert "已导入：新增 3 条" in page.inner_text("#applied")
    screenshot(page, "import-applied")

    page.goto(f"{base_url}/staff/employers?q=聊城新乙")
    assert "聊城新乙科技有限公司" in page.inner_text("main")
