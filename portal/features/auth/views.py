from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, logout_user

from portal.core.extensions import db
from portal.core.ratelimit import enforce
from portal.features.auth import bp
from portal.features.auth.forms import ActivateForm, LoginForm
from portal.features.auth.operations import (
    AuthError,
    LoginPolicy,
    activate_account,
    authenticate,
    end_sessions,
)
from portal.labels import put_error
from portal.models import User
from portal.util import clock
from portal.web import submissions
from portal.web.forms import ConfirmForm, add_error, entered
from portal.web.permissions import PUBLIC, SIGNED_IN, permission, request_next

TOO_MANY_SIGN_INS = _l(
    "Too many sign-in attempts from your connection. Wait a minute, then try again."
)
TOO_MANY_ACTIVATIONS = _l(
    "Too many activation attempts from your connection. Wait a minute, then check the "
    "code on the letter from the service hall and try again."
)

SIGN_OUT_EXPIRED = _l(
    "You are still signed in: the sign-out button had expired, so nothing changed. Select "
    "Sign out below."
)


@bp.before_request
def limit_attempts() -> None:
    """Count each sign-in and activation sent, before its view (and before its form's key is
    claimed: on SQLite the count's own transaction would wait for the request's).

    :raise 429: too many from this client this minute.
    """
    if request.method != "POST":
        return
    if request.endpoint == "auth.login":
        enforce("login", "LOGIN_RATE_LIMIT_PER_MINUTE", message=TOO_MANY_SIGN_INS)
    elif request.endpoint == "auth.activate":
        enforce("activate", "ACTIVATE_RATE_LIMIT_PER_MINUTE", message=TOO_MANY_ACTIVATIONS)


@bp.route("/login", methods=["GET", "POST"])
@permission(PUBLIC)
def login():
    form = LoginForm()
    if form.validate_on_submit():
        policy = LoginPolicy(
            current_app.config["LOGIN_MAX_FAILURES"], current_app.config["LOGIN_LOCK_MINUTES"]
        )
        user = authenticate(entered(form.username.data), entered(form.password.data), policy)
        submissions.answered(user.id if user is not None else None)
        if user is not None:
            _start_session(user)
            return redirect(request_next() or url_for("main.dashboard"))
        add_error(form.password, _refused())
    return render_template("auth/login.html", form=form, next=request_next())


@submissions.replays("auth.login")
def _login_again(answer: submissions.Answer):
    """The same sign-in sent again: signed in as the first was (this browser may not have kept
    the first's cookie), or refused as it was, without counting another try."""
    user = db.session.get(User, answer.ref) if answer.ref is not None else None
    if user is None or answer.location is None or not user.is_enabled:
        form = LoginForm()
        add_error(form.password, _refused())
        return render_template("auth/login.html", form=form, next=request_next())
    _start_session(user)
    return redirect(answer.location)


@bp.route("/logout", methods=["GET", "POST"])
@permission(SIGNED_IN)
def logout():
    form = ConfirmForm()
    if form.validate_on_submit():
        end_sessions(current_user._get_current_object())
        logout_user()
        session.clear()
        flash(_("You have signed out."), "success")
        return redirect(url_for("main.index"))
    if form.is_submitted():  # a stale or missing token: still signed in, and told so
        form.csrf_token.errors = [SIGN_OUT_EXPIRED]
    return render_template("auth/logout.html", form=form)


@bp.route("/activate", methods=["GET", "POST"])
@permission(PUBLIC)
def activate():
    form = ActivateForm()
    if form.validate_on_submit():
        try:
            user = activate_account(
                credit_code=entered(form.credit_code.data),
                code=entered(form.code.data),
                username=entered(form.username.data),
                display_name=entered(form.display_name.data).strip(),
                password=entered(form.password.data),
                email=form.email.data,
            )
        except AuthError as error:
            put_error(form, error)
        else:
            submissions.answered(user.id)
            _start_session(user)
            flash(_("Your account is ready."), "success")
            return redirect(url_for("main.dashboard"))
    return render_template("auth/activate.html", form=form)


@submissions.replays("auth.activate")
def _activated_again(answer: submissions.Answer):
    """The same activation sent again: signed in to the account the first made."""
    user = db.session.get(User, answer.ref) if answer.ref is not None else None
    if user is None or answer.location is None:
        raise submissions.SentAlready()
    _start_session(user)
    flash(_("Your account is ready."), "success")
    return redirect(answer.location)


def _refused() -> str:
    return _("The username or password is not right, or the account is locked for now.")


def _start_session(user) -> None:
    session.clear()
    login_user(user, remember=False)
    now = int(clock.timestamp())
    session["login_at"] = now
    session["seen_at"] = now
    session.permanent = True
