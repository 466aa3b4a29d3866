"""Who is due a reminder on a day, computed for every employer in a few set-based statements.

The standings come from ``portal.facts.standing.standings`` (five statements whatever the
number of employers: the monthly report's loader), what departures make due at once from
``portal.facts.departures.dues_at_once`` (one); a handful more read the employers' names, the
people who receive reminders, the applications, the reviewers' queues and what the outbox
already holds. Nothing here runs one employer's page queries.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import Select, and_, bindparam, func, or_, select
from sqlalchemy.orm import selectinload

from portal.core.extensions import db
from portal.core.rows import plain_rows
from portal.facts.cache import kept
from portal.facts.deferral_2020 import deferrals_2020
from portal.facts.departures import DueAtOnce, dues_at_once
from portal.facts.rates import rate_table_for
from portal.facts.standing import employers_where, standings
from portal.models import (
    CommitmentApplication,
    Employer,
    Membership,
    OutboxMessage,
    StoredLetter,
    User,
)
from portal.rules import deferral_request, deferred_months
from portal.rules.deferral_2020 import CatchUp2020
from portal.rules.quote import Quote
from portal.rules.reminders import LATE_FEE, due_milestone
from portal.rules.standing import Standing

ZERO = Decimal(0)
EMPLOYER_ROLES_REMINDED = ("owner", "finance")


@dataclass(frozen=True)
class Recipient:
    id: int
    username: str
    display_name: str
    email: str
    locale: str | None


@dataclass
class Due:
    """One reminder due on a day: what it is about, and who receives it."""

    kind: str
    milestone: str
    employer_id: int | None
    context: dict[str, Any]
    recipients: list[Recipient] = field(default_factory=list)

    @property
    def employer_key(self) -> int:
        return self.employer_id or 0

    def key(self, recipient: Recipient) -> tuple[int, int, str, str]:
        return (recipient.id, self.employer_key, self.kind, self.milestone)


def start_of(day: date) -> datetime:
    """Midnight at the start of ``day`` where the employers are, in UTC."""
    zone = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    return datetime.combine(day, time(0), zone).astimezone(UTC)


# ------------------------------------------------------------------------- the catch-up


def catch_up_context(
    standing: Standing,
    *,
    on: date,
    name: str,
    credit_code: str,
    departures: Sequence[tuple[str, Decimal]] = (),
) -> dict[str, Any] | None:
    """What a catch-up reminder says, or None when none is due (nothing owed, before the first
    milestone). A listed employer that no longer qualifies (``Standing.lapse``) is told that
    the deferral does not apply, why, and what is due at once instead."""
    quote, period, lapse = standing.quote, standing.period, standing.lapse
    if period is None or not _owing(standing):
        return None
    milestone = due_milestone(period, on)
    if milestone is None:
        return None
    context: dict[str, Any] = {
        "employer_id": standing.facts.employer_id if standing.facts else None,
        "employer_name": name,
        "credit_code": credit_code,
        "program_id": standing.program.id,
        "milestone": milestone.milestone,
        "milestone_key": milestone.key,
        "is_late": milestone.key == LATE_FEE,
        "on": on,
        "days_left": max((period.deadline - on).days, 0),
        "deadline": period.deadline,
        "late_fee_from": period.late_fee_from,
        "late_fee_rate": standing.program.late_fee.daily_rate.value,
        "period_start": period.start,
        "period_end": period.end,
        "funds_ready_ref": _funds_ready_ref(standing),
        "lapsed": lapse is not None,
    }
    if lapse is not None:
        refs = standing.eligibility.refs if standing.eligibility else {}
        return {
            **context,
            "lapse_reasons": [code for code, _message in standing.lapse_reasons],
            "lapse_refs": sorted({ref for key, ref in refs.items() if key != "scope"}),
            "lapse_ref": lapse.ref,
            "due_on": lapse.due_on,
            "lapse_months": list(lapse.months),
            "later_months": list(lapse.later_months),
            "outstanding": lapse.amount,
            "late_fee": lapse.late_fee,
            "total_due": lapse.total_due,
            "not_assessed": list(lapse.not_assessed),
        }
    assert quote is not None  # noqa: S101 - checked above for a deferred employer
    return {
        **context,
        "late_fee_ref": quote.refs.get("late_fee_from", ""),
        "deadline_ref": quote.refs.get("deadline", ""),
        "deferred_total": quote.deferred_total,
        "paid": quote.paid,
        "outstanding": quote.outstanding,
        "late_fee": quote.late_fee,
        "total_due": quote.total_due,
        "departures": list(departures),
        "departures_total": sum((amount for _ref, amount in departures), ZERO),
        "not_assessed": list(quote.not_assessed),
    }


def catch_up_2020_context(
    catch_up: CatchUp2020, *, on: date, employer_id: int, name: str, credit_code: str
) -> dict[str, Any] | None:
    """What a reminder of a 2020 deferral's catch-up day says (the milestones of
    ``rules.reminders`` over its catch-up ``Period``), or None when none is due: nothing
    owed, or before the first milestone."""
    period, quote = catch_up.period, catch_up.quote
    if not catch_up.owes:
        return None
    milestone = due_milestone(period, on)
    if milestone is None:
        return None
    return {
        "employer_id": employer_id,
        "employer_name": name,
        "credit_code": credit_code,
        "program_id": catch_up.program_id,
        "deferral_2020": True,
        "milestone": milestone.milestone,
        "milestone_key": milestone.key,
        "is_late": milestone.key == LATE_FEE,
        "on": on,
        "days_left": max((period.deadline - on).days, 0),
        "deadline": period.deadline,
        "late_fee_from": period.late_fee_from,
        "late_fee_rate": quote.daily_rate,
        "period_start": period.start,
        "period_end": period.end,
        "funds_ready_ref": None,
        "lapsed": False,
        "late_fee_ref": quote.refs.get("late_fee_from", ""),
        "deadline_ref": quote.refs.get("deadline", ""),
        "deferred_total": quote.deferred_total,
        "paid": quote.paid,
        "outstanding": quote.outstanding,
        "late_fee": quote.late_fee,
        "total_due": quote.total_due,
        "departures": [],
        "departures_total": ZERO,
        "not_assessed": list(quote.not_assessed),
    }


def _funds_ready_ref(standing: Standing) -> str | None:
    """The clause that asks the reminder to say 备足资金 (内医保办发〔2022〕19号 六（二）)."""
    funds = standing.program.reminder_funds_ready
    return funds.ref if funds is not None and funds.value else None


def _owing(standing: Standing) -> bool:
    """A deferred employer with something to catch up, or a lapsed one with something due."""
    if standing.is_deferred:
        return standing.quote is not None and _owes(standing.quote)
    lapse = standing.lapse
    return lapse is not None and (lapse.total_due > 0 or bool(lapse.not_assessed))


def _owes(quote: Quote) -> bool:
    """Something is still to pay: an amount known, or a month the agency has not assessed."""
    return quote.total_due > 0 or bool(quote.not_assessed)


def _owed(due: DueAtOnce | None) -> list[tuple[str, Decimal]]:
    """Each departed person who owes something at once, and how much."""
    if due is None:
        return []
    return [
        (item.departure.person_ref, item.settlement.amount)
        for item in due.items
        if item.settlement.amount > 0
    ]


# ------------------------------------------------------------------------- recipients


def employer_recipients(ids) -> dict[int, list[Recipient]]:
    """Owners and finance staff with a confirmed address and reminders on, per employer."""
    rows = db.session.execute(
        select(
            Membership.employer_id,
            User.id,
            User.username,
            User.display_name,
            User.email,
            User.locale,
        )
        .join(User, User.id == Membership.user_id)
        .where(
            Membership.employer_id.in_(ids),
            Membership.role.in_(EMPLOYER_ROLES_REMINDED),
            *_reachable(),
        )
        .order_by(Membership.employer_id, User.id)
    )
    result: dict[int, list[Recipient]] = defaultdict(list)
    for employer_id, user_id, username, display_name, email, locale in rows:
        assert email is not None  # noqa: S101 - _reachable() leaves out NULL
        result[employer_id].append(Recipient(user_id, username, display_name, email, locale))
    return result


def _reachable():
    return (
        User.is_enabled.is_(True),
        User.reminders_enabled.is_(True),
        User.email.is_not(None),
        User.email_confirmed_at.is_not(None),
    )


# ------------------------------------------------------------------------- applications


def _application_dues_query(employers) -> Select:
    """The applications of ``employers`` (a condition on their employer id) rejected or approved
    since ``:event_since``, and their drafts created before ``:draft_before`` and unsigned."""
    return (
        select(
            CommitmentApplication.id,
            CommitmentApplication.employer_id,
            CommitmentApplication.status,
            CommitmentApplication.reference,
            CommitmentApplication.decision_reason,
            CommitmentApplication.program_id,
            Employer.name,
            Employer.credit_code,
            StoredLetter.id,
            StoredLetter.verification_code,
            CommitmentApplication.kind,
            CommitmentApplication.defer_start,
            CommitmentApplication.defer_months,
        )
        .join(Employer, Employer.id == CommitmentApplication.employer_id)
        .outerjoin(
            StoredLetter,
            and_(
                StoredLetter.application_id == CommitmentApplication.id,
                StoredLetter.kind == "approved",
                StoredLetter.superseded_at.is_(None),
            ),
        )
        .where(
            employers,
            or_(
                and_(
                    CommitmentApplication.status.in_(("approved", "rejected")),
                    CommitmentApplication.decided_at >= bindparam("event_since"),
                ),
                and_(
                    CommitmentApplication.status == "draft",
                    CommitmentApplication.signed_at.is_(None),
                    CommitmentApplication.created_at < bindparam("draft_before"),
                ),
            ),
        )
        .order_by(CommitmentApplication.id)
    )


# The home page runs it for its one employer on every visit: built once (building it costs
# more than running it; bench/bench_pages.py).
ONE_EMPLOYER_DUES = _application_dues_query(
    CommitmentApplication.employer_id == bindparam("employer_id")
)


def _application_dues(on: date, ids=None, *, employer_id: int | None = None) -> list[Due]:
    """Rejected (with the reason) and approved (with the letter) lately; drafts left unsigned:
    of the employers ``ids`` (a subquery of their ids), or of the one ``employer_id``."""
    event_days = current_app.config["REMINDER_EVENT_DAYS"]
    draft_days = current_app.config["REMINDER_DRAFT_DAYS"]
    if employer_id is not None:
        statement, values = ONE_EMPLOYER_DUES, {"employer_id": employer_id}
    else:
        statement, values = _application_dues_query(CommitmentApplication.employer_id.in_(ids)), {}
    rows = plain_rows(
        statement,
        event_since=start_of(on - timedelta(days=event_days)),
        draft_before=start_of(on - timedelta(days=draft_days - 1)),
        **values,
    )
    # Only an employer's latest decision of each kind of application is news: a rejection
    # followed by an approval (of a later round) is stale, on the home page and in the mail.
    latest_decided = {
        (row[1], row[10]): row[0] for row in rows if row[2] in ("approved", "rejected")
    }  # rows are in id order
    dues = []
    for row in rows:
        app_id, employer_id, status, ref, reason, program_id, name, code, letter_id, vcode = row[
            :10
        ]
        application_kind, defer_start, defer_months = row[10:]
        latest = latest_decided.get((employer_id, application_kind))
        if status in ("approved", "rejected") and latest != app_id:
            continue
        kind = {"approved": "application_approved", "rejected": "application_rejected"}.get(
            status, "application_draft"
        )
        context = {
            "employer_id": employer_id,
            "employer_name": name,
            "credit_code": code,
            "application_id": app_id,
            "reference": ref,
            "reason": reason,
            "program_id": program_id,
            "letter_id": letter_id,
            "verification_code": vcode,
            "on": on,
            # a commitment application, or a 2020 deferral by application with its months
            "application_kind": application_kind,
            "defer_start": defer_start,
            "defer_months": defer_months,
            "deferral": _deferral_granted(program_id, application_kind, defer_start, defer_months),
        }
        dues.append(Due(kind, str(app_id), employer_id, context))
    return dues


# ------------------------------------------------------------------------- reviewers


def _review_dues(on: date, agency_id: int | None) -> list[Due]:
    """Per agency, the submitted applications due tomorrow and those overdue (two statements)."""
    query = (
        select(
            Employer.agency_id,
            CommitmentApplication.id,
            CommitmentApplication.reference,
            CommitmentApplication.due_on,
            Employer.name,
        )
        .join(Employer, Employer.id == CommitmentApplication.employer_id)
        .where(
            CommitmentApplication.status == "submitted",
            CommitmentApplication.due_on <= on + timedelta(days=1),
        )
        .order_by(CommitmentApplication.due_on, CommitmentApplication.id)
    )
    if agency_id is not None:
        query = query.where(Employer.agency_id == agency_id)
    queues: dict[int, dict[str, list]] = defaultdict(lambda: {"due_tomorrow": [], "overdue": []})
    for agency, app_id, ref, due_on, name in db.session.execute(query):
        assert due_on is not None  # noqa: S101 - the query's due_on <= ... leaves out NULL
        item = {"id": app_id, "reference": ref, "due_on": due_on, "employer_name": name}
        if due_on < on:
            queues[agency]["overdue"].append(item)
        elif due_on > on:
            queues[agency]["due_tomorrow"].append(item)
    queues = {a: q for a, q in queues.items() if q["due_tomorrow"] or q["overdue"]}
    if not queues:
        return []
    reviewers: dict[int, list[Recipient]] = defaultdict(list)
    for reviewer_agency, user_id, username, display_name, email, locale in db.session.execute(
        select(User.agency_id, User.id, User.username, User.display_name, User.email, User.locale)
        .where(User.staff_role == "reviewer", User.agency_id.in_(list(queues)), *_reachable())
        .order_by(User.id)
    ):
        # agency_id IN (...) and _reachable() leave out NULL
        assert reviewer_agency is not None and email is not None  # noqa: S101
        recipient = Recipient(user_id, username, display_name, email, locale)
        reviewers[reviewer_agency].append(recipient)
    return [
        Due("review_queue", on.isoformat(), None, {"on": on, **queue}, reviewers[agency])
        for agency, queue in sorted(queues.items())
        if reviewers[agency]
    ]


# ------------------------------------------------------------------------- everything due


def due_reminders(on: date, *, agency_id: int | None = None) -> list[Due]:
    """Every reminder due on ``on``, each with its recipients (none without one)."""
    ids = employers_where(agency_id=agency_id)
    all_standings = standings(on, agency_id=agency_id)
    names = {
        row[0]: row[1:]
        for row in db.session.execute(
            select(Employer.id, Employer.name, Employer.credit_code).where(Employer.id.in_(ids))
        )
    }
    catch_up: dict[int, Standing] = {}
    for employer_id, standing in all_standings.items():
        period = standing.period
        if period is not None and _owing(standing) and due_milestone(period, on) is not None:
            catch_up[employer_id] = standing
    departures = dues_at_once(catch_up, agency_id=agency_id) if catch_up else {}
    dues: list[Due] = []
    for employer_id, standing in catch_up.items():
        name, code = names[employer_id]
        context = catch_up_context(
            standing,
            on=on,
            name=name,
            credit_code=code,
            departures=_owed(departures.get(employer_id)),
        )
        if context is not None:
            dues.append(Due("catch_up", context["milestone"], employer_id, context))
    for employer_id, followed in deferrals_2020(on, agency_id=agency_id).items():
        name, code = names[employer_id]
        context = catch_up_2020_context(
            followed, on=on, employer_id=employer_id, name=name, credit_code=code
        )
        if context is not None:
            dues.append(Due("catch_up", context["milestone"], employer_id, context))
    dues.extend(_application_dues(on, ids))
    recipients = employer_recipients(ids)
    for due in dues:
        key = due.employer_id
        due.recipients = [] if key is None else recipients.get(key, [])
    dues = [due for due in dues if due.recipients]
    dues.extend(_review_dues(on, agency_id))
    return dues


def existing_keys(dues: list[Due]) -> set[tuple[int, int, str, str]]:
    """The (recipient, employer, kind, milestone) of these dues already in the outbox."""
    milestones = sorted({due.milestone for due in dues})
    if not milestones:
        return set()
    rows = db.session.execute(
        select(
            OutboxMessage.recipient_id,
            OutboxMessage.employer_key,
            OutboxMessage.kind,
            OutboxMessage.milestone,
        ).where(OutboxMessage.milestone.in_(milestones))
    )
    return {(recipient, employer, kind, milestone) for recipient, employer, kind, milestone in rows}


# ------------------------------------------------------------------------- the admin's view


def outbox_page(*, status: str | None = None, limit: int = 200) -> list[OutboxMessage]:
    """The latest messages (failed ones first when asked for), newest first."""
    query = select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit)
    if status:
        query = query.where(OutboxMessage.status == status)
    return list(db.session.scalars(query))


#: What did not reach its recipient: failed (tried again later) and expired (not any more).
UNDELIVERED = ("failed", "expired")


def undelivered_page(*, limit: int = 200) -> list[OutboxMessage]:
    """The latest messages failed or expired, newest first, with their recipient and
    employer (two statements more, whatever the number)."""
    return list(
        db.session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.status.in_(UNDELIVERED))
            .order_by(OutboxMessage.id.desc())
            .limit(limit)
            .options(selectinload(OutboxMessage.recipient), selectinload(OutboxMessage.employer))
        )
    )


def outbox_counts() -> dict[str, int]:
    return dict(
        db.session.execute(
            select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
        ).all()
    )


# ------------------------------------------------------------------------- the home page


@dataclass(frozen=True)
class Notice:
    """A reminder shown on the employer's home page until the matter is settled."""

    kind: str
    context: dict[str, Any]


#: ``CommitmentApplication.kind`` of a 2020 deferral by application (the stored code; the
#: applications feature names it DEFERRAL_KIND, and imports this package through auth).
DEFERRAL_KIND = "deferral_2020"


def _deferral_granted(
    program_id: str | None, kind: str, start: str | None, months: int | None
) -> dict[str, Any] | None:
    """A 2020 deferral's months and catch-up day as the program answers them
    (``deferral_request``), the amount not yet known; None for a commitment application or a
    draft without its months."""
    if kind != DEFERRAL_KIND or program_id is None or not start:
        return None
    request = deferral_request(program_id, start_month=start, months=months or 1)
    return {
        "start": request.start,
        "end": request.end,
        "catch_up_by": request.catch_up_by,
        "amount": None,
    }


def _with_deferral(employer: Employer, due: Due) -> Due:
    """An approved 2020 deferral's notice with the amount deferred (``deferred_months`` over the
    employer's rate table; None while a month's base is unknown). Other notices as they are."""
    context = due.context
    granted = context["deferral"]
    if granted is None or due.kind != "application_approved":
        return due
    request = deferral_request(
        context["program_id"],
        start_month=context["defer_start"],
        months=context["defer_months"] or 1,
    )
    months = deferred_months(request, rate_table_for(employer, context["program_id"]))
    amount = None if months is None else sum((m.total for m in months), Decimal(0))
    return replace(due, context={**context, "deferral": {**granted, "amount": amount}})


def employer_notices(
    employer: Employer, standing: Standing, on: date, *, catch_up_2020: CatchUp2020 | None = None
) -> list[Notice]:
    """The reminders of one employer, as its home page shows them (one statement; none on a
    repeat visit at the same facts version, portal/facts/cache.py), with its 2020 deferral's
    catch-up where one is followed (``catch_up_2020``, loaded by the page)."""
    notices = []
    context = catch_up_context(
        standing,
        on=on,
        name=employer.name,
        credit_code=employer.credit_code,
    )
    if context is not None:
        notices.append(Notice("catch_up", context))
    if catch_up_2020 is not None:
        context = catch_up_2020_context(
            catch_up_2020,
            on=on,
            employer_id=employer.id,
            name=employer.name,
            credit_code=employer.credit_code,
        )
        if context is not None:
            notices.append(Notice("catch_up", context))
    dues = kept(
        employer,
        (
            "application_dues",
            on,
            employer.name,
            employer.credit_code,
            employer.unit_kind,
            employer.contribution_base_amount,
        ),
        lambda: tuple(
            _with_deferral(employer, due) for due in _application_dues(on, employer_id=employer.id)
        ),
    )
    for due in dues:
        notices.append(Notice(due.kind, due.context))
    return notices
