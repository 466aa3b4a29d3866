"""Policy files: every value cited, loading validated; `flask rules` on a bare app."""

from __future__ import annotations

import json
import shutil
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from flask import Flask

from portal import rules
from portal.cli.rules import rules_cli
from portal.rules.policy import RULES_DIR, parse_program


@pytest.fixture
def runner():
    app = Flask(__name__)
    app.cli.add_command(rules_cli)
    return app.test_cli_runner()


@pytest.fixture
def policy_copy(tmp_path: Path) -> Path:
    for sub in ("programs", "data"):
        shutil.copytree(RULES_DIR / sub, tmp_path / sub)
    return tmp_path


def test_all_programs_load_and_every_value_has_a_ref() -> None:
    assert rules.program_ids() == sorted(
        [
            "shandong-2022",
            "liaocheng-2022",
            "jiangsu-2022",
            "inner-mongolia-2022",
            "linyi-2020",
            "wuxi-2020",
        ]
    )
    for program_id in rules.program_ids():
        program = rules.load_program(program_id)
        params = program.all_params()
        assert params
        for key, param in params.items():
            assert param.ref.strip(), f"{program_id} {key}"
        for name, reading in program.readings.items():
            assert reading.explanation, f"{program_id} readings.{name}"
        assert program.late_fee.daily_rate.value == Decimal("0.0005")
        assert program.late_fee.daily_rate.ref == "社会保险法 第八十六条"


def test_loading_is_cached() -> None:
    assert rules.load_program("shandong-2022") is rules.load_program("shandong-2022")


def test_unknown_program() -> None:
    with pytest.raises(rules.UnknownProgram, match="shandong-2022"):
        rules.load_program("beijing-2022")


def test_shipped_files_pass(runner) -> None:
    result = runner.invoke(args=["rules", "check"])
    assert result.exit_code == 0, result.output
    assert "0 problem(s)" in result.output


def _break(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.mark.parametrize(
    ("file", "old", "new", "key", "problem"),
    [
        (
            "programs/shandong-2022.yaml",
            "deadline: {value: 2022-10-31,",
            "deadline: {value: 2022-13-31,",
            "periods.07-09.deadline.value",
            "date",
        ),
        (
            "data/national.yaml",
            'daily_rate: {value: "0.0005"',
            "daily_rate: {value: 0.0005",
            "late_fee.daily_rate.value",
            "quotes",
        ),
        (
            "programs/linyi-2020.yaml",
            "max_months: {value: 6, ref: ",
            "max_months: {value: 6, rf: ",
            "deferral.max_months.rf",
            "unexpected key",
        ),
        (
            "programs/wuxi-2020.yaml",
            "  preferred: {value: refund,",
            "  preferred: {value: cash,",
            "over_collection.preferred.value",
            "one of",
        ),
        (
            "data/classification.yaml",
            "sme_below_any: {employees: 300}",
            "sme_below_any: {staff: 300}",
            "industries.other.sme_below_any.staff",
            "unexpected key",
        ),
        (
            "data/gbt4754.yaml",
            "industry: postal,",
            "industry: posts,",
            "division_rules[8].industry",
            "not an industry key",
        ),
    ],
)
def test_check_names_file_and_key_on_a_broken_copy(
    runner, policy_copy, file, old, new, key, problem
) -> None:
    _break(policy_copy / file, old, new)
    result = runner.invoke(args=["rules", "check", "--path", str(policy_copy)])
    assert result.exit_code == 1
    assert Path(file).name in result.output and key in result.output, result.output
    assert problem in result.output
    json_result = runner.invoke(args=["rules", "check", "--path", str(policy_copy), "--json"])
    data = json.loads(json_result.output)
    assert not data["ok"] and data["errors"][0]["key"] == key


def test_missing_key_is_a_policy_error_not_a_key_error(policy_copy) -> None:
    path = policy_copy / "programs" / "shandong-2022.yaml"
    _break(path, "review_working_days: {value: 3, ref: 鲁医保发〔2022〕21号 四}\n", "")
    with pytest.raises(rules.PolicyError) as info:
        parse_program(path)
    assert info.value.file == "shandong-2022.yaml"
    assert info.value.key == "review_working_days" and "missing" in info.value.problem


def test_a_deferral_window_without_end_needs_a_last_start_month(policy_copy) -> None:
    path = policy_copy / "programs" / "linyi-2020.yaml"
    text = path.read_text(encoding="utf-8")
    start = text.index("  last_start_month:\n")
    end = text.index("  applications_until:\n")
    path.write_text(text[:start] + text[end:], encoding="utf-8")
    with pytest.raises(rules.PolicyError) as info:
        parse_program(path)
    assert info.value.key == "deferral.last_start_month" and "missing" in info.value.problem


def test_an_unknown_application_document_is_refused(policy_copy) -> None:
    path = policy_copy / "programs" / "jiangsu-2022.yaml"
    _break(path, "value: [signed_commitment_letter]", "value: [business_licence]")
    with pytest.raises(rules.PolicyError) as info:
        parse_program(path)
    assert info.value.key == "application_documents.value[0]"


def test_reading_without_explanation_is_refused(policy_copy) -> None:
    path = policy_copy / "programs" / "shandong-2022.yaml"
    _break(
        path,
        "    explanation: A new business defers three months from its first insured "
        "month (DOMAIN §5.1 reading).\n",
        "",
    )
    with pytest.raises(rules.PolicyError, match=r"readings\.new_business_months\.explanation"):
        parse_program(path)


def test_invalid_yaml_is_reported_with_the_line(policy_copy) -> None:
    path = policy_copy / "programs" / "wuxi-2020.yaml"
    path.write_text("id: [unclosed\n", encoding="utf-8")
    with pytest.raises(rules.PolicyError, match="wuxi-2020.yaml.*line"):
        parse_program(path)


def test_cli_classify(runner) -> None:
    result = runner.invoke(
        args=["rules", "classify", "industry", "--employees", "18", "--revenue", "350", "--json"]
    )
    data = json.loads(result.output)
    assert data["size"] == "micro" and data["clause"].endswith("第四条（二）")
    text = runner.invoke(
        args=["rules", "classify", "C1311", "--employees", "300", "--revenue", "2000"]
    )
    assert text.output.startswith("medium")


def test_cli_quote_worked_example(runner) -> None:
    result = runner.invoke(
        args=[
            "rules",
            "quote",
            "shandong-2022",
            "--month-amount",
            "2022-07=3000",
            "--month-amount",
            "2022-08=3000",
            "--month-amount",
            "2022-09=4000",
            "--payment",
            "2022-11-10=10000",
            "--as-of",
            "2022-11-10",
            "--json",
        ]
    )
    data = json.loads(result.output)
    assert data["late_fee"] == "205.00" and data["deadline"] == "2022-10-31"
    result = runner.invoke(
        args=[
            "rules",
            "quote",
            "shandong-2022",
            "--monthly-amount",
            "1000",
            "--as-of",
            "2022-11-10",
            "--what-if",
            "2022-11-20",
        ]
    )
    assert "late fee 76.50" in result.output  # 3000 x 0.0005 x 51 days


def test_cli_quote_error_is_readable(runner) -> None:
    result = runner.invoke(
        args=["rules", "quote", "shandong-2022", "--monthly-amount", "-5", "--as-of", "2022-11-10"]
    )
    assert result.exit_code == 1 and "negative" in result.output


def test_what_if_refuses_a_past_date() -> None:
    quote = rules.catchup_quote(
        "shandong-2022", monthly_unit_amount=Decimal(100), as_of=date(2022, 11, 10)
    )
    with pytest.raises(rules.InvalidInput):
        quote.what_if(date(2022, 11, 1))


def test_month_outside_the_program_is_refused() -> None:
    with pytest.raises(rules.InvalidInput) as info:
        rules.catchup_quote(
            "shandong-2022", monthly_unit_amount={"2022-10": Decimal(1)}, as_of=date(2022, 11, 10)
        )
    assert info.value.code == "month_outside_program"


def test_rounding_happens_once() -> None:
    # 3 x 0.333 = 0.999 principal; 41 days -> 0.0204795 -> 0.02 (not 3 x 0.01).
    quote = rules.catchup_quote(
        "shandong-2022", monthly_unit_amount=Decimal("0.333"), as_of=date(2022, 11, 10)
    )
    assert quote.late_fee == Decimal("0.02")
