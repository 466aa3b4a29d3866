"""Held changes scoped to the staff member's agency (administrators: all), shown with what each
would do to the employer's deferral; and what an accepted change did, for the employer's pages."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from flask import abort
from sqlalchemy import func, select

from portal.core.extensions import db
from portal.core.paging import Page
from portal.facts.cache import kept
from portal.facts.confirmation import confirmations
from portal.models import Employer, HeldChange, ImportRecord, User
from portal.rules.confirmation import (
    ChangeEffect,
    Confirmation,
    change_effect,
    confirmation_clause,
    with_change,
)
from portal.rules.standing import Standing
from portal.web.permissions import agency_scope

#: Held changes shown on a page of the queue.
PER_PAGE = 20


@dataclass(frozen=True)
class Item:
    """A change to show: what it is, and what the rules say of it on the day."""

    employer_id: int
    employer_name: str
    credit_code: str
    column: str
    before: str | None
    after: str | None
    current: str | None  # the employer's value now (stale when it is not ``before``)
    effect: ChangeEffect | None
    confirmation: Confirmation | None
    clause: str
    change: HeldChange | None = None
    line: int | None = None

    @property
    def is_stale(self) -> bool:
        return self.current != self.before


def _scoped(user: User):
    statement = select(HeldChange).join(Employer, Employer.id == HeldChange.employer_id)
    scope = agency_scope(user)
    if scope is not None:
        statement = statement.where(Employer.agency_id == scope)
    return statement


def get_change_or_404(user: User, change_id: int) -> HeldChange:
    """:raise 404: no such change, or another agency's."""
    change = db.session.scalar(_scoped(user).where(HeldChange.id == change_id))
    if change is None:
        abort(404)
    return change


def pending_page(user: User, number: int) -> Page:
    """The pending changes, oldest first, a page at a time."""
    changes = list(
        db.session.scalars(
            _scoped(user)
            .where(HeldChange.status == "pending")
            .order_by(HeldChange.created_at, HeldChange.id)
            .limit(PER_PAGE + 1)
            .offset((number - 1) * PER_PAGE)
        )
    )
    return Page(changes[:PER_PAGE], number, len(changes) > PER_PAGE)


def pending_count(agency_id: int) -> int:
    """How many held changes of the agency's employers wait for a decision (the calendar)."""
    return (
        db.session.scalar(
            select(func.count())
            .select_from(HeldChange)
            .join(Employer, Employer.id == HeldChange.employer_id)
            .where(Employer.agency_id == agency_id, HeldChange.status == "pending")
        )
        or 0
    )


def _text(value: object) -> str | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    return None if value is None else str(value)


def describe(
    wanted: Sequence[tuple[int, str, str | None, str | None]], on: date
) -> list[tuple[Employer, Standing | None, Confirmation | None, ChangeEffect | None, str]]:
    """For each (employer id, column, before, after): the employer, its standing on ``on``,
    why its classification is confirmed, what the change would do from where it stands now,
    and the clause that holds it. Set-based: a page of changes costs a handful of statements."""
    ids = sorted({employer_id for employer_id, *_rest in wanted})
    if not ids:
        return []
    employers = {e.id: e for e in db.session.scalars(select(Employer).where(Employer.id.in_(ids)))}
    found, standings = confirmations(select(Employer.id).where(Employer.id.in_(ids)), on)
    described = []
    for employer_id, column, _before, after in wanted:
        employer, standing = employers[employer_id], standings.get(employer_id)
        effect = clause = None
        if standing is not None:
            effect = change_effect(standing, with_change(standing, column, after))
            clause = confirmation_clause(standing.program, on)
        confirmation = found.get(employer_id)
        described.append(
            (
                employer,
                standing,
                confirmation,
                effect,
                (confirmation.ref if confirmation else clause) or "",
            )
        )
    return described


def items_of(changes: Sequence[HeldChange], on: date) -> list[Item]:
    """The queue's changes with their employers and effects."""
    described = describe([(c.employer_id, c.column, c.before, c.after) for c in changes], on)
    return [
        Item(
            employer.id,
            employer.name,
            employer.credit_code,
            change.column,
            change.before,
            change.after,
            _text(getattr(employer, change.column)),
            effect,
            confirmation,
            clause,
            change=change,
            line=change.line,
        )
        for change, (employer, _standing, confirmation, effect, clause) in zip(
            changes, described, strict=True
        )
    ]


def record_items(record: ImportRecord, on: date, limit: int) -> list[Item]:
    """The first ``limit`` changes an import held ("needs a decision"), each with its employer,
    effect and clause, and, once applied, its held change (pending, accepted …)."""
    entries = record.held[:limit]
    if not entries:
        return []
    codes = {entry["credit_code"] for entry in entries}
    by_code = {
        code: employer_id
        for code, employer_id in db.session.execute(
            select(Employer.credit_code, Employer.id).where(Employer.credit_code.in_(codes))
        )
    }
    entries = [entry for entry in entries if entry["credit_code"] in by_code]
    changes = {
        (c.employer_id, c.column): c
        for c in db.session.scalars(
            select(HeldChange).where(HeldChange.import_id == record.id).order_by(HeldChange.id)
        )
    }
    wanted = [
        (by_code[e["credit_code"]], e["column"], e.get("before"), e.get("after")) for e in entries
    ]
    described = describe(wanted, on)
    return [
        Item(
            employer.id,
            employer.name,
            employer.credit_code,
            column,
            before,
            after,
            _text(getattr(employer, column)),
            effect,
            confirmation,
            clause,
            change=changes.get((employer.id, column)),
            line=entry["line"],
        )
        for entry, (_id, column, before, after), (
            employer,
            _s,
            confirmation,
            effect,
            clause,
        ) in zip(entries, wanted, described, strict=True)
    ]


@dataclass(frozen=True)
class EndedNotice:
    """An accepted change that ended the employer's deferral, for its pages."""

    column: str
    before: str | None
    after: str | None
    reason: str | None
    decided_at: datetime | None
    clause: str
    effect: ChangeEffect


ACCEPTED = (
    select(
        HeldChange.column,
        HeldChange.before,
        HeldChange.after,
        HeldChange.reason,
        HeldChange.decided_at,
    )
    .where(HeldChange.status == "accepted")
    .order_by(HeldChange.decided_at.desc(), HeldChange.id.desc())
)


def _accepted(
    employer_id: int,
) -> tuple[tuple[str, str | None, str | None, str | None, datetime | None], ...]:
    return tuple(
        (column, before, after, reason, decided_at)
        for column, before, after, reason, decided_at in db.session.execute(
            ACCEPTED.where(HeldChange.employer_id == employer_id)
        )
    )


def ended_deferrals(employer: Employer, current: Standing, on: date) -> list[EndedNotice]:
    """What agency staff accepted that ended the employer's deferral: what changed, why, the
    clause, and what is due now (from the standing it had before the change, with the
    payments made since). One statement, none on a repeat visit at the same facts version (an
    accepted change writes an audit row for the employer, which moves it on)."""
    accepted = kept(employer, ("held_accepted",), lambda: _accepted(employer.id))
    notices = []
    for column, before, after, reason, decided_at in accepted:
        if current.facts is None or current.program.kind != "deferral":
            break
        was = with_change(current, column, before)
        effect = change_effect(was, current)
        if effect.code == "ends":
            clause = confirmation_clause(current.program, on)
            notices.append(EndedNotice(column, before, after, reason, decided_at, clause, effect))
    return notices
