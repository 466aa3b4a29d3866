"""Names shown to people for the codes stored in the database and used by the rules."""

from __future__ import annotations

from decimal import Decimal
from typing import NamedTuple

from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from portal.rules import INDUSTRIES, Classification, load_program, program_ids
from portal.rules.policy import IndustryGround
from portal.rules.uscc import unit_kind_data, unit_kind_label

SIZES = {
    "large": _l("Large enterprise"),
    "medium": _l("Medium enterprise"),
    "small": _l("Small enterprise"),
    "micro": _l("Micro enterprise"),
    "undetermined": _l("Cannot be determined"),
}
SOURCES = {
    "list": _l("the departments' classification"),
    "commitment": _l("an approved commitment"),
    "computed": _l("computed from declared figures"),
}
ROLES = {
    "owner": _l("Owner (legal representative)"),
    "finance": _l("Finance staff"),
    "hall": _l("Service-hall staff"),
    "reviewer": _l("Agency reviewer"),
    "admin": _l("Administrator"),
    "user": _l("User"),
    "anonymous": _l("Nobody signed in"),
    "system": _l("The portal, automatically"),
}
ACTIONS = {
    "activation.issue": _l("Activation code issued"),
    "activation.use": _l("Account activated"),
    "member.remove": _l("Member removed"),
    "auth.login": _l("Signed in"),
    "auth.reauthenticate": _l("Password checked again before signing"),
    "auth.logout": _l("Signed out"),
    "auth.login_failed": _l("Failed sign-in"),
    "auth.login_refused_locked": _l("Sign-in refused: account locked"),
    "auth.login_unknown_user": _l("Failed sign-in: no such username"),
    "user.set_locale": _l("Language changed"),
    "staff_user.create": _l("Staff account created"),
    "api_client.issue": _l("API token issued"),
    "api_client.revoke": _l("API token revoked"),
    "api_grant.create": _l("Standing shared with a system"),
    "api_grant.revoke": _l("Sharing of the standing ended"),
    "api.call": _l("API call"),
    "return.done": _l("Refund or offset carried out"),
    "collections.recorded": _l("Tax bureau's collected figures recorded"),
    "collection.update": _l("Tax bureau's collected figure corrected"),
    "demo.load": _l("Demonstration data loaded"),
    "reports.tax_list_export": _l("Deferral list exported for the tax bureau"),
    "reports.monthly_sent": _l("Monthly report marked as sent"),
    "commitment.start": _l("Commitment application started"),
    "commitment.resubmit_start": _l("Commitment application started again after a rejection"),
    "commitment.answer": _l("Commitment application answers saved"),
    "commitment.evidence_add": _l("Evidence uploaded"),
    "commitment.evidence_remove": _l("Evidence removed"),
    "commitment.sign": _l("Commitment letter signed"),
    "commitment.signature_withdrawn": _l("Signature withdrawn: answers changed after signing"),
    "commitment.submit": _l("Commitment application sent"),
    "commitment.approve": _l("Commitment application approved"),
    "commitment.reject": _l("Commitment application rejected"),
    "jobs.started": _l("A job was started (an import, an export or a report)"),
    "jobs.done": _l("A job finished"),
    "jobs.failed": _l("A job failed"),
    "jobs.retried": _l("A job was run again"),
    "held.record": _l("Changes from the departments' list held for the agency's decision"),
    "held.accept": _l("The agency accepted a change from the departments' list"),
    "held.reject": _l("The agency rejected a change from the departments' list"),
    "payment_queue.resolve": _l("A payment to look into was resolved with a note"),
    "deferral2020.start": _l("2020 deferral application started"),
    "deferral2020.resubmit_start": _l("2020 deferral application started again after a return"),
    "deferral2020.answer": _l("2020 deferral application answers saved"),
    "deferral2020.submit": _l("2020 deferral application sent"),
    "deferral2020.approve": _l("2020 deferral application approved"),
    "deferral2020.reject": _l("2020 deferral application returned"),
    "employer.facts_edit": _l("Employer's facts corrected by hand"),
    "return_choice.refund": _l("Refund chosen for the over-collected amount"),
    "return_choice.offset": _l("Offset chosen for the over-collected amount"),
    "decision.defer": _l("Deferral confirmed"),
    "decision.opt_out": _l("Opted out of the deferral"),
    "departure.record": _l("Departure recorded"),
    "departure.correct": _l("Departure corrected"),
    "hall.acting_start": _l("Service-hall visit started"),
    "hall.acting_end": _l("Service-hall visit ended"),
    "service_hall.create": _l("Service hall added"),
    "service_hall.update": _l("Service hall changed"),
    "region.create": _l("Pooling region added"),
    "region.update": _l("Pooling region changed"),
    "agency.create": _l("Agency added"),
    "agency.update": _l("Agency changed"),
    "fund_reserve.create": _l("Fund reserve of a month recorded"),
    "fund_reserve.update": _l("Fund reserve of a month changed"),
    "region_rate.create": _l("Rates from a month recorded"),
    "region_rate.update": _l("Rates from a month changed"),
    "commitment.paper_sign": _l("Commitment letter signed on paper at the service hall"),
    "email.change": _l("E-mail address changed (waiting for confirmation)"),
    "email.remove": _l("E-mail address removed"),
    "email.confirm": _l("E-mail address confirmed"),
    "reminders.turn_on": _l("Reminders turned on"),
    "reminders.turn_off": _l("Reminders turned off"),
    "reminder.sent": _l("Reminder sent by e-mail"),
    "reminder.failed": _l("Reminder could not be sent"),
}
OUTBOX_KINDS = {
    "catch_up": _l("Catch-up deadline"),
    "application_rejected": _l("Application rejected"),
    "application_approved": _l("Application approved"),
    "classification_changed": _l("Classification changed"),
    "application_draft": _l("Application not signed"),
    "review_queue": _l("Applications to review"),
    "email_confirmation": _l("Address confirmation"),
}
OUTBOX_STATUSES = {
    "queued": _l("Waiting to be sent"),
    "sending": _l("Being sent"),
    "sent": _l("Handed to the mail server"),
    "failed": _l("Failed: tried again later"),
    "expired": _l("Expired: not sent before its last day"),
}
CAPACITIES = {
    "legal_representative": _l("legal representative"),
    "agent": _l("agent with a letter of authority"),
}
STATUSES = {
    "draft": _l("Draft: not sent yet"),
    "submitted": _l("Waiting for review"),
    "approved": _l("Approved"),
    "rejected": _l("Rejected"),
}
LETTER_STATUSES = {
    "signed": _l("Signed; the application is not sent to the agency yet"),
    "under_review": _l("Signed; the agency is reviewing the application"),
    "approved": _l("Approved by the agency"),
    "superseded": _l("Superseded by a later letter"),
    "rejected": _l("Application rejected"),
}
LETTER_KINDS = {
    "signed": _l("Signed commitment letter"),
    "approved": _l("Commitment letter with the approval"),
}
#: What a program defers (scope.deferred_part in the policy files).
DEFERRED_PARTS = {
    "unit_incl_maternity": _l("the unit part, maternity insurance included"),
    "unit_only": _l("the unit part of medical insurance, maternity insurance not included"),
    "medical_and_maternity": _l("medical and maternity insurance contributions"),
    "medical": _l("medical insurance contributions"),
}
IMPORT_KINDS = {
    "list": _l("Deferral list (from the departments)"),
    "assessments": _l("Monthly assessments (per employer)"),
    "persons": _l("Assessments per insured person"),
    "payments": _l("Payments (from the tax bureau)"),
    "collections": _l("Collected figures (from the tax bureau, for the reconciliation)"),
    "agencies": _l("Agencies and their pooling regions"),
    "fund-reserve": _l("Fund reserve in months of payouts, by region and month"),
    "rates": _l("Unit medical and maternity rates, by region from a month"),
}
#: 缴费类型 of a payment (models PAYMENT_PARTS).
PAYMENT_PARTS = {
    "unit": _l("Unit part"),
    "personal": _l("Personal part"),
}
#: Why a payment is in the agency's queue (features/payments/queries.py).
PAYMENT_QUEUE_KINDS = {
    "unmatched": _l("No assessment of this month and part"),
    "over": _l("Paid beyond what is assessed"),
}
IMPORT_STATUSES = {
    "checked": _l("Checked, not applied yet"),
    "applying": _l("Being applied"),
    "applied": _l("Applied"),
    "refused": _l("Refused: nothing changed"),
}
#: Why an employer is off the 缓缴清单 (``portal.rules.exchange.off_list_reasons``): its choice
#: or listing, else the eligibility reason it fails on the day.
OFF_LIST_REASONS = {
    "opted_out": _l("Opted out"),
    "not_listed": _l("No longer on the deferral list"),
    "no_period": _l("No deferral period applies"),
    "reduction_program": _l("The region's program is not a deferral"),
    "arrears": _l("Interrupted payment (中断缴费): arrears to clear first"),
    "large_enterprise": _l("Classified as a large enterprise"),
    "size_undetermined": _l("No size class"),
    "out_of_scope_unit_kind": _l("Not a kind of unit the program covers"),
    "deregistered": _l("Deregistering or deregistered (注销)"),
    "fund_reserve": _l("The pooling region's fund reserve is too low"),
    "fund_reserve_unknown": _l("The pooling region's fund reserve is not known"),
    "new_business_too_late": _l("Founded or insured too late for the program"),
}
AMOUNT_SOURCES = {
    "assessment": _l("agency assessment"),
    "estimate": _l("estimate from the contribution base"),
    "missing": _l("not known yet"),
}


class Indicator(NamedTuple):
    """The figures of 工信部联企业〔2011〕300号 第四条: a name for a label or a heading, the unit
    its figures are in, and the two together as a sentence uses them."""

    name: str
    unit: str
    in_sentence: str


INDICATORS = {
    "employees": Indicator(_l("Number of employees"), _l("persons"), _l("employees (persons)")),
    "revenue": Indicator(
        _l("Operating revenue"), _l("万元 (10,000 yuan)"), _l("operating revenue (10,000 yuan)")
    ),
    "assets": Indicator(
        _l("Total assets"), _l("万元 (10,000 yuan)"), _l("total assets (10,000 yuan)")
    ),
}
#: The three tests of 第四条, in the order the classification applies them.
LEVELS = {
    "sme": _l("Small or medium-sized (中小微型) if any figure is below its line"),
    "medium": _l("Medium (中型) if every figure is at or above its line"),
    "small": _l("Small (小型) if every figure is at or above its line"),
}
OPERATORS = {"<": _l("below"), ">=": _l("at or above")}


def _label(table: dict, code: str | None, default: object = None) -> str:
    found = table.get(code or "")
    if found is not None:
        return str(found)
    return str(default) if default is not None else (code or "")


#: The employer's facts agency staff correct by hand (portal/features/staff), as the list's
#: columns name them.
FACTS = {
    "has_arrears": _l("Interrupted payment (是否中断缴费)"),
    "arrears_until": _l("Last month in arrears (欠费所属期止)"),
    "deregistered_on": _l("Deregistration date (注销日期)"),
    "refund_bank": _l("Bank for refunds (退费开户行)"),
    "refund_account": _l("Account number for refunds (退费账号)"),
}


def fact_label(name: str) -> str:
    return _label(FACTS, name)


def fact_value(name: str, value: object) -> str:
    """A fact's value as a corrections history shows it (as stored: only staff read it)."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    return str(value)


def size_label(code: str | None) -> str:
    return _label(SIZES, code, _l("Not classified"))


def source_label(code: str | None) -> str:
    return _label(SOURCES, code)


def role_label(code: str | None) -> str:
    return _label(ROLES, code)


def action_label(code: str) -> str:
    return _label(ACTIONS, code)


def capacity_label(code: str | None) -> str:
    return _label(CAPACITIES, code)


def status_label(code: str | None) -> str:
    return _label(STATUSES, code)


def letter_status_label(code: str) -> str:
    return _label(LETTER_STATUSES, code)


def letter_kind_label(code: str) -> str:
    return _label(LETTER_KINDS, code)


def deferred_part_label(code: str) -> str:
    return _label(DEFERRED_PARTS, code)


def import_kind_label(code: str) -> str:
    return _label(IMPORT_KINDS, code)


def payment_part_label(code: str) -> str:
    return _label(PAYMENT_PARTS, code)


def payment_queue_kind_label(code: str) -> str:
    return _label(PAYMENT_QUEUE_KINDS, code)


def import_status_label(code: str) -> str:
    return _label(IMPORT_STATUSES, code)


def off_list_label(code: str) -> str:
    return _label(OFF_LIST_REASONS, code, _l("Not eligible on the day"))


def amount_source_label(code: str) -> str:
    return _label(AMOUNT_SOURCES, code, AMOUNT_SOURCES["missing"])


def indicator_label(code: str) -> str:
    return str(INDICATORS[code].name) if code in INDICATORS else code


def indicator_unit(code: str) -> str:
    return str(INDICATORS[code].unit) if code in INDICATORS else ""


def indicator_in_sentence(code: str) -> str:
    return str(INDICATORS[code].in_sentence) if code in INDICATORS else code


def level_label(code: str) -> str:
    return _label(LEVELS, code)


def operator_label(code: str) -> str:
    return _label(OPERATORS, code)


def outbox_kind_label(code: str) -> str:
    return _label(OUTBOX_KINDS, code)


def outbox_status_label(code: str) -> str:
    return _label(OUTBOX_STATUSES, code)


def percent(rate: Decimal) -> str:
    """A rate from the policy files as people write it: Decimal("0.0005") -> ``0.05%``."""
    return f"{(rate * 100).normalize():f}%"


def is_english() -> bool:
    return str(get_locale()) == "en"


def program_name(program_id: str | None) -> str:
    """A program's name as its policy file gives it, in the reader's language."""
    if not program_id or program_id not in program_ids():
        return program_id or "—"
    program = load_program(program_id)
    return program.name_en if is_english() else program.name_zh


def industry_name(key: str | None) -> str:
    if not key or key not in INDUSTRIES:
        return "—"
    industry = INDUSTRIES[key]
    return industry.en if is_english() else industry.zh


def route_label(key: str | None) -> str:
    """A 2020 deferral application's ground (鲁医保发〔2020〕23号 三)."""
    labels = {
        "sme": _("A small or medium-sized enterprise (鲁医保发〔2020〕5号)"),
        "industry": _("An industry hit hard by the epidemic (鲁政办发〔2020〕5号)"),
        "social_organisation": _("A social organisation on the civil-affairs (民政) list"),
    }
    return labels.get(key or "", "—")


def industry_ground_label(ground: IndustryGround | None) -> str:
    """An industry of 鲁政办发〔2020〕5号, as the policy file names it, in the reader's language."""
    if ground is None:
        return "—"
    return ground.en if is_english() else ground.zh


def unit_kind_name(key: str | None) -> str:
    if not key:
        return "—"
    if key == "unknown":
        return _("Another kind of unit")
    zh, en = unit_kind_label(key)
    return en if is_english() else zh


def unit_kind_choices() -> list[tuple[str, str]]:
    """Every unit kind of GB 32100-2015 once, in the table's order, the kinds only a unit
    declares (会计师事务所, other social organisations), then "another kind"."""
    seen: dict[str, None] = {}
    data = unit_kind_data()
    for kind in [*data.kinds.values(), *data.declared.values()]:
        seen.setdefault(kind.key)
    return [(key, unit_kind_name(key)) for key in seen] + [("unknown", unit_kind_name("unknown"))]


def _figure(value: Decimal) -> str:
    return format(value.normalize(), "f") if value == value.to_integral() else format(value, "f")


def explanation(result: Classification) -> list[str]:
    """The classification, check by check, in the reader's language (from ``result.checks``)."""
    lines = [
        _(
            "Rule used: %(clause)s, %(industry)s.",
            clause=result.clause,
            industry=industry_name(result.industry),
        )
    ]
    for level in ("sme", "medium", "small"):
        checks = [c for c in result.checks if c.level == level]
        if not checks:
            continue
        parts = [
            _(
                "%(indicator)s %(value)s %(operator)s %(threshold)s %(unit)s: %(answer)s",
                indicator=indicator_label(c.indicator),
                value=_figure(c.value),
                operator="<" if c.operator == "<" else "≥",
                threshold=_figure(c.threshold),
                unit=indicator_unit(c.indicator),
                answer=_("yes") if c.holds else _("no"),
            )
            for c in checks
        ]
        lines.append(_("%(rule)s: %(checks)s.", rule=level_label(level), checks="; ".join(parts)))
    return lines
