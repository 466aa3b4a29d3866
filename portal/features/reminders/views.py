from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from portal.core.ratelimit import enforce
from portal.features.reminders import bp
from portal.features.reminders.addresses import (
    ReminderError,
    confirm_email,
    set_email,
    set_reminders,
)
from portal.features.reminders.forms import ConfirmEmailForm, EmailForm, RemindersForm
from portal.features.reminders.outbox import BACKOFF
from portal.features.reminders.queries import (
    UNDELIVERED,
    outbox_counts,
    outbox_page,
    undelivered_page,
)
from portal.labels import error_message
from portal.models.reminders import OUTBOX_STATUSES
from portal.web.permissions import ADMIN, PUBLIC, SIGNED_IN, permission

TOO_MANY_ADDRESSES = _l(
    "Too many changes of address from your connection. Wait a minute, then try again."
)


@bp.route("/settings", methods=["GET", "POST"])
@permission(SIGNED_IN)
def settings():
    if request.method == "POST":  # each change sends a message: not a way to flood an inbox
        enforce("email", "EMAIL_RATE_LIMIT_PER_MINUTE", message=TOO_MANY_ADDRESSES)
    form = EmailForm()
    if request.method == "GET":
        form.email.data = current_user.email
    elif form.validate_on_submit():
        user = current_user._get_current_object()
        message = set_email(user, form.email.data, actor=user)
        if message is not None:
            flash(
                _("We sent a link to %(email)s. Open it to confirm the address.", email=user.email),
                "success",
            )
        elif user.email is None:
            flash(_("Your e-mail address is removed."), "success")
        return redirect(url_for("reminders.settings"))
    return _render_settings(form)


@bp.route("/settings/switch", methods=["POST"])
@permission(SIGNED_IN)
def switch():
    form = RemindersForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        enabled = form.enabled.data == "on"
        set_reminders(user, enabled, actor=user)
        flash(_("Reminders are on.") if enabled else _("Reminders are off."), "success")
    else:
        flash(_("This form had expired, so nothing was saved. Try again."), "error")
    return redirect(url_for("reminders.settings"))


def _render_settings(form: EmailForm):
    return render_template(
        "reminders/settings.html", form=form, switch_form=RemindersForm(), user=current_user
    )


@bp.route("/confirm/<token>", methods=["GET", "POST"])
@permission(PUBLIC)
def confirm(token: str):
    form = ConfirmEmailForm()
    if form.validate_on_submit():
        try:
            user = confirm_email(token[:1000])
        except ReminderError as error:
            return render_template(
                "reminders/confirm.html", form=form, error=error_message(error)
            ), 400
        return render_template("reminders/confirmed.html", email=user.email)
    return render_template("reminders/confirm.html", form=form, error=None)


@bp.route("/outbox")
@permission(ADMIN)
def outbox():
    status = request.args.get("status")
    status = status if status in OUTBOX_STATUSES else None
    return render_template(
        "reminders/outbox.html",
        messages=outbox_page(status=status),
        counts=outbox_counts(),
        status=status,
        statuses=OUTBOX_STATUSES,
    )


@bp.route("/outbox/undelivered")
@permission(ADMIN)
def undelivered():
    counts = outbox_counts()
    return render_template(
        "reminders/undelivered.html",
        messages=undelivered_page(),
        counts={status: counts.get(status, 0) for status in UNDELIVERED},
        pauses=[int(pause.total_seconds() // 3600) for pause in BACKOFF],
    )
