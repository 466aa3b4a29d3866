"""Agency staff carry out refunds and offsets: the worklist, its files, one row, marked done."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.core.extensions import db
from portal.features.returns import bp
from portal.features.returns.files import kind_label
from portal.features.returns.forms import DoneForm
from portal.features.returns.jobs import start_worklist_file
from portal.features.returns.operations import ReturnsError, mark_done
from portal.features.returns.queries import WorkItem, get_item_or_404, worklist
from portal.labels import put_error
from portal.util import clock
from portal.web.forms import ConfirmForm, entered
from portal.web.permissions import BACK_OFFICE, agency_scope, permission


@bp.route("/")
@permission(BACK_OFFICE)
def worklist_page():
    items = worklist(clock.today(), agency_id=agency_scope(current_user))
    return render_template("returns/worklist.html", items=items, download_form=ConfirmForm())


def _file(file_format: str):
    """The worklist as a file, made by a job over the staff member's scope; the old address
    opened by a link (a GET changes nothing) shows the worklist, whose buttons make it."""
    if request.method == "GET" or not ConfirmForm().validate_on_submit():
        return redirect(url_for("returns.worklist_page"), code=303)
    job = start_worklist_file(
        clock.today(),
        agency_id=agency_scope(current_user),
        file_format=file_format,
        actor=current_user,
    )
    return redirect(url_for("jobs.show", job_id=job.id))


@bp.route("/worklist.csv", methods=["GET", "POST"])
@permission(BACK_OFFICE)
def worklist_csv():
    return _file("csv")


@bp.route("/worklist.xlsx", methods=["GET", "POST"])
@permission(BACK_OFFICE)
def worklist_xlsx():
    return _file("xlsx")


@bp.route("/<item>")
@permission(BACK_OFFICE)
def item(item: str):
    found = get_item_or_404(item, agency_id=agency_scope(current_user), on=clock.today())
    return _render_item(found, DoneForm())


@bp.route("/<item>/done", methods=["POST"])
@permission(BACK_OFFICE)
def done(item: str):
    found = get_item_or_404(item, agency_id=agency_scope(current_user), on=clock.today())
    form = DoneForm()
    if not form.validate_on_submit():
        return _render_item(found, form)
    try:
        mark_done(found, entered(form.reference.data), actor=current_user, on=clock.today())
    except ReturnsError as error:
        db.session.rollback()  # a lost race leaves the session needing it; harmless otherwise
        found = get_item_or_404(item, agency_id=agency_scope(current_user), on=clock.today())
        put_error(form, error)
        return _render_item(found, form), 409
    flash(_("Marked done: the employer sees it with the date and the reference."), "success")
    return redirect(url_for("returns.worklist_page") + f"#{found.key}", code=303)


def _render_item(found: WorkItem, form: DoneForm):
    return render_template("returns/item.html", item=found, form=form, kind_label=kind_label)
