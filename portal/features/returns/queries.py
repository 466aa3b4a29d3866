"""The agency's worklist of money to return: refunds due, offsets month by month (into 2021 and
later) and Jiangsu's July already collected, each with its clause and, once done, the reference
(鲁医保发〔2020〕23号 四; 临医保发〔2020〕28号 操作细则 三; 锡医保服务〔2020〕11号 三（四）;
江苏省实施方案（2022） 三（二）). Scoped to the staff member's agency (administrators: all).

Set-based: the latest choices, the assessed months they offset against, the standings of the
employers whose July was collected and what is done are a handful of statements whatever the
number of employers.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from flask import abort
from sqlalchemy import Select, select

from portal import rules
from portal.core.extensions import db
from portal.facts.standing import standings
from portal.models import Assessment, Employer, ReturnChoice, ReturnDone

#: The kinds of row, in the order the page shows them; "waiting" is an offset whose next month
#: is not assessed yet (nothing to do until it is).
KINDS = ("refund", "offset", "waiting", "july_offset", "july_waiting")

KEY = re.compile(r"^(refund|offset|july)-([1-9][0-9]{0,9})(?:-(20[0-9]{2}-(?:0[1-9]|1[0-2])))?$")


@dataclass(frozen=True)
class WorkItem:
    """One thing to carry out: a refund, or one month of an offset."""

    key: str
    kind: str  # one of KINDS
    employer_id: int
    employer_name: str
    credit_code: str
    program_id: str
    amount: Decimal  # refunded, offset that month, or (waiting) still to offset
    clause: str
    month: str | None = None
    balance: Decimal | None = None  # an offset's credit left after the month
    account: str | None = None  # a refund's account; None: the employer must give one
    choice_id: int | None = None
    done: ReturnDone | None = None

    @property
    def is_done(self) -> bool:
        return self.done is not None

    @property
    def is_waiting(self) -> bool:
        return self.kind in ("waiting", "july_waiting")

    @property
    def needs_account(self) -> bool:
        return self.kind == "refund" and not self.account

    @property
    def can_be_done(self) -> bool:
        return not (self.is_done or self.is_waiting or self.needs_account)


def _scoped(statement: Select, agency_id: int | None, employer_id: int | None) -> Select:
    if agency_id is not None:
        statement = statement.where(Employer.agency_id == agency_id)
    if employer_id is not None:
        statement = statement.where(Employer.id == employer_id)
    return statement


def _latest_choices(
    agency_id: int | None, employer_id: int | None
) -> list[tuple[ReturnChoice, Employer]]:
    """Each employer's current choice per program (the latest row; earlier ones are history)."""
    rows = db.session.execute(
        _scoped(
            select(ReturnChoice, Employer)
            .join(Employer, Employer.id == ReturnChoice.employer_id)
            .order_by(
                Employer.name,
                Employer.id,
                ReturnChoice.program_id,
                ReturnChoice.decided_at.desc(),
                ReturnChoice.id.desc(),
            ),
            agency_id,
            employer_id,
        )
    ).all()
    seen: set[tuple[int, str]] = set()
    latest = []
    for choice, employer in rows:
        if (employer.id, choice.program_id) not in seen:
            seen.add((employer.id, choice.program_id))
            latest.append((choice, employer))
    return latest


def _assessed(employer_ids: Iterable[int], since: str) -> dict[int, list[rules.MonthFact]]:
    """The assessed months from ``since`` of the employers given: base and unit amount."""
    ids = sorted(set(employer_ids))
    found: dict[int, list[rules.MonthFact]] = defaultdict(list)
    if not ids:
        return found
    rows = db.session.execute(
        select(
            Assessment.employer_id,
            Assessment.month,
            Assessment.contribution_base_amount,
            Assessment.unit_amount,
        ).where(Assessment.employer_id.in_(ids), Assessment.month >= since)
    )
    for employer_id, month, base, unit in rows:
        found[employer_id].append(rules.MonthFact(month, base, unit))
    return found


def refund_account(choice: ReturnChoice, employer: Employer) -> str | None:
    """Where a refund goes: the account the employer gave with its choice, else the one on the
    register (退费开户行, 退费账号); None when there is neither."""
    if choice.account:
        return choice.account
    if employer.refund_account:
        return " ".join(p for p in (employer.refund_bank, employer.refund_account) if p)
    return None


def _refund(choice: ReturnChoice, employer: Employer) -> WorkItem:
    rule = rules.load_program(choice.program_id).over_collection
    assert rule is not None  # noqa: S101 - a choice is recorded only under such a program
    account = refund_account(choice, employer)
    batch = rule.refund_without_application
    clause = (
        batch.ref
        if batch is not None and batch.value and account and not choice.account
        else rule.preferred.ref
        if account
        else rule.options.ref
    )
    return WorkItem(
        f"refund-{choice.id}",
        "refund",
        employer.id,
        employer.name,
        employer.credit_code,
        choice.program_id,
        choice.over_collected_amount,
        clause,
        account=account,
        choice_id=choice.id,
    )


def _plan_items(
    plan: rules.OffsetPlan,
    employer: Employer,
    program_id: str,
    clause: str,
    *,
    prefix: str,
    kind: str,
    choice_id: int | None = None,
) -> list[WorkItem]:
    items = [
        WorkItem(
            f"{prefix}-{row.month}",
            kind,
            employer.id,
            employer.name,
            employer.credit_code,
            program_id,
            row.offset_amount,
            clause,
            month=row.month,
            balance=row.credit_left,
            choice_id=choice_id,
        )
        for row in plan.rows
        if row.offset_amount > 0
    ]
    if plan.waiting_for is not None:
        items.append(
            WorkItem(
                f"{prefix}-{plan.waiting_for}",
                "waiting" if kind == "offset" else "july_waiting",
                employer.id,
                employer.name,
                employer.credit_code,
                program_id,
                plan.credit_left,
                clause,
                month=plan.waiting_for,
                balance=plan.credit_left,
                choice_id=choice_id,
            )
        )
    return items


def _offsets(
    choices: list[tuple[ReturnChoice, Employer]],
) -> list[WorkItem]:
    wanted = [(c, e) for c, e in choices if c.choice == "offset" and c.offset_from]
    if not wanted:
        return []
    assessed = _assessed((e.id for _c, e in wanted), min(c.offset_from or "" for c, _e in wanted))
    items = []
    for choice, employer in wanted:
        rule = rules.load_program(choice.program_id).over_collection
        assert rule is not None and choice.offset_from is not None  # noqa: S101 - filtered
        clause = rule.offset_from.ref if rule.offset_from is not None else rule.options.ref
        dues = rules.offset_dues(
            choice.program_id, unit_kind=employer.unit_kind, months=assessed[employer.id]
        )
        plan = rules.offset_plan(choice.over_collected_amount, dues, from_month=choice.offset_from)
        items += _plan_items(
            plan,
            employer,
            choice.program_id,
            clause,
            prefix=f"offset-{choice.id}",
            kind="offset",
            choice_id=choice.id,
        )
    return items


def _july_offsets(on: date, agency_id: int | None, employer_id: int | None) -> list[WorkItem]:
    """Employers deferring whose July was already collected, where the program offsets it
    against later months (江苏省实施方案（2022） 三（二）)."""
    among = _scoped(
        select(Employer.id).where(Employer.is_july_paid.is_(True)), agency_id, employer_id
    )
    offsets = {}
    for found_id, standing in standings(on, among=among).items():
        july = rules.july_offset(standing.program, standing.quote) if standing.is_deferred else None
        if july is not None and standing.quote is not None:
            offsets[found_id] = (standing.program.id, standing.quote.period_start, july)
    if not offsets:
        return []
    employers = {
        e.id: e for e in db.session.scalars(select(Employer).where(Employer.id.in_(offsets)))
    }
    assessed = _assessed(offsets, min(july_month for _p, july_month, _j in offsets.values()))
    items = []
    for found_id, (program_id, july_month, july) in sorted(
        offsets.items(), key=lambda pair: (employers[pair[0]].name, pair[0])
    ):
        dues = {
            m.month: m.collected_amount
            for m in assessed[found_id]
            if m.collected_amount is not None
        }
        if july_month in dues:  # what was collected for July, as the agency assessed it
            plan = rules.offset_plan(dues[july_month], dues, from_month=july.from_month)
        else:  # July only estimated: nothing to offset until its assessment is known
            plan = rules.OffsetPlan([], july.amount, july_month)
        items += _plan_items(
            plan,
            employers[found_id],
            program_id,
            july.ref,
            prefix=f"july-{found_id}",
            kind="july_offset",
        )
    return items


def worklist(on: date, *, agency_id: int | None, employer_id: int | None = None) -> list[WorkItem]:
    """Every refund and offset month of the agency (``None``: every agency), done or not."""
    choices = _latest_choices(agency_id, employer_id)
    items = [_refund(c, e) for c, e in choices if c.choice == "refund"]
    items += _offsets(choices)
    items += _july_offsets(on, agency_id, employer_id)
    done = _done({i.employer_id for i in items})
    return [_with_done(item, done.get(item.key)) for item in items]


def _done(employer_ids: set[int]) -> dict[str, ReturnDone]:
    if not employer_ids:
        return {}
    rows = db.session.scalars(
        select(ReturnDone).where(ReturnDone.employer_id.in_(sorted(employer_ids)))
    )
    return {row.item_key: row for row in rows}


def _with_done(item: WorkItem, done: ReturnDone | None) -> WorkItem:
    if done is None:
        return item
    # What was done stands as it was done, whatever the figures say since.
    return WorkItem(
        item.key,
        item.kind,
        item.employer_id,
        item.employer_name,
        item.credit_code,
        item.program_id,
        done.amount,
        done.clause,
        month=item.month,
        balance=item.balance,
        account=done.account if item.kind == "refund" else item.account,
        choice_id=item.choice_id,
        done=done,
    )


def get_item_or_404(key: str, *, agency_id: int | None, on: date) -> WorkItem:
    """The worklist row ``key`` in the staff member's scope.

    :raise 404: a key of no row, or of another agency's employer.
    """
    match = KEY.match(key)
    if match is None:
        abort(404)
    kind, number = match.group(1), int(match.group(2))
    if kind == "july":
        employer_id: int | None = number
    else:
        employer_id = db.session.scalar(
            select(ReturnChoice.employer_id).where(ReturnChoice.id == number)
        )
    if employer_id is None:
        abort(404)
    found = [i for i in worklist(on, agency_id=agency_id, employer_id=employer_id) if i.key == key]
    if not found:
        abort(404)
    return found[0]


def done_for(employer_id: int) -> list[ReturnDone]:
    """What was refunded or offset for one employer, oldest first (for its own pages)."""
    return list(
        db.session.scalars(
            select(ReturnDone)
            .where(ReturnDone.employer_id == employer_id)
            .order_by(ReturnDone.done_on, ReturnDone.month, ReturnDone.id)
        )
    )
