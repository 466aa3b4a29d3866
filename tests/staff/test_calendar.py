"""The agency's calendar on the staff home (portal/features/staff/calendar.py): what is due on a
day for the signed-in staff member's agency, each with the one action that makes the right file
for the right period; and the monthly sharing of the 缓缴清单 (内医保办发〔2022〕19号 五 2)."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

import pytest
from bs4 import BeautifulSoup
from openpyxl import load_workbook
from sqlalchemy import select

from portal.cli.reports import export_cli
from portal.core.extensions import db
from portal.features.reports.operations import export_tax_list
from portal.models import (
    AuditEntry,
    CommitmentApplication,
    HeldChange,
    ImportRecord,
    TaxListExport,
    TaxListExportRow,
)
from tests.conftest import sign_in
from tests.reports.helpers import assess

HOME = "/staff/employers"
SUMMARY, SHARE = "monthly_summary", "tax_list_monthly"
WORLDS = {"js": "jiangsu", "im": "inner_mongolia"}


def _soup(response) -> BeautifulSoup:
    assert response.status_code == 200
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def _entries(client) -> dict[str, BeautifulSoup]:
    page = _soup(client.get(HOME))
    return {li["data-key"]: li for li in page.select("#calendar li.calendar-entry")}


@pytest.fixture
def inner_mongolia(make):
    """An Inner Mongolia agency (7–9, 内医保办发〔2022〕19号 二) with one listed employer whose
    August and September are assessed with different figures."""
    agency = make.agency(make.region("inner-mongolia-2022"), code="NM-A", name="乌海医保中心")
    employer = make.employer(agency, name="乌海示例商贸有限公司")
    employer.created_at = datetime(2022, 6, 1, tzinfo=UTC)
    assess(employer, "2022-07", 9, "900")
    assess(employer, "2022-08", 10, "1000")
    assess(employer, "2022-09", 12, "1200")
    reviewer = make.user(staff_role="reviewer", agency=agency)
    make.commit()
    return agency, employer, reviewer


@pytest.fixture
def jiangsu(make):
    agency = make.agency(make.region("jiangsu-2022"), code="JS-A", name="苏州医保中心")
    employer = make.employer(agency, name="苏州示例有限公司")
    assess(employer, "2022-07", 3, "300")
    reviewer = make.user(staff_role="reviewer", agency=agency)
    make.commit()
    return agency, employer, reviewer


def _list_rows(content: bytes) -> list[tuple]:
    sheet = load_workbook(io.BytesIO(content)).worksheets[0]
    return [tuple(c.value for c in row) for row in sheet.iter_rows(min_row=2)]


# The scenario table: (program, day, what the calendar shows, clause).
@pytest.mark.parametrize(
    ("where", "day", "expected", "clause"),
    [
        ("js", "2022-08-03", (SUMMARY, "2022-07", "2022年8月5日", False), "苏 三（五）"),
        ("js", "2022-08-20", (SUMMARY, "2022-07", "2022年8月5日", True), "苏 三（五）"),
        ("js", "2023-02-03", None, "苏 三（五）: 2022年8月至2023年1月"),
        ("im", "2022-09-01", (SHARE, "2022-08", "2022年9月1日", False), "内19 五 2"),
        ("im", "2022-07-15", None, "内19 五 2: the first sharing is on 2022-08-01"),
    ],
)  # fmt: skip
def test_the_calendar_on_given_days(request, app, client, where, day, expected, clause):
    agency, _employer, reviewer = request.getfixturevalue(WORLDS[where])
    app.config["PORTAL_TODAY"] = day
    sign_in(client, reviewer)
    entries = _entries(client)
    duties = {k: v for k, v in entries.items() if k in ("monthly_summary", "tax_list_monthly")}
    if expected is None:
        assert duties == {}, clause
        return
    key, month, due, is_late = expected
    assert list(duties) == [key], clause
    text = duties[key].get_text(" ", strip=True)
    assert month in text and due in text, clause
    assert ("逾期" in text) == is_late, clause


def test_the_jiangsu_action_downloads_last_months_summary(app, client, jiangsu):
    agency, _employer, reviewer = jiangsu
    app.config["PORTAL_TODAY"] = "2022-08-03"
    sign_in(client, reviewer)
    form = _entries(client)["monthly_summary"].select_one("form.calendar-action")
    fields = {i["name"]: i["value"] for i in form.select("input")}
    response = client.post(form["action"], data=fields)
    response = client.get(response.location + "/file")  # the job's file (JOBS_RUN "now")
    assert response.status_code == 200
    assert "deferral-report-JS-A-2022-07.xlsx" in response.headers["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.data))
    assert "2022-07" in book.worksheets[0].title
    assert any(
        agency.name in str(cell.value) for row in book.worksheets[0].iter_rows() for cell in row
    )


def test_the_inner_mongolia_action_shares_last_months_list(app, client, inner_mongolia):
    agency, employer, reviewer = inner_mongolia
    app.config["PORTAL_TODAY"] = "2022-09-01"
    sign_in(client, reviewer)
    form = _entries(client)["tax_list_monthly"].select_one("form")
    fields = {i["name"]: i["value"] for i in form.select("input")}
    assert (fields["on"], fields["agency"], fields["monthly"]) == ("2022-09-01", "NM-A", "y")
    started = client.post(form["action"], data=fields)  # a job: its page offers the file
    assert started.status_code == 302 and "/jobs/" in started.location
    response = client.get(started.location + "/file")
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    assert "tax-list-NM-A-202208-monthly-" in response.headers["Content-Disposition"]
    (row,) = _list_rows(response.data)
    # 当期数 of 2022-08 (10 persons, 1,000.00), not of September, the month of the 1st
    assert (row[0], row[6], row[7], row[8], row[9]) == (
        employer.credit_code,
        10,
        "202207",
        "202209",
        1000,
    )
    export = db.session.scalar(select(TaxListExport))
    assert export.is_monthly and export.on_date == date(2022, 9, 1)
    entry = db.session.scalar(
        select(AuditEntry).where(AuditEntry.action == "reports.tax_list_export")
    )
    assert entry.details["monthly"] == "2022-08"
    # the entry is done now; and the daily sharing still has everything to send
    assert "已完成" in _entries(client)["tax_list_monthly"].get_text()
    assert db.session.scalar(select(db.func.count()).select_from(TaxListExportRow)) == 0
    daily = export_tax_list(
        date(2022, 9, 1), agency=agency, since_last=True, file_format="xlsx", actor=None
    )
    assert [r[6] for r in _list_rows(daily.content)] == [12]  # September's, the daily list


def test_the_monthly_sharing_from_the_command(app, inner_mongolia, tmp_path):
    out = tmp_path / "monthly.xlsx"
    args = ["tax-list", "--on", "2022-09-01", "--agency", "NM-A", "--monthly", "--output"]
    result = app.test_cli_runner().invoke(export_cli, [*args, str(out)])
    assert result.exit_code == 0, result.output
    assert [(r[6], r[9]) for r in _list_rows(out.read_bytes())] == [(10, 1000)]
    both = app.test_cli_runner().invoke(export_cli, [*args, str(out), "--since-last"])
    assert both.exit_code == 2 and "--since-last" in both.output


def test_the_page_refuses_the_monthly_sharing_with_the_changes(app, client, inner_mongolia):
    agency, _employer, reviewer = inner_mongolia
    app.config["PORTAL_TODAY"] = "2022-09-01"
    sign_in(client, reviewer)
    form = _entries(client)["tax_list_monthly"].select_one("form")
    fields = {i["name"]: i["value"] for i in form.select("input")}
    response = client.post(form["action"], data={**fields, "since_last": "y"})
    assert response.status_code == 200 and response.mimetype == "text/html"
    page = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    assert page.select_one("#monthly-error") is not None
    assert db.session.scalar(select(TaxListExport)) is None


def test_reviews_and_held_changes_are_on_the_calendar(app, client, make, jiangsu):
    agency, employer, reviewer = jiangsu
    app.config["PORTAL_TODAY"] = "2022-08-10"
    for n, due in enumerate((date(2022, 8, 8), date(2022, 8, 12))):
        db.session.add(
            CommitmentApplication(
                employer_id=employer.id,
                round=n + 1,
                status="submitted",
                program_id="jiangsu-2022",
                submitted_at=datetime(2022, 8, 3, 2, tzinfo=UTC),
                due_on=due,
                reference=f"CA-CAL-{n}",
            )
        )
    record = ImportRecord(
        kind="deferral_list", status="applied", file_name="list.csv", sha256="0" * 64, size=1
    )
    db.session.add(record)
    db.session.flush()
    db.session.add(
        HeldChange(
            import_id=record.id,
            employer_id=employer.id,
            line=2,
            column="size_class",
            before="small",
            after="large",
        )
    )
    make.commit()
    sign_in(client, reviewer)
    page = _soup(client.get(HOME))
    keys = [li["data-key"] for li in page.select("#calendar li.calendar-entry")]
    # dated entries soonest first (the summary due 08-05, the reviews first due 08-08), then
    # what has no date
    assert keys == ["monthly_summary", "reviews", "held"]
    reviews = page.select_one('li[data-key="reviews"]')
    assert "2 件待审核，其中 1 件已逾期" in reviews.get_text(" ", strip=True)
    assert reviews.select_one("a")["href"] == "/review/"
    assert page.select_one('li[data-key="held"] a')["href"] == "/held/"
    # a search shows the results, not the calendar; a hall clerk has no calendar
    assert _soup(client.get(HOME + "?q=苏州")).select_one("#calendar") is None
    clerk = make.user(staff_role="hall", agency=agency)
    make.commit()
    sign_in(client, clerk)
    assert _soup(client.get(HOME)).select_one("#calendar") is None


def test_a_quiet_day_says_so_and_shows_no_hooks(app, client, make):
    agency = make.agency(make.region("shandong-2022"))
    reviewer = make.user(staff_role="reviewer", agency=agency)
    make.commit()
    app.config["PORTAL_TODAY"] = "2022-08-03"
    sign_in(client, reviewer)
    page = _soup(client.get(HOME))
    assert page.select("#calendar li") == []
    assert page.select_one("#calendar-empty") is not None
