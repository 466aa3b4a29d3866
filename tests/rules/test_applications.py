"""What an application must carry and how long its review takes (portal/rules/applications.py)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal import rules
from portal.rules import Param

PROGRAMS = rules.program_ids()
COMMITMENT_PROGRAMS = [p for p in PROGRAMS if rules.load_program(p).kind == "deferral"]
DEFERRAL_2020_PROGRAMS = [p for p in PROGRAMS if rules.load_program(p).kind == "reduction"]


@pytest.mark.parametrize(
    ("program_id", "days", "clause"),
    [
        ("shandong-2022", 3, "鲁医保发〔2022〕21号 四"),
        ("liaocheng-2022", 3, "鲁医保发〔2022〕21号 四"),
        ("linyi-2020", 3, "临医保发〔2020〕28号 操作细则 二（二）2"),  # a reading: 随时
        ("wuxi-2020", 3, "锡医保服务〔2020〕11号 三（一）"),  # a reading: none set
    ],
)
def test_the_review_time_of_each_route(program_id: str, days: int, clause: str) -> None:
    program = rules.load_program(program_id)
    assert rules.review_working_days(program) == days
    param = program.review_working_days or program.deferral.review_working_days
    assert param.ref.startswith(clause)


@given(
    program_id=st.sampled_from(PROGRAMS),
    commitment_days=st.none() | st.integers(min_value=1, max_value=30),
    deferral_days=st.none() | st.integers(min_value=1, max_value=30),
)
def test_the_commitment_review_time_comes_first_then_the_2020_deferral_s(
    program_id: str, commitment_days: int | None, deferral_days: int | None
) -> None:
    program = rules.load_program(program_id)
    deferral = program.deferral
    if deferral is not None:
        deferral = replace(
            deferral,
            review_working_days=None if deferral_days is None else Param(deferral_days, "x"),
        )
    program = replace(
        program,
        review_working_days=None if commitment_days is None else Param(commitment_days, "x"),
        deferral=deferral,
    )
    days = rules.review_working_days(program)
    if commitment_days is not None:
        assert days == commitment_days
    elif deferral is not None and deferral_days is not None:
        assert days == deferral_days
    else:
        assert days is None


@pytest.mark.parametrize(
    ("program_id", "keys", "document"),
    [
        # 四: 携带相关证明材料和承诺书 (issue 28 item 10)
        (
            "shandong-2022",
            ("signed_commitment_letter", "supporting_evidence"),
            "鲁医保发〔2022〕21号 四",
        ),
        (
            "liaocheng-2022",
            ("signed_commitment_letter", "supporting_evidence"),
            "鲁医保发〔2022〕21号 四",
        ),
        ("jiangsu-2022", ("signed_commitment_letter",), "江苏省实施方案（2022） 三（一）"),
        ("inner-mongolia-2022", ("signed_commitment_letter",), "内医保办发〔2022〕19号 三（一）3"),
        ("linyi-2020", ("uploaded_letter",), "临医保发〔2020〕28号 操作细则 二（二）1"),
        ("wuxi-2020", ("uploaded_letter",), "锡医保服务〔2020〕11号 三（一）"),
    ],
)
def test_each_program_asks_for_its_documents_with_their_clause(
    program_id: str, keys: tuple[str, ...], document: str
) -> None:
    required = rules.required_documents(rules.load_program(program_id))
    assert [(d.key, d.ref.startswith(document)) for d in required] == [(k, True) for k in keys]


@given(
    program_id=st.sampled_from(PROGRAMS),
    is_signed=st.booleans(),
    uploaded_files=st.integers(min_value=0, max_value=5),
)
def test_a_document_is_missing_exactly_when_it_is_required_and_not_carried(
    program_id: str, is_signed: bool, uploaded_files: int
) -> None:
    program = rules.load_program(program_id)
    missing = rules.missing_documents(program, is_signed=is_signed, uploaded_files=uploaded_files)
    carried = {
        "signed_commitment_letter": is_signed,
        "supporting_evidence": uploaded_files > 0,
        "uploaded_letter": uploaded_files > 0,
    }
    assert set(missing) <= set(rules.required_documents(program))
    assert all(not carried[d.key] for d in missing)
    assert all(carried[d.key] for d in rules.required_documents(program) if d not in missing)
    # the commitment route asks for the signature, and in Shandong for evidence too (鲁21 四);
    # the 2020 route for files only
    if program_id in ("shandong-2022", "liaocheng-2022"):
        assert bool(missing) is not (is_signed and uploaded_files > 0)
    elif program_id in COMMITMENT_PROGRAMS:
        assert bool(missing) is not is_signed
    else:
        assert bool(missing) is (uploaded_files == 0)


@given(program_id=st.sampled_from(PROGRAMS), is_signed=st.booleans())
def test_carrying_more_never_makes_a_document_missing(program_id: str, is_signed: bool) -> None:
    program = rules.load_program(program_id)
    before = rules.missing_documents(program, is_signed=is_signed, uploaded_files=0)
    after = rules.missing_documents(program, is_signed=True, uploaded_files=1)
    assert set(after) <= set(before)
    assert after == ()
