"""Who may use which route: one ``@permission(...)`` decorator on every view.

Employer-scoped permissions take the ``employer_id`` URL argument, load the employer through a
scoped query (another employer's id is a 404) and pass the ``Employer`` to the view instead.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeGuard, TypeVar

from flask import abort, g, request
from flask_login import current_user

from portal.core.extensions import login_manager
from portal.web import api_tokens
from portal.web.access import ACTING_ROLE, employer_role_or_404
from portal.web.submissions import once

F = TypeVar("F", bound=Callable[..., Any])

PUBLIC = "public"
SIGNED_IN = "signed_in"
# Employer-scoped: need a membership, or hall staff acting for that employer (portal/features/hall).
EMPLOYER_VIEW = "employer.view"
EMPLOYER_DECIDE = "employer.decide"
EMPLOYER_FINANCE = "employer.finance"
EMPLOYER_MEMBERS = "employer.members"
# Declare figures and sign the commitment letter: the legal representative's act (owner only).
EMPLOYER_APPLY = "employer.apply"
# Record a commitment letter signed on paper at a service hall: only hall staff acting.
EMPLOYER_PAPER_SIGN = "employer.paper_sign"
# Staff.
STAFF = "staff"
ISSUE_ACTIVATION = "staff.issue_activation"
# Act for a walk-in employer at the service hall (portal/features/hall).
ACT_FOR_EMPLOYER = "staff.act_for_employer"
REVIEW = "staff.review"
# Correct an employer's facts (arrears, deregistration, refund account) with a reason: the staff
# of the employer's agency (the lookup is scoped) and administrators.
EDIT_EMPLOYER_FACTS = "staff.employer_facts"
# The back office (imports, the 缓缴清单, monthly reports): administrators for every agency,
# reviewers for their own agency only (see ``agency_scope``).
BACK_OFFICE = "staff.back_office"
ADMIN = "admin"
# Other systems, by bearer token (portal/web/api_tokens.py), never by a session: what follows
# "api:" is the scope the token must hold (``api_tokens.SCOPES``).
API_TAX_LIST = "api:tax-list"
API_STANDING = "api:standing"
# The tax bureau's payment returns (内医保办发〔2022〕19号 三（三）): a token that may write.
API_COLLECTIONS = "api:collections"
API_SCOPED = frozenset({API_TAX_LIST, API_STANDING, API_COLLECTIONS})

EMPLOYER_ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    "owner": frozenset(
        {EMPLOYER_VIEW, EMPLOYER_DECIDE, EMPLOYER_FINANCE, EMPLOYER_MEMBERS, EMPLOYER_APPLY}
    ),
    "finance": frozenset({EMPLOYER_VIEW, EMPLOYER_FINANCE}),
    # Hall staff acting for this one employer (portal/features/hall/acting.py): what the owner
    # can do, except managing the employer's people; online signing is refused in the view.
    ACTING_ROLE: frozenset(
        {EMPLOYER_VIEW, EMPLOYER_DECIDE, EMPLOYER_FINANCE, EMPLOYER_APPLY, EMPLOYER_PAPER_SIGN}
    ),
}
STAFF_ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    "hall": frozenset({STAFF, ISSUE_ACTIVATION, ACT_FOR_EMPLOYER, EDIT_EMPLOYER_FACTS}),
    "reviewer": frozenset({STAFF, REVIEW, BACK_OFFICE, EDIT_EMPLOYER_FACTS}),
    "admin": frozenset({STAFF, ISSUE_ACTIVATION, ADMIN, BACK_OFFICE, EDIT_EMPLOYER_FACTS}),
}
EMPLOYER_SCOPED = frozenset(
    {
        EMPLOYER_VIEW,
        EMPLOYER_DECIDE,
        EMPLOYER_FINANCE,
        EMPLOYER_MEMBERS,
        EMPLOYER_APPLY,
        EMPLOYER_PAPER_SIGN,
    }
)


def permission(name: str) -> Callable[[F], F]:
    """Declare who may use a view; the route table test fails on a view without this.

    Once access is checked, the view runs through ``portal.web.submissions.once``: a form
    sent again is answered like the first time, without running the view again.
    """

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if name == PUBLIC:
                return once(view, *args, **kwargs)
            if name in API_SCOPED:
                api_tokens.authenticate(name.removeprefix("api:"))
                return view(*args, **kwargs)
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if name == SIGNED_IN:
                return once(view, *args, **kwargs)
            if name in EMPLOYER_SCOPED:
                employer, role = employer_role_or_404(
                    current_user,
                    kwargs.pop("employer_id"),
                    acting=g.get("acting"),
                    may_act=ACT_FOR_EMPLOYER
                    in STAFF_ROLE_PERMISSIONS.get(current_user.staff_role or "", frozenset()),
                )
                if name not in EMPLOYER_ROLE_PERMISSIONS.get(role, frozenset()):
                    abort(403)
                g.employer_role = role
                return once(view, *args, employer=employer, **kwargs)
            if name not in STAFF_ROLE_PERMISSIONS.get(current_user.staff_role or "", frozenset()):
                abort(403)
            return once(view, *args, **kwargs)

        wrapped.permission = name  # type: ignore[attr-defined]
        return wrapped  # type: ignore[return-value]

    return decorator


def can(user: Any, name: str, role: str | None = None) -> bool:
    """Tell templates whether to offer an action (the route still checks)."""
    if not user.is_authenticated:
        return name == PUBLIC
    if name in EMPLOYER_SCOPED:
        return name in EMPLOYER_ROLE_PERMISSIONS.get(role or "", frozenset())
    return name in STAFF_ROLE_PERMISSIONS.get(user.staff_role or "", frozenset())


def agency_scope(user: Any) -> int | None:
    """The agency a staff member's back-office work is limited to; None for administrators,
    who work for every agency. Anyone else without an agency works for none (403)."""
    if user.staff_role == "admin":
        return None
    if user.agency_id is None:
        abort(403)
    return user.agency_id


def is_safe_next(target: str | None) -> TypeGuard[str]:
    """Accept only a local path for ``next=``: no scheme, no host, no backslash tricks."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return False
    if "\\" in target or any(ord(c) < 32 for c in target):
        return False
    return not target.startswith("/\\")


def request_next() -> str | None:
    target = request.values.get("next")
    return target if is_safe_next(target) else None
