"""The employer's side of the 2020 deferral by application (临医保发〔2020〕28号 操作细则 二（二）;
锡医保服务〔2020〕11号 三（一）): the months and reason, the uploaded letters, then send. The
application is a commitment application of kind ``deferral_2020``: the same row, uploads,
submission, review queue, audit and status page."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.core import uploads as files
from portal.core.extensions import db
from portal.facts.rates import rate_table_for, reduction_programs
from portal.features.applications import bp
from portal.features.applications.forms import Deferral2020FilesForm, Deferral2020Form
from portal.features.applications.operations import (
    DEFERRAL_KIND,
    AlreadySubmitted,
    ApplicationError,
    deferral_of,
    deferral_refusals,
    open_deferral_draft,
    remove_evidence,
    set_deferral_answers,
    submit_deferral,
)
from portal.features.applications.queries import evidence_of_employer, latest_round
from portal.features.applications.views import receive_uploads
from portal.labels import error_message, industry_ground_label, put_error, route_label
from portal.rules import (
    deferral_lengths,
    deferral_routes,
    deferral_start_months,
    deferred_months,
    load_program,
)
from portal.util import clock
from portal.util.numbers import parse_id
from portal.web.forms import ConfirmForm, SelectChoice
from portal.web.permissions import EMPLOYER_APPLY, permission


def _program_or_none(employer) -> str | None:
    programs = reduction_programs(employer, clock.today())
    return programs[0] if programs else None


def _form(program_id: str, formdata=...) -> Deferral2020Form:
    """The form, offering the grounds, start months and lengths the program accepts
    (portal.rules); without several grounds, no ground is asked."""
    form = Deferral2020Form() if formdata is ... else Deferral2020Form(formdata=formdata)
    program = load_program(program_id)
    form.start_month.choices = [SelectChoice(m, m) for m in deferral_start_months(program)]
    form.months.choices = [SelectChoice(str(n), str(n)) for n in deferral_lengths(program)]
    routes = deferral_routes(program_id)
    if routes is None:
        del form.route
        del form.ground
    else:
        form.route.choices = [SelectChoice(key, route_label(key)) for key in routes.keys]
        grounds = () if routes.industry is None else routes.industry.value
        form.ground.choices = [SelectChoice(g.key, industry_ground_label(g)) for g in grounds]
    return form


@bp.route("/deferral-2020", methods=["GET", "POST"])
@permission(EMPLOYER_APPLY)
def deferral_2020(employer):
    program_id = _program_or_none(employer)
    if program_id is None:
        return redirect(url_for("reductions.rates", employer_id=employer.id))
    latest = latest_round(employer, DEFERRAL_KIND)
    if latest is not None and latest.status in ("submitted", "approved"):
        return redirect(_status_url(employer, latest))
    form = _form(program_id)
    refused = [] if latest else deferral_refusals(employer, program_id)
    if request.method == "GET" and latest is not None:
        form.start_month.data = latest.defer_start
        form.months.data = str(latest.defer_months) if latest.defer_months else None
        form.reason.data = latest.defer_reason
        form.employees_agreed.data = bool(latest.employees_agreed)
        if "route" in form:
            form.route.data = latest.defer_route
            form.ground.data = latest.defer_ground
    if not refused and form.validate_on_submit():
        try:
            application = open_deferral_draft(
                employer, program_id, actor=current_user, today=clock.today()
            )
            set_deferral_answers(
                application,
                start_month=form.start_month.data,
                months=parse_id(form.months.data),
                reason=form.reason.data,
                employees_agreed=bool(form.employees_agreed.data),
                actor=current_user,
                today=clock.today(),
                route=form.route.data if "route" in form else None,
                ground=(form.ground.data or None) if "ground" in form else None,
            )
        except ApplicationError as error:
            db.session.rollback()
            put_error(form, error, default="start_month")
        else:
            return redirect(url_for("applications.deferral_2020_files", employer_id=employer.id))
    program = load_program(program_id)
    return render_template(
        "applications/deferral_2020.html",
        employer=employer,
        program=program,
        form=form,
        refused=[error_message(ApplicationError(c, detail=t)) for c, t in refused],
        latest=latest,
    ), (400 if form.errors else 200)


def _draft(employer):
    application = latest_round(employer, DEFERRAL_KIND)
    return application if application is not None and application.status == "draft" else None


def _status_url(employer, application) -> str:
    return url_for(
        "applications.application", employer_id=employer.id, application_id=application.id
    )


@bp.route("/deferral-2020/files", methods=["GET", "POST"])
@permission(EMPLOYER_APPLY)
def deferral_2020_files(employer):
    application = _draft(employer)
    if application is None or not application.defer_start:
        return redirect(url_for("applications.deferral_2020", employer_id=employer.id))
    form = Deferral2020FilesForm()
    if form.validate_on_submit() and receive_uploads(form, application):
        return redirect(url_for("applications.deferral_2020_files", employer_id=employer.id))
    request_ = deferral_of(application)
    assert request_ is not None  # noqa: S101 - a 2020 deferral draft with its start (above)
    table = rate_table_for(employer, application.program_id)
    return render_template(
        "applications/deferral_2020_files.html",
        employer=employer,
        application=application,
        program=load_program(application.program_id),
        deferral=request_,
        months=deferred_months(request_, table),
        form=form,
        confirm_form=ConfirmForm(),
        max_files=files.MAX_EVIDENCE_FILES,
    ), (400 if form.errors else 200)


@bp.route("/deferral-2020/files/<int:file_id>/remove", methods=["POST"])
@permission(EMPLOYER_APPLY)
def deferral_2020_remove(employer, file_id: int):
    application = _draft(employer)
    record = evidence_of_employer(employer, file_id)
    if (
        application is not None
        and ConfirmForm().validate_on_submit()
        and record.application_id == application.id
    ):
        remove_evidence(application, record, actor=current_user)
        flash(_("Removed: %(name)s", name=record.original_name), "success")
    return redirect(url_for("applications.deferral_2020_files", employer_id=employer.id))


@bp.route("/deferral-2020/submit", methods=["POST"])
@permission(EMPLOYER_APPLY)
def deferral_2020_submit(employer):
    application = latest_round(employer, DEFERRAL_KIND)
    if application is None:
        return redirect(url_for("applications.deferral_2020", employer_id=employer.id))
    if not ConfirmForm().validate_on_submit():
        flash(_("This form had expired, so nothing was saved. Try again."), "error")
        return redirect(url_for("applications.deferral_2020_files", employer_id=employer.id))
    try:
        submit_deferral(application, actor=current_user, today=clock.today())
    except AlreadySubmitted:
        db.session.rollback()  # the other request sent it; show what it sent
    except ApplicationError as error:
        if error.code != "not_draft":
            flash(error_message(error), "error")
            return redirect(url_for("applications.deferral_2020_files", employer_id=employer.id))
    return redirect(_status_url(employer, application))
