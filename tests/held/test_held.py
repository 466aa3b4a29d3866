"""Changes held from the list (issue 22 item 3): agency staff accept or reject each with a
reason; an accepted change that ends a deferral tells the employer; a stale one is refused."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from portal.core.extensions import db
from portal.features.imports.kinds import deferral_list
from portal.features.imports.operations import import_file
from portal.features.imports.reader import Source
from portal.models import (
    Assessment,
    AuditEntry,
    Employer,
    EmployerFactHistory,
    HeldChange,
    OutboxMessage,
)
from tests.applications.helpers import soup, text_of
from tests.conftest import post_form, sign_in

HEADER = "统一社会信用代码,单位名称,医保单位编号,医保经办机构代码,企业划型,是否纳入缓缴名单"


@pytest.fixture
def world(make):
    """A Liaocheng employer on the list, deferring by default, with July assessed; its owner
    with a confirmed address; the agency's reviewer; and the list moving it to 大型, held."""
    agency = make.agency(make.region("liaocheng-2022"), code="LC01")
    employer = make.employer(agency)
    owner = make.user(employer=employer, email="owner@example.com", locale="zh")
    owner.email_confirmed_at = datetime(2022, 8, 1, tzinfo=UTC)
    db.session.add(
        Assessment(
            employer_id=employer.id,
            month="2022-07",
            headcount=3,
            contribution_base_amount=Decimal("30000"),
            unit_amount=Decimal("2250.00"),
            personal_amount=Decimal("600.00"),
        )
    )
    reviewer = make.user(staff_role="reviewer", agency=agency)
    other = make.user(staff_role="reviewer", agency=make.agency())
    make.commit()
    row = f"{employer.credit_code},{employer.name},{employer.insurance_unit_number},LC01,大型,是"
    outcome, record = import_file("list", _csv(row), dry_run=True)
    assert outcome.held and not outcome.applied  # checked only: nothing held yet
    outcome, record = import_file("list", _csv(row), dry_run=False)
    db.session.commit()
    change = db.session.scalars(select(HeldChange)).one()
    return employer, owner, reviewer, other, change, row


def _csv(*rows: str) -> Source:
    return Source.from_bytes("list.csv", ("\n".join((HEADER, *rows)) + "\n").encode())


def _decide(client, change, **data):
    path = f"/held/{change.id}"
    return post_form(client, f"{path}/decide", data, token_from=path)


def test_accept_applies_audits_and_tells_the_employer(client, world):
    employer, owner, reviewer, other, change, _row = world
    sign_in(client, reviewer)
    queue = client.get("/held/")
    item = soup(queue).select_one(f"#held-{change.id}").get_text(" ", strip=True)
    assert "小型企业 → 大型企业" in item and employer.credit_code in item, item
    assert "缓缴终止" in item and "¥2,250.00" in item and "2022年10月31日" in item, item
    assert "list.csv" in item and "第 2 行" in item, item
    refused = _decide(client, change, decision="accept")
    assert "请填写决定理由" in text_of(refused)
    assert db.session.get(HeldChange, change.id).status == "pending"
    done = _decide(client, change, decision="accept", reason="统计部门复核为大型")
    assert done.status_code == 302
    db.session.expire_all()
    assert db.session.get(Employer, employer.id).size_class == "large"
    # what a report as of an earlier day reads: the class before the change
    kept = db.session.scalars(select(EmployerFactHistory.size_class)).all()
    assert kept == ["small"]
    decided = db.session.get(HeldChange, change.id)
    assert (decided.status, decided.reason, decided.decided_by_id) == (
        "accepted",
        "统计部门复核为大型",
        reviewer.id,
    )
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "held.accept")).one()
    assert entry.acting_for_employer_id == employer.id
    assert entry.details["before"] == "small" and entry.details["after"] == "large"
    assert entry.details["reason"] == "统计部门复核为大型" and entry.details["effect"] == "ends"
    # The employer is told by e-mail (queued for the reminders' run) ...
    message = db.session.scalars(select(OutboxMessage)).one()
    assert (message.recipient_id, message.kind, message.milestone) == (
        owner.id,
        "classification_changed",
        f"held-{change.id}",
    )
    assert "缓缴已终止" in message.subject and "统计部门复核为大型" in message.body_text
    assert "¥2,250.00" in message.body_text and "2022年10月31日" in message.body_text
    # ... and on its home page
    sign_in(client, owner)
    notice = soup(client.get(f"/e/{employer.id}/")).select_one("#classification-changed")
    text = notice.get_text(" ", strip=True)
    assert "贵单位的缓缴已终止" in text and "小型企业变更为大型企业" in text, text
    assert "统计部门复核为大型" in text and "¥2,250.00" in text and "2022年10月31日" in text
    assert "内医保办发〔2022〕19号 三（一）2" in text, text
    # A second submission (a double click, another tab) decides nothing
    sign_in(client, reviewer)
    again = _decide(client, change, decision="reject", reason="再次提交")
    assert again.status_code == 409
    assert "该变更已有决定" in text_of(again) and "已接受" in text_of(again)
    db.session.expire_all()
    assert db.session.get(HeldChange, change.id).status == "accepted"
    # Another agency's reviewer never sees it
    sign_in(client, other)
    assert client.get(f"/held/{change.id}").status_code == 404
    assert f"held-{change.id}" not in client.get("/held/").get_data(as_text=True)


def test_reject_keeps_the_stored_value_and_is_not_asked_again(client, world):
    employer, _owner, reviewer, _other, change, row = world
    sign_in(client, reviewer)
    assert _decide(client, change, decision="reject", reason="企业提供了年报").status_code == 302
    db.session.expire_all()
    assert db.session.get(Employer, employer.id).size_class == "small"
    assert db.session.get(HeldChange, change.id).status == "rejected"
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "held.reject")).one()
    assert entry.details["reason"] == "企业提供了年报"
    assert db.session.scalars(select(OutboxMessage)).all() == []
    # The same list again: still not applied, and not asked again
    outcome, _record = import_file("list", _csv(row), dry_run=False)
    db.session.commit()
    assert [(h.column, h.rejected_id) for h in outcome.held] == [("size_class", change.id)]
    assert db.session.scalars(select(HeldChange.status)).all() == ["rejected"]
    assert soup(client.get("/held/")).select_one("#held-empty")


def test_a_stale_change_is_not_applied(client, world):
    employer, _owner, reviewer, _other, change, _row = world
    db.session.get(Employer, employer.id).size_class = "medium"  # changed meanwhile
    db.session.commit()
    sign_in(client, reviewer)
    page = soup(client.get(f"/held/{change.id}"))
    assert "现值为中型企业" in page.select_one(".held-stale").get_text(strip=True)
    answer = _decide(client, change, decision="accept", reason="复核")
    assert answer.status_code == 200
    assert "现为中型企业，而非导入名单时的小型企业" in text_of(answer)
    db.session.expire_all()
    assert db.session.get(Employer, employer.id).size_class == "medium"
    assert db.session.get(HeldChange, change.id).status == "pending"


def test_arrears_are_held_once_the_list_carries_them(app, make):
    """鲁医保发〔2022〕21号 一: arrears stop a Shandong deferral; a deferring employer's arrears
    from the list wait for the agency like its size class."""
    agency = make.agency(make.region("liaocheng-2022"), code="LC01")
    employer = make.employer(agency)
    make.commit()
    header = f"{HEADER},是否中断缴费"
    row = f"{employer.credit_code},{employer.name},{employer.insurance_unit_number},LC01,小型,是,是"
    outcome, _record = import_file(
        "list", Source.from_bytes("l.csv", f"{header}\n{row}\n".encode()), dry_run=False
    )
    db.session.commit()
    assert [(h.column, h.before, h.after) for h in outcome.held] == [
        ("has_arrears", "false", "true")
    ]
    assert db.session.get(Employer, employer.id).has_arrears is False
    assert deferral_list.held_header("has_arrears") == "是否中断缴费"
