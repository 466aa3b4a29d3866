"""The back-office pages: the list download and the monthly report, scoped to the agency."""

from __future__ import annotations

import csv
import io

from bs4 import BeautifulSoup
from openpyxl import load_workbook

from tests.conftest import post_form_through_job as post_form
from tests.conftest import press_download, sign_in
from tests.reports.helpers import assess, build_world


def soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))


def _staff(make, world, role="reviewer"):
    user = make.user(staff_role=role, agency=world.agency if role != "admin" else None)
    make.commit()
    return user


def test_the_staff_page_links_the_back_office_for_reviewers_and_admins(client, make):
    world = build_world(make)
    for role, shown in (("reviewer", True), ("admin", True), ("hall", False)):
        sign_in(client, _staff(make, world, role))
        links = soup(client.get("/staff/employers")).select("#back-office a")
        assert bool(links) is shown, role
        if shown:
            assert [a["href"] for a in links][-5:] == [
                "/reports/tax-list",
                "/reports/monthly",
                "/reports/reconciliation",
                "/reports/wuxi-2020",
                "/jobs/",
            ]


def test_an_admin_downloads_the_whole_list(client, make):
    world = build_world(make)
    sign_in(client, _staff(make, world, "admin"))
    page = soup(client.get("/reports/tax-list"))
    assert page.select_one("h1").get_text() == "向税务部门共享的缓缴清单"
    assert page.select_one("#on")["value"] == "2022-08-15"  # today
    assert [o.get_text() for o in page.select("#agency option")] == [
        "全部经办机构",
        "甲医保中心 (SD-A)",
        "乙医保中心 (SD-B)",
    ]
    response = post_form(
        client,
        "/reports/tax-list",
        {"on": "2022-08-15", "agency": "", "file_format": "csv"},
        token_from="/reports/tax-list",
    )
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="tax-list-all-')
    assert [row[3] for row in csv_rows(response)[1:]] == ["SD-A", "SD-A", "SD-B"]


def test_a_reviewer_gets_their_agency_only_and_404_for_another(client, make):
    world = build_world(make)
    sign_in(client, _staff(make, world))
    page = soup(client.get("/reports/tax-list"))
    assert [o.get_text() for o in page.select("#agency option")] == ["甲医保中心 (SD-A)"]
    data = {"on": "2022-08-15", "file_format": "xlsx", "since_last": "y"}
    response = post_form(
        client, "/reports/tax-list", {**data, "agency": "SD-B"}, token_from="/reports/tax-list"
    )
    assert response.status_code == 404
    response = post_form(
        client, "/reports/tax-list", {**data, "agency": ""}, token_from="/reports/tax-list"
    )
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    assert [row[3].value for row in sheet.iter_rows(min_row=2)] == ["SD-A", "SD-A"]
    # the request committed the export: the next "since last" has nothing new
    response = post_form(
        client, "/reports/tax-list", {**data, "agency": "SD-A"}, token_from="/reports/tax-list"
    )
    assert load_workbook(io.BytesIO(response.get_data())).active.max_row == 1
    assert client.get("/reports/monthly?agency=SD-B").status_code == 404
    response = post_form(client, "/reports/monthly.csv", {"month": "2022-07", "agency": "SD-B"})
    assert response.status_code == 404


def test_the_list_page_names_the_rows_still_awaiting_their_assessment(client, make):
    """Their 缓缴人数 and 缓缴金额 go blank (内医保办发〔2022〕19号 五 1): the page says how many
    and which, in the reviewer's agency, for the list's date (today: August 2022)."""
    world = build_world(make)
    waiting = make.employer(world.agency, name="甲六有限公司", insurance_unit_number="U-A6")
    make.employer(world.other_agency, name="乙二有限公司")  # another agency's
    sign_in(client, _staff(make, world))
    section = soup(client.get("/reports/tax-list")).select_one("#awaiting-assessment")
    assert section is not None
    assert "2022-08" in section.select_one("#awaiting-count").get_text()
    assert [int(n.get_text()) for n in section.select("#awaiting-count strong")] == [1, 3]
    rows = section.select("tbody tr")
    assert [[td.get_text(strip=True) for td in tr.select("td")] for tr in rows] == [
        ["甲六有限公司", waiting.credit_code, "SD-A", "U-A6"]
    ]
    # Assessed: nothing waits any more.
    assess(waiting, "2022-08", 3, "300")
    make.commit()
    section = soup(client.get("/reports/tax-list")).select_one("#awaiting-assessment")
    assert section.select("tbody tr") == []
    assert [int(n.get_text()) for n in section.select("#awaiting-count strong")] == [0, 3]


def test_the_list_form_asks_for_a_date(client, make):
    world = build_world(make)
    sign_in(client, _staff(make, world))
    response = post_form(
        client,
        "/reports/tax-list",
        {"on": "", "file_format": "csv"},
        token_from="/reports/tax-list",
    )
    assert response.status_code == 200
    page = soup(response)
    assert page.select_one(".error-summary a").get_text() == "请输入清单日期，例如 2022-08-15"
    response = post_form(
        client,
        "/reports/tax-list",
        {"on": "15/08/2022", "file_format": "csv"},
        token_from="/reports/tax-list",
    )
    assert soup(response).select_one("#on")["value"] == "15/08/2022"  # kept as typed
    assert (
        soup(response)
        .select_one(".error-message")
        .get_text(strip=True)
        .endswith("请输入清单日期，例如 2022-08-15")
    )


def test_the_monthly_page_shows_the_hand_worked_figures_and_a_chart(app, client, make):
    app.config["PORTAL_TODAY"] = "2022-09-15"
    world = build_world(make)
    sign_in(client, _staff(make, world))
    page = soup(client.get("/reports/monthly"))  # last month by default
    assert page.select_one("#month")["value"] == "2022-08"
    assert page.select_one("#report-title").get_text() == "甲医保中心，2022-08"
    row = page.select_one('#report tr[data-agency="SD-A"]')
    figures = {td["data-figure"]: td.get_text() for td in row.select("td")}
    assert figures == {
        "employers": "2",
        "persons": "15",
        "deferred": "¥1,500.00",
        "caught_up": "¥400.00",
        "outstanding": "¥2,100.00",
        "late_fee": "¥0.00",
        "opted_out": "1",
        "received": "2",
        "approved": "1",
        "rejected": "1",
        "overdue": "1",
    }
    chart = page.select_one("svg#chart")
    assert [g["data-month"] for g in chart.select("g.month")] == ["2022-07", "2022-08"]
    assert len(chart.select("rect")) == 4
    assert page.select("script") == []
    # The file is made by a job: a POST button carrying the filters (a GET changes nothing).
    form = page.select_one("#csv").find_parent("form")
    assert (form["method"], form["action"]) == ("post", "/reports/monthly.csv")
    hidden = {i["name"]: i["value"] for i in form.select("input[type=hidden]")}
    assert (hidden["month"], hidden["agency"]) == ("2022-08", "SD-A") and hidden["csrf_token"]
    old_link = client.get("/reports/monthly.csv?month=2022-08&agency=SD-A")
    assert old_link.status_code == 303
    assert old_link.location == "/reports/monthly?month=2022-08&agency=SD-A"


def test_an_admin_sees_every_agency_with_a_total_and_downloads_it(app, client, make):
    app.config["PORTAL_TODAY"] = "2022-09-15"
    world = build_world(make)
    sign_in(client, _staff(make, world, "admin"))
    page = soup(client.get("/reports/monthly?month=2022-08&agency="))
    assert [tr["data-agency"] for tr in page.select("#report tr[data-agency]")] == [
        "SD-A",
        "SD-B",
        "total",
    ]
    total = page.select_one('#report tr[data-agency="total"] td[data-figure="outstanding"]')
    assert total.get_text() == "¥2,500.00"
    response = press_download(client, "/reports/monthly?month=2022-08", "xlsx")
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="deferral-report-all-2022-08.xlsx"'
    )
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    assert [row[2].value for row in sheet.iter_rows(min_row=2)] == ["SD-A", "SD-B", "合计"]
    response = press_download(client, "/reports/monthly?month=2022-08&agency=SD-B")
    assert csv_rows(response)[1][2:9] == [
        "SD-B",
        "乙医保中心",
        "1",
        "2",
        "200.00",
        "0.00",
        "400.00",  # 07 and 08 due; 09 not yet
    ]


def test_the_month_must_have_begun(client, make):
    world = build_world(make)
    sign_in(client, _staff(make, world))
    page = soup(client.get("/reports/monthly?month=2022-09"))
    assert page.select_one(".error-summary a").get_text() == "请输入已经开始的月份"
    assert page.select_one("#report") is None
    assert post_form(client, "/reports/monthly.csv", {"month": "2022-09"}).status_code == 400
    page = soup(client.get("/reports/monthly?month=August"))
    assert page.select_one(".error-summary a").get_text() == "请输入报表月份，例如 2022-08"


def test_hall_staff_and_employers_may_not_post_for_the_list(client, make):
    world = build_world(make)
    for user in (_staff(make, world, "hall"), world.owner):
        sign_in(client, user)
        response = post_form(
            client, "/reports/tax-list", {"on": "2022-08-15", "file_format": "csv"}
        )
        assert response.status_code == 403


def test_a_reviewer_without_an_agency_has_no_back_office(client, make):
    build_world(make)
    reviewer = make.user(staff_role="reviewer")
    make.commit()
    sign_in(client, reviewer)
    assert client.get("/reports/monthly").status_code == 403
    assert client.get("/reports/tax-list").status_code == 403


def test_hostile_values_get_a_page_not_a_server_error(client, make):
    world = build_world(make)
    sign_in(client, _staff(make, world, "admin"))
    assert client.get("/reports/monthly?agency=%00").status_code == 404
    assert post_form(client, "/reports/monthly.csv", {"agency": "A" * 500}).status_code == 404
    response = client.get("/reports/monthly?month=%00")
    assert response.status_code == 200 and soup(response).select_one(".error-summary")
    response = post_form(
        client,
        "/reports/tax-list",
        {"on": "2022-08-15", "agency": "SD-A\x00", "file_format": "csv"},
        token_from="/reports/tax-list",
    )
    assert response.status_code == 200 and soup(response).select_one(".error-summary")


def test_the_job_hands_out_the_file_the_export_kept(client, make):
    """The job writes the list once, to its file and to the export's kept chunks: the same
    bytes; an export from before the chunks is read from its whole ``content``."""
    from sqlalchemy import select

    from portal.core.extensions import db
    from portal.features.reports.operations import sent_file
    from portal.models import TaxListExport

    world = build_world(make)
    sign_in(client, _staff(make, world, "admin"))
    response = post_form(
        client,
        "/reports/tax-list",
        {"on": "2022-08-15", "agency": "", "file_format": "xlsx"},
        token_from="/reports/tax-list",
    )
    assert response.status_code == 200
    export = db.session.scalars(select(TaxListExport)).one()
    kept = b"".join(sent_file(export))
    assert kept == response.get_data() and kept.startswith(b"PK\x03\x04")
    sheet = load_workbook(io.BytesIO(kept)).active
    assert [cell.value for cell in sheet[1]][:2] == ["统一社会信用代码", "单位名称"]
    assert export.row_count == sheet.max_row - 1 == 3
    older = TaxListExport(
        on_date=export.on_date,
        file_format="csv",
        row_count=0,
        file_sha256="0" * 64,
        content=b"\xef\xbb\xbfold",
    )
    db.session.add(older)
    db.session.flush()
    assert b"".join(sent_file(older)) == b"\xef\xbb\xbfold"
