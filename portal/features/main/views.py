from __future__ import annotations

from flask import current_app, redirect, render_template, request, session, url_for
from flask_login import current_user

from portal.features.auth.operations import set_locale
from portal.features.employer.queries import memberships_of
from portal.features.main import bp
from portal.features.main.forms import LanguageForm
from portal.web import submissions
from portal.web.permissions import PUBLIC, SIGNED_IN, is_safe_next, permission


@bp.route("/")
@permission(PUBLIC)
def index():
    if current_user.is_authenticated:
        return redirect(url_for("main.dashboard"))
    return render_template("main/index.html")


@bp.route("/dashboard")
@permission(SIGNED_IN)
def dashboard():
    if current_user.is_staff:
        return redirect(url_for("staff.employers"))
    memberships = memberships_of(current_user)
    if len(memberships) == 1:
        return redirect(url_for("employer.home", employer_id=memberships[0].employer_id))
    return render_template("main/dashboard.html", memberships=memberships)


@bp.route("/language", methods=["POST"])
@permission(PUBLIC)
def language():
    form = LanguageForm()
    locale = form.locale.data
    if (
        form.validate_on_submit()
        and locale is not None
        and locale in current_app.config["LANGUAGES"]
    ):
        session["locale"] = locale
        if current_user.is_authenticated:
            set_locale(current_user._get_current_object(), locale)
    target = request.form.get("next")
    return redirect(target if is_safe_next(target) else url_for("main.index"))


@submissions.replays("main.language")
def _language_again(answer: submissions.Answer):
    """The same choice sent again: this browser's session gets the language too."""
    locale = LanguageForm().locale.data
    if locale in current_app.config["LANGUAGES"]:
        session["locale"] = locale
    return redirect(answer.location or url_for("main.index"))


@bp.route("/healthz")
@permission(PUBLIC)
def healthz():
    from sqlalchemy import text

    from portal.core.extensions import db

    db.session.execute(text("SELECT 1"))
    return {"status": "ok"}
