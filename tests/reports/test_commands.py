"""``flask portal export tax-list`` and ``flask portal report monthly``: the pages' code."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook
from sqlalchemy import select

from portal.core.extensions import db
from portal.models import AuditEntry, TaxListExport
from tests.reports.helpers import build_world


def _rows(path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_bytes().decode("utf-8-sig"))))


def test_export_tax_list_writes_the_file_and_records_it_as_nobody(app, make, tmp_path):
    build_world(make)
    output = tmp_path / "list.csv"
    result = app.test_cli_runner().invoke(
        args=[
            "portal",
            "export",
            "tax-list",
            "--on",
            "2022-08-15",
            "--agency",
            "SD-A",
            "--output",
            str(output),
        ]
    )
    assert result.exit_code == 0, result.output
    rows = _rows(output)
    assert rows[0][:3] == ["统一社会信用代码", "单位名称", "缓缴类型"]
    assert [r[1] for r in rows[1:]] == ["甲一有限公司", "甲二有限公司"]
    db.session.expire_all()
    export = db.session.scalars(select(TaxListExport)).one()
    assert (export.row_count, export.exported_by_id, export.file_format) == (2, None, "csv")
    assert export.file_sha256 in result.output
    entry = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "reports.tax_list_export")
    ).one()
    assert (entry.actor_id, entry.role) == (None, "anonymous")  # like `portal demo`


def test_export_since_last_from_the_command(app, make, tmp_path):
    build_world(make)
    runner = app.test_cli_runner()
    args = ["portal", "export", "tax-list", "--on", "2022-08-15", "--since-last"]
    first = runner.invoke(args=[*args, "--output", str(tmp_path / "a.xlsx")])
    second = runner.invoke(args=[*args, "--output", str(tmp_path / "b.xlsx")])
    assert first.exit_code == second.exit_code == 0
    assert load_workbook(tmp_path / "a.xlsx").active.max_row == 1 + 3  # SD-A's two, SD-B's one
    assert load_workbook(tmp_path / "b.xlsx").active.max_row == 1  # headers only


def test_export_refuses_a_bad_file_name_or_agency(app, make, tmp_path):
    build_world(make)
    runner = app.test_cli_runner()
    base = ["portal", "export", "tax-list", "--on", "2022-08-15"]
    result = runner.invoke(args=[*base, "--output", str(tmp_path / "list.txt")])
    assert result.exit_code == 2 and ".csv or .xlsx" in result.output
    result = runner.invoke(args=[*base, "--agency", "NOPE", "--output", str(tmp_path / "l.csv")])
    assert result.exit_code == 2 and "NOPE" in result.output
    assert db.session.scalars(select(TaxListExport)).all() == []


def test_report_monthly_writes_the_report(app, make, tmp_path):
    app.config["PORTAL_TODAY"] = "2022-09-15"
    build_world(make)
    output = tmp_path / "report.xlsx"
    result = app.test_cli_runner().invoke(
        args=["portal", "report", "monthly", "--month", "2022-08", "--output", str(output)]
    )
    assert result.exit_code == 0, result.output
    rows = [[cell.value for cell in row] for row in load_workbook(output).active.iter_rows()]
    assert rows[0][:4] == ["月份", "统计截至", "经办机构代码", "经办机构"]  # the default language
    assert [row[2] for row in rows[1:]] == ["SD-A", "SD-B", "合计"]
    # employers, persons, deferred, caught up, outstanding (SD-A as worked by hand)
    assert rows[1][4:9] == [2, 15, 1500, 400, 2100]
    assert rows[3][4:9] == [3, 17, 1700, 400, 2500]
    sheet = load_workbook(output).active
    assert sheet["G2"].number_format == "#,##0.00" and sheet["B2"].is_date


def test_report_monthly_for_one_agency_as_csv(app, make, tmp_path):
    app.config["PORTAL_TODAY"] = "2022-09-15"
    build_world(make)
    output = tmp_path / "report.csv"
    result = app.test_cli_runner().invoke(
        args=[
            "portal",
            "report",
            "monthly",
            "--month",
            "2022-08",
            "--agency",
            "SD-B",
            "--output",
            str(output),
        ]
    )
    assert result.exit_code == 0, result.output
    rows = _rows(output)
    assert rows[1][:9] == [
        "2022-08",
        "2022-08-31",
        "SD-B",
        "乙医保中心",
        "1",
        "2",
        "200.00",
        "0.00",
        "400.00",  # 07 and 08 due; 09 not yet
    ]
    assert len(rows) == 2


def test_report_monthly_refuses_a_month_to_come(app, make, tmp_path):
    result = app.test_cli_runner().invoke(
        args=[
            "portal",
            "report",
            "monthly",
            "--month",
            "2022-09",
            "--output",
            str(tmp_path / "r.csv"),
        ]
    )
    assert result.exit_code == 2 and "has not begun" in result.output
