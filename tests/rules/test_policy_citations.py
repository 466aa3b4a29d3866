"""Policy values cite what their clause says, and say so where the portal chose (issue 28
item 10)."""

from __future__ import annotations

import pytest

from portal import rules

PORTALS_CHOICE = "portal's choice"


@pytest.mark.parametrize("program_id", ["jiangsu-2022", "inner-mongolia-2022"])
def test_no_review_time_is_cited_where_the_text_sets_none(program_id: str) -> None:
    """江苏省实施方案 三（一） and 内医保办发〔2022〕19号 三（一）3 ask for a written commitment and
    set no review time; only 鲁医保发〔2022〕21号 四 says 3个工作日."""
    review = rules.load_program(program_id).review_working_days
    assert review is not None  # the review queue's clock (a reading)
    assert review.ref.startswith(PORTALS_CHOICE) and review.explanation
    assert "鲁医保发〔2022〕21号 四" in review.ref


@pytest.mark.parametrize("program_id", ["shandong-2022", "liaocheng-2022"])
def test_shandong_review_time_and_evidence_come_from_its_clause(program_id: str) -> None:
    program = rules.load_program(program_id)
    assert program.review_working_days.value == 3
    assert program.review_working_days.ref.startswith("鲁医保发〔2022〕21号 四")
    documents = program.application_documents
    assert "supporting_evidence" in documents.value and "携带相关证明材料和承诺书" in documents.ref


@pytest.mark.parametrize(
    ("program_id", "clause"),
    [
        ("jiangsu-2022", "江苏省实施方案（2022） 三（一）"),
        ("inner-mongolia-2022", "内医保办发〔2022〕19号 三（一）3"),
    ],
)
def test_jiangsu_and_inner_mongolia_ask_only_for_the_written_commitment(
    program_id: str, clause: str
) -> None:
    documents = rules.load_program(program_id).application_documents
    assert documents.value == ("signed_commitment_letter",) and documents.ref.startswith(clause)


@pytest.mark.parametrize("program_id", ["shandong-2022", "liaocheng-2022"])
def test_reminder_days_are_the_portals_choice_in_shandong(program_id: str) -> None:
    """Neither 鲁医保发〔2022〕21号 二 nor 聊医保发〔2022〕39号 一 asks for reminders."""
    days = rules.load_program(program_id).reading("reminder_days_before_deadline")
    assert days.ref == "portal's choice; the text sets none" and days.explanation


def test_inner_mongolia_reminders_ask_for_funds_to_be_ready() -> None:
    """内医保办发〔2022〕19号 六（二）; 乌医保办发〔2022〕45号 二: 提醒缴费企业备足资金."""
    funds = rules.load_program("inner-mongolia-2022").reminder_funds_ready
    assert funds.value is True
    assert "六（二）" in funds.ref and "乌医保办发〔2022〕45号 二" in funds.ref
    for other in ("shandong-2022", "liaocheng-2022", "jiangsu-2022"):
        assert rules.load_program(other).reminder_funds_ready is None
