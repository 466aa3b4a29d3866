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
    "auth.logout": _l("Signed out"),
    "auth.login_failed": _l("Failed sign-in"),
    "auth.login_refused_locked": _l("Sign-in refused: account locked"),
    "user.set_locale": _l("Language changed"),
    "staff_user.create": _l("Staff account created"),
    "demo.load": _l("Demonstration data loaded"),
}


def size_label(code: str | None) -> str:
    return str(SIZES.get(code or "", _l("Not classified")))


def source_label(code: str | None) -> str:
    return str(SOURCES.get(code or "", code or ""))


def role_label(code: str | None) -> str:
    return str(ROLES.get(code or "", code or ""))


def action_label(code: str) -> str:
    return str(ACTIONS.get(code, code))
