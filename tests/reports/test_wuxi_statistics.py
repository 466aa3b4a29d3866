"""Wuxi's monthly statistics table (锡医保服务〔2020〕11号 三（六）附表): page and .xlsx."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from decimal import Decimal

import openpyxl
from bs4 import BeautifulSoup
from sqlalchemy import select

from portal.core.extensions import db
from portal.features.reports.wuxi_2020 import STATISTICS_HEADERS
from portal.models import Assessment, ReturnChoice
from tests.conftest import press_download, sign_in


def _world(make):
    region = make.region("jiangsu-2022", code="320200", name="无锡市")
    agency = make.agency(
        region,
        code="WX01",
        name="无锡市医疗保障局",
        report_contact="钱统计",
        report_contact_phone="0510-81821234",
        report_contact_mobile="13912345678",
    )
    shop = make.employer(agency, unit_kind="individual_business")
    factory = make.employer(agency, size_class="large")
    office = make.employer(agency, unit_kind="public_institution")  # 锡 一: 不含机关事业单位
    for employer, headcount in ((shop, 3), (factory, 200), (office, 40)):
        for month in ("2020-01", "2020-02", "2020-03", "2020-04"):
            db.session.add(
                Assessment(
                    employer_id=employer.id,
                    month=month,
                    headcount=headcount,
                    contribution_base_amount=Decimal("100000.00"),
                    unit_amount=Decimal("8000.00"),
                    personal_amount=Decimal("2000.00"),
                )
            )
    owner = make.user(employer=shop, role="owner")
    db.session.add(
        ReturnChoice(
            reference="TF1",
            employer_id=shop.id,
            program_id="wuxi-2020",
            choice="offset",
            over_collected_amount=Decimal("4000.00"),
            decided_by_id=owner.id,
            submission_token="t" * 32,
            decided_at=datetime(2020, 3, 20, 2, tzinfo=UTC),  # 10:00 in China
        )
    )
    reviewer = make.user(staff_role="reviewer", agency=agency)
    make.commit()
    return reviewer


def test_the_table_has_the_annex_columns_and_figures(app, client, make):
    reviewer = _world(make)
    sign_in(client, reviewer)
    page = client.get("/reports/wuxi-2020?month=2020-04&balance=12,345.6")
    soup = BeautifulSoup(page.get_data(as_text=True), "html.parser")
    headers = [th.get_text(strip=True) for th in soup.select("#statistics thead th")]
    assert headers == list(STATISTICS_HEADERS)
    cells = [td.get_text(strip=True) for td in soup.select("#statistics tbody td")]
    assert cells[1] == "无锡市" and "锡医保服务〔2020〕11号" in cells[5]
    assert cells[6] == "4%" and cells[7] == "2020-02-01 至 2020-06-30"
    assert cells[8] == "12,345.60"
    # through March: two enterprises (not the 机关事业单位), 203 insured, 2 months x 4,000 x 2
    assert cells[11:15] == ["2", "203", "1", "1.60"]


def _refunded_or_offset(client, month: str) -> str:
    page = client.get(f"/reports/wuxi-2020?month={month}")
    soup = BeautifulSoup(page.get_data(as_text=True), "html.parser")
    cells = [td.get_text(strip=True) for td in soup.select("#statistics tbody td")]
    return cells[13]  # 退费/代扣企业数


def test_a_choice_counts_from_the_end_of_the_month_it_was_made(app, client, make):
    """Counts as at the end of the month reported (DOMAIN.md §8.4; the table's figures run to
    the end of the month before 报送时间, 锡医保服务〔2020〕11号 三（六）附表): a refund chosen on
    2020-06-15 is not in the tables of February to June, and is from July's."""
    reviewer = _world(make)
    choice = db.session.scalars(select(ReturnChoice)).one()
    choice.decided_at = datetime(2020, 6, 15, 2, tzinfo=UTC)
    make.commit()
    sign_in(client, reviewer)
    counts = {m: _refunded_or_offset(client, m) for m in ("2020-02", "2020-03", "2020-06")}
    assert counts == {"2020-02": "0", "2020-03": "0", "2020-06": "0"}
    assert _refunded_or_offset(client, "2020-07") == "1"
    # The month ends at midnight in China: 2020-06-30 23:30 there is June's.
    choice.decided_at = datetime(2020, 6, 30, 15, 30, tzinfo=UTC)
    make.commit()
    assert (_refunded_or_offset(client, "2020-06"), _refunded_or_offset(client, "2020-07")) == (
        "0",
        "1",
    )
    choice.decided_at = datetime(2020, 6, 30, 16, 30, tzinfo=UTC)  # 2020-07-01 00:30 in China
    make.commit()
    assert _refunded_or_offset(client, "2020-07") == "0"


def test_the_xlsx_keeps_money_as_numbers_in_wan_yuan(app, client, make):
    reviewer = _world(make)
    sign_in(client, reviewer)
    response = press_download(client, "/reports/wuxi-2020?month=2020-04&income=88.5", "xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    assert [c.value for c in sheet[3]] == list(STATISTICS_HEADERS)  # under 填报单位, 报送时间
    row = sheet[4]
    assert row[2].value.date() == date(2020, 3, 17)  # 发文时间
    assert row[9].value == Decimal("88.50") or row[9].value == 88.5
    assert row[9].number_format == "#,##0.00"
    assert float(row[14].value) == 1.6 and row[14].number_format == "#,##0.00"
    assert row[11].value == 2


def test_a_bad_fund_figure_is_a_message_not_a_table(app, client, make):
    reviewer = _world(make)
    sign_in(client, reviewer)
    page = client.get("/reports/wuxi-2020?month=2020-04&balance=1e9")
    assert page.status_code == 400
    assert "万元" in page.get_data(as_text=True)


def test_the_command_writes_the_same_table(app, make, tmp_path):
    _world(make)
    output = tmp_path / "wuxi.xlsx"
    result = app.test_cli_runner().invoke(
        args=[
            "portal",
            "report",
            "wuxi-2020",
            "--month",
            "2020-04",
            "--balance",
            "100.25",
            "--output",
            str(output),
        ]
    )
    assert result.exit_code == 0, result.output
    sheet = openpyxl.load_workbook(output).active
    assert [c.value for c in sheet[3]] == list(STATISTICS_HEADERS)
    assert float(sheet[4][8].value) == 100.25 and float(sheet[4][14].value) == 1.6
    # every agency: no one's details, the lines left blank to be written in by hand
    assert sheet["A2"].value == "填报单位：" and sheet["A6"].value == "填报人："
    refused = app.test_cli_runner().invoke(
        args=[
            "portal",
            "report",
            "wuxi-2020",
            "--month",
            "2020-04",
            "--income",
            "1e5",
            "--output",
            str(output),
        ]
    )
    assert refused.exit_code != 0 and "万元" in refused.output


def test_the_header_and_footer_come_from_the_agency(app, client, make):
    """附表: 填报单位 and 报送时间 above the table, 填报人, 联系电话 and 手机号码 below it
    (锡医保服务〔2020〕11号 附表), from the agency's reference data, on the page and in the file."""
    reviewer = _world(make)
    app.config["PORTAL_TODAY"] = "2020-04-03"
    sign_in(client, reviewer)
    soup = BeautifulSoup(
        client.get("/reports/wuxi-2020?month=2020-04").get_data(as_text=True), "html.parser"
    )
    assert soup.select_one("#annex-header").get_text("|", strip=True) == (
        "填报单位：|无锡市医疗保障局|报送时间：|2020年4月3日"
    )
    assert soup.select_one("#annex-footer").get_text("|", strip=True) == (
        "填报人：|钱统计|联系电话：|0510-81821234|手机号码：|13912345678"
    )
    assert soup.select_one("#annex-missing") is None
    sheet = openpyxl.load_workbook(
        io.BytesIO(press_download(client, "/reports/wuxi-2020?month=2020-04", "xlsx").data)
    ).active
    rows = [[c for c in row if c is not None] for row in sheet.iter_rows(values_only=True)]
    assert rows[0] == ["职工医保阶段性减征医保费统计表"]
    assert rows[1] == ["填报单位：无锡市医疗保障局", "报送时间：2020年4月3日"]
    assert rows[2] == list(STATISTICS_HEADERS) and rows[3][1] == "无锡市"
    assert rows[-1] == ["填报人：钱统计", "联系电话：0510-81821234", "手机号码：13912345678"]
    assert sheet.freeze_panes == "A4"  # the column headers stay in view
    # a number not on file stays blank, and the page says where to keep it
    agency = reviewer.agency
    agency.report_contact_mobile = None
    make.commit()
    soup = BeautifulSoup(
        client.get("/reports/wuxi-2020?month=2020-04").get_data(as_text=True), "html.parser"
    )
    assert "手机号码：|—" in soup.select_one("#annex-footer").get_text("|", strip=True)
    assert soup.select_one("#annex-missing a")["href"] == "/reference/agencies"
