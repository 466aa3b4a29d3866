"""Imports: whole or nothing, every refusal in words, idempotent, encodings, hostile files."""

from __future__ import annotations

import io
import json
import re
import zipfile
from datetime import date, datetime
from decimal import Decimal

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from portal.core.extensions import db
from portal.features.imports.operations import run
from portal.features.imports.presenting import outcome_errors
from portal.features.imports.reader import Source
from portal.models import Assessment, AuditEntry, Employer, HeldChange, ImportRecord, Payment
from tests.factories import credit_code

LIST_HEADER = "统一社会信用代码,单位名称,医保单位编号,医保经办机构代码,企业划型,是否纳入缓缴名单"


@pytest.fixture
def agencies(make):
    liaocheng = make.agency(make.region("liaocheng-2022"), code="LC01")
    wuhai = make.agency(make.region("inner-mongolia-2022"), code="WH01")
    make.commit()
    return liaocheng, wuhai


def _csv(*lines: str, encoding: str = "utf-8") -> Source:
    return Source.from_bytes("list.csv", ("\n".join(lines) + "\n").encode(encoding))


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _cli(app, *args):
    return app.test_cli_runner().invoke(args=["portal", "import", *args])


def test_a_good_list_creates_then_changes_nothing_on_reimport(app, agencies, tmp_path):
    a, b = credit_code(), credit_code()
    path = tmp_path / "list.csv"
    path.write_text(
        f"{LIST_HEADER},参保年月\n{a},甲公司,U1,LC01,小型,是,202208\n{b},乙公司,U2,WH01,大型,否,\n",
        encoding="utf-8-sig",
    )
    first = _cli(app, "list", str(path), "--json")
    assert first.exit_code == 0, first.output
    data = json.loads(first.output)
    assert data == {
        "kind": "list",
        "rows": 2,
        "created": 2,
        "updated": 0,
        "unchanged": 0,
        "applied": True,
        "errors": [],
        "held": [],
    }
    employer = db.session.scalar(select(Employer).where(Employer.credit_code == a))
    assert (employer.name, employer.size_class, employer.list_status) == (
        "甲公司",
        "small",
        "listed",
    )
    assert employer.first_insured_month == "2022-08" and employer.size_source == "list"
    again = json.loads(_cli(app, "list", str(path), "--json").output)
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 2)
    assert _count(ImportRecord) == 2
    actions = db.session.scalars(select(AuditEntry.action)).all()
    assert actions.count("import.applied") == 2


def test_one_bad_row_refuses_the_whole_file_and_names_every_problem(app, agencies, tmp_path):
    good = credit_code()
    other = credit_code()
    bad = other[:-1] + ("0" if other[-1] != "0" else "1")  # a wrong check character
    path = tmp_path / "list.csv"
    path.write_text(
        f"{LIST_HEADER}\n{good},甲公司,U1,LC01,小型,是\n{bad},乙公司,U2,ZZ99,巨型,也许\n",
        encoding="utf-8",
    )
    result = _cli(app, "list", str(path), "--json")
    assert result.exit_code == 1
    errors = json.loads(result.output)["errors"]
    assert {(e["line"], e["column"]) for e in errors} == {
        (3, "统一社会信用代码"),
        (3, "医保经办机构代码"),
        (3, "企业划型"),
        (3, "是否纳入缓缴名单"),
    }
    assert any("校验" in e["message"] for e in errors)
    assert _count(Employer) == 0  # the good row was not applied either
    record = db.session.scalar(select(ImportRecord))
    assert record.status == "refused" and record.refused == 1


def test_gb18030_and_bom_files_read_the_same(app, agencies):
    code = credit_code()
    lines = (LIST_HEADER, f"{code},聊城甲商贸有限公司,U1,LC01,微型,是")
    for encoding in ("gb18030", "utf-8-sig", "utf-8"):
        outcome = run("list", _csv(*lines, encoding=encoding), scope_agency_id=None, apply=False)
        assert not outcome.is_refused, outcome_errors(outcome)
        assert outcome.created == 1


def test_english_aliases_any_order_and_unknown_columns(app, agencies):
    code = credit_code()
    source = _csv(
        "on_list,comment,size_class,agency_code,insurance_unit_number,name,credit_code",
        f"否,whatever,中型,LC01,U7,丙公司,{code}",
    )
    outcome = run("list", source, scope_agency_id=None, apply=True)
    assert outcome.applied and outcome.created == 1
    employer = db.session.scalar(select(Employer).where(Employer.credit_code == code))
    assert employer.list_status == "not_listed" and employer.size_class == "medium"


def test_a_missing_column_is_named(app, agencies):
    outcome = run(
        "list",
        _csv("统一社会信用代码,单位名称", f"{credit_code()},x"),
        scope_agency_id=None,
        apply=False,
    )
    assert outcome.file_error is not None and outcome.file_error.code == "missing_columns"
    assert "医保单位编号" in outcome_errors(outcome)[0]["message"]


def test_staff_import_only_their_own_agencys_rows(app, agencies):
    liaocheng, wuhai = agencies
    source = _csv(LIST_HEADER, f"{credit_code()},甲,U1,WH01,小型,是")
    outcome = run("list", source, scope_agency_id=liaocheng.id, apply=True)
    assert outcome.is_refused and not outcome.applied
    assert outcome.problems[0].code == "other_agency"
    assert _count(Employer) == 0


def test_assessments_and_payments_upsert_and_payments_are_recorded_once(app, make, agencies):
    employer = make.employer(agencies[0])
    make.commit()
    code = employer.credit_code
    assessments = Source.from_bytes(
        "a.csv",
        (
            "统一社会信用代码,费款所属期,缴费人数,缴费基数,单位缴费金额,个人缴费金额\n"
            f'{code},202207,3,"30,000.00",2250.00,600\n{code},2022-08,3,30000,2250,600\n'
        ).encode(),
    )
    assert run("assessments", assessments, scope_agency_id=None, apply=True).created == 2
    row = db.session.scalar(select(Assessment).where(Assessment.month == "2022-07"))
    assert row.unit_amount == Decimal("2250.00") and row.contribution_base_amount == Decimal(
        "30000"
    )
    again = run("assessments", assessments, scope_agency_id=None, apply=True)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    payments = Source.from_bytes(
        "p.csv",
        (
            "统一社会信用代码,缴费日期,费款所属期,缴费类型,缴费金额,缴费流水号\n"
            f"{code},20221010,2022-07,单位,1000.00,TAX-1\n{code},2022-10-20,2022-08,单位,250.5,TAX-2\n"
        ).encode(),
    )
    assert run("payments", payments, scope_agency_id=None, apply=True).created == 2
    assert run("payments", payments, scope_agency_id=None, apply=True).unchanged == 2
    assert _count(Payment) == 2
    assert db.session.scalar(select(Payment.paid_on).where(Payment.source_ref == "TAX-1")) == date(
        2022, 10, 10
    )
    changed = Source.from_bytes(
        "p2.csv",
        (
            "统一社会信用代码,缴费日期,费款所属期,缴费类型,缴费金额,缴费流水号\n"
            f"{code},20221010,2022-07,单位,999.00,TAX-1\n"
        ).encode(),
    )
    refused = run("payments", changed, scope_agency_id=None, apply=True)
    assert refused.is_refused and refused.problems[0].code == "payment_differs"


def test_unknown_employer_in_assessments_is_refused(app, agencies):
    source = Source.from_bytes(
        "a.csv",
        (
            "统一社会信用代码,费款所属期,缴费人数,缴费基数,单位缴费金额,个人缴费金额\n"
            f"{credit_code()},202207,3,30000,2250,600\n"
        ).encode(),
    )
    outcome = run("assessments", source, scope_agency_id=None, apply=True)
    assert outcome.problems[0].code == "unknown_employer" and _count(Assessment) == 0


def test_the_command_reads_dev_stdin_without_a_traceback(tmp_path):
    """Issue 28 item 14: ``flask portal import list /dev/stdin`` printed a traceback (the
    reader reads a file twice and seeks; a pipe can do neither). Run as a user would."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    from portal import create_app
    from portal.config import DevelopmentConfig

    url = f"sqlite:///{tmp_path / 'portal.db'}"

    class Config(DevelopmentConfig):
        SQLALCHEMY_DATABASE_URI = url

    with create_app(Config).app_context():
        db.create_all()
        db.session.remove()
        db.engine.dispose()
    content = f"{LIST_HEADER}\n{credit_code()},甲公司,U1,LC01,小型,是\n".encode()
    flask = Path(sys.executable).with_name("flask")
    done = subprocess.run(  # noqa: S603 - the project's own flask, fixed arguments
        [str(flask), "--app", "wsgi", "portal", "import", "list", "/dev/stdin", "--dry-run"],
        input=content,
        capture_output=True,
        cwd=Path(__file__).resolve().parents[2],
        env={**os.environ, "PORTAL_ENV": "development", "DATABASE_URL": url},
        timeout=120,
        check=False,
    )
    output = done.stdout.decode() + done.stderr.decode()
    assert "Traceback" not in output, output
    assert done.returncode == 1 and "第 2 行" in output  # no such agency: refused in words


def test_the_command_reads_standard_input_given_as_a_dash(app, agencies):
    code = credit_code()
    content = f"{LIST_HEADER}\n{code},甲公司,U1,LC01,小型,是\n".encode()
    result = app.test_cli_runner().invoke(args=["portal", "import", "list", "-"], input=content)
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(Employer.name).where(Employer.credit_code == code)) == "甲公司"
    assert db.session.scalar(select(ImportRecord.file_name).order_by(ImportRecord.id.desc())) == (
        "stdin.csv"
    )


def test_a_duplicate_row_is_refused_with_the_first_line(app, agencies):
    code = credit_code()
    source = _csv(LIST_HEADER, f"{code},甲,U1,LC01,小型,是", f"{code},甲,U1,LC01,小型,是")
    outcome = run("list", source, scope_agency_id=None, apply=True)
    assert outcome.problems[0].code == "duplicate" and outcome.problems[0].details == {"first": 2}


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(
        st.tuples(st.integers(min_value=1, max_value=4), st.booleans()), min_size=1, max_size=12
    )
)
def test_every_repeated_code_names_the_first_readable_line_of_it(app, agencies, rows):
    """Each repeated credit code is refused with the line of its first readable row (a row
    refused for another cell does not count), however the repeats fall in the file."""
    lines = [LIST_HEADER]
    expected: list[tuple[int, int]] = []
    first: dict[int, int] = {}
    for line, (serial, readable) in enumerate(rows, start=2):
        size = "小型" if readable else "巨型"  # not a size class: the row is refused for it
        lines.append(f"{credit_code(serial=serial)},甲{serial},U{serial},LC01,{size},是")
        if not readable:
            continue
        if serial in first:
            expected.append((line, first[serial]))
        else:
            first[serial] = line
    outcome = run("list", _csv(*lines), scope_agency_id=None, apply=True)
    repeated = [(p.line, p.details["first"]) for p in outcome.problems if p.code == "duplicate"]
    assert repeated == expected
    assert outcome.applied is (len(first) == len(rows))
    db.session.rollback()


def _xlsx(rows) -> bytes:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_xlsx_first_sheet(app, agencies):
    code = credit_code()
    data = _xlsx([LIST_HEADER.split(","), [code, "甲公司", "U1", "LC01", "小型", "是"]])
    outcome = run("list", Source.from_bytes("list.xlsx", data), scope_agency_id=None, apply=True)
    assert outcome.applied and outcome.created == 1


def test_xlsx_numbers_come_as_numbers(app, make, agencies):
    employer = make.employer(agencies[0])
    make.commit()
    data = _xlsx(
        [
            [
                "统一社会信用代码",
                "费款所属期",
                "缴费人数",
                "缴费基数",
                "单位缴费金额",
                "个人缴费金额",
            ],
            [employer.credit_code, 202207, 3, 30000, 2250.5, 600],
        ]
    )
    outcome = run(
        "assessments", Source.from_bytes("a.xlsx", data), scope_agency_id=None, apply=True
    )
    assert outcome.applied, outcome_errors(outcome)
    assert db.session.scalar(select(Assessment.unit_amount)) == Decimal("2250.50")


def test_xlsx_a_month_typed_in_excel_is_a_date_cell_and_counts_as_its_month(app, make, agencies):
    """Issue 28 item 14: Excel stores "2022-07" typed in a cell as the date 2022-07-01; the
    import refused it ("2022-07-01 请按 YYYY-MM 填写"). A date cell is the month it falls in."""
    employer = make.employer(agencies[0])
    make.commit()
    header = [
        "统一社会信用代码",
        "费款所属期",
        "缴费人数",
        "缴费基数",
        "单位缴费金额",
        "个人缴费金额",
    ]
    data = _xlsx(
        [
            header,
            [employer.credit_code, date(2022, 7, 1), 3, 30000, 2250.5, 600],
            [employer.credit_code, datetime(2022, 8, 15, 9, 30), 3, 30000, 2250.5, 600],
        ]
    )
    outcome = run(
        "assessments", Source.from_bytes("a.xlsx", data), scope_agency_id=None, apply=True
    )
    assert outcome.applied, outcome_errors(outcome)
    assert sorted(db.session.scalars(select(Assessment.month))) == ["2022-07", "2022-08"]


@pytest.mark.parametrize(
    "data,code",
    [
        (b"not a zip at all", "not_xlsx"),
        (b"PK\x03\x04" + b"\x00" * 100, "not_xlsx"),
    ],
)
def test_hostile_xlsx_is_refused_in_words(app, agencies, data, code):
    outcome = run("list", Source.from_bytes("x.xlsx", data), scope_agency_id=None, apply=True)
    assert outcome.file_error is not None and outcome.file_error.code == code
    assert outcome_errors(outcome)[0]["message"]


def test_a_zip_bomb_is_refused_before_it_is_expanded(app, agencies):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", b"<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * (50 << 20))
    outcome = run(
        "list", Source.from_bytes("bomb.xlsx", buffer.getvalue()), scope_agency_id=None, apply=False
    )
    assert outcome.file_error.code == "xlsx_too_large"


def test_formula_cells_are_refused(app, agencies):
    data = _xlsx([LIST_HEADER.split(","), ["=1+1", "甲公司", "U1", "LC01", "小型", "是"]])
    outcome = run("list", Source.from_bytes("f.xlsx", data), scope_agency_id=None, apply=False)
    assert outcome.file_error.code == "formula" and outcome.file_error.details["line"] == 2


def test_undecodable_bytes_are_refused_with_their_line(app, agencies):
    data = (LIST_HEADER + "\n").encode() + b"\xff\xfe\xfa,x\n"
    outcome = run("list", Source.from_bytes("bad.csv", data), scope_agency_id=None, apply=False)
    assert outcome.file_error.code == "encoding"


def test_no_header(app, agencies):
    outcome = run("list", Source.from_bytes("e.csv", b"\n\n"), scope_agency_id=None, apply=False)
    assert outcome.file_error.code == "no_header"


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    cell=st.one_of(
        st.text(max_size=40),
        st.sampled_from(["1e700000", "NaN", "Infinity", "-1", "1" * 40, "12.345", "sNaN", "０.５"]),
    )
)
def test_any_amount_cell_is_a_value_or_a_worded_refusal(app, make, cell):
    employer = make.employer()
    make.commit()
    text = cell.replace('"', "").replace("\n", " ").replace("\r", " ")
    data = (
        "统一社会信用代码,费款所属期,缴费人数,缴费基数,单位缴费金额,个人缴费金额\n"
        f'{employer.credit_code},202207,3,30000,"{text}",600\n'
    ).encode()
    outcome = run(
        "assessments", Source.from_bytes("a.csv", data), scope_agency_id=None, apply=False
    )
    for error in outcome_errors(outcome):
        assert error["message"]
    if not outcome.is_refused:
        assert outcome.created == 1
    db.session.rollback()


@given(
    st.text(alphabet="0123456789ABCDEFGHJKLMNPQRTUWXY", min_size=17, max_size=17),
    st.sampled_from("0123456789ABCDEFGHJKLMNPQRTUWXY"),
)
def test_the_fast_credit_code_check_agrees_with_python_stdnum(first17, last):
    from stdnum.cn import uscc

    from portal.features.imports.cells import CellError
    from portal.features.imports.cells import credit_code as check

    code = first17 + last
    try:
        accepted = check(code) == code
    except CellError:
        accepted = False
    canonical = first17[2:8].isdigit()
    assert accepted == (canonical and uscc.calc_check_digit(first17) == last)


def test_a_confirmed_employers_change_is_held_while_the_rest_applies(app, make, tmp_path):
    """Issue 22 item 3: a list row that would move a deferring employer to 大型 does not
    apply that column; the rest of its row and of the file applies, the command exits 0."""
    agency = make.agency(make.region("liaocheng-2022"), code="LC01")
    deferring = make.employer(agency, list_status="not_listed")  # confirmed by its decision
    make.decision(deferring, make.user(employer=deferring))
    free = make.employer(agency, list_status="not_listed")  # not confirmed: applies
    make.commit()
    path = tmp_path / "list.csv"
    path.write_text(
        f"{LIST_HEADER}\n{deferring.credit_code},新名称,U1,LC01,大型,否\n"
        f"{free.credit_code},{free.name},{free.insurance_unit_number},LC01,大型,否\n",
        encoding="utf-8",
    )
    result = _cli(app, "list", str(path), "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert (data["updated"], data["unchanged"], data["applied"]) == (2, 0, True)
    assert data["held"] == [
        {
            "line": 2,
            "credit_code": deferring.credit_code,
            "column": "企业划型",
            "before": "small",
            "after": "large",
        }
    ]
    db.session.expire_all()
    kept, moved = db.session.get(Employer, deferring.id), db.session.get(Employer, free.id)
    assert (kept.name, kept.insurance_unit_number, kept.size_class) == ("新名称", "U1", "small")
    assert moved.size_class == "large"
    assert len(kept.decisions) == 1  # the employer's decision is never undone
    record = db.session.scalars(select(ImportRecord)).one()
    assert record.held == [{**data["held"][0], "column": "size_class"}]
    change = db.session.scalars(select(HeldChange)).one()
    assert (change.import_id, change.employer_id, change.line, change.status) == (
        record.id,
        deferring.id,
        2,
        "pending",
    )
    assert (change.column, change.before, change.after) == ("size_class", "small", "large")
    # The same file again: the pending change is replaced by this file's (not asked twice)
    again = json.loads(_cli(app, "list", str(path), "--json").output)
    assert (again["updated"], again["unchanged"], len(again["held"])) == (0, 2, 1)
    statuses = db.session.scalars(select(HeldChange.status).order_by(HeldChange.id)).all()
    assert statuses == ["superseded", "pending"]
    # A list that agrees with the register again withdraws the pending change
    path.write_text(
        f"{LIST_HEADER}\n{deferring.credit_code},新名称,U1,LC01,小型,否\n", encoding="utf-8"
    )
    withdrawn = json.loads(_cli(app, "list", str(path), "--json").output)
    assert withdrawn["held"] == [] and withdrawn["unchanged"] == 1
    statuses = db.session.scalars(select(HeldChange.status).order_by(HeldChange.id)).all()
    assert statuses == ["superseded", "superseded"]


def test_inner_mongolia_classifications_hold_from_the_agencies_confirmation(app, make):
    """内医保办发〔2022〕19号 三（一）2: confirmed by 2022-07-28, then fixed in principle; before
    that day a change to an employer that does nothing yet applies."""
    agency = make.agency(make.region("inner-mongolia-2022"), code="WH01")
    employer = make.employer(agency, list_status="not_listed", size_class="micro")
    make.commit()
    row = f"{employer.credit_code},{employer.name},{employer.insurance_unit_number},WH01,小型,否"
    app.config["PORTAL_TODAY"] = "2022-08-01"
    after = run("list", _csv(LIST_HEADER, row), scope_agency_id=None, apply=True)
    assert [(h.column, h.before, h.after) for h in after.held] == [("size_class", "micro", "small")]
    assert db.session.get(Employer, employer.id).size_class == "micro"
    app.config["PORTAL_TODAY"] = "2022-07-27"
    before = run("list", _csv(LIST_HEADER, row), scope_agency_id=None, apply=True)
    assert before.held == [] and before.updated == 1
    db.session.expire_all()
    assert db.session.get(Employer, employer.id).size_class == "small"


def test_xml_entities_in_an_xlsx_are_refused(app, agencies):
    data = _xlsx([LIST_HEADER.split(","), ["x"] * 6])
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(buffer, "w") as target:
        for item in source.infolist():
            body = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                body = body.replace(
                    b"<worksheet",
                    b'<!DOCTYPE w [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]><worksheet',
                    1,
                )
            target.writestr(item, body)
    outcome = run(
        "list",
        Source.from_bytes("entities.xlsx", buffer.getvalue()),
        scope_agency_id=None,
        apply=False,
    )
    assert outcome.file_error is not None and outcome.file_error.code == "not_xlsx"


def test_persons_upsert(app, make, agencies):
    employer = make.employer(agencies[0])
    make.commit()
    source = Source.from_bytes(
        "p.csv",
        (
            "统一社会信用代码,个人编号,姓名,费款所属期,单位缴费金额,个人缴费金额\n"
            f"{employer.credit_code},P001,张三,202207,75.00,20.00\n"
            f"{employer.credit_code},P001,张三,202208,75.00,20.00\n"
        ).encode(),
    )
    assert run("persons", source, scope_agency_id=None, apply=True).created == 2
    changed = Source.from_bytes(
        "p.csv",
        (
            "统一社会信用代码,个人编号,姓名,费款所属期,单位缴费金额,个人缴费金额\n"
            f"{employer.credit_code},P001,张三,202207,80.00,20.00\n"
        ).encode(),
    )
    outcome = run("persons", changed, scope_agency_id=None, apply=True)
    assert (outcome.created, outcome.updated) == (0, 1)


def test_too_many_rows_are_refused_before_anything_is_written(app, agencies, monkeypatch):
    import portal.features.imports.operations as operations

    monkeypatch.setattr(operations, "MAX_ROWS", 3)
    rows = [f"{credit_code()},甲{i},U{i},LC01,小型,是" for i in range(5)]
    outcome = run("list", _csv(LIST_HEADER, *rows), scope_agency_id=None, apply=True)
    assert outcome.file_error.code == "too_many_rows" and not outcome.applied
    assert "3" in outcome_errors(outcome)[0]["message"]
    assert _count(Employer) == 0


ASSESSMENT_HEADER = "统一社会信用代码,费款所属期,缴费人数,缴费基数,单位缴费金额,个人缴费金额"


def test_a_blank_required_cell_is_refused_as_blank(app, make, agencies):
    employer = make.employer(agencies[0])
    make.commit()
    source = Source.from_bytes(
        "a.csv", (f"{ASSESSMENT_HEADER}\n{employer.credit_code},,3,30000,2250,600\n").encode()
    )
    outcome = run("assessments", source, scope_agency_id=None, apply=True)
    assert [(p.column, p.code) for p in outcome.problems] == [("费款所属期", "required")]
    assert outcome_errors(outcome)[0]["message"] == "此项必填"
    assert _count(Assessment) == 0


def test_optional_list_columns_absent_or_blank_keep_what_is_stored(app, make, agencies):
    employer = make.employer(
        agencies[0],
        unit_kind="social_group",
        industry="retail",
        is_july_paid=True,
        founded_month="2021-03",
    )
    make.commit()
    header = f"{LIST_HEADER},7月是否已缴费,行业"
    row = f"{employer.credit_code},{employer.name},{employer.insurance_unit_number},LC01,小型,是,,"
    outcome = run("list", _csv(header, row), scope_agency_id=None, apply=True)
    assert outcome.applied and outcome.updated == 0 and outcome.unchanged == 1
    stored = db.session.get(Employer, employer.id)
    assert (stored.unit_kind, stored.industry, stored.is_july_paid, stored.founded_month) == (
        "social_group",
        "retail",
        True,
        "2021-03",
    )


def test_a_new_employer_without_optional_columns_gets_the_defaults(app, agencies):
    code = credit_code(prefix="92")
    assert run(
        "list",
        _csv(LIST_HEADER, f"{code},个体户,U1,LC01,微型,是"),
        scope_agency_id=None,
        apply=True,
    ).applied
    employer = db.session.scalar(select(Employer).where(Employer.credit_code == code))
    assert (employer.unit_kind, employer.is_july_paid) == ("individual_business", False)


def test_an_xlsx_claiming_huge_dimensions_is_read_quickly(app, agencies):
    import time

    data = _xlsx([LIST_HEADER.split(","), [credit_code(), "甲", "U1", "LC01", "小型", "是"]])
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(buffer, "w") as target:
        for item in source.infolist():
            body = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                body = re.sub(
                    rb'<dimension ref="A1:F2" ?/>', b'<dimension ref="A1:XFD20000"/>', body
                )
                assert b"XFD20000" in body
            target.writestr(item, body)
    started = time.perf_counter()
    outcome = run(
        "list", Source.from_bytes("wide.xlsx", buffer.getvalue()), scope_agency_id=None, apply=False
    )
    assert not outcome.is_refused and outcome.created == 1
    assert time.perf_counter() - started < 10  # 46 s before the sheet's dimension was ignored


def test_digits_and_text_from_other_scripts(app, make, agencies):
    employer = make.employer(agencies[0])
    make.commit()
    arabic = Source.from_bytes(
        "a.csv", (f"{ASSESSMENT_HEADER}\n{employer.credit_code},٢٠٢٢٠٨,3,30000,2250,600\n").encode()
    )
    assert run("assessments", arabic, scope_agency_id=None, apply=False).problems[0].code == "month"
    code = credit_code()
    named = _csv(LIST_HEADER, f"{code},聊城（东昌府）商贸有限公司,U1,LC01,小型,是")
    assert run("list", named, scope_agency_id=None, apply=True).applied
    assert (
        db.session.scalar(select(Employer.name).where(Employer.credit_code == code))
        == "聊城（东昌府）商贸有限公司"
    )
    formula = _csv(LIST_HEADER, f'{credit_code()},=HYPERLINK("x"),U2,LC01,小型,是')
    assert run("list", formula, scope_agency_id=None, apply=False).problems[0].code == "formula"


def test_a_repeated_payment_number_is_reported_on_its_column(app, make, agencies):
    employer = make.employer(agencies[0])
    make.commit()
    source = Source.from_bytes(
        "p.csv",
        (
            "统一社会信用代码,缴费日期,费款所属期,缴费类型,缴费金额,缴费流水号\n"
            f"{employer.credit_code},20221010,2022-07,单位,1.00,T1\n"
            f"{employer.credit_code},20221011,2022-07,单位,2.00,T1\n"
        ).encode(),
    )
    problem = run("payments", source, scope_agency_id=None, apply=False).problems[0]
    assert (problem.line, problem.column, problem.code) == (3, "缴费流水号", "duplicate")


def test_grouped_amounts_only_in_groups_of_three(app, make, agencies):
    from portal.features.imports.cells import CellError, amount

    assert amount("30,000.50") == Decimal("30000.50")
    with pytest.raises(CellError):
        amount("1,2,3")
