"""The reconciliation with the tax bureau (issue 23 item 4) against the hand-worked agency of
tests/reports/helpers.py: the collections import, the report per agency and month, its files,
its scope, and the monthly report that is not final while the figures differ."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook
from sqlalchemy import func, select, update

from portal.core.extensions import db
from portal.features.imports import cells
from portal.features.imports.kinds import RowErrors
from portal.features.imports.kinds.collections import parse_collection
from portal.features.imports.operations import record_collection_rows, run
from portal.features.imports.presenting import outcome_errors
from portal.features.imports.reader import Source
from portal.features.reports.monthly import monthly_report
from portal.features.reports.reconciliation import reconciliation
from portal.models import AuditEntry, Collection, Payment, SentMonthlyReport
from portal.models.contributions import PAYMENT_PARTS
from tests.conftest import csrf_token, post_form, press_download, sign_in
from tests.reports.helpers import build_world
from tests.reports.test_pages import csv_rows, soup

HEADER = "统一社会信用代码,费款所属期,缴费类型,征收金额,征收日期"
ENGLISH = "credit_code,month,part,amount,collected_on"


def _world(make):
    """The world, its payments carrying their month and part: E1's 300.00 of 08-10 and 200.00
    of 09-05 pay July's unit part; E2's 100.00 of 08-20 pays August's early (内19 二)."""
    world = build_world(make)
    for employer, paid_on, month in (
        (world.e1, date(2022, 8, 10), "2022-07"),
        (world.e1, date(2022, 9, 5), "2022-07"),
        (world.e2, date(2022, 8, 20), "2022-08"),
        (world.e2, date(2022, 11, 10), "2022-08"),
    ):
        db.session.execute(
            update(Payment)
            .where(Payment.employer_id == employer.id, Payment.paid_on == paid_on)
            .values(month=month, part="unit")
        )
    make.commit()
    return world


def _agreeing(world) -> list[str]:
    """What the bureau collected by 08-31, as the portal has it (personal part: a quarter of
    the unit amount assessed, tests/reports/helpers.assess)."""
    e1, e2 = world.e1.credit_code, world.e2.credit_code
    return [
        f"{e1},2022-07,单位,300.00,2022-08-10",
        f"{e1},2022-08,个人,250.00,2022-08-15",
        f"{e2},2022-08,单位,100.00,2022-08-20",
        f"{e2},2022-08,个人,125.00,2022-08-15",
    ]


def _import(lines, scope=None, apply=True, name="collections.csv"):
    source = Source.from_bytes(name, ("\n".join([HEADER, *lines]) + "\n").encode())
    outcome = run("collections", source, scope_agency_id=scope, apply=apply)
    db.session.commit()
    return outcome


def _differences(result) -> list[tuple[str, str, str, str, str]]:
    return [
        (r.employer_name, r.kind, str(r.portal_amount), str(r.bureau_amount), str(r.difference))
        for r in result.rows
    ]


def test_agreeing_figures_list_nothing_and_their_totals_agree(app, make):
    world = _world(make)
    empty = reconciliation("2022-08", date(2022, 9, 15), agency_id=world.agency.id)
    assert not empty.has_collections and empty.rows == []  # nothing imported: nothing compared

    outcome = _import(_agreeing(world), scope=world.agency.id)
    assert (outcome.applied, outcome.created) == (True, 4)
    result = reconciliation("2022-08", date(2022, 9, 15), agency_id=world.agency.id)
    assert result.has_collections and result.is_agreed and result.rows == []
    totals = {
        t.kind: (t.employers, t.differing, t.portal_amount, t.difference) for t in result.totals
    }
    assert totals == {
        "deferred": (2, 0, Decimal("100.00"), 0),  # E2's early payment of August
        "caught_up": (2, 0, Decimal("300.00"), 0),  # E1's July, by 08-31
        # the monthly report's 月末未补缴: E1 2,000 − 300; E2 500 − 100
        "outstanding": (2, 0, Decimal("2100.00"), 0),
        "personal": (2, 0, Decimal("375.00"), 0),  # 250.00 + 125.00 assessed
    }
    report = monthly_report("2022-08", date(2022, 9, 15), agency_id=world.agency.id)
    assert report.total.outstanding_amount == totals["outstanding"][2]

    again = _import(_agreeing(world), scope=world.agency.id)  # the same file: nothing changes
    assert (again.applied, again.created, again.updated, again.unchanged) == (True, 0, 0, 4)


def test_one_difference_of_each_kind_and_the_bureau_s_correction_audited(app, make):
    world = _world(make)
    _import(_agreeing(world))
    e1, e2 = world.e1.credit_code, world.e2.credit_code
    correction = [
        f"{e1},2022-07,单位,250.00,2022-08-10",  # caught up 50.00 less than the portal recorded
        f"{e1},2022-08,个人,200.00,2022-08-15",  # personal part 50.00 short of the assessment
        f"{e2},2022-08,单位,150.00,2022-08-20",  # 50.00 of deferred August collected unrecorded
    ]
    outcome = _import(correction)
    assert (outcome.created, outcome.updated, outcome.unchanged) == (0, 3, 0)
    updates = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "collection.update").order_by(AuditEntry.id)
    ).all()
    assert [
        (u.details["line"], u.details["before"]["amount"], u.details["after"]["amount"])
        for u in updates
    ] == [
        (2, "300.00", "250.00"),
        (3, "250.00", "200.00"),
        (4, "100.00", "150.00"),
    ]
    result = reconciliation("2022-08", date(2022, 9, 15), agency_id=world.agency.id)
    assert _differences(result) == [
        ("甲二有限公司", "deferred", "100.00", "150.00", "50.00"),
        ("甲一有限公司", "caught_up", "300.00", "250.00", "-50.00"),
        ("甲一有限公司", "outstanding", "1700.00", "1750.00", "50.00"),
        ("甲二有限公司", "outstanding", "400.00", "350.00", "-50.00"),
        ("甲一有限公司", "personal", "250.00", "200.00", "-50.00"),
    ]
    assert result.rows[0].deferred_amount == Decimal("500.00")
    assert result.rows[0].ref.startswith("江苏省实施方案（2022） 三（一）")
    totals = {t.kind: (t.differing, t.difference) for t in result.totals}
    assert totals == {
        "deferred": (1, Decimal("50.00")),
        "caught_up": (1, Decimal("-50.00")),
        "outstanding": (2, Decimal("0.00")),
        "personal": (1, Decimal("-50.00")),
    }
    # The other agency's employer is not in this agency's reconciliation; nothing changed.
    assert world.e5.name not in {r.employer_name for r in result.rows}
    assert db.session.scalar(select(func.count()).select_from(Collection)) == 4


def test_bad_rows_are_refused_line_by_line_and_nothing_is_written(app, make):
    world = _world(make)
    e1, e5 = world.e1.credit_code, world.e5.credit_code
    outcome = _import(
        [
            f"{e1},2022-07,单位,300.00,2022-08-10",
            f"{e1},2022-13,混合,-5,2022-02-30",
            f"{e1},2022-07,unit,1.00,2022-08-11",
            f"{e5},2022-07,个人,1.00,2022-08-11",
            "91370100000000019X,2022-07,个人,1.00,2022-08-11",
        ],
        scope=world.agency.id,
    )
    assert not outcome.applied
    errors = [(e["line"], e["column"], e["message"]) for e in outcome_errors(outcome)]
    assert [(line, column) for line, column, _ in errors] == [
        (3, "费款所属期"),
        (3, "缴费类型"),
        (3, "征收金额"),
        (3, "征收日期"),
        (4, "统一社会信用代码"),  # the same employer, month and part as line 2
        (5, "统一社会信用代码"),  # another agency's employer
        (6, "统一社会信用代码"),
    ]
    assert "单位" in errors[1][2] and "个人" in errors[1][2]
    assert db.session.scalar(select(func.count()).select_from(Collection)) == 0


def test_the_command_imports_and_a_re_run_changes_nothing(app, make, tmp_path):
    world = _world(make)
    path = tmp_path / "collections.csv"
    path.write_text("\n".join([ENGLISH, *_agreeing(world)]) + "\n", encoding="utf-8-sig")
    runner = app.test_cli_runner()
    args = ["portal", "import", "collections", str(path), "--json"]
    first = runner.invoke(args=args)
    assert first.exit_code == 0, first.output
    assert json.loads(first.output)["created"] == 4
    second = json.loads(runner.invoke(args=args).output)
    assert (second["created"], second["updated"], second["unchanged"]) == (0, 0, 4)


def test_parsed_rows_are_recorded_without_a_file(app, make):
    """The operation an API calls: parsed rows in, problems out, all or nothing."""
    world = _world(make)
    rows = [
        parse_collection(dict(zip(ENGLISH.split(","), line.split(","), strict=True)))
        for line in _agreeing(world)
    ]
    refused = record_collection_rows(
        [*rows, rows[0]], scope_agency_id=world.other_agency.id, actor=None, apply=True
    )
    assert [(p.line, p.code) for p in refused.problems] == [
        (1, "other_agency"),
        (2, "other_agency"),
        (3, "other_agency"),
        (4, "other_agency"),
        (5, "duplicate"),
    ]
    assert db.session.scalar(select(func.count()).select_from(Collection)) == 0
    try:
        parse_collection({"credit_code": world.e1.credit_code, "month": "2022-08"})
    except RowErrors as error:
        assert [key for key, _ in error.errors] == ["part", "amount", "collected_on"]
    else:
        raise AssertionError("a row without its part, amount and date was read")
    tally = record_collection_rows(rows, scope_agency_id=world.agency.id, actor=None, apply=True)
    assert (tally.problems, tally.created) == ([], 4)


def test_the_page_is_the_agency_s_own_and_the_report_waits_for_agreement(app, client, make):
    app.config["PORTAL_TODAY"] = "2022-09-15"
    world = _world(make)
    reviewer = make.user(staff_role="reviewer", agency=world.agency)
    other = make.user(staff_role="reviewer", agency=world.other_agency)
    make.commit()
    _import(_agreeing(world)[:-1])  # E2's personal part missing

    sign_in(client, other)
    assert client.get("/reports/reconciliation?month=2022-08&agency=SD-A").status_code == 404
    data = {"month": "2022-08", "agency": "SD-A"}
    assert post_form(client, "/reports/reconciliation.csv", data).status_code == 404
    own = soup(client.get("/reports/reconciliation?month=2022-08"))
    assert own.select_one("#no-collections") and not own.select("#differences tr")

    sign_in(client, reviewer)
    page = soup(client.get("/reports/reconciliation?month=2022-08"))
    [row] = page.select("#differences tbody tr")
    assert (row["data-kind"], row["data-employer"]) == ("personal", world.e2.credit_code)
    assert row.select_one("[data-figure=difference]").get_text(strip=True) == "¥-125.00"
    assert "内医保办发〔2022〕19号 三（二）4" in row.get_text()
    rows = csv_rows(press_download(client, "/reports/reconciliation?month=2022-08"))
    assert rows[1][2:8] == [
        world.e2.credit_code,
        "甲二有限公司",
        "个人缴费",
        "125.00",
        "0.00",
        "-125.00",
    ]
    xlsx = press_download(client, "/reports/reconciliation?month=2022-08", "xlsx")
    book = load_workbook(__import__("io").BytesIO(xlsx.data))
    assert book.active.max_row == 1 + 1 + 4  # the header, the difference, the four totals

    token = csrf_token(client, "/reports/monthly?month=2022-08")
    refused = client.post("/reports/monthly/sent", data={"csrf_token": token, "month": "2022-08"})
    assert refused.status_code == 400
    notice = soup(refused).select_one("#unreconciled")
    assert notice.select_one("a")["href"] == "/reports/reconciliation?month=2022-08&agency=SD-A"
    assert db.session.scalar(select(func.count()).select_from(SentMonthlyReport)) == 0

    _import([f"{world.e2.credit_code},2022-08,个人,125.00,2022-08-15"])  # the bureau's figure
    assert soup(client.get("/reports/reconciliation?month=2022-08")).select_one("#agreed")
    sent = client.post("/reports/monthly/sent", data={"csrf_token": token, "month": "2022-08"})
    assert sent.status_code == 303
    assert db.session.scalar(select(func.count()).select_from(SentMonthlyReport)) == 1


def test_the_command_writes_the_reconciliation_and_says_whether_it_agrees(app, make, tmp_path):
    app.config["PORTAL_TODAY"] = "2022-09-15"
    world = _world(make)
    runner = app.test_cli_runner()
    output = tmp_path / "recon.csv"
    args = ["portal", "report", "reconciliation", "--month", "2022-08", "--output", str(output)]
    nothing = runner.invoke(args=[*args, "--agency", "SD-A"])
    assert nothing.exit_code == 0 and "nothing compared" in nothing.output
    _import(_agreeing(world)[:-1])
    differs = runner.invoke(args=[*args, "--agency", "SD-A"])
    assert differs.exit_code == 1 and "1 differing figures" in differs.output
    assert world.e2.credit_code in output.read_text("utf-8-sig")


@given(st.text(max_size=12))
def test_any_part_cell_is_unit_or_personal_or_a_worded_refusal(text):
    try:
        assert cells.part(text) in PAYMENT_PARTS
    except cells.CellError as error:
        assert error.code == "part"


def test_the_staff_calendar_points_to_last_month_s_differences(app, client, make):
    app.config["PORTAL_TODAY"] = "2022-09-15"
    world = _world(make)
    reviewer = make.user(staff_role="reviewer", agency=world.agency)
    make.commit()
    sign_in(client, reviewer)
    assert not soup(client.get("/staff/employers")).select('[data-key="differences"]')
    _import(_agreeing(world))  # August's figures agree: nothing to resolve
    assert not soup(client.get("/staff/employers")).select('[data-key="differences"]')
    _import([f"{world.e2.credit_code},2022-08,个人,100.00,2022-08-15"])  # 25.00 short
    entry = soup(client.get("/staff/employers")).select_one('[data-key="differences"]')
    assert entry is not None
    assert "1 家单位 2022-08 的数据与税务部门不一致" in entry.get_text(" ", strip=True)
    link = entry.select_one("a")["href"]
    assert link == "/reports/reconciliation?month=2022-08&agency=SD-A"
    [row] = soup(client.get(link)).select("#differences tbody tr")
    assert row["data-employer"] == world.e2.credit_code
