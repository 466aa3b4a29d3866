"""Agency staff correct an employer's facts by hand, with a reason, as the list import would.

The texts are read by the list import's cell parsers and the facts checked together by the same
rule (``portal.rules.employer_facts.incoherences``, against the stored founding and first
insured months and July); every change is audited with the values before and after.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select

from portal.core import audit
from portal.core.extensions import db
from portal.features.imports import cells
from portal.features.imports.cells import CellError
from portal.models import Employer, User
from portal.rules.employer_facts import incoherences
from portal.rules.errors import DomainError

#: The facts this edit changes, in the order the page and the audit row give them.
EDITED_FACTS = ("has_arrears", "arrears_until", "deregistered_on", "refund_bank", "refund_account")


class FactsEditError(DomainError):
    """An edit that cannot be saved: the facts changed since the page was shown, or no reason."""

    kind = "employer_facts"


@dataclass(frozen=True)
class FactsTyped:
    """What staff typed: yes/no for arrears and texts ("" for none), parsed here."""

    has_arrears: bool | None  # None: not chosen (then the facts are checked without it)
    arrears_until: str = ""
    deregistered_on: str = ""
    refund_bank: str = ""
    refund_account: str = ""


def stored_facts(employer: Employer) -> dict[str, Any]:
    """The edited facts as stored."""
    return {name: getattr(employer, name) for name in EDITED_FACTS}


def facts_fingerprint(employer: Employer) -> str:
    """A short digest of the stored facts: the form carries it, to tell an edit made meanwhile
    by someone else from a second click on the same one."""
    text = json.dumps(_plain(stored_facts(employer)), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


#: Each typed text's parser: the list import's (``cells``).
PARSERS = {
    "arrears_until": cells.month,
    "deregistered_on": cells.deregistration_day,
    "refund_bank": cells.bank,
    "refund_account": cells.account,
}


def read_facts(employer: Employer, typed: FactsTyped) -> tuple[dict[str, Any], list[CellError]]:
    """The typed facts as the list import reads them, and every problem with them (each on its
    field): a text ``cells`` refuses, else facts that cannot all be true with the employer's
    stored founding month, first insured month and July (``incoherences``)."""
    facts: dict[str, Any] = {"has_arrears": typed.has_arrears}
    problems = []
    for name, parse in PARSERS.items():
        text = getattr(typed, name).strip()
        try:
            facts[name] = parse(text) if text else None
        except CellError as error:
            problems.append(CellError(error.code, name, **error.details))
    if not problems:
        problems = [
            CellError(incoherence.code, incoherence.field, **incoherence.details)
            for incoherence in incoherences(
                founded_month=employer.founded_month,
                first_insured_month=employer.first_insured_month,
                july_paid=employer.is_july_paid,
                has_arrears=facts["has_arrears"],
                arrears_until=facts["arrears_until"],
                deregistered_on=facts["deregistered_on"],
            )
        ]
    return facts, problems


def edit_employer_facts(
    employer: Employer, typed: FactsTyped, *, reason: str, seen: str, actor: User
) -> dict[str, tuple[Any, Any]]:
    """Set the employer's edited facts; return what changed ({fact: (before, after)}), empty
    when nothing did (the same edit sent twice).

    :raise CellError: a value the list import would refuse, or facts that cannot all be true
        with the stored ones (on the field to correct).
    :raise FactsEditError: no reason (``reason_required``), or the facts changed since the
        page was shown to something else (``changed``).
    """
    reason = reason.strip()
    if not reason:
        raise FactsEditError("reason_required", "reason")
    if typed.has_arrears is None:
        raise CellError("yes_no", "has_arrears")
    # The row locked until the request commits (PostgreSQL): a second click waits, then finds
    # its edit made and changes nothing.
    employer = db.session.scalars(
        select(Employer)
        .where(Employer.id == employer.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    wanted, problems = read_facts(employer, typed)
    if problems:
        raise problems[0]
    before = stored_facts(employer)
    changes = {
        name: (before[name], wanted[name]) for name in EDITED_FACTS if before[name] != wanted[name]
    }
    if not changes:
        return {}
    if facts_fingerprint(employer) != seen:
        raise FactsEditError("changed")
    for name, (_before, after) in changes.items():
        setattr(employer, name, after)
    db.session.flush()
    audit.record(
        actor,
        "employer.facts_edit",
        employer_id=employer.id,
        obj=employer,
        details={
            "reason": reason,
            "before": _plain({name: old for name, (old, _new) in changes.items()}),
            "after": _plain({name: new for name, (_old, new) in changes.items()}),
        },
    )
    return changes


def _plain(facts: dict[str, Any]) -> dict[str, Any]:
    """Facts as JSON keeps them (a date as YYYY-MM-DD)."""
    return {k: v.isoformat() if isinstance(v, date) else v for k, v in facts.items()}
