"""What the pages and e-mails say about a change held for the agency's decision
(内医保办发〔2022〕19号 三（一）2; portal/rules/confirmation.py): its column and values, why the
classification is confirmed, and what the change does to the employer's deferral."""

from __future__ import annotations

from flask_babel import gettext as _

from portal.labels.codes import size_label
from portal.rules.confirmation import ChangeEffect
from portal.util.formatting import day, money


def held_column_label(column: str) -> str:
    if column == "size_class":
        return _("Size class")
    if column == "list_status":
        return _("Deferral list")
    if column == "has_arrears":
        return _("Interrupted payment (中断缴费)")
    return column


def held_value_label(column: str, value: str | None) -> str:
    if value is None:
        return "—"
    if column == "size_class":
        return size_label(value)
    if column == "list_status":
        return _("On the list") if value == "listed" else _("Not on the list")
    if column == "has_arrears":
        return _("In arrears") if value == "true" else _("No arrears")
    return value


def held_status_label(status: str | None) -> str:
    return {
        "pending": _("Waiting for a decision"),
        "accepted": _("Accepted"),
        "rejected": _("Rejected"),
        "superseded": _("Replaced by a later list"),
    }.get(status or "", "—")


def confirmation_label(code: str | None) -> str:
    """Why the employer's classification is confirmed (``Confirmation.code``)."""
    return {
        "confirmed_by": _("The agencies confirmed the classification by the set date"),
        "listed_not_opted_out": _("On the deferral list and deferring by default (免申即享)"),
        "decided_defer": _("The employer confirmed the deferral"),
        "approved_application": _("Its application was approved"),
        "agency_decision": _("Agency staff decided on an earlier change"),
    }.get(code or "", _("Not confirmed"))


def _why_ends(effect: ChangeEffect) -> str:
    words = {
        "large_enterprise": _("a large enterprise cannot defer"),
        "not_listed": _("the employer is off the deferral list"),
        "arrears": _("contributions are owed"),
        "out_of_scope_unit_kind": _("the unit is not covered"),
        "size_undetermined": _("the size class is not known"),
    }
    other = _("the employer can no longer defer")
    found = [words.get(code, other) for code, _ref in effect.reasons]
    refs = [ref for _code, ref in effect.reasons if ref]
    text = "; ".join(dict.fromkeys(found)) or other
    return f"{text} ({'；'.join(dict.fromkeys(refs))})" if refs else text


def held_effect_text(effect: ChangeEffect | None) -> str:
    """What the change does to the deferral, with what falls due where it ends it."""
    if effect is None or effect.code == "none":
        return _("No change to the deferral.")
    if effect.code == "starts":
        return _(
            "The deferral starts: the months %(start)s to %(end)s are deferred, to catch up by "
            "%(deadline)s.",
            start=effect.period_start,
            end=effect.period_end,
            deadline=day(effect.deadline),
        )
    text = _("The deferral ends: %(why)s.", why=_why_ends(effect))
    due = effect.due
    if due is None:
        return text
    assessed = [month for month in due.months if month not in due.not_assessed]
    ref = _("%(ref)s; the portal's reading", ref=due.ref) if due.reading_ref else due.ref
    if assessed:
        text += " " + _(
            "%(amount)s deferred for %(months)s is due by %(deadline)s; from %(late)s late fees "
            "run on what is still unpaid (%(ref)s).",
            amount=money(due.amount),
            months=", ".join(assessed),
            deadline=day(due.deadline),
            late=day(due.late_fee_from),
            ref=ref,
        )
    if due.not_assessed:
        text += " " + _(
            "The deferred months %(months)s are not assessed yet: they are due by %(deadline)s "
            "once assessed; from %(late)s late fees run on what is still unpaid (%(ref)s).",
            months=", ".join(due.not_assessed),
            deadline=day(due.deadline),
            late=day(due.late_fee_from),
            ref=ref,
        )
    return text + " " + _("The months after the change are paid every month as usual.")
