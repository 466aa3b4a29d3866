"""Names shown to people for the codes stored in the database."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

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
    "demo.load": _l("Demonstration data loaded"),
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
    "decision.defer": _l("Deferral confirmed"),
    "decision.opt_out": _l("Opted out of the deferral"),
    "departure.record": _l("Departure recorded"),
    "hall.acting_start": _l("Service-hall visit started"),
    "hall.acting_end": _l("Service-hall visit ended"),
    "service_hall.create": _l("Service hall added"),
    "service_hall.update": _l("Service hall changed"),
    "commitment.paper_sign": _l("Commitment letter signed on paper at the service hall"),
}
CAPACITIES = {
    "legal_representative": _l("legal representative"),
    "agent": _l("agent with a letter of authority"),
}


def size_label(code: str | None) -> str:
    return str(SIZES.get(code or "", _l("Not classified")))


def source_label(code: str | None) -> str:
    return str(SOURCES.get(code or "", code or ""))


def role_label(code: str | None) -> str:
    return str(ROLES.get(code or "", code or ""))


def action_label(code: str) -> str:
    return str(ACTIONS.get(code, code))


def capacity_label(code: str | None) -> str:
    return str(CAPACITIES.get(code or "", code or ""))


INDICATORS = {
    "employees": _l("employees (persons)"),
    "revenue": _l("operating revenue (10,000 yuan)"),
    "assets": _l("total assets (10,000 yuan)"),
}
LEVELS = {
    "sme": _l("SME ceiling: any figure below"),
    "medium": _l("Medium: every figure at or above"),
    "small": _l("Small: every figure at or above"),
}
OPERATORS = {"<": _l("below"), ">=": _l("at or above")}


def indicator_label(code: str) -> str:
    return str(INDICATORS.get(code, code))


def level_label(code: str) -> str:
    return str(LEVELS.get(code, code))


def operator_label(code: str) -> str:
    return str(OPERATORS.get(code, code))
