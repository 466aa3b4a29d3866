"""When a classification is confirmed, and what changing it does (内19 三（一）2)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from portal import rules
from portal.rules.confirmation import (
    ConfirmationFacts,
    change_effect,
    classification_confirmed,
    confirmation_clause,
    confirmation_rule,
    with_change,
)
from portal.rules.standing import AssessmentFact, EmployerFacts, PaymentFact, standing

NOTHING = ConfirmationFacts(is_listed=False, is_eligible=False, decision=None)
CONFIRMS = "内医保办发〔2022〕19号 三（一）2"


@pytest.mark.parametrize("program_id", rules.program_ids())
def test_every_program_says_what_confirms_a_classification(program_id: str) -> None:
    rule = confirmation_rule(rules.load_program(program_id))
    assert rule.when and rule.ref and rule.explanation
    assert "agency_decision" in rule.when  # a decided change is the agency's confirmation


@pytest.mark.parametrize(
    ("facts", "code"),
    [
        (NOTHING, None),
        (ConfirmationFacts(True, True, None), "listed_not_opted_out"),  # 免申即享
        (ConfirmationFacts(True, True, "opt_out"), None),
        (ConfirmationFacts(True, False, None), None),  # listed, not eligible: not deferring
        (ConfirmationFacts(False, False, "defer"), "decided_defer"),
        (
            ConfirmationFacts(True, True, "opt_out", has_approved_application=True),
            "approved_application",
        ),
        (ConfirmationFacts(False, False, "opt_out", has_agency_decision=True), "agency_decision"),
    ],
)
def test_2022_programs_confirm_once_the_employer_defers(facts, code) -> None:
    for program_id in ("shandong-2022", "liaocheng-2022", "jiangsu-2022", "inner-mongolia-2022"):
        found = classification_confirmed(rules.load_program(program_id), facts, date(2022, 7, 27))
        assert (found.code if found else None) == code, program_id
        if found is not None:
            assert CONFIRMS in found.ref


def test_inner_mongolia_confirms_every_classification_from_2022_07_28() -> None:
    program = rules.load_program("inner-mongolia-2022")
    assert classification_confirmed(program, NOTHING, date(2022, 7, 27)) is None
    for on in (date(2022, 7, 28), date(2022, 8, 1)):
        found = classification_confirmed(program, NOTHING, on)
        assert found is not None and found.code == "confirmed_by"
        assert found.ref.startswith(CONFIRMS) and "2022年7月28日" in found.ref
    assert "2022年7月28日" in confirmation_clause(program, date(2022, 8, 1))
    assert (
        classification_confirmed(rules.load_program("shandong-2022"), NOTHING, date(2023, 1, 1))
        is None
    )


def test_2020_classifications_stay_open_to_correction() -> None:
    """鲁医保发〔2020〕23号 三: 按最终确认单位类型…多退少补."""
    deferring = ConfirmationFacts(True, True, "defer")
    for program_id in ("linyi-2020", "wuxi-2020"):
        program = rules.load_program(program_id)
        assert classification_confirmed(program, deferring, date(2020, 5, 1)) is None
        decided = ConfirmationFacts(False, False, None, has_agency_decision=True)
        assert classification_confirmed(program, decided, date(2020, 5, 1)) is not None


def _deferring(**facts) -> object:
    program = rules.load_program("shandong-2022")
    base = EmployerFacts(
        employer_id=1,
        program_id=program.id,
        credit_code="91370100000000025X",
        unit_kind="enterprise",
        size_class="small",
        is_listed=True,
        fund_reserve_months=Decimal(12),
    )
    assessments = [
        AssessmentFact("2022-07", Decimal("2250.00")),
        AssessmentFact("2022-08", Decimal("2250.00")),
    ]
    payments = [PaymentFact(date(2022, 9, 1), Decimal("1000.00"))]
    return standing(program, base, None, assessments, payments, date(2022, 9, 10))


def test_a_change_to_large_ends_the_deferral_with_what_is_due_by_the_deadline() -> None:
    before = _deferring()
    effect = change_effect(before, with_change(before, "size_class", "large"))
    assert effect.code == "ends" and [code for code, _ref in effect.reasons] == ["large_enterprise"]
    due = effect.due
    assert due is not None
    # 07..09 up to September: July and August assessed, September not yet; less what is paid
    assert due.months == ["2022-07", "2022-08", "2022-09"] and due.not_assessed == ["2022-09"]
    assert due.amount == Decimal("3500.00")
    assert due.deadline == date(2022, 10, 31) and due.late_fee_from == date(2022, 10, 1)
    assert "鲁医保发〔2022〕21号 二" in due.ref and due.reading_ref.startswith("portal's choice")


def test_changes_that_keep_or_start_the_deferral() -> None:
    before = _deferring()
    assert change_effect(before, with_change(before, "size_class", "micro")).code == "none"
    off = with_change(before, "list_status", "not_listed")
    ended = change_effect(before, off)
    assert ended.code == "ends" and ("not_listed", "") in ended.reasons
    started = change_effect(off, before)
    assert (started.code, started.period_start, started.period_end) == (
        "starts",
        "2022-07",
        "2022-09",
    )
    arrears = change_effect(before, with_change(before, "has_arrears", "true"))
    assert arrears.code == "ends" and arrears.reasons[0][0] == "arrears"  # 鲁21 一: cleared first
