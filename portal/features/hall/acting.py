"""The acting session of the request: loaded before every request, shown on every page.

The Flask session holds only the id of an ``ActingSession`` row; the row holds who acts for
which employer and for which visitor. ``g.acting`` is that row while it is open, else None;
``portal.web.permissions.permission`` passes it to ``portal.web.access.employer_role_or_404``, and
``portal.core.audit.record`` reads it.
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app, flash, g, request, session
from flask_babel import gettext as _
from flask_login import current_user, user_logged_out

from portal.core.extensions import db
from portal.features.hall import bp
from portal.features.hall.operations import end_acting, end_open_visits
from portal.models import ActingSession, User
from portal.models.base import utcnow
from portal.web.forms import ConfirmForm

SESSION_KEY = "acting_id"


def idle_limit() -> timedelta:
    return timedelta(minutes=current_app.config.get("ACTING_IDLE_MINUTES", 30))


@bp.before_app_request
def load_acting() -> None:
    """Put the open acting session in ``g.acting``; end it after 30 minutes idle."""
    g.acting = None
    visit_id = session.get(SESSION_KEY)
    if visit_id is None or request.endpoint == "static":
        return
    visit = db.session.get(ActingSession, visit_id)
    if visit is not None and visit.is_open and not current_user.is_authenticated:
        # The sign-in ended without a sign-out (e.g. the password changed elsewhere).
        end_acting(visit, reason="signed_out", actor=visit.staff)
        db.session.commit()
    if (
        visit is None
        or not current_user.is_authenticated
        or visit.staff_id != current_user.id
        or not visit.is_open
    ):
        session.pop(SESSION_KEY, None)
        return
    now = utcnow()
    if now - visit.last_seen_at > idle_limit():
        end_acting(visit, reason="idle", actor=current_user, at=visit.last_seen_at + idle_limit())
        # Committed here: the page this request shows may fail (>= 400 rolls back), and the
        # visit has ended whatever that page does.
        db.session.commit()
        session.pop(SESSION_KEY, None)
        if (request.view_args or {}).get("employer_id") == visit.employer_id:
            return  # that employer's page says so itself (portal.web.access.NotActing)
        flash(
            _(
                "You were no longer acting for %(employer)s: 30 minutes passed without any "
                "activity.",
                employer=visit.employer.name,
            ),
            "info",
        )
        return
    visit.last_seen_at = now
    g.acting = visit


@user_logged_out.connect
def end_acting_at_sign_out(sender, user: User, **extra) -> None:
    """Signing out (or a session ending) ends the visit too."""
    if not user.is_staff:
        return
    end_open_visits(user, reason="signed_out", actor=user)
    session.pop(SESSION_KEY, None)
    g.acting = None


@bp.app_context_processor
def inject_acting() -> dict:
    acting = g.get("acting")
    return {
        "acting": acting,
        # Not from the request: an error page (413) must not read the body again.
        "stop_acting_form": ConfirmForm(formdata=None) if acting else None,
    }
