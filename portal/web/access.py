"""Who the user is at an employer: a member with a role, or hall staff acting for it.

``portal.web.permissions.permission`` calls this for every employer-scoped route; the hall's open
acting session (``g.acting``, portal/features/hall/acting.py) is passed in, not read here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import NoReturn

from flask import abort, g
from sqlalchemy import and_, bindparam, select
from sqlalchemy.orm import joinedload
from werkzeug.exceptions import NotFound

from portal.core.extensions import db
from portal.models import ActingSession, Agency, Employer, Membership, User

#: The role of hall staff acting for one employer (portal/features/hall): the owner's rights there,
#: except managing the employer's people (portal.web.permissions.EMPLOYER_ROLE_PERMISSIONS).
ACTING_ROLE = "hall_acting"

# Every employer page runs this statement, so it is built once, here: building a statement and
# its cache key costs about as much as running it (measured with bench/bench_pages.py).
MEMBERSHIP_WITH_EMPLOYER = (
    select(Membership)
    .where(
        Membership.user_id == bindparam("user_id"),
        Membership.employer_id == bindparam("employer_id"),
    )
    .options(joinedload(Membership.employer).joinedload(Employer.agency).joinedload(Agency.region))
)


# The same membership, loaded with the signed-in user
# (portal.features.auth.session.load_user) when the URL names an employer: one statement,
# not two, on every employer page.
USER_WITH_MEMBERSHIP = (
    select(User, Membership)
    .outerjoin(
        Membership,
        and_(Membership.user_id == User.id, Membership.employer_id == bindparam("employer_id")),
    )
    .where(User.id == bindparam("user_id"))
    .options(joinedload(Membership.employer).joinedload(Employer.agency).joinedload(Agency.region))
)


def user_with_membership(user_id: int, employer_id: int) -> User | None:
    """Load the user and their membership at ``employer_id`` (kept on ``g`` for
    :func:`employer_role_or_404`) in one statement."""
    row = db.session.execute(
        USER_WITH_MEMBERSHIP, {"user_id": user_id, "employer_id": employer_id}
    ).one_or_none()
    if row is None:
        return None
    user, membership = row
    g.loaded_membership = (user_id, employer_id, membership)
    return user


def _membership(user: User, employer_id: int) -> Membership | None:
    loaded = g.get("loaded_membership")
    if loaded is not None and loaded[:2] == (user.id, employer_id):
        return loaded[2]
    return db.session.scalar(
        MEMBERSHIP_WITH_EMPLOYER, {"user_id": user.id, "employer_id": employer_id}
    )


@dataclass(frozen=True)
class EndedVisit:
    """How the staff member's last visit for the employer ended (``reason`` None: it is
    still open, in another browser)."""

    reason: str | None
    ended_at: datetime | None


class NotActing(NotFound):
    """Hall staff of the employer's agency who are not acting for it (any more): still a 404,
    but answered with a page that says why and how to act again (portal/web/errors.py), not
    the bare "page not found" (issue 28 item 15: the links of a page left open after its
    visit ended, by 30 minutes idle or a visit started elsewhere, led there)."""

    def __init__(
        self,
        *,
        employer_id: int,
        employer_name: str,
        last_visit: EndedVisit | None,
        acting_for: tuple[int, str] | None,
    ) -> None:
        super().__init__()
        self.employer_id = employer_id
        self.employer_name = employer_name
        self.last_visit = last_visit
        # The employer this browser acts for now, if another one: (id, name).
        self.acting_for = acting_for


LAST_VISIT = (
    select(ActingSession.end_reason, ActingSession.ended_at)
    .where(
        ActingSession.staff_id == bindparam("staff_id"),
        ActingSession.employer_id == bindparam("employer_id"),
    )
    .order_by(ActingSession.started_at.desc(), ActingSession.id.desc())
    .limit(1)
)


def employer_role_or_404(
    user: User, employer_id: int, *, acting: ActingSession | None, may_act: bool = False
) -> tuple[Employer, str]:
    """Return the employer and the user's role there.

    Hall staff acting for an employer (``acting``, the request's open acting session) have the
    acting role there and nowhere else.

    :raise 404: when the user has no membership at that employer (someone else's id looks
        exactly like one that does not exist).
    :raise NotActing: (a 404 too) when ``may_act`` (hall staff) and the employer is one of the
        user's agency, which they may act for but do not now.
    """
    if acting is not None and acting.staff_id == user.id:
        if acting.employer_id != employer_id:
            _not_acting_or_404(user, employer_id, acting=acting, may_act=may_act)
        return acting.employer, ACTING_ROLE
    membership = _membership(user, employer_id)
    if membership is None:
        _not_acting_or_404(user, employer_id, acting=None, may_act=may_act)
    return membership.employer, membership.role


def _not_acting_or_404(
    user: User, employer_id: int, *, acting: ActingSession | None, may_act: bool
) -> NoReturn:
    if not may_act or user.agency_id is None:
        abort(404)
    name = db.session.scalar(
        select(Employer.name).where(
            Employer.id == employer_id, Employer.agency_id == user.agency_id
        )
    )
    if name is None:  # another agency's employer, or none: nothing to say about it
        abort(404)
    last = db.session.execute(
        LAST_VISIT, {"staff_id": user.id, "employer_id": employer_id}
    ).one_or_none()
    raise NotActing(
        employer_id=employer_id,
        employer_name=name,
        last_visit=EndedVisit(*last) if last is not None else None,
        acting_for=(acting.employer_id, acting.employer.name) if acting is not None else None,
    )


def may_see_refund_account(user: User, employer: Employer) -> bool:
    """Whether ``user`` sees the employer's refund account (退费账号) whole: administrators and
    the staff of the employer's agency; everyone else (the employer's own people too) sees its
    last four digits (``portal.util.formatting.masked_account``)."""
    if not user.is_authenticated or not user.staff_role:
        return False
    return user.staff_role == "admin" or user.agency_id == employer.agency_id
