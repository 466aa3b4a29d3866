"""axe-core over the key pages in both languages, and no page wider than a 360 px phone.

axe-core (Deque, MPL-2.0) comes from the registry package axe-playwright-python, which ships
``axe.min.js``; the test injects that file itself and fails on any violation (issue 15 item 14:
the demo banner sat outside every landmark, axe rule ``region``).
"""

from __future__ import annotations

import json
from pathlib import Path

import axe_playwright_python
import pytest
from sqlalchemy import select

from portal.cli.demo import DEMO_PASSWORD
from portal.core.extensions import db
from portal.models import Employer, StoredLetter
from tests.applications.helpers import submitted_application
from tests.browser.conftest import screenshot, sign_in
from tests.files import png

pytestmark = pytest.mark.browser

AXE_JS = Path(axe_playwright_python.__file__).with_name("axe.min.js")
# Every rule axe-core runs by default (WCAG 2.0-2.2 A and AA, and its best practices).
AXE_RUN = "async () => JSON.stringify((await axe.run(document)).violations)"


@pytest.fixture(scope="module")
def submitted(live_server):
    """An application waiting for review at 聊城市未列名餐饮有限公司: (id, verification code)."""
    _base_url, app = live_server
    with app.app_context():
        employer = db.session.scalar(
            select(Employer).where(Employer.name == "聊城市未列名餐饮有限公司")
        )
        application = submitted_application(employer)
        code = db.session.scalar(
            select(StoredLetter.verification_code).where(
                StoredLetter.application_id == application.id
            )
        )
        db.session.commit()
        return application.id, code


def _employer_id(app, name: str) -> int:
    with app.app_context():
        return db.session.scalar(select(Employer.id).where(Employer.name == name))


def _pages(app, submitted) -> dict[str | None, list[str]]:
    application_id, code = submitted
    a = _employer_id(app, "聊城市示例商贸有限公司")
    return {
        None: [
            "/",
            "/login",
            "/activate",
            "/halls",
            "/lookup/classification?industry=retail&employees=9&revenue=150",
            "/lookup/employer",
            "/verify/",
            f"/verify/{code}",
        ],
        "owner-a": [
            f"/e/{a}/",
            f"/e/{a}/deferral/",
            f"/e/{a}/amounts/",
            f"/e/{a}/amounts/?pay_on=2022-12-10",
            f"/e/{a}/amounts/departures",
        ],
        "reviewer": [
            "/staff/employers",
            "/review/",
            f"/review/{application_id}",
            f"/staff/employers/{a}",
            f"/staff/employers/{a}/facts",
            "/payments/queue",
            f"/payments/queue/{a}/2022-06/personal/unmatched",  # the demo's June personal part
        ],
        "hall": ["/staff/employers", "/hall/my-actions"],
        "admin": ["/admin/audit", "/admin/halls", "/admin/users"],
    }


def _violations(page) -> list[dict]:
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE_JS))
    return json.loads(page.evaluate(AXE_RUN))


@pytest.mark.parametrize("language", ["zh", "en"])
def test_key_pages_have_no_axe_violations(live_server, browser, submitted, language):
    base_url, app = live_server
    found = []
    for user, paths in _pages(app, submitted).items():
        # The portal's CSP (script-src 'self') would refuse the injected engine.
        context = browser.new_context(
            viewport={"width": 1024, "height": 900}, locale="zh-CN", bypass_csp=True
        )
        page = context.new_page()
        page.set_default_timeout(15000)
        if user:
            sign_in(page, base_url, user, DEMO_PASSWORD)
        page.goto(f"{base_url}/")
        if language == "en":
            page.click("button[name=locale][value=en]")
        for path in paths:
            page.goto(base_url + path)
            assert page.evaluate("document.documentElement.lang") == (
                "en" if language == "en" else "zh-CN"
            )
            for violation in _violations(page):
                targets = [n["target"] for n in violation["nodes"]][:3]
                found.append(f"{user or 'anonymous'} {path}: {violation['id']} {targets}")
        context.close()
    assert found == []


@pytest.mark.parametrize("who", ["anonymous", "reviewer", "admin", "owner-a"])
def test_pages_fit_a_360_pixel_phone(live_server, browser, submitted, who):
    """Issue 15 item 14: at 360 px the verify page was 632 px wide and the review page 652 px
    (a SHA-256 in a list item); tables hid their last column."""
    base_url, app = live_server
    user = None if who == "anonymous" else who
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="zh-CN")
    page = context.new_page()
    if user:
        sign_in(page, base_url, user, DEMO_PASSWORD)
    wide = {}
    for path in _pages(app, submitted)[user]:
        page.goto(base_url + path)
        width = page.evaluate("document.documentElement.scrollWidth")
        tables = page.evaluate(
            "() => [...document.querySelectorAll('table')]"
            ".filter(t => t.scrollWidth > t.clientWidth + 1).map(t => t.id)"
        )
        if width > 360 or tables:
            wide[path] = (width, tables)
    screenshot(page, f"360px-{who}")
    context.close()
    assert wide == {}


@pytest.fixture(scope="module")
def queued(live_server):
    """Reminders queued (and written to the log: no mail server), so the outbox has rows."""
    from datetime import date

    from portal.cli.reminders import run

    _base_url, app = live_server
    with app.app_context():
        report = run(date(2022, 10, 1))
        assert report.queued
        db.session.commit()


def _start_2020_deferral(page, base_url: str, employer_id: int) -> str:
    """owner-ly's 2020 deferral application, up to its upload page (临医保发〔2020〕28号)."""
    page.goto(f"{base_url}/e/{employer_id}/applications/deferral-2020")
    page.check("input[name=route][value='sme']")  # the ground: an SME (鲁医保发〔2020〕23号 三)
    page.check("input[name=start_month][value='2020-03']")
    page.check("input[name=months][value='4']")
    page.fill("#reason", "疫情停工，订单延后")
    page.click("main form button.button")
    page.wait_for_selector("#deferred-amounts")
    # One file uploaded: its table (ids "files" on main, like the file input) is on the page.
    page.set_input_files(
        "input[type=file]",
        files=[{"name": "缓缴申请书.png", "mimeType": "image/png", "buffer": png()}],
    )
    page.click("#upload button")
    page.wait_for_selector("text=缓缴申请书.png")
    return page.url.removeprefix(base_url)


@pytest.mark.parametrize("width", [360, 1280])
def test_scrolling_tables_and_the_2020_upload_page_have_no_axe_violations(
    live_server, browser, queued, width
):
    """Issue 28 item 17: axe's serious scrollable-region-focusable on the monthly report, the
    Wuxi 附表 and the outbox (a scrolling table wrapper must be focusable and named), and the
    2020 upload page's id="files" twice (the file input had no label)."""
    base_url, app = live_server
    pages = {
        "reviewer": [("/reports/monthly?month=2022-08", "#report")],
        "admin": [
            ("/reports/wuxi-2020?month=2020-04", "#statistics"),
            ("/reminders/outbox", "#outbox"),
        ],
        "owner-ly": [],
    }
    found = []
    for user, paths in pages.items():
        context = browser.new_context(
            viewport={"width": width, "height": 900}, locale="zh-CN", bypass_csp=True
        )
        page = context.new_page()
        page.set_default_timeout(15000)
        if user == "owner-ly":
            app.config["PORTAL_TODAY"] = "2020-03-20"
        try:
            sign_in(page, base_url, user, DEMO_PASSWORD)
            if user == "owner-ly":
                employer_id = _employer_id(app, "临沂市示例印刷有限公司")
                paths = [(_start_2020_deferral(page, base_url, employer_id), "#deferred-amounts")]
            for path, table in paths:
                page.goto(base_url + path)
                assert page.locator(table).count() == 1, path  # the table is there to test
                for field in page.locator("input[type=file]").all():  # one id: its label's
                    field_id = field.get_attribute("id")
                    assert page.locator(f"[id='{field_id}']").count() == 1, (path, field_id)
                    assert page.locator(f"label[for='{field_id}']").count() == 1, path
                for violation in _violations(page):
                    targets = [n["target"] for n in violation["nodes"]][:3]
                    found.append(f"{user} {path}: {violation['id']} {targets}")
        finally:
            app.config["PORTAL_TODAY"] = "2022-08-15"
            context.close()
    assert found == []
