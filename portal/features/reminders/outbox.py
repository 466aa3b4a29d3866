"""The outbox: queue rendered messages, then send what is queued, a batch at a time.

``flask portal reminders send`` (portal/cli/reminders.py) runs it once a day: ``due_messages``
works out who is due (``queries.due_reminders``) and what the outbox holds already; ``queue``
writes one row per (recipient, employer, kind, milestone) with the rendered message (a row that
exists already is left alone: the unique key makes a reminder go out once); ``deliver`` sends
the queued rows a batch at a time, and the command commits after each batch (operations never
commit, CONTRIBUTING.md). Sending claims rows with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL,
so that two runs at once on two machines never send one message twice; on SQLite
(development) the first statement of a batch is a write, which holds a second run until the
first commits. A message the server refused is retried by the next run, at most
``MAX_ATTEMPTS`` times in all; an unreachable server stops the run.

A message that should not wait for the daily run (an address's confirmation link) is queued
with ``queue_message``; ``deliver_after_request`` sends it once the request has committed
(``portal.web.hooks.after_commit``).
"""

from __future__ import annotations

import gc
import logging
import smtplib
from collections.abc import Generator, Iterator, Set
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from functools import partial
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import selectinload

from portal.core import audit, mail
from portal.core.extensions import db
from portal.features.reminders.messages import locale_of, render
from portal.features.reminders.queries import Due, Recipient, due_reminders, existing_keys
from portal.models import OutboxMessage
from portal.util import clock
from portal.web.hooks import after_commit

log = logging.getLogger("portal.reminders")
MAX_ATTEMPTS = 3
BATCH = 100


# ------------------------------------------------------------------------- what is due


@contextmanager
def no_cyclic_gc() -> Iterator[None]:
    """Hold the cyclic garbage collector while the standings of every employer are built.

    They are hundreds of thousands of small objects that stay alive until the run ends, none
    of them garbage: each of the collector's full passes walks them all again, which made
    100,000 employers take three times as long as ten runs of 10,000 (bench_reminders.py).
    Reference counting still frees what is dropped; one collection runs at the end.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@dataclass
class RunReport:
    on: date
    dry_run: bool
    due: int = 0
    queued: int = 0
    skipped: int = 0
    sent: int = 0
    failed: int = 0
    unreachable: str | None = None
    messages: dict[tuple, dict[str, Any]] = field(default_factory=dict)
    existing: set[tuple] = field(default_factory=set)  # keys the outbox held already

    def as_json(self) -> dict[str, Any]:
        return {
            "on": self.on.isoformat(),
            "due": self.due,
            "sent": self.sent,
            "skipped": self.skipped,
            "failed": self.failed,
            "messages": list(self.messages.values()),
        }


def due_messages(
    on: date, *, dry_run: bool = False, agency_id: int | None = None
) -> tuple[list[Due], RunReport]:
    """Every reminder due on ``on``, and a report noting each message: new, or skipped (the
    outbox holds it already). Reads only."""
    report = RunReport(on=on, dry_run=dry_run)
    with no_cyclic_gc():
        dues = due_reminders(on, agency_id=agency_id)
        _count(dues, existing_keys(dues), report)
    return dues, report


def _count(dues: list[Due], existing: set[tuple], report: RunReport) -> None:
    """Note every message due in ``report``: new, or already in the outbox (skipped)."""
    report.existing = existing
    status = "would_queue" if report.dry_run else "queued"
    for due in dues:
        for recipient in due.recipients:
            key = due.key(recipient)
            report.due += 1
            is_new = key not in existing
            report.messages[key] = {
                "recipient": recipient.username,
                "employer_id": due.employer_id,
                "kind": due.kind,
                "milestone": due.milestone,
                "status": status if is_new else "skipped",
            }
            if not is_new:
                report.skipped += 1


def queue(dues: list[Due], on: date, *, skip: Set[tuple[int, int, str, str]] = frozenset()) -> int:
    """Write the rendered messages of ``dues`` to the outbox; rows that exist stay as they are."""
    rows = []
    for due in dues:
        for recipient in due.recipients:
            if due.key(recipient) in skip:
                continue
            rows.append(_row(due.kind, due.milestone, due.employer_id, due.context, recipient, on))
    for start in range(0, len(rows), 1000):
        _insert_new(rows[start : start + 1000])
    return len(rows)


def queue_message(
    kind: str,
    milestone: str,
    context: dict[str, Any],
    recipient: Recipient,
    *,
    employer_id: int | None = None,
) -> OutboxMessage:
    """Write one rendered message to the outbox, to send with the next batch (or at once:
    ``deliver_after_request``)."""
    message = OutboxMessage(**_row(kind, milestone, employer_id, context, recipient, clock.today()))
    db.session.add(message)
    db.session.flush()
    return message


def _row(
    kind: str,
    milestone: str,
    employer_id: int | None,
    context: dict[str, Any],
    recipient: Recipient,
    on: date,
) -> dict[str, Any]:
    locale = locale_of(recipient.locale)
    rendered = render(kind, locale, {**context, "recipient_name": recipient.display_name})
    return {
        "recipient_id": recipient.id,
        "employer_id": employer_id,
        "employer_key": employer_id or 0,
        "kind": kind,
        "milestone": milestone,
        "on_date": on,
        "to_address": recipient.email,
        "locale": locale,
        "subject": rendered.subject[:300],
        "body_text": rendered.text,
        "body_html": rendered.html,
        "status": "queued",
        "attempts": 0,
        "queued_at": clock.now(),
    }


def _insert_new(rows: list[dict[str, Any]]) -> None:
    """INSERT … ON CONFLICT DO NOTHING: a row another run wrote meanwhile is left alone."""
    if not rows:
        return
    dialect = db.session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    db.session.execute(insert(OutboxMessage).values(rows).on_conflict_do_nothing())


# ------------------------------------------------------------------------- sending


def deliver(
    report: RunReport, *, only_ids: list[int] | None = None
) -> Generator[list[OutboxMessage], None, None]:
    """Send the queued messages (and those to retry), a batch at a time: each batch is
    claimed, sent and recorded in ``report`` (what was sent, what failed), then yielded for the
    caller to commit before the next is claimed. ``report.unreachable`` says why the sending
    stopped when the server could not be reached (the batch's untried messages are failed).
    ``only_ids``: these messages only.
    """
    backend = mail.connection()
    is_open = False
    after_id = 0
    try:
        while claimed := _claim(after_id, only_ids):
            after_id = claimed[-1].id
            for index, message in enumerate(claimed):
                try:
                    if not is_open:
                        mail.open_connection(backend)
                        is_open = True
                    _send_one(backend, message, report)
                except mail.Unreachable as error:
                    report.unreachable = str(error)
                    for untried in claimed[index:]:
                        _failed(untried, f"mail server unreachable: {error}", report)
                    yield claimed
                    return
            yield claimed
    finally:
        if is_open:
            try:
                backend.close()
            except (OSError, smtplib.SMTPException):
                log.warning("closing the mail connection failed", exc_info=True)


def _claim(after_id: int, only_ids: list[int] | None) -> list[OutboxMessage]:
    """Lock the next batch of messages to send; rows another run holds are skipped."""
    query = (
        select(OutboxMessage)
        .where(
            OutboxMessage.id > after_id,
            OutboxMessage.status.in_(("queued", "failed")),
            OutboxMessage.attempts < MAX_ATTEMPTS,
        )
        .order_by(OutboxMessage.id)
        .limit(BATCH)
        .options(selectinload(OutboxMessage.recipient))  # one statement, not one per row
    )
    if only_ids is not None:
        query = query.where(OutboxMessage.id.in_(only_ids))
    if db.session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    else:
        # SQLite: take the write lock first, so that a second run waits for this batch.
        db.session.execute(update(OutboxMessage).where(OutboxMessage.id == -1).values(attempts=0))
    return list(db.session.scalars(query))


def _send_one(backend, message: OutboxMessage, report: RunReport) -> None:
    key = (message.recipient_id, message.employer_key, message.kind, message.milestone)
    try:
        mail.send(
            backend,
            to=message.to_address,
            subject=message.subject,
            text=message.body_text,
            html=message.body_html,
        )
    except smtplib.SMTPException as error:  # refused by the server: retried next run
        _failed(message, f"{type(error).__name__}: {error}", report)
        return
    message.status = "sent"
    message.attempts += 1
    message.sent_at = clock.now()
    message.last_error = None
    report.sent += 1
    _note(report, key, message, "sent")
    audit.record(
        None,
        "reminder.sent",
        employer_id=message.employer_id,
        obj=message,
        role="system",
        details={
            "recipient_id": message.recipient_id,
            "kind": message.kind,
            "milestone": message.milestone,
            "attempt": message.attempts,
        },
    )


def _failed(message: OutboxMessage, error: str, report: RunReport) -> None:
    message.status = "failed"
    message.attempts += 1
    message.last_error = error[:500]
    report.failed += 1
    key = (message.recipient_id, message.employer_key, message.kind, message.milestone)
    _note(report, key, message, "failed")
    audit.record(
        None,
        "reminder.failed",
        employer_id=message.employer_id,
        obj=message,
        role="system",
        details={
            "recipient_id": message.recipient_id,
            "kind": message.kind,
            "milestone": message.milestone,
            "attempt": message.attempts,
            "error": message.last_error,
            "gives_up": message.attempts >= MAX_ATTEMPTS,
        },
    )


def _note(report: RunReport, key: tuple, message: OutboxMessage, status: str) -> None:
    entry = report.messages.get(key)
    if entry is None:
        entry = report.messages[key] = {
            "recipient": message.recipient.username,
            "employer_id": message.employer_id,
            "kind": message.kind,
            "milestone": message.milestone,
        }
    entry["status"] = status


# ------------------------------------------------------------------------- right away


def deliver_after_request(message: OutboxMessage) -> None:
    """Send ``message`` once the request has committed (a confirmation should not wait for
    the daily run); without a request the next run sends it."""
    after_commit(partial(_deliver_now, message.id))


def _deliver_now(message_id: int) -> Generator[list[OutboxMessage], None, None]:
    """Send one message (a failure waits for the daily run)."""
    report = RunReport(on=clock.today(), dry_run=False)
    yield from deliver(report, only_ids=[message_id])
    if report.unreachable:
        log.warning("mail server unreachable; the next run retries: %s", report.unreachable)
