"""What a commitment application carries and what the pages say of its review (issue 28 item
10): 鲁医保发〔2022〕21号 四 asks for 相关证明材料和承诺书 and sets 3个工作日; 江苏省实施方案
（2022） 三（一） and 内医保办发〔2022〕19号 三（一）3 ask for the written commitment only and set
no review time."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal import rules
from portal.core.extensions import db
from portal.models import CommitmentApplication
from tests.applications.helpers import (
    PNG,
    base,
    english,
    sign,
    soup,
    submit,
    text_of,
    upload,
    walk_to_sign,
)
from tests.conftest import sign_in

REVIEW_AS_LAW = "reviews it within 3 working days"


def _application(employer) -> CommitmentApplication:
    db.session.expire_all()
    return db.session.scalars(
        select(CommitmentApplication).where(CommitmentApplication.employer_id == employer.id)
    ).one()


@pytest.mark.parametrize(
    ("program_id", "keys"),
    [
        ("shandong-2022", ("signed_commitment_letter", "supporting_evidence")),
        ("liaocheng-2022", ("signed_commitment_letter", "supporting_evidence")),
        ("jiangsu-2022", ("signed_commitment_letter",)),
        ("inner-mongolia-2022", ("signed_commitment_letter",)),
    ],
)
def test_the_rule_asks_for_evidence_only_where_the_text_does(program_id, keys):
    program = rules.load_program(program_id)
    documents = rules.required_documents(program)
    assert tuple(d.key for d in documents) == keys
    if "supporting_evidence" in keys:
        assert "携带相关证明材料和承诺书" in documents[1].ref
        missing = rules.missing_documents(program, is_signed=True, uploaded_files=0)
        assert [d.key for d in missing] == ["supporting_evidence"]
    assert rules.missing_documents(program, is_signed=True, uploaded_files=1) == ()


@pytest.mark.parametrize(
    ("program_id", "is_law"),
    [
        ("shandong-2022", True),
        ("liaocheng-2022", True),
        ("jiangsu-2022", False),
        ("inner-mongolia-2022", False),
    ],
)
def test_only_shandongs_review_time_is_set_by_its_text(program_id, is_law):
    assert rules.review_time_is_set_by_text(rules.load_program(program_id)) is is_law


def test_a_liaocheng_application_without_evidence_is_refused_with_what_to_upload(
    client, people, fast_letters
):
    employer = people["employer"]
    sign_in(client, people["owner"])
    english(client)
    walk_to_sign(client, employer)
    sign(client, employer)
    check = soup(client.get(f"{base(employer)}/check"))
    assert "supporting evidence" in check.select_one(".missing-evidence").get_text()
    response = submit(client, employer)
    assert response.location.endswith("/evidence")
    page = text_of(client.get(response.location))
    assert "Upload the supporting evidence (相关证明材料)" in page
    assert "鲁医保发〔2022〕21号 四" in page
    assert _application(employer).status == "draft"
    upload(client, employer, ("payroll.png", PNG))
    submit(client, employer)
    assert _application(employer).status == "submitted"


@pytest.mark.parametrize("program_id", ["jiangsu-2022", "inner-mongolia-2022"])
def test_no_review_time_is_stated_as_law_where_the_text_sets_none(
    client, make, program_id, fast_letters
):
    agency = make.agency(make.region(program_id, province="江苏省"))
    employer = make.employer(
        agency, list_status="not_listed", size_class=None, size_source=None, industry=None
    )
    owner = make.user(employer=employer, role="owner", display_name="张三")
    make.commit()
    sign_in(client, owner)
    english(client)
    start = text_of(client.get(f"{base(employer)}/"))
    assert "working days" not in start or "service target" in start
    assert "within 3 working days." not in start.replace("aims to review it within", "")
    walk_to_sign(client, employer)
    sign(client, employer)
    check = text_of(client.get(f"{base(employer)}/check"))
    assert REVIEW_AS_LAW not in check.replace("aims to review it within", "")
    assert "notice sets no time limit" in check
    response = submit(client, employer)  # the written commitment only: no evidence asked
    assert _application(employer).status == "submitted"
    sent = soup(client.get(response.location))
    assert "working days" not in sent.select_one(".due").get_text()
    assert "service target" in sent.select_one(".due").get_text()
