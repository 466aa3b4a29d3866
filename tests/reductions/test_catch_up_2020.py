"""A 2020 deferral followed to the end on the employer's pages and in the monthly report, on the
real database (临医保发〔2020〕28号 操作细则 一（二）; 锡医保服务〔2020〕11号 三（一）; the readings
deferral.catch_up_by and catch_up_late_fee_from of the 2020 policy files).

Linyi 2020-03..05 on 10,000.00: 700.00 a month (4 % medical, 1 % maternity, 2 % personal),
2,100.00, catch up by 2020-06-30, fee from 2020-07-01. The unit parts, 3 × 500.00, are paid on
2020-06-20; the personal parts, 600.00, are not. Wuxi 2020-02..04 at 4 %: 1,200.00 by 2020-05-31,
nothing paid.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from bs4 import BeautifulSoup

from portal.core.extensions import db
from portal.features.reports.monthly import monthly_report
from portal.models import Assessment
from tests.conftest import post_form, sign_in
from tests.reductions.catch_up_world import LINYI, WUXI, approved_deferral, pay


def _soup(response) -> BeautifulSoup:
    assert response.status_code == 200
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def _text(page, selector) -> str:
    found = page.select_one(selector)
    assert found is not None, selector
    return found.get_text(" ", strip=True)


@pytest.fixture
def world(app, make):
    linyi = make.agency(make.region("linyi-2020", code=LINYI))
    wuxi = make.agency(make.region("jiangsu-2022", code=WUXI))
    base = {"contribution_base_amount": Decimal("10000.00")}
    employers = {"linyi": make.employer(linyi, **base), "wuxi": make.employer(wuxi, **base)}
    approved_deferral(employers["linyi"], "linyi-2020", "2020-03", 3)
    approved_deferral(employers["wuxi"], "wuxi-2020", "2020-02", 3)
    for month in ("2020-03", "2020-04", "2020-05"):
        pay(employers["linyi"], date(2020, 6, 20), "500.00", month)
    pay(employers["linyi"], date(2020, 6, 20), "600.00", None)  # no month: not counted
    users = {key: make.user(employer=e, role="owner") for key, e in employers.items()}
    make.commit()
    return employers, users, linyi


def test_linyi_partly_paid_shows_what_is_left_the_day_and_the_fee(app, client, world):
    employers, users, _agency = world
    employer = employers["linyi"]
    app.config["PORTAL_TODAY"] = "2020-08-10"
    sign_in(client, users["linyi"])
    post_form(client, "/language", {"locale": "en"})
    page = _soup(client.get(f"/e/{employer.id}/reductions/?program=linyi-2020"))
    assert _text(page, "#catch-up-deferred") == "¥2,100.00"
    assert _text(page, "#catch-up-paid") == "¥1,500.00"
    assert _text(page, "#catch-up-outstanding") == "¥600.00"
    assert _text(page, "#catch-up-deadline").startswith("30 Jun 2020 passed")
    # 600.00 × 0.0005 × 41 days (2020-07-01..2020-08-10) = 12.30
    assert _text(page, "#catch-up-late-fee") == "¥12.30"
    assert _text(page, "#catch-up-total-due") == "¥612.30"
    assert "1 Jul 2020" in _text(page, "#catch-up-late-fee-rule")
    assert len(page.select("#catch-up-payments tbody tr")) == 3  # the row without a month is not
    home = _soup(client.get(f"/e/{employer.id}/"))
    assert _text(home, "#deferral-2020-outstanding") == "¥600.00"
    assert _text(home, "#deferral-2020-late-fee") == "¥12.30"
    # the reminder of the late fee, from its first day, on the home page too
    assert "late fee" in _text(home, ".catch-up-2020")


def test_caught_up_on_time_no_fee_and_nothing_on_the_home_page(app, client, make, world):
    employers, users, _agency = world
    employer = employers["linyi"]
    for month in ("2020-03", "2020-04", "2020-05"):
        pay(employer, date(2020, 6, 30), "200.00", month, part="personal")
    make.commit()
    app.config["PORTAL_TODAY"] = "2020-09-01"
    sign_in(client, users["linyi"])
    page = _soup(client.get(f"/e/{employer.id}/reductions/?program=linyi-2020"))
    assert _text(page, "#catch-up-outstanding") == "¥0.00"
    assert page.select_one("#catch-up-late-fee") is None
    assert _text(page, "#catch-up-total-due") == "¥0.00"
    home = _soup(client.get(f"/e/{employer.id}/"))
    assert home.select_one("#deferral-2020") is None
    assert home.select_one(".catch-up-2020") is None


def test_wuxi_unpaid_after_its_day(app, client, world):
    employers, users, _agency = world
    app.config["PORTAL_TODAY"] = "2020-06-10"
    sign_in(client, users["wuxi"])
    post_form(client, "/language", {"locale": "en"})
    home = _soup(client.get(f"/e/{employers['wuxi'].id}/"))
    assert _text(home, "#deferral-2020-outstanding") == "¥1,200.00"
    assert _text(home, "#deferral-2020-deadline").startswith("31 May 2020")
    # 1,200.00 × 0.0005 × 10 days (2020-06-01..2020-06-10) = 6.00
    assert _text(home, "#deferral-2020-late-fee") == "¥6.00"


def test_the_monthly_report_counts_it(make, world):
    employers, _users, agency = world
    for month in ("2020-03", "2020-04", "2020-05"):  # assessed: 月末未补缴 counts them
        db.session.add(
            Assessment(
                employer_id=employers["linyi"].id,
                month=month,
                headcount=10,
                contribution_base_amount=Decimal("10000.00"),
                unit_amount=Decimal("400.00"),
                personal_amount=Decimal("200.00"),
            )
        )
    make.commit()
    may = monthly_report("2020-05", date(2020, 8, 10), agency_id=agency.id).lines[0]
    # May is deferred: 700.00 (400.00 + 100.00 maternity + 200.00 personal); nothing paid by
    # its end
    assert (may.employers, may.persons, may.deferred_amount) == (1, 10, Decimal("700.00"))
    assert (may.caught_up_amount, may.outstanding_amount) == (0, Decimal("2100.00"))
    assert may.late_fee_amount == 0
    june = monthly_report("2020-06", date(2020, 8, 10), agency_id=agency.id).lines[0]
    assert (june.employers, june.caught_up_amount) == (0, Decimal("1500.00"))
    assert (june.outstanding_amount, june.late_fee_amount) == (Decimal("600.00"), 0)
    july = monthly_report("2020-07", date(2020, 8, 10), agency_id=agency.id).lines[0]
    # 600.00 × 0.0005 × 31 days of July = 9.30
    assert (july.outstanding_amount, july.late_fee_amount) == (Decimal("600.00"), Decimal("9.30"))
