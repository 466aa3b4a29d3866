"""Reminders for an employer whose deferred months are only partly assessed (issue 28 item 11)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from bs4 import BeautifulSoup

from portal.cli.reminders import run
from portal.core.extensions import db
from portal.models import Assessment
from tests.conftest import sign_in


def _two_of_three_assessed(deferred) -> None:
    employer = deferred["employer"]
    employer.contribution_base_amount = None
    for month in ("2022-07", "2022-08"):
        db.session.add(
            Assessment(
                employer_id=employer.id,
                month=month,
                headcount=10,
                contribution_base_amount=Decimal("10000"),
                unit_amount=Decimal("700.00"),
                personal_amount=Decimal("200"),
            )
        )
    db.session.commit()


def test_two_of_three_months_assessed_still_gets_its_reminder(app, smtp, deferred):
    _two_of_three_assessed(deferred)
    report = run(date(2022, 10, 1))
    assert (report.due, report.sent) == (2, 2)
    text = smtp.inbox.text(smtp.inbox.to("owner@example.com")[0])
    assert "¥1,400.00" in text and "2022年10月31日" in text
    assert "2022-09" in text and "尚未核定" in text


def test_the_home_page_notice_names_the_month_not_assessed(app, client, deferred):
    _two_of_three_assessed(deferred)
    app.config["PORTAL_TODAY"] = "2022-10-24"
    sign_in(client, deferred["owner"])
    page = client.get(f"/e/{deferred['employer'].id}/")
    notice = BeautifulSoup(page.get_data(as_text=True), "html.parser").select_one(
        "#notices .notice-catch_up"
    )
    assert notice is not None
    assert "¥1,400.00" in notice.get_text() and "尚未核定：2022-09。" in notice.get_text()
