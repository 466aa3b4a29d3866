"""The list's facts about arrears, deregistration and the refund account: read, refused in words,
checked together (in the row and against the stored values its blank cells keep), and read by
the rules (鲁医保发〔2022〕21号 一 arrears, 五 deregistration)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from portal.core.extensions import db
from portal.facts.standing import employer_standing
from portal.features.imports import cells
from portal.features.imports.cells import CellError
from portal.features.imports.operations import run
from portal.features.imports.presenting import outcome_errors
from portal.features.imports.reader import Source
from portal.features.reminders.queries import due_reminders
from portal.models import Employer
from portal.rules.employer_facts import FACTS, incoherences
from tests.conftest import sign_in
from tests.factories import credit_code

HEAD = "统一社会信用代码,单位名称,医保单位编号,医保经办机构代码,企业划型,是否纳入缓缴名单"
FACTS_HEAD = (
    f"{HEAD},成立年月,参保年月,7月是否已缴费,是否中断缴费,欠费所属期止,注销日期,退费开户行,退费账号"
)


@pytest.fixture
def agency(make):
    agency = make.agency(make.region("shandong-2022"), code="SD01")
    make.commit()
    return agency


def _import(*lines: str, apply: bool = True):
    source = Source.from_bytes("list.csv", ("\n".join(lines) + "\n").encode())
    return run("list", source, scope_agency_id=None, apply=apply)


def _employer(code: str) -> Employer:
    db.session.expire_all()
    return db.session.scalar(select(Employer).where(Employer.credit_code == code))


def _errors(outcome) -> dict[tuple[int, str], str]:
    return {(e["line"], e["column"]): e["message"] for e in outcome_errors(outcome)}


def test_a_good_file_sets_the_facts_a_blank_keeps_them_and_no_arrears_clears_the_month(app, agency):
    code = credit_code()
    first = _import(
        FACTS_HEAD,
        f"{code},甲公司,U1,SD01,小型,是,2021-03,2021-04,否,是,2022-05,2023-01-31,"
        "中国工商银行聊城分行,6222 0000 1111 2222 333",
    )
    assert first.applied and first.created == 1, outcome_errors(first)
    employer = _employer(code)
    assert (employer.has_arrears, employer.arrears_until, employer.deregistered_on) == (
        True,
        "2022-05",
        date(2023, 1, 31),
    )
    assert (employer.refund_bank, employer.refund_account) == (
        "中国工商银行聊城分行",
        "6222000011112222333",
    )
    assert not employer.is_deregistering  # the date is the fact (rules.standing.deregistering)
    # English aliases, every new cell blank: nothing changes.
    aliases = "credit_code,name,insurance_unit_number,agency_code,size_class,on_list"
    blank = _import(
        f"{aliases},has_arrears,arrears_until,deregistered_on,refund_bank,refund_account",
        f"{code},甲公司,U1,SD01,小型,是,,,,,",
    )
    assert (blank.updated, blank.unchanged) == (0, 1), outcome_errors(blank)
    # No longer in arrears: the month in arrears goes with it; the rest stays.
    cleared = _import(f"{HEAD},是否中断缴费", f"{code},甲公司,U1,SD01,小型,是,否")
    assert cleared.applied and cleared.updated == 1, outcome_errors(cleared)
    employer = _employer(code)
    assert (employer.has_arrears, employer.arrears_until) == (False, None)
    assert employer.deregistered_on == date(2023, 1, 31)
    assert employer.refund_account == "6222000011112222333"


def test_each_new_columns_bad_values_are_refused_in_words(app, agency):
    bad = {
        "是否中断缴费": ("也许", "请填写“是”或“否”"),
        "欠费所属期止": ("2022-13", "YYYY-MM"),
        "注销日期": ("2023-02-30", "YYYY-MM-DD"),
        "退费开户行": ("=HYPERLINK(1)", "公式"),
        "退费账号": ("6222-0000-1111", "数字"),
    }
    more = {
        "注销日期": ("1999-12-31", "2000"),
        "退费账号": ("1234 567", "8 至 30 位"),
        "退费开户行": ("行" * 101, "100"),
    }
    columns = FACTS_HEAD.split(",")
    lines = [FACTS_HEAD]
    expected = {}
    for n, (column, (value, words)) in enumerate([*bad.items(), *more.items()]):
        row = [
            credit_code(),
            f"公司{n}",
            f"U{n}",
            "SD01",
            "小型",
            "是",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
        ]
        row[columns.index(column)] = value
        lines.append(",".join(row))
        expected[(len(lines), column)] = words
    outcome = _import(*lines)
    assert not outcome.applied
    errors = _errors(outcome)
    assert set(errors) == set(expected)
    for key, words in expected.items():
        assert words in errors[key], (key, errors[key])


def test_incoherent_rows_are_refused_with_the_fact_to_correct(app, agency):
    rows = {
        # founded after July, July paid: the 08–10 for an August business
        ("2022-08", "2022-08", "是", "", "", ""): ("7月是否已缴费", "成立年月为 2022-08"),
        ("2022-01", "2022-09", "是", "", "", ""): ("7月是否已缴费", "参保年月为 2022-09"),
        ("2022-05", "2022-03", "", "", "", ""): ("成立年月", "成立年月晚于参保年月（2022-03）"),
        ("2022-01", "", "", "", "", "2021-12-31"): ("注销日期", "注销日期早于成立年月"),
        ("", "", "", "否", "2022-05", ""): ("欠费所属期止", "是否中断缴费须为“是”"),
    }
    lines = [FACTS_HEAD]
    expected = {}
    for n, (facts, (column, words)) in enumerate(rows.items()):
        founded, first, july, arrears, until, gone = facts
        lines.append(
            f"{credit_code()},公司{n},U{n},SD01,小型,是,{founded},{first},{july},{arrears},"
            f"{until},{gone},,"
        )
        expected[(len(lines), column)] = words
    lines.append(
        f"{credit_code()},好公司,U9,SD01,小型,是,2022-07,2022-07,是,是,2022-05,2022-12-01,,"
    )
    outcome = _import(*lines)
    errors = _errors(outcome)
    assert set(errors) == set(expected) and outcome.refused_rows == len(rows)
    for key, words in expected.items():
        assert words in errors[key], (key, errors[key])
    assert _employer(lines[-1].split(",")[0]) is None  # refused whole


def test_a_row_is_checked_against_the_stored_facts_its_blank_cells_keep(app, agency):
    code, legacy = credit_code(), credit_code()
    assert _import(
        f"{HEAD},成立年月,是否中断缴费",
        f"{code},甲公司,U1,SD01,小型,是,2022-08,否",
        f"{legacy},乙公司,U2,SD01,小型,是,2022-08,否",
    ).applied
    # Stored before the checks existed: founded in August with July paid.
    db.session.execute(
        Employer.__table__.update().where(Employer.credit_code == legacy).values(is_july_paid=True)
    )
    db.session.commit()
    outcome = _import(
        f"{HEAD},7月是否已缴费,欠费所属期止,参保年月",
        f"{code},甲公司,U1,SD01,小型,是,是,2022-05,",
        # Changes only its unit number: the stored disagreement is not this row's.
        f"{legacy},乙公司,U2-new,SD01,小型,是,,,",
    )
    errors = _errors(outcome)
    assert set(errors) == {(2, "7月是否已缴费"), (2, "欠费所属期止")}
    assert "成立年月为 2022-08" in errors[2, "7月是否已缴费"]
    assert "已存储的值" in errors[2, "7月是否已缴费"]
    assert "是否中断缴费须为“是”" in errors[2, "欠费所属期止"]
    assert not outcome.applied and _employer(legacy).insurance_unit_number == "U2"
    # The row giving both facts anew is read as a whole, and applies.
    fixed = _import(f"{HEAD},7月是否已缴费,成立年月", f"{code},甲公司,U1,SD01,小型,是,是,2022-06")
    assert fixed.applied, outcome_errors(fixed)


def test_every_incoherence_and_new_cell_code_has_words_in_both_languages(app):
    from flask_babel import force_locale

    from portal.labels import error_message

    codes = [*FACTS, "day_range", "account", "account_length"]
    for code in codes:
        for locale in ("zh", "en"):
            with app.test_request_context(), force_locale(locale):
                words = error_message(CellError(code, month="2022-08", first=2000, last=2099))
                assert words and "{" not in words and "%(" not in words, (code, words)


@given(st.text(alphabet="0123456789 \u3000１２-a", max_size=40))
def test_an_account_cell_is_its_digits_or_a_worded_refusal(text):
    try:
        digits = cells.account(text)
    except CellError as error:
        assert error.code in {"required", "account", "account_length"}
    else:
        assert digits.isdigit() and digits.isascii() and 8 <= len(digits) <= 30
        folded = text.replace("\u3000", " ").replace("１", "1").replace("２", "2")
        assert digits == folded.replace(" ", "")


@given(
    founded=st.one_of(st.none(), st.sampled_from(["2021-12", "2022-07", "2022-08", "2022-09"])),
    first=st.one_of(st.none(), st.sampled_from(["2022-06", "2022-07", "2022-08"])),
    july=st.one_of(st.none(), st.booleans()),
    arrears=st.one_of(st.none(), st.booleans()),
    until=st.one_of(st.none(), st.just("2022-05")),
    gone=st.one_of(st.none(), st.dates(date(2021, 1, 1), date(2023, 12, 31))),
)
def test_an_unknown_fact_agrees_with_everything(founded, first, july, arrears, until, gone):
    facts = {
        "founded_month": founded,
        "first_insured_month": first,
        "july_paid": july,
        "has_arrears": arrears,
        "arrears_until": until,
        "deregistered_on": gone,
    }
    for incoherence in incoherences(**facts):
        assert incoherence.field == incoherence.facts[0]
        assert all(facts[fact] is not None for fact in incoherence.facts)
        assert incoherence.code in FACTS


# -- the rules read the new facts


def test_an_employer_in_arrears_does_not_defer_in_shandong_until_cleared(app, agency):
    code = credit_code()
    assert _import(f"{HEAD},是否中断缴费", f"{code},甲公司,U1,SD01,小型,是,是").applied
    standing = employer_standing(_employer(code), date(2022, 8, 1))
    assert not standing.is_deferred
    assert "arrears" in {reason for reason, _words in standing.eligibility.reasons}
    assert _import(f"{HEAD},是否中断缴费", f"{code},甲公司,U1,SD01,小型,是,否").applied
    standing = employer_standing(_employer(code), date(2022, 8, 1))
    assert standing.is_deferred and standing.period.months == ["2022-07", "2022-08", "2022-09"]


def test_a_deregistered_employer_owes_its_months_up_to_the_deregistration(app, make, client):
    region = make.region(
        "liaocheng-2022", unit_medical_rate=Decimal("0.06"), maternity_rate=Decimal("0.01")
    )
    make.agency(region, code="LC01")
    make.commit()
    code = credit_code()
    assert _import(f"{HEAD},注销日期", f"{code},甲公司,U1,LC01,小型,是,2022-08-20").applied
    employer = _employer(code)
    employer.contribution_base_amount = Decimal("10000")  # ¥700 a month
    owner = make.user(
        employer=employer,
        email="o@example.com",
        email_confirmed_at=datetime(2022, 7, 1, tzinfo=UTC),
    )
    make.commit()
    # Before the date: deferred, and the months up to it due before then.
    app.config["PORTAL_TODAY"] = "2022-08-01"
    settlement = employer_standing(employer, date(2022, 8, 1)).deregistration
    assert settlement.months == ["2022-07", "2022-08"] and settlement.amount == Decimal("1400.00")
    sign_in(client, owner)
    page = client.get(f"/e/{employer.id}/amounts/").get_data(as_text=True)
    assert "2022年8月20日" in page and "2022-07–2022-08" in page and "¥1,400.00" in page
    # Once it has come: the deferral lapses and the same months are due (rules: lapse), which
    # the catch-up reminder says, though nobody set is_deregistering.
    on = date(2022, 10, 1)
    standing = employer_standing(employer, on)
    assert not standing.is_deferred and standing.lapse.months == ["2022-07", "2022-08"]
    assert standing.lapse.due_on == date(2022, 8, 20)
    (due,) = [d for d in due_reminders(on) if d.employer_id == employer.id]
    assert due.context["lapsed"] and due.context["outstanding"] == Decimal("1400.00")
