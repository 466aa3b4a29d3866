"""Agency staff decide the changes held from the departments' list: the queue, one change,
accept or reject it with a reason (内医保办发〔2022〕19号 三（一）2)."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.core.extensions import db
from portal.core.paging import page_number
from portal.features.held import bp
from portal.features.held.forms import DecideForm
from portal.features.held.operations import HeldError, accept, reject
from portal.features.held.queries import get_change_or_404, items_of, pending_page
from portal.labels import put_error
from portal.labels.held import held_column_label, held_status_label
from portal.models import HeldChange
from portal.util import clock
from portal.util.formatting import moment
from portal.web.forms import entered
from portal.web.permissions import BACK_OFFICE, permission


@bp.route("/")
@permission(BACK_OFFICE)
def queue():
    page = pending_page(current_user, page_number(request.args))
    return render_template("held/queue.html", page=page, items=items_of(page.items, clock.today()))


@bp.route("/<int:change_id>")
@permission(BACK_OFFICE)
def change(change_id: int):
    return _render_change(get_change_or_404(current_user, change_id), DecideForm())


@bp.route("/<int:change_id>/decide", methods=["POST"])
@permission(BACK_OFFICE)
def decide(change_id: int):
    held = get_change_or_404(current_user, change_id)
    form = DecideForm()
    if not form.validate_on_submit():
        return _render_change(held, form)
    try:
        if form.decision.data == "accept":
            effect = accept(held, entered(form.reason.data), actor=current_user, on=clock.today())
        else:
            effect = None
            reject(held, entered(form.reason.data), actor=current_user)
    except HeldError as error:
        db.session.rollback()  # a lost race leaves the session needing it; harmless otherwise
        held = get_change_or_404(current_user, change_id)
        put_error(form, error, **_decided(held))
        return _render_change(held, form), 409 if error.code == "already_decided" else 200
    column = held_column_label(held.column)
    if effect is None:
        flash(_("Rejected: the employer's %(column)s stays as it was.", column=column), "success")
    elif effect.code == "ends":
        flash(
            _("Accepted: the change is applied and the employer is told its deferral ends."),
            "success",
        )
    else:
        flash(_("Accepted: the change is applied."), "success")
    return redirect(url_for("held.queue"))


def _decided(held: HeldChange) -> dict[str, str]:
    """Who decided the change and when, for the message that it cannot be decided again."""
    return {
        "status": held_status_label(held.status),
        "name": held.decided_by.display_name if held.decided_by else "—",
        "date": moment(held.decided_at) if held.decided_at else "—",
    }


def _render_change(held: HeldChange, form: DecideForm):
    item = items_of([held], clock.today())[0]
    return render_template("held/change.html", held=held, item=item, form=form)
