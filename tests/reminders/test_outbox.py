"""The outbox loses nothing and repeats at most the one message in flight (issue 24).

A refused message is tried again after a growing pause until its deadline, then expired and
shown to administrators; one bad message fails alone; a sender killed between the server's
answer and its commit repeats that one message only. On SQLite and PostgreSQL.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from contextlib import contextmanager
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import func, select

from portal import create_app
from portal.cli.reminders import run
from portal.config import TestConfig
from portal.core.extensions import db
from portal.features.reminders import outbox
from portal.features.reminders.queries import Recipient
from portal.models import AuditEntry, OutboxMessage
from tests.applications.helpers import soup
from tests.conftest import IS_POSTGRES, sign_in
from tests.factories import Factory
from tests.reminders.conftest import confirmed

REPO = Path(__file__).resolve().parents[2]
DEADLINE = "2022-10-31"


def _row(address: str) -> OutboxMessage:
    return db.session.scalar(
        select(OutboxMessage)
        .where(OutboxMessage.to_address == address)
        .order_by(OutboxMessage.id.desc())
        .limit(1)
    )


def _count(action: str) -> int:
    return db.session.scalar(select(func.count()).where(AuditEntry.action == action))


def test_a_refused_message_is_tried_again_after_a_pause_until_its_deadline_then_expires(
    app, client, make, clock, smtp, deferred
):
    smtp.inbox.refuse.add("owner@example.com")
    assert run(clock.at(date(2022, 10, 30))).failed == 1  # the day before the deadline
    d1 = _row("owner@example.com")
    assert (d1.milestone, d1.expires_on) == (f"{DEADLINE}/d1", date(2022, 10, 31))
    tries = [d1.attempts]
    for pause in (timedelta(minutes=30), timedelta(minutes=31), timedelta(hours=4, minutes=1)):
        clock.advance(seconds=pause.total_seconds())  # 1 hour, then 4 hours
        run(date(2022, 10, 30))
        db.session.expire_all()
        tries.append(_row("owner@example.com").attempts)
    assert tries == [1, 1, 2, 3]  # not before its pause is over
    assert _row("owner@example.com").next_attempt_at == clock.moment + timedelta(days=1)
    run(clock.at(date(2022, 10, 31), hour=23))  # a day later: tried once more
    late = run(clock.at(date(2022, 11, 1)))  # the deadline has passed: no use any more
    db.session.expire_all()
    d1 = db.session.get(OutboxMessage, d1.id)
    assert (d1.status, d1.attempts, late.expired) == ("expired", 4, 1)
    assert "550" in d1.last_error
    expired = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "reminder.expired"))
    assert expired.details["expires_on"] == DEADLINE and expired.object_id == str(d1.id)
    assert (_count("reminder.failed"), _count("reminder.sent")) == (5, 2)  # + the late fee's
    assert smtp.inbox.to("owner@example.com") == []
    assert len(smtp.inbox.to("finance@example.com")) == 2  # d1 and the late fee, once each

    admin = make.user(staff_role="admin", username="admin")
    make.commit()
    sign_in(client, admin)
    page = soup(client.get("/reminders/outbox/undelivered"))
    rows = {
        row["id"]: [cell.get_text(" ", strip=True) for cell in row.select("td")]
        for row in page.select("#undelivered tr[id]")
    }
    assert len(rows) == 2  # the expired reminder, and the late fee's (failed)
    recipient, kind, milestone, status, error = rows[f"message-{d1.id}"]
    assert deferred["owner"].username in recipient and "owner@example.com" in recipient
    assert "补缴截止日期" in kind and deferred["employer"].name in kind
    assert f"{DEADLINE}/d1" in milestone and "2022年10月31日" in milestone
    assert "过期" in status and "已尝试4次" in status and "550" in error
    _r, _k, milestone, status, error = rows[f"message-{_row('owner@example.com').id}"]
    assert f"{DEADLINE}/late_fee" in milestone and "2022年11月8日" in milestone  # news: 7 days
    assert "下次尝试" in status and "已尝试1次" in status and "550" in error
    assert "已过期：1" in page.select_one("#undelivered-counts").get_text()


def test_one_bad_message_fails_alone_and_a_name_with_a_line_break_goes_on_one_line(
    app, make, clock, smtp, deferred
):
    """An employer name written by another system with a CR/LF, an address with one, and a
    row queued before subjects were put on one line: the run goes on past each."""
    deferred["employer"].name = "聊城\r\n示例有限公司"
    deferred["owner"].email = "owner@example.com\r\nBcc: all@example.com"
    other = make.employer(deferred["agency"], contribution_base_amount=Decimal("10000"))
    confirmed(make, employer=other, email="other@example.com")
    make.commit()
    on = clock.at(date(2022, 10, 1))
    old = outbox.queue_message(
        "review_queue",
        "old",
        {"on": on, "due_tomorrow": [], "overdue": []},
        Recipient(deferred["finance"].id, "f", "F", "finance@example.com", "en"),
    )
    old.subject = "old\r\nsubject\u2028line"  # queued before subjects were put on one line
    make.commit()
    report = run(on)
    assert (report.sent, report.failed, report.unreachable) == (3, 1, None)
    bad = _row("owner@example.com\r\nBcc: all@example.com")
    assert bad.status == "failed" and bad.last_error.startswith("ValueError: Invalid address")
    sent = [(m["To"], str(m["Subject"]).strip()) for m in smtp.inbox.messages]
    assert {to for to, _subject in sent} == {"finance@example.com", "other@example.com"}
    assert "聊城 示例有限公司: 30 days left" in _row("finance@example.com").subject  # stored so
    assert ("finance@example.com", "old subject line") in sent  # sent, on one line
    assert any(subject.startswith("聊城 示例有限公司: 30 days") for _to, subject in sent)
    assert all("\n" not in subject and "\r" not in subject for _to, subject in sent)
    again = run(clock.at(date(2022, 10, 2)))  # every later run: fails alone again, goes on
    assert (again.sent, again.failed) == (0, 1) and len(smtp.inbox.messages) == 3
    db.session.expire_all()
    assert _row("owner@example.com\r\nBcc: all@example.com").attempts == 2


@contextmanager
def _shared_database(app, tmp_path):
    """An app on a database another process can open: the test's own on PostgreSQL; a file
    on SQLite (the test's is in memory)."""
    if IS_POSTGRES:
        yield app
        return

    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'outbox.sqlite'}"

    other = create_app(Config)
    other.config.update({k: v for k, v in app.config.items() if k.startswith("MAIL_")})
    other.config["PORTAL_TODAY"] = app.config["PORTAL_TODAY"]
    with other.app_context():
        db.create_all()
        try:
            yield other
        finally:
            db.session.remove()
            db.engine.dispose()


def test_a_sender_killed_between_the_servers_answer_and_its_commit_repeats_one_message(
    app, clock, smtp, tmp_path
):
    """``reminders send`` in its own process, killed (SIGKILL) when the server has the third
    message and before the sender could record it; then later runs. Each message arrives
    once, but for the one in flight, which arrives twice: 1 per running sender."""
    with _shared_database(app, tmp_path) as target:
        person = Factory().user(email="p@example.com")
        for n in range(5):
            db.session.add(
                OutboxMessage(
                    recipient_id=person.id,
                    employer_key=0,
                    kind="review_queue",
                    milestone=f"m{n}",
                    on_date=date(2022, 10, 1),
                    to_address=f"p{n}@example.com",
                    locale="zh",
                    subject=f"S{n}",
                    body_text="text",
                    body_html="<p>html</p>",
                    status="queued",
                    attempts=0,
                )
            )
        db.session.commit()
        env = {
            **os.environ,
            "PORTAL_ENV": "development",
            "DATABASE_URL": target.config["SQLALCHEMY_DATABASE_URI"],
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": str(smtp.port),
        }
        for name in ("TEST_DATABASE_URL", "PORTAL_TODAY"):
            env.pop(name, None)
        process = subprocess.Popen(  # noqa: S603 - the project's own command
            [sys.executable, "-m", "flask", "--app", "wsgi", "portal", "reminders", "send"],
            cwd=REPO,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )

        def kill_on_the_third(_message) -> None:
            if len(smtp.inbox.messages) == 3:
                os.kill(process.pid, signal.SIGKILL)  # before the server's 250 reaches it

        smtp.inbox.on_message = kill_on_the_third
        _out, err = process.communicate(timeout=120)
        assert process.returncode == -signal.SIGKILL, err.decode()[-2000:]
        smtp.inbox.on_message = None
        rows = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        assert [r.status for r in rows] == ["sent"] * 2 + ["sending"] * 3
        claimed_at = rows[2].claimed_at
        Clock = type(clock)
        Clock.apply(target)
        clock.set(claimed_at + timedelta(minutes=1))  # the killed run's lease still holds
        assert run(date(2022, 10, 1)).sent == 0 and len(smtp.inbox.messages) == 3
        clock.set(claimed_at + outbox.LEASE + timedelta(seconds=1))  # it has run out
        assert run(date(2022, 10, 1)).sent == 3
        db.session.expire_all()
        assert {r.status for r in db.session.scalars(select(OutboxMessage))} == {"sent"}
    received = [m["To"] for m in smtp.inbox.messages]
    assert sorted(set(received)) == [f"p{n}@example.com" for n in range(5)]
    assert len(received) - len(set(received)) == 1  # at most 1: the one in flight
    assert received.count("p2@example.com") == 2
