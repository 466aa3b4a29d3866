"""Reminders before the catch-up deadline: who gets what, once, on both databases."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select

from portal.cli.reminders import run
from portal.core.extensions import db
from portal.features.reminders import outbox
from portal.models import OutboxMessage, Payment
from tests.conftest import IS_POSTGRES
from tests.reminders.conftest import confirmed

DEADLINE = "2022-10-31"


def _payment(employer, amount: str, paid_on=date(2022, 9, 15)) -> None:
    db.session.add(
        Payment(
            employer_id=employer.id,
            paid_on=paid_on,
            amount=Decimal(amount),
            settles="deferred 2022-07..09",
            source_ref=f"P-{employer.id}-{amount}",
        )
    )
    db.session.commit()


def test_30_7_1_days_before_and_the_day_late_fees_start(app, smtp, deferred):
    expected = {
        date(2022, 10, 1): "d30",
        date(2022, 10, 24): "d7",
        date(2022, 10, 30): "d1",
        date(2022, 11, 1): "late_fee",
    }
    assert run(date(2022, 9, 30)).due == 0
    for on, key in expected.items():
        report = run(on)
        assert (report.due, report.sent, report.failed) == (2, 2, 0), on
        assert {m["milestone"] for m in report.messages.values()} == {f"{DEADLINE}/{key}"}
    owner_mail = smtp.inbox.to("owner@example.com")
    assert len(owner_mail) == 4
    first = smtp.inbox.text(owner_mail[0])
    assert "30" in owner_mail[0]["Subject"]
    assert "¥2,100.00" in first  # 3 months × 10,000 × (6% + 1%)
    assert "2022年10月31日" in first
    assert "0.05%" in first and "鲁医保发〔2022〕21号 二" in first
    assert f"/e/{deferred['employer'].id}/amounts/" in first
    late = smtp.inbox.text(owner_mail[3])
    assert "滞纳金" in owner_mail[3]["Subject"]
    assert "2022年10月1日" in late  # the late fee counts from the first day after the period


def test_every_message_has_a_plain_text_and_an_html_part_and_no_password_or_sign_in(
    app, smtp, deferred
):
    run(date(2022, 10, 1))
    message = smtp.inbox.to("owner@example.com")[0]
    assert message.get_content_type() == "multipart/alternative"
    html = smtp.inbox.html(message)
    text = smtp.inbox.text(message)
    assert "<table" in html and "¥2,100.00" in html
    for body in (text, html):
        assert "password" not in body.lower().replace("never asks for your password", "")
        assert "token" not in body and "/login?" not in body
    assert message["From"] == "portal@example.com"


def test_paid_in_full_gets_nothing(app, smtp, deferred):
    _payment(deferred["employer"], "2100.00")
    report = run(date(2022, 10, 1))
    assert report.due == 0 and smtp.inbox.messages == []


def test_part_paid_is_told_the_amount_left(app, smtp, deferred):
    _payment(deferred["employer"], "1000.00")
    run(date(2022, 10, 24))
    text = smtp.inbox.text(smtp.inbox.to("owner@example.com")[0])
    assert "¥1,100.00" in text and "¥1,000.00" in text


def test_an_employer_that_opted_out_gets_nothing(app, make, smtp, deferred):
    make.decision(deferred["employer"], deferred["owner"], choice="opt_out")
    make.commit()
    assert run(date(2022, 10, 1)).due == 0
    assert smtp.inbox.messages == []


def test_a_second_run_sends_nothing_new(app, smtp, deferred):
    first = run(date(2022, 10, 1))
    second = run(date(2022, 10, 1))
    later = run(date(2022, 10, 5))  # still the 30-day milestone: already sent
    assert first.sent == 2
    assert (second.due, second.skipped, second.sent) == (2, 2, 0)
    assert (later.skipped, later.sent) == (2, 0)
    assert len(smtp.inbox.messages) == 2
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 2


def test_a_run_that_missed_days_sends_only_the_latest_milestone(app, smtp, deferred):
    report = run(date(2022, 10, 26))  # nothing ran on 2022-10-01 nor 2022-10-24
    assert {m["milestone"] for m in report.messages.values()} == {f"{DEADLINE}/d7"}
    assert len(smtp.inbox.to("owner@example.com")) == 1
    assert "5" in smtp.inbox.to("owner@example.com")[0]["Subject"]  # 5 days left, said so


def test_each_person_in_their_language(app, smtp, deferred):
    run(date(2022, 10, 1))
    zh = smtp.inbox.to("owner@example.com")[0]
    en = smtp.inbox.to("finance@example.com")[0]
    assert "天" in zh["Subject"]
    assert "days left to pay" in en["Subject"]
    assert "31 Oct 2022" in smtp.inbox.text(en)
    assert "Outstanding on 1 Oct 2022: ¥2,100.00" in smtp.inbox.text(en)


def test_reminders_turned_off_and_unconfirmed_addresses_get_nothing(app, make, smtp, deferred):
    deferred["finance"].reminders_enabled = False
    deferred["owner"].email_confirmed_at = None
    db.session.commit()
    assert run(date(2022, 10, 1)).due == 0
    assert smtp.inbox.messages == []


def test_an_employer_not_deferred_gets_nothing(app, make, smtp, deferred):
    deferred["employer"].list_status = "not_listed"
    db.session.commit()
    assert run(date(2022, 10, 1)).due == 0


def test_the_server_down_for_three_runs_then_back_sends_every_message_once(
    app, make, monkeypatch, clock, smtp_down, deferred
):
    """The battery's case: three daily runs with the server down left the first batch "failed,
    attempts=3", never sent once it came back. An unreachable server counts no attempt and
    sets no pause: when it is back every message goes, once (batches of 2 here, so that some
    messages are past the first batch)."""
    monkeypatch.setattr(outbox, "BATCH", 2)
    for n in range(3):
        employer = make.employer(deferred["agency"], contribution_base_amount=Decimal("10000"))
        confirmed(make, employer=employer, email=f"more{n}@example.com")
    make.commit()
    for day in (1, 2, 3):
        down = run(clock.at(date(2022, 10, day)))
        assert down.unreachable and down.sent == 0
    rows = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert [(r.status, r.attempts) for r in rows] == [("failed", 0)] * 2 + [("queued", 0)] * 3
    assert all("unreachable" in r.last_error and r.next_attempt_at is None for r in rows[:2])
    smtp_down.start()
    up = run(clock.at(date(2022, 10, 4)))
    assert (up.unreachable, up.sent, up.failed, up.skipped) == (None, 5, 0, 5)
    received = [m["To"] for m in smtp_down.inbox.messages]
    assert len(received) == 5 and len(set(received)) == 5
    db.session.expire_all()
    assert {(r.status, r.attempts) for r in db.session.scalars(select(OutboxMessage))} == {
        ("sent", 1)
    }


def test_dry_run_queues_and_sends_nothing(app, smtp, deferred):
    report = run(date(2022, 10, 1), dry_run=True)
    assert report.due == 2 and {m["status"] for m in report.messages.values()} == {"would_queue"}
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
    assert smtp.inbox.messages == []


def test_the_command_prints_the_issue_json(app, smtp, deferred):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["portal", "reminders", "send", "--on", "2022-10-01", "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert set(out) == {"on", "due", "sent", "skipped", "failed", "expired", "messages"}
    assert (out["on"], out["due"], out["sent"], out["skipped"], out["failed"]) == (
        "2022-10-01",
        2,
        2,
        0,
        0,
    )
    assert {(m["recipient"], m["kind"], m["milestone"]) for m in out["messages"]} == {
        (deferred["owner"].username, "catch_up", f"{DEADLINE}/d30"),
        (deferred["finance"].username, "catch_up", f"{DEADLINE}/d30"),
    }
    again = runner.invoke(args=["portal", "reminders", "send", "--on", "2022-10-01"])
    assert again.exit_code == 0 and "skipped 2" in again.output


def test_the_command_exits_1_when_the_server_cannot_be_reached(app, smtp_down, deferred):
    result = app.test_cli_runner().invoke(
        args=["portal", "reminders", "send", "--on", "2022-10-01", "--json"]
    )
    assert result.exit_code == 1
    assert json.loads(result.stdout)["failed"] == 2


def test_the_portals_date_is_the_default(app, smtp, deferred):
    app.config["PORTAL_TODAY"] = "2022-10-24"
    result = app.test_cli_runner().invoke(args=["portal", "reminders", "send", "--json"])
    assert json.loads(result.output)["on"] == "2022-10-24"


def test_departures_are_part_of_the_message(app, make, smtp, deferred):
    from portal.models import Departure, PersonAssessment

    employer = deferred["employer"]
    for month in ("2022-07", "2022-08", "2022-09"):
        db.session.add(
            PersonAssessment(
                employer_id=employer.id,
                person_ref="P001",
                person_name="张三",
                month=month,
                unit_amount=Decimal("350"),
                personal_amount=Decimal("100"),
            )
        )
    db.session.add(
        Departure(
            employer_id=employer.id,
            person_ref="P001",
            reason="leave",
            left_on=date(2022, 9, 20),
            recorded_by_id=deferred["owner"].id,
        )
    )
    db.session.commit()
    run(date(2022, 10, 1))
    text = smtp.inbox.text(smtp.inbox.to("owner@example.com")[0])
    assert "1" in text and "¥1,050.00" in text  # that person's three months' unit part


def test_a_deregistering_employer_is_told_the_deferral_does_not_apply(app, make, smtp, deferred):
    """Issue 22 item 4: a deregistering employer is not deferred (鲁医保发〔2022〕21号 五: 注销前
    缴纳): the reminder says so, why, and what is due at once, not a catch-up deadline."""
    employer = deferred["employer"]
    employer.is_deregistering = True
    db.session.commit()
    run(date(2022, 10, 1))
    message = smtp.inbox.to("owner@example.com")[0]
    text = smtp.inbox.text(message)
    assert "不再适用" in text or "does not apply" in text
    assert "注销" in text and "鲁医保发〔2022〕21号 五" in text
    assert "¥2,100.00" in text and "2022-07, 2022-08, 2022-09" in text


def test_concurrent_runs_send_each_message_once(app, make, smtp, deferred):
    """Two runs at once (threads with their own connections; PostgreSQL: SKIP LOCKED)."""
    import threading

    if not IS_POSTGRES:
        import pytest

        pytest.skip("SQLite's in-memory test database is one connection: see the PostgreSQL run")
    agency = deferred["agency"]
    for n in range(30):
        employer = make.employer(agency, contribution_base_amount=Decimal("10000"))
        make.user(
            employer=employer,
            email=f"owner{n}@example.com",
            email_confirmed_at=deferred["owner"].email_confirmed_at,
        )
    make.commit()
    reports = []
    barrier = threading.Barrier(2)

    def one_run() -> None:
        with app.app_context():
            barrier.wait()
            reports.append(run(date(2022, 10, 1)))
            db.session.remove()

    threads = [threading.Thread(target=one_run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    received = [m["To"] for m in smtp.inbox.messages]
    assert len(received) == 32 and len(set(received)) == 32
    assert sum(r.sent for r in reports) == 32
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 32
