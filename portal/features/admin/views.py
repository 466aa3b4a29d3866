from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from portal.core.extensions import db
from portal.features.admin import bp
from portal.features.admin.forms import ApiClientForm, AuditFilterForm, StaffUserForm
from portal.features.admin.jobs import start_audit_file
from portal.features.admin.operations import StaffUserError, create_staff_user
from portal.features.admin.queries import (
    AuditFilter,
    audit_page,
    logged_actions,
    staff_users,
)
from portal.features.api.operations import (
    AccessError,
    issue_client,
    revoke_client,
    token_again,
)
from portal.features.api.queries import all_clients
from portal.features.hall.forms import HallForm
from portal.features.hall.operations import create_hall, update_hall
from portal.features.hall.queries import all_halls, get_hall_or_404
from portal.labels import action_label, put_error
from portal.models import Agency, ApiClient, User
from portal.util.clock import today
from portal.web import submissions
from portal.web.forms import ConfirmForm, SelectChoice, entered
from portal.web.permissions import ADMIN, permission

API_TOKEN_SEED = "api-token"  # noqa: S105 - names a purpose, it is no secret


@bp.route("/users")
@permission(ADMIN)
def users():
    staff = db.session.scalars(
        select(User).where(User.staff_role.is_not(None)).order_by(User.username)
    )
    return render_template("admin/users.html", users=list(staff))


@bp.route("/users/new", methods=["GET", "POST"])
@permission(ADMIN)
def new_user():
    form = StaffUserForm()
    form.agency_id.choices = [
        SelectChoice(str(agency.id), agency.name)
        for agency in db.session.scalars(select(Agency).order_by(Agency.code))
    ]
    if form.validate_on_submit():
        try:
            user = create_staff_user(
                username=entered(form.username.data),
                display_name=entered(form.display_name.data).strip(),
                staff_role=form.staff_role.data,
                agency_id=form.agency_id.data,
                password=entered(form.password.data),
                actor=current_user,
            )
        except StaffUserError as error:
            put_error(form, error)
        else:
            flash(_("Account %(username)s created.", username=user.username), "success")
            return redirect(url_for("admin.users"))
    return render_template("admin/new_user.html", form=form)


# ------------------------------------------------------------------------------- audit log


def _audit_filter_form(source=None) -> tuple[AuditFilterForm, AuditFilter]:
    form = AuditFilterForm(request.args if source is None else source)
    form.staff.choices = [SelectChoice("", _("Anyone"))] + [
        SelectChoice(str(user.id), f"{user.display_name} ({user.username})")
        for user in staff_users()
    ]
    form.action.choices = [SelectChoice("", _("Any action"))] + [
        SelectChoice(code, action_label(code)) for code in logged_actions()
    ]
    if not form.validate():
        return form, AuditFilter(staff_id=-1)  # show nothing until the filters make sense
    return form, AuditFilter(
        staff_id=form.staff.data,
        employer=form.employer.data or "",
        action=form.action.data or "",
        from_date=form.from_date.data,
        to_date=form.to_date.data,
    )


AUDIT_FILTERS = ("staff", "employer", "action", "from_date", "to_date")


@bp.route("/audit")
@permission(ADMIN)
def audit():
    form, chosen = _audit_filter_form()
    page = audit_page(chosen, request.args.get("page", 1, type=int))
    filters = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template(
        "admin/audit.html", form=form, page=page, filters=filters, download_form=ConfirmForm()
    )


@bp.route("/audit.csv", methods=["GET", "POST"])
@permission(ADMIN)
def audit_csv():
    """The chosen rows as CSV, made by a job; the old address opened by a link (a GET changes
    nothing) shows the audit log with the same filters, whose button makes it."""
    if request.method == "GET" or not ConfirmForm().validate_on_submit():
        filters: dict[str, Any] = {
            k: v for k, v in request.values.items() if k in AUDIT_FILTERS and v
        }
        return redirect(url_for("admin.audit", **filters), code=303)
    _form, chosen = _audit_filter_form(request.form)
    job = start_audit_file(chosen, today(), actor=current_user)
    return redirect(url_for("jobs.show", job_id=job.id))


# ---------------------------------------------------------------------------- service halls


@bp.route("/halls")
@permission(ADMIN)
def halls():
    return render_template("admin/halls.html", halls=all_halls())


@bp.route("/halls/new", methods=["GET", "POST"])
@permission(ADMIN)
def new_hall():
    form = HallForm()
    form.agency_id.choices = _agency_choices()
    if form.validate_on_submit():
        hall = create_hall(form.values(), actor=current_user)
        flash(_("Added the service hall in %(district)s.", district=hall.district), "success")
        return redirect(url_for("admin.halls"))
    return render_template("admin/hall_form.html", form=form, hall=None)


@bp.route("/halls/<int:hall_id>/edit", methods=["GET", "POST"])
@permission(ADMIN)
def edit_hall(hall_id: int):
    hall = get_hall_or_404(hall_id)
    form = HallForm(obj=hall)
    form.agency_id.choices = _agency_choices()
    if form.validate_on_submit():
        if update_hall(hall, form.values(), actor=current_user):
            flash(_("Saved the service hall in %(district)s.", district=hall.district), "success")
        return redirect(url_for("admin.halls"))
    return render_template("admin/hall_form.html", form=form, hall=hall)


def _agency_choices() -> list[SelectChoice]:
    return [SelectChoice("", _("Choose an agency"))] + [
        SelectChoice(agency.id, agency.name)
        for agency in db.session.scalars(select(Agency).order_by(Agency.code))
    ]


# ------------------------------------------------------------ other systems' API tokens


@bp.route("/api-clients")
@permission(ADMIN)
def api_clients():
    return render_template(
        "admin/api_clients.html",
        clients=all_clients(),
        agencies=_agency_names(),
        form=ConfirmForm(),
    )


def _agency_names() -> dict[int, str]:
    return {a.id: f"{a.code} {a.name}" for a in db.session.scalars(select(Agency))}


@bp.route("/api-clients/new", methods=["GET", "POST"])
@permission(ADMIN)
def new_api_client():
    form = ApiClientForm()
    form.agency_ids.choices = [SelectChoice(str(i), n) for i, n in _agency_names().items()]
    if form.validate_on_submit():
        try:
            client, token = issue_client(
                name=entered(form.name.data),
                scopes=form.scopes.data or [],
                agency_ids=form.agency_ids.data or [],
                can_write=bool(form.can_write.data),
                expires_on=entered(form.expires_on.data),
                actor=current_user,
                seed=submissions.secret(API_TOKEN_SEED),
            )
        except AccessError as error:
            put_error(form, error)
        else:
            submissions.answered(client.id)
            return render_template("admin/api_client_issued.html", client=client, token=token)
    return render_template("admin/new_api_client.html", form=form)


@submissions.replays("admin.new_api_client")
def _new_api_client_again(answer: submissions.Answer):
    """The form sent twice: the same token again, made from the form's key (never kept)."""
    again = token_again(answer.ref, submissions.secret(API_TOKEN_SEED))
    if again is None:
        return redirect(url_for("admin.api_clients"))
    client, token = again
    return render_template("admin/api_client_issued.html", client=client, token=token)


@bp.route("/api-clients/<int:client_id>/revoke", methods=["POST"])
@permission(ADMIN)
def revoke_api_client(client_id: int):
    client = db.get_or_404(ApiClient, client_id)
    if ConfirmForm().validate_on_submit() and revoke_client(client, actor=current_user):
        flash(_("The token of %(name)s is revoked.", name=client.name), "success")
    return redirect(url_for("admin.api_clients"))
