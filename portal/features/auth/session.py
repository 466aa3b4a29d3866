"""Flask-Login wiring: the cookie names a user and a per-user nonce; a changed nonce ends it."""

from __future__ import annotations

from flask import has_request_context, request
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager
from sqlalchemy import bindparam, select

from portal.core.extensions import db
from portal.models import User
from portal.web.access import user_with_membership

# Every signed-in request runs it: built once (``Session.get`` builds its statement anew).
USER_BY_ID = select(User).where(User.id == bindparam("user_id"))


def init_login_manager(login_manager: LoginManager) -> None:
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Sign in to see this page.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
    login_manager.user_loader(load_user)


def load_user(session_id: str) -> User | None:
    """Load the user named by the session, only while its nonce is still the current one."""
    user_id, _sep, nonce = session_id.partition(":")
    if not user_id.isdigit() or not nonce:
        return None
    employer_id = (request.view_args or {}).get("employer_id") if has_request_context() else None
    if isinstance(employer_id, int):  # an employer page: its membership comes in the same read
        user = user_with_membership(int(user_id), employer_id)
    else:
        user = db.session.scalar(USER_BY_ID, {"user_id": int(user_id)})
    if user is None or user.session_nonce != nonce or not user.is_enabled:
        return None
    return user
