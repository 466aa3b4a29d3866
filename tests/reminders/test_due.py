"""Applications decided or left unsigned, reviewers' queues, the home page's notices, the
admin's outbox, and how many statements working out who is due takes."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import event, select

from portal.cli.reminders import run
from portal.core.extensions import db
from portal.features.reminders.queries import due_reminders
from portal.models import CommitmentApplication, StoredLetter
from tests.applications.helpers import soup, submitted_application, text_of
from tests.conftest import sign_in
from tests.reminders.conftest import confirmed


def _unlisted(make, deferred):
    employer = make.employer(deferred["agency"], list_status="not_listed", size_class=None)
    owner = confirmed(make, employer=employer, email="applicant@example.com")
    make.commit()
    return employer, owner


def test_rejected_with_the_reason_and_approved_with_the_letter(app, make, smtp, deferred):
    employer, _owner = _unlisted(make, deferred)
    rejected = submitted_application(
        employer,
        status="rejected",
        decision_reason="营业收入与报表不符",
        decided_at=datetime(2022, 8, 14, 2, tzinfo=UTC),
    )
    make.commit()
    run(date(2022, 8, 15))
    [message] = smtp.inbox.to("applicant@example.com")
    assert "未通过" in message["Subject"]
    assert "营业收入与报表不符" in smtp.inbox.text(message)
    assert f"/applications/{rejected.id}" in smtp.inbox.text(message)
    approved = submitted_application(
        employer, round=2, status="approved", decided_at=datetime(2022, 8, 16, 2, tzinfo=UTC)
    )
    letter = StoredLetter(
        application_id=approved.id,
        employer_id=employer.id,
        kind="approved",
        verification_code="APPROVEDCODE0001",
        pdf=b"%PDF",
        sha256="0" * 64,
    )
    db.session.add(letter)
    make.commit()
    run(date(2022, 8, 16))
    run(date(2022, 8, 17))  # once
    messages = smtp.inbox.to("applicant@example.com")
    assert len(messages) == 2
    text = smtp.inbox.text(messages[1])
    assert f"/applications/letters/{letter.id}" in text
    assert "/verify/APPROVEDCODE0001" in text


def test_a_decision_older_than_a_week_is_not_announced_by_a_first_run(app, make, smtp, deferred):
    employer, _owner = _unlisted(make, deferred)
    submitted_application(
        employer,
        status="rejected",
        decision_reason="x",
        decided_at=datetime(2022, 8, 1, tzinfo=UTC),
    )
    make.commit()
    assert run(date(2022, 8, 15)).due == 0


def test_a_draft_left_unsigned_three_days_is_reminded_once(app, make, smtp, deferred):
    employer, _owner = _unlisted(make, deferred)
    db.session.add(
        CommitmentApplication(
            employer_id=employer.id,
            status="draft",
            program_id=employer.program_id,
            created_at=datetime(2022, 8, 12, 3, tzinfo=UTC),  # 11:00 in China
        )
    )
    make.commit()
    assert run(date(2022, 8, 14)).due == 0
    assert run(date(2022, 8, 15)).sent == 1
    assert run(date(2022, 8, 16)).sent == 0
    assert "尚未签署" in smtp.inbox.to("applicant@example.com")[0]["Subject"]


def test_reviewers_get_their_agencys_due_and_overdue_once_a_day(app, make, smtp, deferred):
    employer, _owner = _unlisted(make, deferred)
    other = make.employer(make.agency(), list_status="not_listed")
    submitted_application(employer, due_on=date(2022, 8, 16))
    submitted_application(employer, round=2, due_on=date(2022, 8, 12))
    submitted_application(employer, round=3, due_on=date(2022, 8, 19))  # not yet
    submitted_application(other, due_on=date(2022, 8, 16))
    confirmed(make, staff_role="reviewer", agency=deferred["agency"], email="rev@example.com")
    confirmed(
        make,
        staff_role="reviewer",
        agency=deferred["agency"],
        email="rev2@example.com",
        locale="en",
    )
    make.commit()
    first = run(date(2022, 8, 15))
    again = run(date(2022, 8, 15))
    assert (first.sent, again.sent) == (2, 0)
    [message] = smtp.inbox.to("rev@example.com")
    assert "明天到期1件" in message["Subject"] and "已超期1件" in message["Subject"]
    assert (
        "Applications to review: 1 due tomorrow, 1 overdue"
        == smtp.inbox.to("rev2@example.com")[0]["Subject"]
    )
    assert run(date(2022, 8, 16)).sent == 2  # the next day, the next list


def test_the_home_page_shows_the_reminders_until_settled(app, client, make, deferred):
    from portal.models import Payment

    employer = deferred["employer"]
    app.config["PORTAL_TODAY"] = "2022-10-24"
    sign_in(client, deferred["owner"])
    page = client.get(f"/e/{employer.id}/")
    notice = soup(page).select_one("#notices .notice-catch_up")
    assert notice is not None and "¥2,100.00" in notice.get_text() and "7" in notice.get_text()
    db.session.add(
        Payment(
            employer_id=employer.id,
            paid_on=date(2022, 10, 20),
            amount=Decimal("2100"),
            settles="deferred",
            source_ref="P1",
        )
    )
    db.session.commit()
    assert soup(client.get(f"/e/{employer.id}/")).select_one("#notices") is None
    app.config["PORTAL_TODAY"] = "2022-09-15"  # before the first milestone: nothing yet
    db.session.delete(db.session.scalar(select(Payment)))
    db.session.commit()
    assert soup(client.get(f"/e/{employer.id}/")).select_one("#notices") is None


def test_the_home_page_shows_a_rejection_with_its_reason(app, client, make, deferred):
    employer, owner = _unlisted(make, deferred)
    submitted_application(
        employer,
        status="rejected",
        decision_reason="缺少证明材料",
        decided_at=datetime(2022, 8, 14, tzinfo=UTC),
    )
    make.commit()
    sign_in(client, owner)
    assert (
        "缺少证明材料" in soup(client.get(f"/e/{employer.id}/")).select_one("#notices").get_text()
    )


def test_the_home_page_drops_a_rejection_once_a_later_application_is_approved(
    app, client, make, deferred
):
    employer, owner = _unlisted(make, deferred)
    submitted_application(
        employer,
        status="rejected",
        decision_reason="缺少证明材料",
        decided_at=datetime(2022, 8, 10, tzinfo=UTC),
    )
    submitted_application(
        employer, round=2, status="approved", decided_at=datetime(2022, 8, 14, tzinfo=UTC)
    )
    make.commit()
    sign_in(client, owner)
    notices = soup(client.get(f"/e/{employer.id}/")).select_one("#notices")
    assert notices.select(".notice-application_approved")
    assert notices.select(".notice-application_rejected") == []
    assert "缺少证明材料" not in notices.get_text()


def test_the_admin_sees_failed_messages_in_the_outbox(app, client, make, smtp, deferred):
    smtp.inbox.refuse.add("owner@example.com")
    run(date(2022, 10, 1))
    admin = make.user(staff_role="admin")
    make.commit()
    sign_in(client, admin)
    page = client.get("/reminders/outbox?status=failed")
    rows = soup(page).select("#outbox tbody tr")
    assert len(rows) == 1 and "550" in rows[0].get_text() and "2022-10-31/d30" in rows[0].get_text()
    assert len(soup(client.get("/reminders/outbox")).select("#outbox tbody tr")) == 2
    assert "token" not in text_of(page)


def test_who_is_due_takes_the_same_few_statements_for_3_or_30_employers(app, make, deferred):
    def statements(count: int) -> int:
        for n in range(count):
            employer = make.employer(deferred["agency"], contribution_base_amount=Decimal("5000"))
            confirmed(make, employer=employer, email=f"e{count}-{n}@example.com")
            submitted_application(employer, due_on=date(2022, 10, 2))
        make.commit()
        seen = []

        def count_it(*_args):
            seen.append(1)

        engine = db.engine
        event.listen(engine, "before_cursor_execute", count_it)
        try:
            dues = due_reminders(date(2022, 10, 1))
        finally:
            event.remove(engine, "before_cursor_execute", count_it)
        assert len([d for d in dues if d.kind == "catch_up"]) >= count
        return len(seen)

    few, many = statements(3), statements(30)
    assert few == many and many <= 15
