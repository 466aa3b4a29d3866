"""Refunds and offsets in a real browser: Linyi's reviewer opens the worklist from the staff
page, marks the refund done with the bank's reference, and the employer's owner sees it."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from portal.cli.demo import DEMO_PASSWORD
from portal.core.extensions import db
from portal.models import Agency, Assessment, Employer, ReturnChoice, User
from tests.browser.conftest import screenshot, sign_in
from tests.browser.test_accessibility import _violations
from tests.factories import Factory

pytestmark = pytest.mark.browser


def _returns(app) -> None:
    """The demo's Linyi printer refunds 520.00 to its account; a second Linyi enterprise chose
    on 2020-12-15 to offset 520.00 from 2021-01, assessed through 2021-01 only."""
    with app.app_context():
        printer = db.session.scalar(select(Employer).filter_by(name="临沂市示例印刷有限公司"))
        printer.refund_bank, printer.refund_account = "中国银行临沂分行", "6217000012345678"
        owner = db.session.scalar(select(User).filter_by(username="owner-ly"))
        agency = db.session.scalar(select(Agency).filter_by(code="LY01"))
        other = Factory().employer(agency, name="临沂市示例机械有限公司")
        for employer, choice, offset_from in (
            (printer, "refund", None),
            (other, "offset", "2021-01"),
        ):
            db.session.add(
                ReturnChoice(
                    reference=f"TF-BR{employer.id}",
                    employer_id=employer.id,
                    program_id="linyi-2020",
                    choice=choice,
                    over_collected_amount=Decimal("520.00"),
                    offset_from=offset_from,
                    decided_by_id=owner.id,
                    submission_token=f"{employer.id:064d}",
                )
            )
        db.session.add(
            Assessment(
                employer_id=other.id,
                month="2021-01",
                headcount=5,
                contribution_base_amount=Decimal("5000.00"),
                unit_amount=Decimal("300.00"),
                personal_amount=Decimal("100.00"),
            )
        )
        db.session.commit()


def test_the_reviewer_marks_a_refund_done_and_the_owner_sees_it(live_server, browser):
    base_url, app = live_server
    _returns(app)
    for width in (1280, 360):
        # bypass_csp: the portal's CSP (script-src 'self') would refuse the injected axe engine.
        context = browser.new_context(
            viewport={"width": width, "height": 900}, locale="zh-CN", bypass_csp=True
        )
        page = context.new_page()
        page.set_default_timeout(15000)
        sign_in(page, base_url, "reviewer-ly", DEMO_PASSWORD)
        page.goto(f"{base_url}/staff/employers")
        page.click("#returns-link a")
        refund = page.locator("#refund-rows tbody tr").first
        assert "中国银行临沂分行 6217000012345678" in refund.inner_text()
        assert "鲁医保发〔2020〕23号 四" in refund.inner_text()
        offsets = page.locator("#offset-rows tbody tr")
        assert offsets.count() == 2
        assert "2021-01" in offsets.nth(0).inner_text()
        assert "2021-02 尚未核定" in offsets.nth(1).inner_text()
        screenshot(page, f"returns-worklist-{width}")
        assert _violations(page) == []
        if width == 1280:
            refund.locator("a.button").click()
            assert "¥520.00" in page.inner_text("#item-amount")
            screenshot(page, "returns-item-1280")
            assert _violations(page) == []
            page.fill("#reference", "ZH20220815-0001")
            page.click("form button.button")
            page.wait_for_selector(".status-tag")
            row = page.locator("#refund-rows tbody tr").first.inner_text()
            assert "已完成" in row and "ZH20220815-0001" in row
            screenshot(page, "returns-worklist-done-1280")
            page.click("#csv")  # the worklist's file, made by a job: its page offers it
            page.wait_for_selector("#job-file")
            with page.expect_download() as download:
                page.click("#job-file")
            text = download.value.path().read_bytes().decode("utf-8-sig")
            assert text.startswith("类型,单位,统一社会信用代码") and "ZH20220815-0001" in text
        context.close()
    context = browser.new_context(viewport={"width": 360, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15000)
    sign_in(page, base_url, "owner-ly", DEMO_PASSWORD)
    with app.app_context():
        printer_id = db.session.scalar(select(Employer.id).filter_by(name="临沂市示例印刷有限公司"))
    page.goto(f"{base_url}/e/{printer_id}/reductions/?program=linyi-2020")
    status = page.inner_text("#refund-status")
    assert "ZH20220815-0001" in status and "2022年8月15日" in status, status
    screenshot(page, "returns-employer-360")
    context.close()
