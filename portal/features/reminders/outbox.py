"""The outbox: queue rendered messages, then send them, each recorded once the server took it.

``flask portal reminders send`` (portal/cli/reminders.py) runs it once a day: ``due_messages``
works out who is due (``queries.due_reminders``) and what the outbox holds already; ``queue``
writes one row per (recipient, employer, kind, milestone) with the rendered message (a row that
exists already is left alone: the unique key makes a reminder go out once), its subject on one
line, and the last day it is worth sending (``expires_on``); ``deliver`` sends. Operations never
commit (CONTRIBUTING.md): ``deliver`` yields after each change and the command commits.

**Sending, and what a crash repeats.** A message goes ``queued`` -> ``sending`` -> ``sent``:

1. A run claims a batch of up to ``BATCH`` messages: marks them ``sending``, with its name and
   the time (``claimed_by``, ``claimed_at``: a lease of ``LEASE``), and commits. The claim
   locks the rows (``FOR UPDATE SKIP LOCKED`` on PostgreSQL; on SQLite its first statement is
   a write, which holds a second run until the first commits), so two runs at once, on two
   machines, never claim one message both; a row claimed under a live lease is not claimable.
2. It hands each message of the batch to the mail server and, once the server has accepted
   it, marks it ``sent`` and commits, before it sends the next.

A run that dies (SIGKILL, the machine lost) leaves its batch ``sending``; once the lease has
run out, a later run claims those messages again. Those it had not sent are sent once; the one
it was sending -- accepted by the server, not yet recorded -- is sent a second time. **A crash
repeats at most 1 message per running sender** (tests/reminders/test_outbox.py kills a sender
between the server's answer and the commit). A run renews its lease while it sends
(``RENEW_AFTER``), so a slow batch is not taken over as long as one message takes less than
``LEASE - RENEW_AFTER`` to send (ten minutes; MAIL_TIMEOUT bounds each exchange).

**Failures.** Any error sending one message (the server refused it: ``SMTPRecipientsRefused``,
``SMTPDataError`` …; it cannot be written: ``ValueError`` for a line break in an address,
``UnicodeEncodeError`` …) fails that message alone, with its error, and the run goes on.
A failed message is tried again after a pause that grows (``BACKOFF``: 1 hour, 4 hours, then a
day), by whichever run comes next after it, for as long as it is worth sending. A server that
cannot be reached is not the message's fault: the run stops (the command exits 1), the
messages of its batch not yet sent are failed with "mail server unreachable", *without*
counting an attempt or a pause, and the next run tries them first thing. The messages the run
had not claimed stay queued.

**Expiry.** A message is worth sending until the milestone it announces has passed
(``expires_on``): a reminder of the catch-up deadline until that deadline; a confirmation
link until the day before the link stops working; a reviewer's daily list until the day
after (when the next list goes); news (a decision, the late fee begun, a draft unsigned) for
REMINDER_EVENT_DAYS. After that day a message not sent is marked ``expired``, with an audit
row, and listed with those that failed on the administrators' page (``/reminders/outbox/
undelivered``): nothing is dropped without a word.

A message that should not wait for the daily run (an address's confirmation link) is queued
with ``queue_message``; ``deliver_after_request`` sends it once the request has committed
(``portal.web.hooks.after_commit``).
"""

from __future__ import annotations

import gc
import logging
import os
import secrets
import smtplib
import socket
from collections.abc import Generator, Iterator, Set
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import partial
from typing import Any, cast

from flask import current_app
from sqlalchemy import ColumnElement, CursorResult, Select, and_, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from portal.core import audit, mail
from portal.core.extensions import db
from portal.features.reminders.messages import locale_of, render
from portal.features.reminders.queries import Due, Recipient, due_reminders, existing_keys
from portal.models import OutboxMessage, User
from portal.util import clock
from portal.web.hooks import after_commit

log = logging.getLogger("portal.reminders")
BATCH = 100
#: How long a run's claim on its batch holds before another run may take the batch over.
LEASE = timedelta(minutes=15)
#: A run sending a batch renews its lease once this much of it has gone.
RENEW_AFTER = timedelta(minutes=5)
#: The pause before a failed message is tried again: after its first failure, its second, and
#: every later one.
BACKOFF = (timedelta(hours=1), timedelta(hours=4), timedelta(days=1))
#: Refusals after which smtplib has reset the SMTP transaction itself: the connection is kept.
ANSWERED = (smtplib.SMTPResponseException, smtplib.SMTPRecipientsRefused)
#: Statuses a run may claim (``failed`` once its pause is over).
SENDABLE = ("queued", "failed")


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


#: Rendered messages written to the outbox together.
QUEUE_BATCH = 1000


@dataclass
class RunReport:
    on: date
    dry_run: bool
    due: int = 0
    queued: int = 0
    skipped: int = 0
    sent: int = 0
    failed: int = 0
    expired: int = 0
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
            "expired": self.expired,
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
    """Write the rendered messages of ``dues`` to the outbox, a thousand at a time as they are
    rendered (never all of them at once: 66,000 bodies held 1.2 GB); rows that exist stay as
    they are."""
    rows: list[dict[str, Any]] = []
    queued = 0
    for due in dues:
        for recipient in due.recipients:
            if due.key(recipient) in skip:
                continue
            rows.append(_row(due.kind, due.milestone, due.employer_id, due.context, recipient, on))
            if len(rows) == QUEUE_BATCH:
                _insert_new(rows)
                queued, rows = queued + len(rows), []
    _insert_new(rows)
    return queued + len(rows)


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
    # One line: a name another system wrote may hold a CR/LF, which no header may.
    return {
        "recipient_id": recipient.id,
        "employer_id": employer_id,
        "employer_key": employer_id or 0,
        "kind": kind,
        "milestone": milestone,
        "on_date": on,
        "to_address": recipient.email,
        "locale": locale,
        "subject": mail.one_line(rendered.subject)[:300],
        "body_text": rendered.text,
        "body_html": rendered.html,
        "status": "queued",
        "attempts": 0,
        "queued_at": clock.now(),
        "expires_on": expires_on(kind, context, on),
    }


def expires_on(kind: str, context: dict[str, Any], on: date) -> date:
    """The last day a message of ``kind`` due on ``on`` is worth sending: the day of the
    milestone it announces (a message's context may name it: ``expires_on``)."""
    given = context.get("expires_on")
    if isinstance(given, date):
        return given
    if kind == "catch_up" and not context["is_late"]:
        return context["deadline"]  # a reminder of a deadline is useless after it
    if kind == "email_confirmation":  # its link works ``valid_days`` from when it was made
        return on + timedelta(days=context["valid_days"] - 1)
    if kind == "review_queue":  # what is due tomorrow; the next day's list replaces it
        return on + timedelta(days=1)
    # News: a decision, the late fee begun, a draft left unsigned (its home-page notice stays)
    return on + timedelta(days=current_app.config["REMINDER_EVENT_DAYS"])


def _insert_new(rows: list[dict[str, Any]]) -> None:
    """INSERT … ON CONFLICT DO NOTHING: a row another run wrote meanwhile is left alone."""
    if not rows:
        return
    dialect = db.session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    db.session.execute(insert(OutboxMessage).values(rows).on_conflict_do_nothing())


# ------------------------------------------------------------------------- sending


@dataclass(frozen=True)
class Claimed:
    """A message this run holds to send, as plain values: sending it and recording it read
    nothing back from the database after each message's commit."""

    id: int
    recipient_id: int
    username: str
    employer_id: int | None
    employer_key: int
    kind: str
    milestone: str
    to_address: str
    subject: str
    body_text: str
    body_html: str
    attempts: int

    @property
    def key(self) -> tuple[int, int, str, str]:
        return (self.recipient_id, self.employer_key, self.kind, self.milestone)


CLAIMED_COLUMNS = (
    OutboxMessage.id,
    OutboxMessage.recipient_id,
    User.username,
    OutboxMessage.employer_id,
    OutboxMessage.employer_key,
    OutboxMessage.kind,
    OutboxMessage.milestone,
    OutboxMessage.to_address,
    OutboxMessage.subject,
    OutboxMessage.body_text,
    OutboxMessage.body_html,
    OutboxMessage.attempts,
)


def deliver(report: RunReport, *, only_ids: list[int] | None = None) -> Generator[None, None, None]:
    """Send the messages that are due (queued, to retry, or left by a run that died), and
    yield after each change for the caller to commit: the messages past their last day
    marked expired; then, batch by batch, the claim, and each message once recorded (sent,
    or failed). ``report.unreachable`` says why the sending stopped when the server could not
    be reached. ``only_ids``: these messages only (nothing expires).
    """
    run = run_id()
    if only_ids is None:
        yield from _expire(report)
    backend = mail.connection()
    is_open = False
    after_id = 0
    try:
        while claimed := _claim(run, after_id, only_ids):
            claimed_at = clock.now()
            yield  # the claim is committed before anything is sent
            after_id = claimed[-1].id
            for index, message in enumerate(claimed):
                if clock.now() - claimed_at > RENEW_AFTER:
                    if not _renew(run, claimed[index:]):
                        break  # taken over (this run stalled past its lease): leave them
                    claimed_at = clock.now()
                    yield
                try:
                    if not is_open:
                        mail.open_connection(backend)
                        is_open = True
                    _send_one(backend, message)
                except mail.Unreachable as error:
                    report.unreachable = str(error)
                    _held(run, claimed[index:], f"mail server unreachable: {error}", report)
                    yield
                    return
                except Exception as error:  # noqa: BLE001 - one bad message fails alone
                    _failed(run, message, f"{type(error).__name__}: {error}", report)
                    if not isinstance(error, ANSWERED):
                        mail.reset(backend)  # it may have stopped half-way: start clean
                else:
                    _sent(run, message, report)
                yield  # this message's outcome is committed before the next is sent
    finally:
        if is_open:
            mail.reset(backend)


def run_id() -> str:
    """This run's name on the messages it claims: the machine, the process, and a nonce."""
    return f"{socket.gethostname()[:36]}:{os.getpid()}:{secrets.token_hex(4)}"


def _due_to_send(now: datetime) -> ColumnElement[bool]:
    """Queued, failed and due again, or claimed by a run whose lease has run out."""
    return or_(
        and_(
            OutboxMessage.status.in_(SENDABLE),
            or_(OutboxMessage.next_attempt_at.is_(None), OutboxMessage.next_attempt_at <= now),
        ),
        and_(OutboxMessage.status == "sending", OutboxMessage.claimed_at < now - LEASE),
    )


def _claim(run: str, after_id: int, only_ids: list[int] | None) -> list[Claimed]:
    """Mark the next batch of messages due as this run's (``sending``, under a lease); rows
    another run holds (locked, or claimed under a live lease) are skipped."""
    now = clock.now()
    query = (
        select(*CLAIMED_COLUMNS)
        .join(User, User.id == OutboxMessage.recipient_id)
        .where(
            OutboxMessage.id > after_id,
            _due_to_send(now),
            or_(OutboxMessage.expires_on.is_(None), OutboxMessage.expires_on >= clock.today()),
        )
        .order_by(OutboxMessage.id)
        .limit(BATCH)
    )
    if only_ids is not None:
        query = query.where(OutboxMessage.id.in_(only_ids))
    rows = db.session.execute(_locking(query)).all()
    if rows:
        _update(
            [row[0] for row in rows],
            status="sending",
            claimed_by=run,
            claimed_at=now,
        )
    return [Claimed(*row) for row in rows]


def _locking(query: Select) -> Select:
    """``query`` so that no other run reads its rows until this transaction ends."""
    if db.session.get_bind().dialect.name == "postgresql":
        return query.with_for_update(skip_locked=True, of=OutboxMessage)
    # SQLite: take the write lock first, so that a second run waits until this one commits.
    db.session.execute(
        update(OutboxMessage).where(OutboxMessage.id == -1).values(attempts=0),
        execution_options={"synchronize_session": False},
    )
    return query


def _update(ids: list[int], *conditions: ColumnElement[bool], **values: Any) -> int:
    """Set ``values`` on the messages ``ids`` (that still meet ``conditions``); how many."""
    result = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(ids), *conditions)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return cast(CursorResult, result).rowcount  # an UPDATE's result counts its rows


def _still_mine(run: str) -> tuple[ColumnElement[bool], ...]:
    return (OutboxMessage.status == "sending", OutboxMessage.claimed_by == run)


def _renew(run: str, messages: list[Claimed]) -> bool:
    """Start this run's lease on ``messages`` again; False when another run took them."""
    ids = [message.id for message in messages]
    renewed = _update(ids, *_still_mine(run), claimed_at=clock.now())
    if renewed != len(ids):
        log.warning(
            "%d messages claimed by %s were taken over by another run", len(ids) - renewed, run
        )
        return False
    return True


def _send_one(backend, message: Claimed) -> None:
    mail.send(
        backend,
        to=message.to_address,
        subject=message.subject,
        text=message.body_text,
        html=message.body_html,
    )


def _sent(run: str, message: Claimed, report: RunReport) -> None:
    """Record ``message`` as sent: the server has accepted it."""
    done = _update(
        [message.id],
        *_still_mine(run),
        status="sent",
        attempts=message.attempts + 1,
        sent_at=clock.now(),
        last_error=None,
        next_attempt_at=None,
    )
    if not done:  # the lease ran out while it was sent: the run that took it may send it too
        log.warning("message %d was sent after another run took it over", message.id)
    report.sent += 1
    _note(report, message, "sent")
    _audit("reminder.sent", message, attempt=message.attempts + 1)


def _failed(run: str, message: Claimed, error: str, report: RunReport) -> None:
    """Record that the server refused ``message``, or that it could not be written: tried
    again after a pause that grows with each failure (``BACKOFF``), until its last day."""
    attempts = message.attempts + 1
    retry_at = clock.now() + BACKOFF[min(attempts, len(BACKOFF)) - 1]
    _update(
        [message.id],
        *_still_mine(run),
        status="failed",
        attempts=attempts,
        last_error=error[:500],
        next_attempt_at=retry_at,
    )
    report.failed += 1
    _note(report, message, "failed")
    _audit(
        "reminder.failed",
        message,
        attempt=attempts,
        error=error[:500],
        next_attempt_at=retry_at.isoformat(),
    )


def _held(run: str, messages: list[Claimed], error: str, report: RunReport) -> None:
    """Put back ``messages``, which the server could not be reached to take: failed, to try
    again by the next run, without counting an attempt (nothing is wrong with them)."""
    _update(
        [message.id for message in messages],
        *_still_mine(run),
        status="failed",
        last_error=error[:500],
        next_attempt_at=None,
    )
    for message in messages:
        report.failed += 1
        _note(report, message, "failed")
        _audit(
            "reminder.failed",
            message,
            attempt=message.attempts,
            error=error[:500],
            unreachable=True,
        )


def _expire(report: RunReport) -> Generator[None, None, None]:
    """Mark expired every message not sent by its last day (``expires_on``), a thousand at a
    time, each with an audit row: never dropped without a word (the administrators' page
    lists them)."""
    while True:
        now = clock.now()
        query = (
            select(*CLAIMED_COLUMNS, OutboxMessage.expires_on, OutboxMessage.last_error)
            .join(User, User.id == OutboxMessage.recipient_id)
            .where(
                OutboxMessage.expires_on < clock.today(),
                or_(
                    OutboxMessage.status.in_(SENDABLE),
                    and_(
                        OutboxMessage.status == "sending",
                        OutboxMessage.claimed_at < now - LEASE,
                    ),
                ),
            )
            .order_by(OutboxMessage.id)
            .limit(1000)
        )
        rows = db.session.execute(_locking(query)).all()
        if not rows:
            return
        _update([row[0] for row in rows], status="expired", next_attempt_at=None)
        for row in rows:
            message, expires_on, last_error = Claimed(*row[:-2]), row[-2], row[-1]
            report.expired += 1
            _note(report, message, "expired")
            _audit(
                "reminder.expired",
                message,
                attempts=message.attempts,
                expires_on=expires_on.isoformat(),
                error=last_error,
            )
        yield


def _audit(action: str, message: Claimed, **details: Any) -> None:
    audit.record(
        None,
        action,
        employer_id=message.employer_id,
        obj=OutboxMessage(id=message.id),  # names the row (type and id); never added
        role="system",
        details={
            "recipient_id": message.recipient_id,
            "kind": message.kind,
            "milestone": message.milestone,
            **details,
        },
    )


def _note(report: RunReport, message: Claimed, status: str) -> None:
    entry = report.messages.get(message.key)
    if entry is None:
        entry = report.messages[message.key] = {
            "recipient": message.username,
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


def _deliver_now(message_id: int) -> Generator[None, None, None]:
    """Send one message (a failure waits for the daily run)."""
    report = RunReport(on=clock.today(), dry_run=False)
    yield from deliver(report, only_ids=[message_id])
    if report.unreachable:
        log.warning("mail server unreachable; the next run retries: %s", report.unreachable)
