"""The 缓缴清单 (内医保办发〔2022〕19号 五): columns, formats, 当期数, since-last."""

from __future__ import annotations

import csv
import hashlib
import io
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from portal.core.extensions import db
from portal.features.reports.operations import export_tax_list
from portal.features.reports.tax_list import TAX_LIST_HEADERS, tax_list_parts, tax_list_rows
from portal.models import Assessment, AuditEntry, RegionRate, TaxListExport, TaxListExportRow
from portal.rules.exchange import tax_list_format
from portal.util import clock
from tests.deferral.test_loader import counted_statements
from tests.reports.helpers import assess, build_world, standings_statements

# The seed's order (内医保办发〔2022〕19号 五; DOMAIN.md §8.3): other systems read by position.
HEADERS = [
    "统一社会信用代码",
    "单位名称",
    "缓缴类型",
    "医保经办机构代码",
    "医保单位编号",
    "险种类型代码",
    "缓缴人数",
    "缓缴所属期起",
    "缓缴所属期止",
    "缓缴金额",
    "缓缴期限",
    "传输时间",
]
ON = date(2022, 8, 15)


@pytest.fixture
def fixed_now(monkeypatch):
    """10:03:04 in China (02:03:04 UTC); the test config's date is 2022-08-15."""
    monkeypatch.setattr(clock, "_utcnow", lambda: datetime(2026, 1, 2, 2, 3, 4, tzinfo=UTC))


def parse_csv(content: bytes) -> list[list[str]]:
    assert content.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM, for Excel
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def test_the_codes_are_policy_with_their_clauses():
    fmt = tax_list_format()
    assert (fmt.deferral_type.value, fmt.insurance_type.value) == ("66", "310")
    assert "内医保办发〔2022〕19号 五" in fmt.deferral_type.ref
    assert fmt.insurance_type.explanation  # a reading says why


def test_csv_columns_order_and_cells(make, fixed_now):
    world = build_world(make)
    exported = export_tax_list(
        ON, agency=world.agency, since_last=False, file_format="csv", actor=None
    )
    rows = parse_csv(exported.content)
    assert rows[0] == HEADERS == list(TAX_LIST_HEADERS)
    # E1 and E2 (E3 opted out, E4 not listed, E5 is agency B's); August is the current month.
    assert rows[1:] == [
        [
            world.e1.credit_code,
            "甲一有限公司",
            "66",
            "SD-A",
            world.e1.insurance_unit_number,
            "310",
            "10",
            "202207",
            "202209",
            "1000.00",
            "20221031",
            "20220815100304",
        ],
        [
            world.e2.credit_code,
            "甲二有限公司",
            "66",
            "SD-A",
            world.e2.insurance_unit_number,
            "310",
            "5",
            "202208",
            "202210",
            "500.00",
            "20221130",
            "20220815100304",
        ],
    ]
    assert exported.mimetype == "text/csv; charset=utf-8"


def test_xlsx_cells_are_numbers_and_dates(make, fixed_now):
    world = build_world(make)
    exported = export_tax_list(ON, agency=None, since_last=False, file_format="xlsx", actor=None)
    sheet = load_workbook(io.BytesIO(exported.content)).active
    rows = list(sheet.iter_rows())
    assert [cell.value for cell in rows[0]] == HEADERS
    assert len(rows) == 4  # E1, E2 of SD-A, then E5 of SD-B
    e1 = rows[1]
    assert e1[0].value == world.e1.credit_code and e1[0].data_type == "s"
    assert (e1[2].value, e1[5].value) == ("66", "310")  # codes stay text
    assert e1[6].value == 10
    assert (e1[7].value, e1[8].value) == ("202207", "202209")
    assert e1[9].value == 1000 and e1[9].number_format == "#,##0.00"
    assert e1[10].is_date and e1[10].value == datetime(2022, 10, 31)
    assert e1[10].number_format == "yyyymmdd"
    assert e1[11].is_date and e1[11].value == datetime(2022, 8, 15, 10, 3, 4)
    assert e1[11].number_format == "yyyymmddhhmmss"
    assert [cell.value for cell in rows[3]][:5] == [
        world.e5.credit_code,
        "乙一有限公司",
        "66",
        "SD-B",
        world.e5.insurance_unit_number,
    ]
    assert rows[3][9].value == 200


def test_the_current_figures_are_those_of_the_export_dates_month(make):
    world = build_world(make)
    september = {
        r.employer_id: r for r in tax_list_rows(date(2022, 9, 1), agency_id=world.agency.id)
    }
    assert (september[world.e1.id].headcount, september[world.e1.id].unit_amount) == (
        11,
        Decimal("1100.00"),
    )
    # July is not in E2's period (July paid: 08–10): nobody and nothing deferred that month.
    july = {r.employer_id: r for r in tax_list_rows(date(2022, 7, 20), agency_id=world.agency.id)}
    assert (july[world.e2.id].headcount, july[world.e2.id].unit_amount) == (0, Decimal("0"))
    assert july[world.e1.id].headcount == 10


def test_formula_cells_are_defused(make, fixed_now):
    world = build_world(make)
    world.e1.name = "=HYPERLINK(1)"
    make.commit()
    exported = export_tax_list(
        ON, agency=world.agency, since_last=False, file_format="csv", actor=None
    )
    assert parse_csv(exported.content)[1][1] == "'=HYPERLINK(1)"
    exported = export_tax_list(
        ON, agency=world.agency, since_last=False, file_format="xlsx", actor=None
    )
    assert load_workbook(io.BytesIO(exported.content)).active["B2"].value == "'=HYPERLINK(1)"


def test_each_export_is_recorded_with_one_audit_row(make, fixed_now):
    world = build_world(make)
    reviewer = make.user(staff_role="reviewer", agency=world.agency)
    exported = export_tax_list(
        ON, agency=world.agency, since_last=False, file_format="csv", actor=reviewer
    )
    make.commit()
    export = db.session.get(TaxListExport, exported.export.id)
    assert (export.agency_id, export.on_date, export.row_count, export.is_since_last) == (
        world.agency.id,
        ON,
        2,
        False,
    )
    assert export.file_sha256 == hashlib.sha256(exported.content).hexdigest()
    assert export.exported_by_id == reviewer.id
    assert export.exported_at == datetime(2026, 1, 2, 2, 3, 4, tzinfo=UTC).replace(
        year=2022, month=8, day=15
    )
    assert {r.employer_id for r in export.rows} == {world.e1.id, world.e2.id}
    entries = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "reports.tax_list_export")
    ).all()
    assert len(entries) == 1
    assert entries[0].actor_id == reviewer.id and entries[0].object_id == str(export.id)
    assert entries[0].details["rows"] == 2 and entries[0].details["agency"] == "SD-A"
    assert entries[0].details["awaiting_assessment"] == 0  # E1 and E2 are assessed


def _since_last(agency):
    exported = export_tax_list(ON, agency=agency, since_last=True, file_format="csv", actor=None)
    db.session.commit()
    return [row[1] for row in parse_csv(exported.content)[1:]]


def test_since_last_sends_only_new_and_changed_rows(make):
    world = build_world(make)
    assert _since_last(world.agency) == ["甲一有限公司", "甲二有限公司"]  # nothing sent before
    assert _since_last(world.agency) == []  # nothing changed
    # E2's August is re-assessed, and a new employer joins the list
    assessment = db.session.scalar(
        select(Assessment).where(
            Assessment.employer_id == world.e2.id, Assessment.month == "2022-08"
        )
    )
    assessment.headcount = 6
    make.employer(world.agency, name="甲五有限公司")
    assess(world.e5, "2022-10", 9, "900")  # another agency's change is not this agency's
    make.commit()
    assert _since_last(world.agency) == ["甲二有限公司", "甲五有限公司"]
    assert _since_last(world.agency) == []
    # The other agency was never sent: all of its rows are new to the bureau.
    assert _since_last(world.other_agency) == ["乙一有限公司"]
    # A full export sends everything again, and is recorded like any other.
    full = export_tax_list(ON, agency=world.agency, since_last=False, file_format="csv", actor=None)
    assert len(parse_csv(full.content)) == 1 + 3
    assert db.session.scalar(select(db.func.count()).select_from(TaxListExportRow)) == 2 + 2 + 1 + 3


def test_the_list_costs_two_statements_more_than_the_standings_a_part(make):
    """One statement orders the employers; each part of them (``PART_EMPLOYERS``) costs the
    standings' statements and one more, whatever the number of employers in it."""
    world = build_world(make)
    agency_id = world.agency.id
    with counted_statements() as few:
        tax_list_rows(ON, agency_id=agency_id)
    for _ in range(6):
        make.employer(world.agency)
    make.commit()
    with counted_statements() as more:
        rows = tax_list_rows(ON, agency_id=agency_id)
    assert len(rows) == 2 + 6
    assert len(few) == len(more) == 1 + standings_statements(ON, agency_id) + 1
    assert len(more) == 7, "\n\n".join(more)
    with counted_statements() as parts:
        in_parts = [
            row
            for part in tax_list_parts(ON, agency_id=agency_id, part_employers=3)
            for row in part.rows
        ]
    assert in_parts == rows  # the same rows in the same order, part after part
    assert len(parts) > len(more)  # several parts: each its own statements


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_other_systems_read_each_column_by_its_position(make, fixed_now, file_format):
    """The seed's order, cell by cell: 缓缴所属期起/止 come before 缓缴金额 (五; §8.3)."""
    world = build_world(make)
    exported = export_tax_list(
        ON, agency=world.agency, since_last=False, file_format=file_format, actor=None
    )
    if file_format == "csv":
        header, e1 = parse_csv(exported.content)[:2]
    else:
        sheet = load_workbook(io.BytesIO(exported.content)).active
        header, e1 = ([cell.value for cell in row] for row in sheet.iter_rows(max_row=2))
        e1 = [str(v) if isinstance(v, int) else v for v in e1]
    by_position = {
        0: ("统一社会信用代码", world.e1.credit_code),
        1: ("单位名称", "甲一有限公司"),
        2: ("缓缴类型", "66"),
        3: ("医保经办机构代码", "SD-A"),
        4: ("医保单位编号", world.e1.insurance_unit_number),
        5: ("险种类型代码", "310"),
        6: ("缓缴人数", "10"),
        7: ("缓缴所属期起", "202207"),
        8: ("缓缴所属期止", "202209"),
        9: ("缓缴金额", "1000.00" if file_format == "csv" else "1000"),
        10: ("缓缴期限", "20221031" if file_format == "csv" else datetime(2022, 10, 31)),
    }
    assert len(header) == len(e1) == 12 and header[11] == "传输时间"
    for position, (name, value) in by_position.items():
        assert (header[position], e1[position]) == (name, value), position


def _unassessed_employer(make, world):
    """E6: listed in agency A, a contribution base and the region's rates, August not assessed
    (the estimate would be 20,000.00 x 7% = 1,400.00)."""
    db.session.add(
        RegionRate(
            region_id=world.agency.region_id,
            start_month="2022-01",
            unit_medical_rate=Decimal("0.06"),
            maternity_rate=Decimal("0.01"),
        )
    )
    e6 = make.employer(
        world.agency, name="甲六有限公司", contribution_base_amount=Decimal("20000.00")
    )
    make.commit()
    return e6


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_an_unassessed_month_is_sent_blank_never_as_an_estimate(make, fixed_now, file_format):
    """内医保办发〔2022〕19号 五 1: the daily sharing goes out before the assessments; 缓缴人数
    and 缓缴金额 are 当期数 of the unit part, which only the assessment gives."""
    world = build_world(make)
    e6 = _unassessed_employer(make, world)

    def e6_cells() -> list:
        exported = export_tax_list(
            ON, agency=world.agency, since_last=False, file_format=file_format, actor=None
        )
        if file_format == "csv":
            rows = parse_csv(exported.content)[1:]
        else:
            sheet = load_workbook(io.BytesIO(exported.content)).active
            rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=2)]
        (row,) = [row for row in rows if row[0] == e6.credit_code]
        return row

    blank = "" if file_format == "csv" else None
    cells = e6_cells()
    assert (cells[6], cells[9]) == (blank, blank)  # 缓缴人数, 缓缴金额
    assert (cells[7], cells[8]) == ("202207", "202209")  # the period is known all the same
    # Once the agency assesses August, the month's assessed figures go (五 2).
    assess(e6, "2022-08", 8, "1300")
    make.commit()
    cells = e6_cells()
    if file_format == "csv":
        assert (cells[6], cells[9]) == ("8", "1300.00")
    else:
        assert (cells[6], cells[9]) == (8, 1300)


def test_the_rows_say_which_month_awaits_its_assessment(make):
    world = build_world(make)
    e6 = _unassessed_employer(make, world)
    rows = {r.employer_id: r for r in tax_list_rows(ON, agency_id=world.agency.id)}
    assert (rows[e6.id].headcount, rows[e6.id].unit_amount) == (None, None)
    assert rows[e6.id].is_awaiting_assessment
    assert not rows[world.e1.id].is_awaiting_assessment
    assert (rows[world.e1.id].headcount, rows[world.e1.id].unit_amount) == (10, Decimal("1000"))
    # July is outside E2's period (08–10): zero, and nothing to wait for.
    july = {r.employer_id: r for r in tax_list_rows(date(2022, 7, 20), agency_id=world.agency.id)}
    assert not july[world.e2.id].is_awaiting_assessment
