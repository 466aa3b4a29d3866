"""The employer's side: one question per page, check your answers, submit, downloads."""

from __future__ import annotations

from flask import current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal import labels
from portal.core import uploads as files
from portal.core.extensions import db
from portal.facts.rates import rate_table_for
from portal.features.applications import bp, operations
from portal.features.applications.forms import (
    ENTER_CODE,
    EvidenceForm,
    FiguresForm,
    IndustryForm,
    ParticularsForm,
    SignForm,
    industry_choices,
)
from portal.features.applications.operations import (
    AlreadySubmitted,
    ApplicationError,
    add_evidence,
    classification,
    missing_answers,
    open_draft,
    refusals,
    remove_evidence,
    set_figures,
    set_industry,
    set_unit_kind,
)
from portal.features.applications.queries import (
    current_draft,
    evidence_of_employer,
    get_application_or_404,
    get_letter_or_404,
    latest_round,
    rounds_of,
)
from portal.features.auth.operations import LoginPolicy, authenticate
from portal.labels import error_message, put_error
from portal.letters.codes import verify_url_for
from portal.letters.text import COMMITMENT_TEXT, COMMITMENT_TITLE, FORM_DOCUMENT
from portal.rules import (
    INDUSTRIES,
    deferred_months,
    industry_for_code,
    load_program,
    required_documents,
    review_time_is_set_by_text,
    review_working_days,
)
from portal.util import clock
from portal.web.downloads import send_evidence, send_letter
from portal.web.forms import ConfirmForm, add_error, entered
from portal.web.permissions import EMPLOYER_APPLY, EMPLOYER_DECIDE, EMPLOYER_VIEW, can, permission

#: The pages in order; the first three hold the answers the class needs.
STEPS = ("particulars", "industry", "figures", "size", "evidence", "letter", "sign", "check")


def _step_url(employer, step: str) -> str:
    return url_for(f"applications.{step}", employer_id=employer.id)


def _draft_or_redirect(employer, step: str):
    """Return (draft, None), or (None, a redirect) when the page cannot be shown yet."""
    application = current_draft(employer)
    if application is None:
        return None, redirect(url_for("applications.start", employer_id=employer.id))
    for missing in missing_answers(application):
        if STEPS.index(missing) < STEPS.index(step):
            return None, redirect(_step_url(employer, missing))
    return application, None


def _after_save(employer, application, next_step: str):
    if request.args.get("from") == "check" and not missing_answers(application):
        return redirect(_step_url(employer, "check"))
    return redirect(_step_url(employer, next_step))


def _refusal_messages(employer, application=None) -> list[str]:
    program = load_program(employer.program_id)
    if application is None and employer.list_status == "listed":
        may_decide = can(current_user, EMPLOYER_DECIDE, g.get("employer_role"))
        return [error_message(ApplicationError("listed"), program=program, may_decide=may_decide)]
    kind = application.unit_kind if application else None
    size = application.computed_size if application else None
    return [
        error_message(ApplicationError(code, detail=text), program=program)
        for code, text in refusals(employer, unit_kind=kind, size=size)
    ]


def _review_days(employer) -> int | None:
    """The review time the program sets (or the named reading where its source is silent)."""
    return review_working_days(load_program(employer.program_id))


def _review_is_law(employer) -> bool:
    """Whether the program's text sets the review time; else the days are only a target."""
    return review_time_is_set_by_text(load_program(employer.program_id))


def _evidence_required(employer) -> bool:
    """Whether the program asks for supporting evidence (相关证明材料) with the letter."""
    program = load_program(employer.program_id)
    return any(d.key == "supporting_evidence" for d in required_documents(program))


def _missing_evidence(employer, application) -> str | None:
    """What to upload before the application can be sent, or None when nothing is missing."""
    if application.evidence or not _evidence_required(employer):
        return None
    ref = next(
        d.ref
        for d in required_documents(load_program(employer.program_id))
        if d.key == "supporting_evidence"
    )
    return error_message(ApplicationError("evidence_required", "files", detail=ref))


def _needs_review(application) -> bool:
    return (
        bool(application.industry_code)
        and industry_for_code(application.industry_code).needs_review
    )


@bp.route("/")
@permission(EMPLOYER_VIEW)
def start(employer):
    latest = latest_round(employer)
    refused = [] if latest and latest.status != "rejected" else _refusal_messages(employer)
    return render_template(
        "applications/start.html",
        employer=employer,
        latest=latest,
        refused=refused,
        form=ConfirmForm(),
        review_days=_review_days(employer),
        review_is_law=_review_is_law(employer),
    )


@bp.route("/begin", methods=["POST"])
@permission(EMPLOYER_APPLY)
def begin(employer):
    if not ConfirmForm().validate_on_submit():
        flash(_("This form had expired, so nothing was saved. Try again."), "error")
        return redirect(url_for("applications.start", employer_id=employer.id))
    try:
        application = open_draft(employer, actor=current_user, today=clock.today())
    except ApplicationError:
        return redirect(url_for("applications.start", employer_id=employer.id))
    if application.status != "draft":
        return redirect(
            url_for(
                "applications.application", employer_id=employer.id, application_id=application.id
            )
        )
    missing = missing_answers(application)
    return redirect(_step_url(employer, missing[0] if missing else "check"))


@bp.route("/particulars", methods=["GET", "POST"])
@permission(EMPLOYER_APPLY)
def particulars(employer):
    application, elsewhere = _draft_or_redirect(employer, "particulars")
    if elsewhere:
        return elsewhere
    form = ParticularsForm(unit_kind=application.unit_kind)
    form.unit_kind.choices = labels.unit_kind_choices()
    if form.validate_on_submit():
        try:
            set_unit_kind(application, form.unit_kind.data, actor=current_user)
        except ApplicationError as error:
            put_error(form, error, default="unit_kind", program=load_program(employer.program_id))
        else:
            return _after_save(employer, application, "industry")
    return render_template(
        "applications/particulars.html", employer=employer, application=application, form=form
    )


@bp.route("/industry", methods=["GET", "POST"])
@permission(EMPLOYER_APPLY)
def industry(employer):
    application, elsewhere = _draft_or_redirect(employer, "industry")
    if elsewhere:
        return elsewhere
    chosen = ENTER_CODE if application.industry_code else application.industry
    form = IndustryForm(industry=chosen, code=application.industry_code)
    names = {key: labels.industry_name(key) for key in INDUSTRIES}
    form.industry.choices = industry_choices(names, _("I will enter the industry code instead"))
    if form.validate_on_submit():
        key, code, _review = form.chosen()
        set_industry(application, key, code, actor=current_user)
        return _after_save(employer, application, "figures")
    return render_template(
        "applications/industry.html", employer=employer, application=application, form=form
    )


@bp.route("/figures", methods=["GET", "POST"])
@permission(EMPLOYER_APPLY)
def figures(employer):
    application, elsewhere = _draft_or_redirect(employer, "figures")
    if elsewhere:
        return elsewhere
    needed = INDUSTRIES[application.industry].indicators
    form = FiguresForm(
        needed=needed,
        employees=application.employees,
        revenue=application.revenue_amount,
        assets=application.assets_amount,
    )
    if form.validate_on_submit():
        set_figures(application, actor=current_user, **form.values)
        return _after_save(employer, application, "size")
    return render_template(
        "applications/figures.html",
        employer=employer,
        application=application,
        form=form,
        needed=needed,
        needs_review=_needs_review(application),
    )


@bp.route("/size")
@permission(EMPLOYER_APPLY)
def size(employer):
    application, elsewhere = _draft_or_redirect(employer, "size")
    if elsewhere:
        return elsewhere
    result = classification(application)
    assert result is not None  # noqa: S101 - _draft_or_redirect: the industry is answered
    return render_template(
        "applications/size.html",
        employer=employer,
        application=application,
        result=result,
        lines=labels.explanation(result),
        refused=_refusal_messages(employer, application),
        needs_review=_needs_review(application),
        review_days=_review_days(employer),
        review_is_law=_review_is_law(employer),
        missing_evidence=_missing_evidence(employer, application),
    )


def receive_uploads(form, application) -> bool:
    """Store the files of ``form.files`` as the application's evidence and say so; False when
    they are refused (the form's field then carries the message)."""
    uploads = [
        files.Upload(item.filename or "", item.stream.read(files.MAX_EVIDENCE_BYTES + 1))
        for item in request.files.getlist(form.files.name)
        if item.filename
    ]
    try:
        added = add_evidence(application, uploads, actor=current_user)
    except files.EvidenceError as error:
        form.files.errors = [error_message(error)]
        return False
    flash(_("Uploaded: %(names)s", names=", ".join(f.original_name for f in added)), "success")
    return True


@bp.route("/evidence", methods=["GET", "POST"])
@permission(EMPLOYER_APPLY)
def evidence(employer):
    application, elsewhere = _draft_or_redirect(employer, "evidence")
    if elsewhere:
        return elsewhere
    form = EvidenceForm()
    if form.validate_on_submit() and receive_uploads(form, application):
        return redirect(_step_url(employer, "evidence"))
    return render_template(
        "applications/evidence.html",
        employer=employer,
        application=application,
        form=form,
        remove_form=ConfirmForm(),
        max_files=files.MAX_EVIDENCE_FILES,
        evidence_required=_evidence_required(employer),
    )


@bp.route("/evidence/<int:file_id>/remove", methods=["POST"])
@permission(EMPLOYER_APPLY)
def remove_file(employer, file_id: int):
    application, elsewhere = _draft_or_redirect(employer, "evidence")
    if elsewhere:
        return elsewhere
    record = evidence_of_employer(employer, file_id)
    if ConfirmForm().validate_on_submit() and record.application_id == application.id:
        remove_evidence(application, record, actor=current_user)
        flash(_("Removed: %(name)s", name=record.original_name), "success")
    return redirect(_step_url(employer, "evidence"))


@bp.route("/evidence/<int:file_id>")
@permission(EMPLOYER_VIEW)
def evidence_file(employer, file_id: int):
    return send_evidence(evidence_of_employer(employer, file_id))


@bp.route("/letter")
@permission(EMPLOYER_APPLY)
def letter(employer):
    application, elsewhere = _draft_or_redirect(employer, "letter")
    if elsewhere:
        return elsewhere
    program = load_program(employer.program_id)
    return render_template(
        "applications/letter.html",
        employer=employer,
        application=application,
        title=COMMITMENT_TITLE,
        body=COMMITMENT_TEXT,
        form_document=FORM_DOCUMENT,
        own_form=any(d.number == FORM_DOCUMENT for d in program.documents),
        program_document=program.documents[0].number,
    )


@bp.route("/sign", methods=["GET", "POST"])
@permission(EMPLOYER_APPLY)
def sign(employer):
    application, elsewhere = _draft_or_redirect(employer, "sign")
    if elsewhere:
        return elsewhere
    if g.get("acting") is not None:  # hall staff cannot sign for the employer (features/hall)
        return render_template("hall/sign_refused.html", employer=employer), 403
    refused = _refusal_messages(employer, application)
    if application.signed_at is not None or refused:
        return redirect(_step_url(employer, "check" if not refused else "size"))
    form = SignForm()
    if form.validate_on_submit():
        policy = LoginPolicy(
            current_app.config["LOGIN_MAX_FAILURES"], current_app.config["LOGIN_LOCK_MINUTES"]
        )
        if (
            authenticate(
                current_user.username,
                entered(form.password.data),
                policy,
                action="auth.reauthenticate",
            )
            is None
        ):
            add_error(
                form.password, _("The password is not right. Enter the password you sign in with")
            )
        else:
            try:
                operations.sign(
                    application,
                    signatory_name=entered(form.signatory_name.data),
                    actor=current_user,
                    today=clock.today(),
                    verify_url_for=verify_url_for,
                )
            except ApplicationError as error:
                if error.code != "already_signed":  # a double click: answer as the first did
                    raise
            return redirect(_step_url(employer, "check"))
    return render_template(
        "applications/sign.html",
        employer=employer,
        application=application,
        form=form,
        title=COMMITMENT_TITLE,
    )


@bp.route("/check")
@permission(EMPLOYER_APPLY)
def check(employer):
    application, elsewhere = _draft_or_redirect(employer, "check")
    if elsewhere:
        return elsewhere
    return render_template(
        "applications/check.html",
        employer=employer,
        application=application,
        form=ConfirmForm(),
        refused=_refusal_messages(employer, application),
        needs_review=_needs_review(application),
        review_days=_review_days(employer),
        review_is_law=_review_is_law(employer),
        missing_evidence=_missing_evidence(employer, application),
    )


@bp.route("/submit", methods=["POST"])
@permission(EMPLOYER_APPLY)
def submit(employer):
    application = latest_round(employer)
    if application is None:
        return redirect(url_for("applications.start", employer_id=employer.id))
    status_page = url_for(
        "applications.application", employer_id=employer.id, application_id=application.id
    )
    if not ConfirmForm().validate_on_submit():
        flash(_("This form had expired, so nothing was saved. Try again."), "error")
        return redirect(_step_url(employer, "check"))
    try:
        operations.submit(application, actor=current_user, today=clock.today())
    except AlreadySubmitted:
        db.session.rollback()  # the other request sent it; show what it sent
    except ApplicationError as error:
        if error.code == "not_draft":
            return redirect(status_page)
        if error.code == "evidence_required":  # say what to upload, where to upload it
            flash(error_message(error), "error")
            return redirect(_step_url(employer, "evidence"))
        flash(_("The application is not ready to send. Check your answers."), "error")
        return redirect(_step_url(employer, "check"))
    return redirect(status_page)


@bp.route("/<int:application_id>")
@permission(EMPLOYER_VIEW)
def application(employer, application_id: int):
    application = get_application_or_404(employer, application_id)
    if application.kind == operations.DEFERRAL_KIND:
        return _deferral_status(employer, application)
    latest = latest_round(employer)
    return render_template(
        "applications/application.html",
        employer=employer,
        application=application,
        rounds=rounds_of(employer.id),
        is_latest=latest is not None and latest.id == application.id,
        form=ConfirmForm(),
        review_days=_review_days(employer),
        review_is_law=_review_is_law(employer),
    )


def _deferral_status(employer, application):
    """A 2020 deferral application: its months, amounts and catch-up date."""
    deferral = operations.deferral_of(application)
    table = rate_table_for(employer, application.program_id)
    return render_template(
        "applications/deferral_2020_status.html",
        employer=employer,
        application=application,
        program=load_program(application.program_id),
        deferral=deferral,
        months=deferred_months(deferral, table) if deferral else None,
    )


@bp.route("/letters/<int:letter_id>")
@permission(EMPLOYER_VIEW)
def letter_file(employer, letter_id: int):
    stored = get_letter_or_404(employer.id, letter_id)
    application = get_application_or_404(employer, stored.application_id)
    return send_letter(stored, application)
