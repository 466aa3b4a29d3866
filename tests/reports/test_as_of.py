"""A report as of a date (issue 28 item 3): the facts as they stood that day, only what was due
by then, and a report marked sent kept as sent, never recomputed."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from openpyxl import load_workbook
from sqlalchemy import func, select

from portal.core.extensions import db
from portal.features.imports.operations import run
from portal.features.imports.reader import Source
from portal.features.reports.monthly import monthly_report
from portal.models import AuditEntry, EmployerFactHistory, SentMonthlyReport
from tests.conftest import csrf_token, press_download, sign_in
from tests.factories import credit_code
from tests.reports.helpers import KNOWN_SINCE, assess, build_world, pay
from tests.reports.test_monthly import figures
from tests.reports.test_pages import soup

HEADER = "统一社会信用代码,单位名称,医保单位编号,医保经办机构代码,企业划型,是否纳入缓缴名单"


def test_a_list_imported_on_08_15_leaves_liaocheng_s_july_as_it_was(app, make):
    agency = make.agency(make.region("liaocheng-2022"), code="LC01", name="聊城市医保中心")
    kept, dropped = make.employer(agency), make.employer(agency)
    for employer in (kept, dropped):
        employer.created_at = KNOWN_SINCE
        assess(employer, "2022-07", 4, "1820.00")
    make.commit()
    july = figures(monthly_report("2022-07", date(2022, 8, 1), agency_id=agency.id).lines[0])
    assert (july["employers"], july["deferred"]) == (2, Decimal("3640.00"))

    # The list of 08-15: three employers more, and ``dropped`` renamed and off the list (its
    # leaving the list is held for staff: listed and deferring, its classification holds).
    app.config["PORTAL_TODAY"] = "2022-08-15"
    rows = [f"{credit_code()},新{i},N{i},LC01,小型,是" for i in range(3)]
    rows.append(
        f"{dropped.credit_code},{dropped.name}（更名）,{dropped.insurance_unit_number},LC01,小型,否"
    )
    text = "\n".join((HEADER, *rows)) + "\n"
    outcome = run(
        "list", Source.from_bytes("list.csv", text.encode()), scope_agency_id=None, apply=True
    )
    assert outcome.applied and (outcome.created, outcome.updated) == (3, 1)
    assert [(h.credit_code, h.column) for h in outcome.held] == [
        (dropped.credit_code, "list_status")
    ]
    history = db.session.scalars(select(EmployerFactHistory)).all()
    assert [(h.employer_id, h.list_status) for h in history] == [(dropped.id, "listed")]

    # The July report, on any later day: as it stood on 07-31.
    for today in (date(2022, 8, 20), date(2022, 12, 31)):
        again = monthly_report("2022-07", today, agency_id=agency.id)
        assert figures(again.lines[0]) == july
    # August's is as of 08-31: the three new ones defer, and ``dropped`` (its change held).
    august = monthly_report("2022-08", date(2022, 9, 1), agency_id=agency.id).lines[0]
    assert august.employers == 5 and august.opted_out == 0


def test_wuhai_july_counts_no_employer_founded_in_august_and_only_months_due(app, make):
    agency = make.agency(make.region("inner-mongolia-2022"), code="WH01", name="乌海市医保中心")
    older = make.employer(
        agency, founded_month="2019-03", contribution_base_amount=Decimal("52000")
    )
    founded = make.employer(
        agency, founded_month="2022-08", contribution_base_amount=Decimal("52000")
    )
    for employer in (older, founded):
        employer.created_at = KNOWN_SINCE
    assess(older, "2022-07", 10, "1000.00")  # August not assessed yet (an estimate)
    assess(older, "2022-09", 10, "1100.00")  # assessed early: not due before September
    assess(founded, "2022-08", 6, "7384.00")
    make.commit()
    july = monthly_report("2022-07", date(2022, 9, 20), agency_id=agency.id).lines[0]
    assert (july.employers, july.outstanding_amount) == (1, Decimal("1000.00"))
    august = monthly_report("2022-08", date(2022, 9, 20), agency_id=agency.id).lines[0]
    # 月末未补缴 at 08-31: July's 1,000 (older) and August's 7,384 (founded); not the older's
    # August (not assessed: an estimate is not due) nor its September.
    assert (august.employers, august.outstanding_amount) == (2, Decimal("8384.00"))
    pay(older, date(2022, 8, 30), "1500.00")  # more than was due: nothing below zero
    make.commit()
    august = monthly_report("2022-08", date(2022, 9, 20), agency_id=agency.id).lines[0]
    assert august.outstanding_amount == Decimal("7384.00")


def test_a_report_marked_sent_is_kept_and_shown_as_sent(app, client, make, tmp_path):
    app.config["PORTAL_TODAY"] = "2022-09-15"
    world = build_world(make)
    reviewer = make.user(staff_role="reviewer", agency=world.agency, display_name="王审核")
    make.commit()
    sign_in(client, reviewer)
    running = soup(client.get("/reports/monthly?month=2022-09"))
    assert running.select_one("#mark-sent") is None  # the month runs: nothing to send yet
    token = csrf_token(client, "/reports/monthly?month=2022-08")
    assert client.post("/reports/monthly/sent", data={"month": "2022-09"}).status_code == 400
    refused = client.post("/reports/monthly/sent", data={"csrf_token": token, "month": "2022-09"})
    assert refused.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(SentMonthlyReport)) == 0

    for _ in range(2):  # a double submit stores one report and writes one audit row
        response = client.post(
            "/reports/monthly/sent", data={"csrf_token": token, "month": "2022-08"}
        )
        assert response.status_code == 303
    sent = db.session.scalars(select(SentMonthlyReport)).one()
    assert (sent.month, sent.scope, sent.as_of, sent.sent_by_id) == (
        "2022-08",
        "SD-A",
        date(2022, 8, 31),
        reviewer.id,
    )
    assert sent.figures["lines"][0]["outstanding_amount"] == "2100.00"
    actions = db.session.scalars(
        select(AuditEntry.action).where(AuditEntry.action == "reports.monthly_sent")
    ).all()
    assert actions == ["reports.monthly_sent"]

    # Facts recorded since, even backdated into August, change nothing sent.
    pay(world.e1, date(2022, 8, 25), "700.00")
    assess(world.e4, "2022-07", 3, "300.00")
    make.employer(world.agency).created_at = datetime(2022, 7, 1, tzinfo=UTC)
    make.commit()
    assert monthly_report("2022-08", date(2022, 9, 15), agency_id=world.agency.id).lines[
        0
    ].outstanding_amount != Decimal("2100.00")
    page = soup(client.get("/reports/monthly?month=2022-08"))
    assert "王审核" in page.select_one("#sent").get_text()
    assert page.select_one("#mark-sent") is None
    row = page.select_one('#report tr[data-agency="SD-A"]')
    shown = {td["data-figure"]: td.get_text() for td in row.select("td")}
    assert (shown["employers"], shown["outstanding"], shown["caught_up"]) == (
        "2",
        "¥2,100.00",
        "¥400.00",
    )
    download = press_download(client, "/reports/monthly?month=2022-08", "xlsx")
    assert download.get_data() == sent.file_bytes

    # The command prints the stored one too.
    output = tmp_path / "august.xlsx"
    result = app.test_cli_runner().invoke(
        args=[
            "portal",
            "report",
            "monthly",
            "--month",
            "2022-08",
            "--agency",
            "SD-A",
            "--output",
            str(output),
        ]  # fmt: skip
    )
    assert result.exit_code == 0, result.output
    assert "as sent on 2022-09-15" in result.output
    assert output.read_bytes() == sent.file_bytes
    rows = [[c.value for c in r] for r in load_workbook(output).active.iter_rows()]
    assert rows[1][4:9] == [2, 15, 1500, 400, 2100]
