"""Deferred means eligible (issue 22 item 4): an employer that confirmed "defer" and then no
longer qualifies (in arrears to clear first, 鲁医保发〔2022〕21号 一; reclassified large, 一;
deregistering, 五) is off the 缓缴清单, not counted as deferring in the monthly report, and
carried once as a removal (移出清单) to a bureau that received it before.

The hand-worked agency of tests/reports/helpers.py, on 2022-08-15: E1 (07–09, ¥1,000.00 a
month assessed, ¥300.00 paid on 08-10) confirmed its deferral.
"""

from __future__ import annotations

import csv
import hashlib
import io
import zipfile
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from bs4 import BeautifulSoup
from openpyxl import load_workbook
from sqlalchemy import select

from portal.core.extensions import db
from portal.features.reports.monthly import monthly_report
from portal.features.reports.operations import export_tax_list
from portal.features.reports.tax_list import TAX_LIST_HEADERS, tax_list_rows
from portal.models import AuditEntry, TaxListExport, TaxListExportRow
from portal.util import clock
from tests.conftest import post_form_through_job as post_form
from tests.conftest import sign_in
from tests.reports.helpers import build_world

ON = date(2022, 8, 15)
#: What makes E1 ineligible, with the reason's code (rules/exchange.off_list_reasons).
INELIGIBLE = {
    "arrears": ({"has_arrears": True}, "arrears"),
    "large": ({"size_class": "large"}, "large_enterprise"),
    "deregistered": ({"deregistered_on": date(2022, 8, 10)}, "deregistered"),
}


@pytest.fixture
def fixed_now(monkeypatch):
    """10:03:04 in China on the test config's date, 2022-08-15."""
    monkeypatch.setattr(clock, "_utcnow", lambda: datetime(2022, 8, 15, 2, 3, 4, tzinfo=UTC))


def _csv(content: bytes) -> list[list[str]]:
    assert content.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def _world(make):
    world = build_world(make)
    make.decision(world.e1, world.owner)  # E1 confirmed its deferral, 07–09
    make.commit()
    return world


def _export(world, *, since_last=True, file_format="csv"):
    exported = export_tax_list(
        ON, agency=world.agency, since_last=since_last, file_format=file_format, actor=None
    )
    db.session.commit()
    return exported


def _make_ineligible(make, employer, case: str) -> str:
    facts, code = INELIGIBLE[case]
    for name, value in facts.items():
        setattr(employer, name, value)
    make.commit()
    return code


@pytest.mark.parametrize("case", list(INELIGIBLE))
def test_an_ineligible_employer_leaves_the_list_once_and_the_report(make, fixed_now, case):
    world = _world(make)
    first = _export(world)
    assert [r[1] for r in _csv(first.content)[1:]] == ["甲一有限公司", "甲二有限公司"]
    assert first.removals is None and first.export.removal_count == 0
    before = monthly_report("2022-08", date(2022, 9, 15), agency_id=world.agency.id)
    assert before.lines[0].employers == 2

    code = _make_ineligible(make, world.e1, case)
    assert [r.name for r in tax_list_rows(ON, agency_id=world.agency.id)] == ["甲二有限公司"]
    after = monthly_report("2022-08", date(2022, 9, 15), agency_id=world.agency.id)
    # E2 alone defers August: E1's 10 persons and ¥1,000.00 are no longer counted
    assert (after.lines[0].employers, after.lines[0].persons) == (1, 5)
    assert after.lines[0].deferred_amount == Decimal("500.00")

    second = _export(world)
    assert _csv(second.content) == [list(TAX_LIST_HEADERS)]  # nothing new on the list itself
    assert second.removals is not None and second.removals_filename is not None
    assert second.removals_filename.endswith("-removals.csv")
    removals = _csv(second.removals)
    assert removals == [
        list(TAX_LIST_HEADERS),
        [
            world.e1.credit_code,
            "甲一有限公司",
            "66",
            "SD-A",
            world.e1.insurance_unit_number,
            "310",
            "0",  # nothing deferred any more
            "202207",
            "202209",
            "0.00",
            "20221031",
            "20220815100304",
        ],
    ]
    export = second.export
    assert (export.row_count, export.removal_count) == (0, 1)
    assert export.removals_sha256 is not None
    recorded = db.session.scalars(
        select(TaxListExportRow).where(TaxListExportRow.export_id == export.id)
    ).all()
    assert [(r.employer_id, r.is_removal) for r in recorded] == [(world.e1.id, True)]
    entry = db.session.scalars(
        select(AuditEntry).where(AuditEntry.object_id == str(export.id))
    ).one()
    assert entry.details["removals"] == 1 and entry.details["removal_reasons"] == {code: 1}

    # Removed once: neither a changes export nor a full one removes it again.
    third = _export(world)
    assert third.removals is None and _csv(third.content) == [list(TAX_LIST_HEADERS)]
    full = _export(world, since_last=False)
    assert full.removals is None
    assert [r[1] for r in _csv(full.content)[1:]] == ["甲二有限公司"]

    # Back on the list (arrears cleared, classification corrected, deregistration withdrawn):
    # sent again as a row of the list.
    world.e1.has_arrears, world.e1.size_class, world.e1.deregistered_on = False, "small", None
    make.commit()
    back = _export(world)
    assert [r[1] for r in _csv(back.content)[1:]] == ["甲一有限公司"]
    assert back.removals is None


def test_an_xlsx_carries_the_removals_in_a_sheet_of_their_own(make, fixed_now):
    world = _world(make)
    _export(world, file_format="xlsx")
    _make_ineligible(make, world.e1, "large")
    exported = _export(world, since_last=False, file_format="xlsx")
    book = load_workbook(io.BytesIO(exported.content))
    assert book.sheetnames == ["缓缴清单", "移出清单"]
    assert book.active.title == "缓缴清单"  # the list is still the first sheet
    listed = [[c.value for c in row] for row in book["缓缴清单"].iter_rows()]
    assert listed[0] == list(TAX_LIST_HEADERS)
    assert [row[1] for row in listed[1:]] == ["甲二有限公司"]
    removed = [[c.value for c in row] for row in book["移出清单"].iter_rows()]
    assert removed[0] == list(TAX_LIST_HEADERS)
    assert removed[1][:10] == [
        world.e1.credit_code,
        "甲一有限公司",
        "66",
        "SD-A",
        world.e1.insurance_unit_number,
        "310",
        0,
        "202207",
        "202209",
        0,
    ]
    assert removed[1][10] == datetime(2022, 10, 31)
    assert exported.removals is None and exported.export.removal_count == 1
    assert exported.download() == (exported.content, exported.filename, "xlsx")


def test_the_page_shows_the_removals_and_zips_a_csv_with_them(client, make, fixed_now):
    world = _world(make)
    _export(world)
    _make_ineligible(make, world.e1, "arrears")
    reviewer = make.user(staff_role="reviewer", agency=world.agency)
    make.commit()
    sign_in(client, reviewer)
    page = client.get("/reports/tax-list")
    section = BeautifulSoup(page.get_data(as_text=True), "html.parser").select_one("#removals")
    assert section.select_one("#removal-count strong").get_text() == "1"
    cells = [td.get_text(strip=True) for td in section.select("tbody tr td")]
    assert cells[:3] == ["甲一有限公司", world.e1.credit_code, "SD-A"]
    assert "中断缴费" in cells[3]
    response = post_form(
        client,
        "/reports/tax-list",
        {"on": "2022-08-15", "agency": "SD-A", "file_format": "csv", "since_last": "y"},
        token_from="/reports/tax-list",
    )
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/zip"
    assert response.headers["Content-Disposition"].endswith('.zip"')
    archive = zipfile.ZipFile(io.BytesIO(response.get_data()))
    names = archive.namelist()
    assert len(names) == 2 and names[1] == names[0].replace(".csv", "-removals.csv")
    export = db.session.scalars(select(TaxListExport).order_by(TaxListExport.id.desc())).first()
    # the list's file inside is the CSV it always was, recorded by its SHA-256
    assert hashlib.sha256(archive.read(names[0])).hexdigest() == export.file_sha256
    assert hashlib.sha256(archive.read(names[1])).hexdigest() == export.removals_sha256
    assert [r[1] for r in _csv(archive.read(names[1]))[1:]] == ["甲一有限公司"]
    # the request committed the removal: the page has none left to send
    page = BeautifulSoup(client.get("/reports/tax-list").get_data(as_text=True), "html.parser")
    assert page.select_one("#removal-count strong").get_text() == "0"


def test_the_command_writes_the_removals_beside_the_csv(app, make, tmp_path):
    world = _world(make)
    runner = app.test_cli_runner()
    args = ["portal", "export", "tax-list", "--on", "2022-08-15", "--agency", "SD-A"]
    assert runner.invoke(args=[*args, "--output", str(tmp_path / "a.csv")]).exit_code == 0
    _make_ineligible(make, world.e1, "deregistered")
    result = runner.invoke(args=[*args, "--since-last", "--output", str(tmp_path / "b.csv")])
    assert result.exit_code == 0, result.output
    assert "1 removals (移出清单)" in result.output
    removals = _csv((tmp_path / "b-removals.csv").read_bytes())
    assert [r[1] for r in removals[1:]] == ["甲一有限公司"]
    assert _csv((tmp_path / "b.csv").read_bytes()) == [list(TAX_LIST_HEADERS)]
    # and the monthly report's command no longer counts it
    output = tmp_path / "report.csv"
    result = runner.invoke(
        args=["portal", "report", "monthly", "--month", "2022-08", "--agency", "SD-A",
              "--output", str(output)]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    line = _csv(output.read_bytes())[1]
    assert line[4] == "1"  # Employers deferring: E2 only
