"""The payments queue for agency staff: payments that match no assessment or pay beyond what is
assessed, each resolved with a note (audited)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.features.payments import bp
from portal.features.payments.forms import ResolveForm
from portal.features.payments.operations import PaymentQueueError, resolve
from portal.features.payments.queries import (
    find_item,
    in_scope,
    queue_items,
    recent_resolutions,
)
from portal.labels import error_message, put_error
from portal.web.forms import entered
from portal.web.permissions import BACK_OFFICE, agency_scope, permission


@bp.route("/queue")
@permission(BACK_OFFICE)
def queue():
    scope = agency_scope(current_user)
    return render_template(
        "payments/queue.html", items=queue_items(scope), resolved=recent_resolutions(scope)
    )


@bp.route("/queue/<int:employer_id>/<month>/<part>/<kind>", methods=["GET", "POST"])
@permission(BACK_OFFICE)
def item(employer_id: int, month: str, part: str, kind: str):
    if not in_scope(agency_scope(current_user), employer_id):
        abort(404)
    found = find_item(employer_id, month, part, kind)
    form = ResolveForm()
    if found is None and request.method == "POST":
        # Resolved by someone else meanwhile, or changed by a payment or an assessment.
        flash(error_message(PaymentQueueError("already_resolved")), "error")
        return redirect(url_for("payments.queue"))
    if found is None:
        abort(404)
    if form.validate_on_submit():
        try:
            resolve(found, entered(form.note.data), actor=current_user)
        except PaymentQueueError as error:
            put_error(form, error)
            return render_template("payments/item.html", item=found, form=form), 409
        flash(_("Resolved: the note is kept with the item and in the audit log."), "success")
        return redirect(url_for("payments.queue"))
    return render_template("payments/item.html", item=found, form=form)
