"""When an employer's classification is confirmed, and what changing it does to its deferral.

内医保办发〔2022〕19号 三（一）2: 划型结果一经确认，原则上不再变更. Each program says what
confirms a classification (its reading ``classification_confirmed_when``, with the clause):
deferring on the list by default and not opted out (免申即享), the employer's own "defer"
decision, an approved application, or a change agency staff decided on; Inner Mongolia adds
the agencies' first confirmation (``classification_confirmed_by``: every employer from that
day). A list that would change a confirmed employer's size class, list status or arrears does
not apply that change: it is held for agency staff (portal/features/held), who see what it
would do to the employer's deferral (``change_effect``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from .errors import PolicyError
from .policy import CONFIRMED_WHEN, Program
from .quote import settled_months
from .standing import AssessmentFact, EmployerFacts, Standing, standing

ZERO = Decimal(0)

#: The employer's columns a list may not change silently once its classification is confirmed,
#: and the fact of the rules each one is (values as the register stores them, as text).
HELD_FACTS = {"size_class": "size_class", "list_status": "is_listed", "has_arrears": "has_arrears"}


@dataclass(frozen=True)
class ConfirmationRule:
    """What confirms a classification under one program, with the clauses."""

    when: tuple[str, ...]
    ref: str
    explanation: str
    # Every employer's classification is confirmed from this day on (Inner Mongolia).
    confirmed_by: date | None = None
    confirmed_by_ref: str = ""


@dataclass(frozen=True)
class ConfirmationFacts:
    """What decides whether one employer's classification is confirmed, as plain values."""

    is_listed: bool
    is_eligible: bool
    decision: str | None  # the latest decision's choice: "defer" | "opt_out" | None
    has_approved_application: bool = False
    has_agency_decision: bool = False  # agency staff accepted or rejected a held change


@dataclass(frozen=True)
class Confirmation:
    """Why a classification is confirmed (``code``: ``confirmed_by`` or one of CONFIRMED_WHEN)."""

    code: str
    ref: str


def confirmation_rule(program: Program) -> ConfirmationRule:
    """The program's rule (its readings); raise PolicyError where the file gives none."""
    when = program.reading("classification_confirmed_when")
    if when is None:
        raise PolicyError(program.id, "readings.classification_confirmed_when", "is missing")
    codes = tuple(str(code) for code in when.value)
    unknown = [code for code in codes if code not in CONFIRMED_WHEN]
    if unknown:
        raise PolicyError(
            program.id,
            "readings.classification_confirmed_when",
            f"{', '.join(unknown)} is not one of {', '.join(CONFIRMED_WHEN)}",
        )
    by = program.reading("classification_confirmed_by")
    confirmed_by = None
    if by is not None:
        confirmed_by = by.value if isinstance(by.value, date) else _iso_date(program, by.value)
    return ConfirmationRule(
        codes, when.ref, when.explanation or "", confirmed_by, by.ref if by is not None else ""
    )


def _iso_date(program: Program, value: object) -> date:
    try:
        return date.fromisoformat(str(value))
    except ValueError as error:
        raise PolicyError(
            program.id, "readings.classification_confirmed_by", "must be a date (YYYY-MM-DD)"
        ) from error


def classification_confirmed(
    program: Program, facts: ConfirmationFacts, on: date
) -> Confirmation | None:
    """Why the employer's classification is confirmed on ``on``, or None while it is not."""
    rule = confirmation_rule(program)
    if rule.confirmed_by is not None and on >= rule.confirmed_by:
        return Confirmation("confirmed_by", rule.confirmed_by_ref)
    found = {
        "listed_not_opted_out": facts.is_listed
        and facts.is_eligible
        and facts.decision != "opt_out",
        "decided_defer": facts.decision == "defer",
        "approved_application": facts.has_approved_application,
        "agency_decision": facts.has_agency_decision,
    }
    code = next((code for code in rule.when if found[code]), None)
    return Confirmation(code, rule.ref) if code is not None else None


def confirmation_facts(
    standing: Standing, *, has_approved_application: bool, has_agency_decision: bool
) -> ConfirmationFacts:
    """The confirmation facts of an employer's standing (decided on its stored facts)."""
    return ConfirmationFacts(
        is_listed=standing.is_listed,
        is_eligible=standing.is_eligible,
        decision=standing.decision.choice if standing.decision is not None else None,
        has_approved_application=has_approved_application,
        has_agency_decision=has_agency_decision,
    )


@dataclass
class Held:
    """A list row's change to a held column of an employer whose classification is confirmed:
    not applied with the file, waiting for agency staff (``held_changes``). Values as the
    register stores them, as text ("true"/"false" for a yes/no column)."""

    line: int
    credit_code: str
    employer_id: int
    column: str  # the employer's column: size_class, list_status, has_arrears
    before: str | None
    after: str | None
    # Agency staff rejected this very change before: it is not asked again (no new row).
    rejected_id: int | None = None

    def as_json(self) -> dict[str, object]:
        return {
            "line": self.line,
            "credit_code": self.credit_code,
            "column": self.column,
            "before": self.before,
            "after": self.after,
        }


def confirmation_clause(program: Program, on: date) -> str:
    """The clause that holds a confirmed classification under ``program`` on ``on``."""
    rule = confirmation_rule(program)
    if rule.confirmed_by is not None and on >= rule.confirmed_by:
        return rule.confirmed_by_ref
    return rule.ref


# ------------------------------------------------------------------------------ the effect


@dataclass(frozen=True)
class EndedDeferral:
    """What falls due when a deferral ends: the deferred months up to the change, less what
    is paid, by the period's catch-up deadline (reading ``ended_deferral_due``)."""

    months: list[str]
    amount: Decimal
    not_assessed: list[str]
    deadline: date
    late_fee_from: date
    ref: str  # the catch-up deadline's clause
    reading_ref: str = ""  # that it applies to a deferral ended early: the portal's reading


@dataclass(frozen=True)
class ChangeEffect:
    """What a held change does to the employer's deferral: ``ends``, ``starts`` or ``none``."""

    code: str
    # ends: why the employer could no longer defer ((code, clause) of each reason)
    reasons: list[tuple[str, str]]
    due: EndedDeferral | None = None
    # starts: the months it would defer and their catch-up deadline
    period_start: str | None = None
    period_end: str | None = None
    deadline: date | None = None


def with_change(current: Standing, column: str, value: str | None) -> Standing:
    """The employer's standing on the same day had ``column`` held ``value``."""
    if current.facts is None or column not in HELD_FACTS:
        raise ValueError(f"no standing to change, or {column!r} is not a held column")
    facts: EmployerFacts = current.facts
    if column == "size_class":
        facts = replace(facts, size_class=value)
    elif column == "list_status":
        facts = replace(facts, is_listed=value == "listed")
    else:
        facts = replace(facts, has_arrears=value == "true")
    assessments = [
        AssessmentFact(line.month, line.unit_amount, line.personal_amount, line.headcount)
        for line in current.lines
        if line.source == "assessment" and line.unit_amount is not None
    ]
    return standing(
        current.program, facts, current.decision, assessments, current.loaded_payments, current.on
    )


def is_deferring(s: Standing) -> bool:
    """Deferred, eligible, with a period: what a change can end or start."""
    return s.is_deferred and s.is_eligible and s.period is not None


def change_effect(before: Standing, after: Standing) -> ChangeEffect:
    """What moving from ``before`` to ``after`` (the same employer and day, one held column
    changed) does to the deferral, with what falls due where it ends."""
    was, will = is_deferring(before), is_deferring(after)
    if was and not will:
        refs = after.eligibility.refs if after.eligibility is not None else {}
        reasons = [
            (code, refs.get(_REF_OF_REASON.get(code, code), ""))
            for code, _message in (after.eligibility.reasons if after.eligibility else [])
        ]
        if not after.is_listed and before.is_listed:
            reasons.append(("not_listed", ""))
        return ChangeEffect("ends", reasons, ended_deferral(before))
    if will and not was:
        assert after.period is not None  # noqa: S101 - is_deferring says so
        return ChangeEffect(
            "starts", [], None, after.period.start, after.period.end, after.period.deadline
        )
    return ChangeEffect("none", [])


#: The key of ``Eligibility.refs`` that holds each reason's clause.
_REF_OF_REASON = {
    "large_enterprise": "sizes",
    "size_undetermined": "sizes",
    "out_of_scope_unit_kind": "excluded",
    "fund_reserve_unknown": "fund_reserve",
}


def ended_deferral(before: Standing) -> EndedDeferral:
    """What a deferral that ends on ``before.on`` leaves to pay, and by when."""
    period = before.period
    if period is None:
        raise ValueError("no deferral to end")
    months = settled_months(period, before.on)
    amounts = before.month_amounts
    principal = sum((amounts[m] for m in months if m in amounts), ZERO)
    paid = sum((p.amount for p in before.payments), ZERO)
    reading = before.program.reading("ended_deferral_due")
    return EndedDeferral(
        months=months,
        amount=max(principal - paid, ZERO),
        not_assessed=[m for m in months if m not in amounts],
        deadline=period.deadline,
        late_fee_from=period.late_fee_from,
        ref=period.refs.get("deadline", ""),
        reading_ref=reading.ref if reading is not None else "",
    )


__all__ = [
    "HELD_FACTS",
    "ChangeEffect",
    "Confirmation",
    "ConfirmationFacts",
    "ConfirmationRule",
    "EndedDeferral",
    "Held",
    "change_effect",
    "classification_confirmed",
    "confirmation_clause",
    "confirmation_facts",
    "confirmation_rule",
    "ended_deferral",
    "is_deferring",
    "with_change",
]
