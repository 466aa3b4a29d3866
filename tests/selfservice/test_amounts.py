"""Amounts and deadlines, the pay-on-date calculator, downloads, departures."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from decimal import Decimal

from openpyxl import load_workbook
from sqlalchemy import select

from portal.core.extensions import db
from portal.models import AuditEntry, Departure, Payment, PersonAssessment
from tests.conftest import post_form, sign_in
from tests.selfservice.conftest import assess
from tests.selfservice.test_home_and_decision import english, soup, text


def _shandong(make, **employer):
    region = make.region(
        "shandong-2022", unit_medical_rate=Decimal("0.065"), maternity_rate=Decimal("0.01")
    )
    employer = make.employer(make.agency(region), **employer)
    owner = make.user(employer=employer)
    make.commit()
    return employer, owner


def test_the_worked_example_of_the_domain_guide(client, make):
    """鲁医保发〔2022〕21号 二: 10,000.00 unpaid, paid 2022-11-10 → 41 days → 205.00."""
    employer, owner = _shandong(make)
    assess(employer, {"2022-07": "3333.33", "2022-08": "3333.33", "2022-09": "3333.34"})
    sign_in(client, owner)
    english(client)
    page = client.get(f"/e/{employer.id}/amounts/", query_string={"pay_on": "2022-11-10"})
    assert "¥10,000.00" in text(page, "#outstanding")
    assert "31 Oct 2022" in text(page, "#deadline") and "77 days left" in text(page, "#deadline")
    assert "1 Oct 2022" in text(page, "#late-fee-from")
    what_if = text(page, "#what-if")
    assert "late fee ¥205.00 (41 days)" in what_if
    assert "社会保险法 第八十六条" in what_if
    on_time = client.get(f"/e/{employer.id}/amounts/", query_string={"pay_on": "2022-10-31"})
    assert "is on time: no late fee" in text(on_time, "#what-if")


def test_months_show_unit_and_personal_parts_and_where_they_came_from(client, make):
    employer, owner = _shandong(make, contribution_base_amount=Decimal("40000"))
    assess(employer, {"2022-07": "3000.00"})
    sign_in(client, owner)
    english(client)
    page = client.get(f"/e/{employer.id}/amounts/")
    rows = [
        [td.get_text(strip=True) for td in tr.select("td")]
        for tr in soup(page).select("#months tbody tr")
    ]
    # July was assessed; August and September are estimated: 40,000 × (6.5 % + 1 %) = 3,000.00.
    assert rows == [
        ["2022-07", "¥3,000.00", "¥1,000.00", "agency assessment"],
        ["2022-08", "¥3,000.00", "—", "estimate"],
        ["2022-09", "¥3,000.00", "—", "estimate"],
    ]
    assert "others estimates from the contribution base" in soup(page).get_text()
    assert text(page, "#deferred-part") == (
        "Deferred: the unit part, maternity insurance included "
        "(鲁医保发〔2022〕21号 序言（含生育保险）、一)."
    )


def test_payments_reduce_what_is_outstanding(client, make):
    employer, owner = _shandong(make)
    assess(employer, {"2022-07": "1000.00", "2022-08": "1000.00", "2022-09": "1000.00"})
    db.session.add(
        Payment(
            employer_id=employer.id,
            paid_on=date(2022, 8, 1),
            amount=Decimal("1200.00"),
            settles="deferred",
            source_ref="pay-1",
        )
    )
    db.session.commit()
    sign_in(client, owner)
    page = client.get(f"/e/{employer.id}/amounts/")
    assert "¥1,800.00" in text(page, "#outstanding")


def test_bad_calculator_dates_get_a_clear_message(client, make):
    employer, owner = _shandong(make)
    assess(employer, {"2022-07": "1000.00", "2022-08": "1000.00", "2022-09": "1000.00"})
    sign_in(client, owner)
    english(client)
    page = soup(client.get(f"/e/{employer.id}/amounts/", query_string={"pay_on": "10/11/2022"}))
    assert (
        "Enter the payment date as year-month-day" in page.select_one(".error-message").get_text()
    )
    page = soup(client.get(f"/e/{employer.id}/amounts/", query_string={"pay_on": "2022-08-01"}))
    assert "Choose today or a later date" in page.select_one(".error-message").get_text()
    assert page.select_one("#what-if") is None


def test_the_schedule_downloads_as_csv_and_excel(client, make):
    employer, owner = _shandong(make)
    assess(employer, {"2022-07": "1000.10", "2022-08": "1000.20", "2022-09": "1000.30"})
    sign_in(client, owner)
    response = client.get(f"/e/{employer.id}/amounts/schedule.csv")
    assert response.headers["Content-Disposition"].startswith("attachment;")
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0][0] == "费款所属期"
    assert rows[1][:2] == ["2022-07", "1000.10"]
    assert ["缓缴合计", "3000.60"] == rows[4][:2]
    assert ["补缴截止日期", "2022-10-31"] == rows[7][:2]
    response = client.get(f"/e/{employer.id}/amounts/schedule.xlsx")
    sheet = load_workbook(io.BytesIO(response.data)).active
    assert sheet["A2"].value == "2022-07"
    assert Decimal(str(sheet["B4"].value)) == Decimal("1000.30")
    # Issue 15 item 14: money was General and dates were text.
    assert sheet["B2"].number_format == "#,##0.00"
    assert sheet["B5"].number_format == "#,##0.00"  # the deferred total
    assert sheet["A8"].value == "补缴截止日期"
    assert sheet["B8"].value == datetime(2022, 10, 31)
    assert sheet["B8"].number_format == "yyyy-mm-dd"
    assert sheet["D2"].value == 10  # insured persons, a number


def test_a_departure_makes_that_persons_deferred_part_due(client, make):
    employer, owner = _shandong(make)
    assess(employer, {"2022-07": "1000.00", "2022-08": "1000.00", "2022-09": "1000.00"})
    for month in ("2022-07", "2022-08", "2022-09"):
        db.session.add(
            PersonAssessment(
                employer_id=employer.id,
                person_ref="P9",
                person_name="赵六",
                month=month,
                unit_amount=Decimal("300.00"),
                personal_amount=Decimal("80.00"),
            )
        )
    db.session.commit()
    sign_in(client, owner)
    english(client)
    future = post_form(
        client,
        f"/e/{employer.id}/amounts/departures",
        {"person_ref": "P9", "reason": "leave", "left_on": "2022-09-01"},
    )
    assert "cannot be in the future" in soup(future).select_one(".error-message").get_text()
    response = post_form(
        client,
        f"/e/{employer.id}/amounts/departures",
        {"person_ref": "P9", "reason": "leave", "left_on": "2022-08-10"},
    )
    assert response.status_code == 302
    rows = soup(client.get(response.location)).select("#departures tbody tr")
    cells = [td.get_text(strip=True) for td in rows[0].select("td")]
    # July and August were deferred before the person left in August: 2 × 300.00 due at once.
    assert cells == ["赵六", "Left the employer", "10 Aug 2022", "¥0.00", "¥600.00", "¥0.00"]
    block = text(client.get(f"/e/{employer.id}/"), "#due-at-once")
    assert "¥600.00, is due now" in block and "late fee" not in block
    again = post_form(
        client,
        f"/e/{employer.id}/amounts/departures",
        {"person_ref": "P9", "reason": "retire", "left_on": "2022-08-11"},
    )
    assert "already recorded" in soup(again).select_one(".error-message").get_text()
    assert db.session.scalar(select(Departure.reason)) == "leave"
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "departure.record"))
    # Issue 15 item 7: a mistaken entry can be corrected, and the audit row keeps the old one.
    corrected = post_form(
        client,
        f"/e/{employer.id}/amounts/departures",
        {"person_ref": "P9", "reason": "retire", "left_on": "2022-08-11", "correct": "y"},
    )
    assert corrected.status_code == 302
    assert db.session.scalar(select(Departure.reason)) == "retire"
    audit = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "departure.correct"))
    assert audit.details["before"] == {"reason": "leave", "left_on": "2022-08-10"}
    before = post_form(
        client,
        f"/e/{employer.id}/amounts/departures",
        {"person_ref": "P9", "reason": "leave", "left_on": "2020-01-01", "correct": "y"},
    )
    assert (
        "The deferral starts on 1 Jul 2022" in soup(before).select_one(".error-message").get_text()
    )


def test_deregistration_settles_the_months_up_to_this_month(client, make):
    """Issue 28 item 5 (鲁医保发〔2022〕21号 五): deregistering on 2022-08-15 settles July and
    August, not September (it said ¥3,000.00 for July-September)."""
    employer, owner = _shandong(make)
    assess(employer, {"2022-07": "1000.00", "2022-08": "1000.00", "2022-09": "1000.00"})
    sign_in(client, owner)
    english(client)
    page = soup(client.get(f"/e/{employer.id}/amounts/"))
    said = page.select_one(".deregistration").get_text(" ", strip=True)
    assert "up to this month (2022-07–2022-08): ¥2,000.00 is due before deregistration" in said


def test_the_page_prints_cleanly(client, make):
    employer, owner = _shandong(make)
    sign_in(client, owner)
    page = soup(client.get(f"/e/{employer.id}/amounts/"))
    assert page.select_one("link[media=print]")["href"].endswith("print.css")


def test_after_opting_out_the_amounts_page_shows_no_deferral(client, make):
    """Issue 15 item 3: an employer that opted out pays monthly; the page said it had ¥… to
    catch up by a deadline while the home page said it had opted out."""
    employer, owner = _shandong(make, contribution_base_amount=Decimal("10000.00"))
    make.decision(employer, owner, "opt_out")
    make.commit()
    sign_in(client, owner)
    english(client)
    page = client.get(f"/e/{employer.id}/amounts/")
    assert "You opted out: nothing is deferred" in text(page, "#opted-out")
    assert soup(page).select_one("#outstanding") is None
    assert soup(page).select_one("#deadline") is None


def test_inner_mongolia_defers_maternity_as_a_named_reading(client, make):
    """Issue 15 item 8: 内医保办发〔2022〕19号 一 names no maternity; the portal reads it as
    included (医保发〔2022〕21号 含生育保险) and says that this is its reading."""
    region = make.region(
        "inner-mongolia-2022", unit_medical_rate=Decimal("0.065"), maternity_rate=Decimal("0.01")
    )
    employer = make.employer(make.agency(region), contribution_base_amount=Decimal("52000"))
    owner = make.user(employer=employer)
    make.commit()
    sign_in(client, owner)
    english(client)
    page = client.get(f"/e/{employer.id}/amounts/")
    assert "¥3,900.00" in text(page, "#months")  # 52,000 × (6.5 % + 1 %)
    assert "maternity insurance included" in text(page, "#deferred-part")
    assert "the portal's reading" in text(page, "#deferred-part")


def test_the_calculator_answers_up_to_three_years_after_the_deadline(client, make):
    """Issue 15 item 9: 9999-12-31 gave ¥15,551,505.46; the limit is a named reading."""
    employer, owner = _shandong(make, contribution_base_amount=Decimal("10000.00"))
    sign_in(client, owner)
    english(client)
    far = client.get(f"/e/{employer.id}/amounts/", query_string={"pay_on": "9999-12-31"})
    assert "Choose a date up to 31 Oct 2025" in text(far, ".error-summary")
    assert soup(far).select_one("#what-if") is None
    near = client.get(f"/e/{employer.id}/amounts/", query_string={"pay_on": "2025-10-31"})
    assert soup(near).select_one("#what-if") is not None


def test_the_schedule_csv_names_its_charset_once(client, make):
    """Issue 15 item 13: served as "text/csv; charset=utf-8; charset=utf-8"."""
    employer, owner = _shandong(make, contribution_base_amount=Decimal("10000.00"))
    sign_in(client, owner)
    response = client.get(f"/e/{employer.id}/amounts/schedule.csv")
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"


def test_the_settlement_due_at_once_shows_on_the_amounts_and_home_pages(app, client, make):
    """Issue 15 item 7: what a departure makes due at once showed only on the departures page;
    a Shandong person leaving on 2022-12-30 carries the late fee since 2022-10-01."""
    app.config["PORTAL_TODAY"] = "2022-12-30"
    employer, owner = _shandong(make)
    assess(employer, {"2022-07": "1000.00", "2022-08": "1000.00", "2022-09": "1000.00"})
    for month in ("2022-07", "2022-08", "2022-09"):
        db.session.add(
            PersonAssessment(
                employer_id=employer.id,
                person_ref="P9",
                person_name="赵六",
                month=month,
                unit_amount=Decimal("100.00"),
                personal_amount=Decimal("80.00"),
            )
        )
    db.session.commit()
    sign_in(client, owner)
    english(client)
    home = client.get(f"/e/{employer.id}/")
    assert soup(home).select_one("#due-at-once") is None
    response = post_form(
        client,
        f"/e/{employer.id}/amounts/departures",
        {"person_ref": "P9", "reason": "leave", "left_on": "2022-12-30"},
    )
    assert response.status_code == 302
    # 2022-10-01 through 2022-12-30: 91 days × 0.05 % × 300.00 = 13.65
    cells = [td.get_text(strip=True) for td in soup(client.get(response.location)).select("td")]
    assert cells[-2:] == ["¥300.00", "¥13.65"]
    for path in (f"/e/{employer.id}/amounts/", f"/e/{employer.id}/"):
        block = text(client.get(path), "#due-at-once")
        assert "¥300.00, is due now" in block and "late fees of ¥13.65" in block
        assert "鲁医保发〔2022〕21号 五" in block


def test_employers_are_told_that_benefits_are_not_affected(client, make):
    """Issue 15 item 11: 鲁医保发〔2022〕21号 三 was never said to employers."""
    employer, owner = _shandong(make, contribution_base_amount=Decimal("10000.00"))
    sign_in(client, owner)
    english(client)
    for path in (f"/e/{employer.id}/", f"/e/{employer.id}/amounts/"):
        said = text(client.get(path), "#benefits")
        assert "does not affect your insured employees' benefits" in said
        assert "鲁医保发〔2022〕21号 三" in said
    region = make.region(
        "jiangsu-2022", unit_medical_rate=Decimal("0.07"), maternity_rate=Decimal("0.008")
    )
    jiangsu = make.employer(make.agency(region), contribution_base_amount=Decimal("10000"))
    jiangsu_owner = make.user(employer=jiangsu)
    make.commit()
    sign_in(client, jiangsu_owner)
    assert "江苏省实施方案（2022） 三（四）" in text(client.get(f"/e/{jiangsu.id}/"), "#benefits")
