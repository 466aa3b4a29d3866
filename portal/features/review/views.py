"""The reviewer's side: the queue by due date, one application, approve or reject."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal import labels
from portal.core.extensions import db
from portal.facts.rates import rate_table_for
from portal.features.applications.operations import classification, deferral_of
from portal.features.applications.queries import get_evidence_or_404, rounds_of
from portal.features.review import bp
from portal.features.review.forms import RejectForm
from portal.features.review.operations import ReviewError, approve, reject
from portal.features.review.queries import (
    QUEUE_STATUSES,
    get_application_for_review_or_404,
    review_queue,
)
from portal.labels import error_message
from portal.letters.codes import verify_url_for
from portal.rules import deferred_months, industry_for_code, load_program
from portal.util import clock
from portal.web.downloads import send_evidence, send_letter
from portal.web.forms import ConfirmForm, entered
from portal.web.permissions import REVIEW, permission


@bp.route("/")
@permission(REVIEW)
def queue():
    status = request.args.get("status", "submitted")
    program_id = request.args.get("program") or None
    applications, programs = review_queue(
        current_user, program_id=program_id, status=status if status in QUEUE_STATUSES else None
    )
    return render_template(
        "review/queue.html",
        applications=applications,
        status=status,
        program_id=program_id,
        programs=programs,
        statuses=QUEUE_STATUSES,
        today=clock.today(),
        # Each label once, not once a row: a queue has a handful of programs and statuses.
        program_names=_names(labels.program_name, programs, (a.program_id for a in applications)),
        status_names=_names(labels.status_label, QUEUE_STATUSES, (a.status for a in applications)),
    )


def _names(label: Callable[[str | None], str], *codes: Iterable[str | None]) -> dict:
    """Each distinct code's label, worked out once."""
    return {code: label(code) for code in {code for found in codes for code in found}}


def _render_detail(
    application_id: int, *, reject_form=None, problem: str | None = None, code: int = 200
):
    application = get_application_for_review_or_404(current_user, application_id)
    result = classification(application)
    needs_review = (
        bool(application.industry_code)
        and industry_for_code(application.industry_code).needs_review
    )
    deferral = deferral_of(application)
    page = render_template(
        "review/detail.html",
        application=application,
        deferral=deferral,
        months=deferred_months(deferral, rate_table_for(application.employer, deferral.program_id))
        if deferral
        else None,
        program=load_program(application.program_id) if application.program_id else None,
        employer=application.employer,
        lines=labels.explanation(result) if result else [],
        needs_review=needs_review,
        rounds=[r for r in rounds_of(application.employer_id) if r.status != "draft"],
        approve_form=ConfirmForm(),
        reject_form=reject_form or RejectForm(),
        problem=problem,
        today=clock.today(),
    )
    return page, code


@bp.route("/<int:application_id>")
@permission(REVIEW)
def detail(application_id: int):
    return _render_detail(application_id)


def _problem(error: ReviewError, application_id: int) -> str:
    db.session.rollback()  # a lost race leaves the session needing it; harmless otherwise
    if error.code != "already_decided":
        return error_message(error)
    application = get_application_for_review_or_404(current_user, application_id)
    return error_message(
        error,
        status=labels.status_label(application.status),
        name=application.decided_by.display_name if application.decided_by else "—",
    )


@bp.route("/<int:application_id>/approve", methods=["POST"])
@permission(REVIEW)
def approve_application(application_id: int):
    application = get_application_for_review_or_404(current_user, application_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        approve(application, actor=current_user, today=clock.today(), verify_url_for=verify_url_for)
    except ReviewError as error:
        return _render_detail(application_id, problem=_problem(error, application_id), code=409)
    if application.kind == "deferral_2020":
        flash(_("Approved: %(name)s's deferral.", name=application.employer.name), "success")
    else:
        flash(
            _("Approved: %(name)s is now on the deferral list.", name=application.employer.name),
            "success",
        )
    return redirect(url_for("review.detail", application_id=application_id))


@bp.route("/<int:application_id>/reject", methods=["POST"])
@permission(REVIEW)
def reject_application(application_id: int):
    application = get_application_for_review_or_404(current_user, application_id)
    form = RejectForm()
    if not form.validate_on_submit():
        return _render_detail(application_id, reject_form=form)
    try:
        reject(application, entered(form.reason.data), actor=current_user)
    except ReviewError as error:
        return _render_detail(
            application_id, reject_form=form, problem=_problem(error, application_id), code=409
        )
    flash(_("Rejected. The employer can read your reason and apply again."), "success")
    return redirect(url_for("review.detail", application_id=application_id))


@bp.route("/<int:application_id>/evidence/<int:file_id>")
@permission(REVIEW)
def evidence_file(application_id: int, file_id: int):
    application = get_application_for_review_or_404(current_user, application_id)
    return send_evidence(get_evidence_or_404(application.id, file_id))


@bp.route("/<int:application_id>/letters/<int:letter_id>")
@permission(REVIEW)
def letter_file(application_id: int, letter_id: int):
    application = get_application_for_review_or_404(current_user, application_id)
    letter = next((x for x in application.letters if x.id == letter_id), None)
    if letter is None:
        abort(404)
    return send_letter(letter, application)
