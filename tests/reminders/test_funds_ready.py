"""Inner Mongolia's reminders ask for the money to be ready (issue 28 item 10):
内医保办发〔2022〕19号 六（二） 提醒缴费企业备足资金，防止扣款失败; 乌医保办发〔2022〕45号 二."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from bs4 import BeautifulSoup

from portal.cli.reminders import run
from tests.conftest import sign_in


def _inner_mongolia(make):
    region = make.region(
        "inner-mongolia-2022",
        province="内蒙古自治区",
        unit_medical_rate=Decimal("0.06"),
        maternity_rate=Decimal("0.01"),
    )
    employer = make.employer(make.agency(region), contribution_base_amount=Decimal("10000"))
    owner = make.user(
        employer=employer,
        role="owner",
        email="wuhai@example.com",
        email_confirmed_at=datetime(2022, 7, 1, tzinfo=UTC),
    )
    make.commit()
    return employer, owner


def test_inner_mongolia_reminders_say_to_have_the_money_ready(app, make, smtp, deferred):
    _inner_mongolia(make)
    run(date(2023, 5, 31))  # 30 days before 2023-06-30 (内医保办发〔2022〕19号 二)
    message = smtp.inbox.to("wuhai@example.com")[0]
    text = smtp.inbox.text(message)
    assert "备足资金" in text and "防止扣款失败" in text
    assert "内医保办发〔2022〕19号 六（二）" in text and "乌医保办发〔2022〕45号 二" in text
    assert "备足资金" in smtp.inbox.html(message)


def test_liaocheng_reminders_do_not(app, smtp, deferred):
    run(date(2022, 10, 1))
    assert "备足资金" not in smtp.inbox.text(smtp.inbox.to("owner@example.com")[0])


def test_the_home_page_notice_says_it_too(app, client, make, deferred):
    employer, owner = _inner_mongolia(make)
    app.config["PORTAL_TODAY"] = "2023-06-23"
    sign_in(client, owner)
    page = BeautifulSoup(client.get(f"/e/{employer.id}/").get_data(as_text=True), "html.parser")
    notice = page.select_one("#notices .notice-catch_up")
    assert notice is not None and "备足资金" in notice.get_text()
