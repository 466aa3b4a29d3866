from __future__ import annotations

from flask import (
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from portal.core import uploads as files
from portal.core.extensions import db
from portal.core.paging import page_number
from portal.features.applications.operations import missing_answers
from portal.features.applications.queries import current_draft
from portal.features.hall import bp
from portal.features.hall.acting import SESSION_KEY
from portal.features.hall.forms import PaperSignatureForm, VisitorForm
from portal.features.hall.operations import (
    PaperSignatureError,
    VisitorError,
    end_open_visits,
    record_paper_signature,
    start_acting,
)
from portal.features.hall.queries import (
    actions_of,
    get_hall_or_404,
    get_visit_for_staff_or_404,
    halls_of_agency,
    listed_halls_by_agency,
)
from portal.features.staff.queries import get_employer_for_staff_or_404
from portal.labels import put_error
from portal.letters.codes import verify_url_for
from portal.letters.stored import period_label
from portal.letters.text import COMMITMENT_TEXT, COMMITMENT_TITLE
from portal.models import ActingSession
from portal.util import clock
from portal.web import submissions
from portal.web.downloads import send_upload
from portal.web.forms import ConfirmForm, SelectChoice, entered
from portal.web.permissions import ACT_FOR_EMPLOYER, EMPLOYER_PAPER_SIGN, PUBLIC, STAFF, permission


@bp.route("/halls")
@permission(PUBLIC)
def halls():
    return render_template("hall/halls.html", groups=listed_halls_by_agency())


@bp.route("/hall/my-actions")
@permission(ACT_FOR_EMPLOYER)
def my_actions():
    page = actions_of(current_user, page_number(request.args))
    return render_template("hall/my_actions.html", page=page)


@bp.route("/hall/employers/<int:employer_id>/visit", methods=["GET", "POST"])
@permission(ACT_FOR_EMPLOYER)
def visit(employer_id: int):
    employer = get_employer_for_staff_or_404(current_user, employer_id)
    form = VisitorForm()
    if form.validate_on_submit():
        try:
            visit = start_acting(
                employer,
                visitor_name=entered(form.visitor_name.data),
                id_number=entered(form.id_number.data),
                capacity=form.capacity.data,
                letter=_letter_upload(form),
                actor=current_user,
                hash_key=current_app.config["SECRET_KEY"],
            )
        except VisitorError as error:
            put_error(form, error)
        except files.EvidenceError as error:
            put_error(form, error, default="letter")
        else:
            submissions.answered(visit.id)
            session[SESSION_KEY] = visit.id
            flash(_("You are now acting for %(employer)s.", employer=employer.name), "success")
            return redirect(url_for("employer.home", employer_id=employer.id))
    return render_template("hall/visit.html", employer=employer, form=form)


@submissions.replays("hall.visit")
def _visit_again(answer: submissions.Answer, employer_id: int):
    """The same visit sent again: this browser's session acts in the visit the first opened
    (one visit, however many clicks)."""
    visit = db.session.get(ActingSession, answer.ref) if answer.ref is not None else None
    if visit is None or answer.location is None or visit.staff_id != current_user.id:
        raise submissions.SentAlready()
    if visit.is_open:
        session[SESSION_KEY] = visit.id
        flash(_("You are now acting for %(employer)s.", employer=visit.employer.name), "success")
    return redirect(answer.location)


def _letter_upload(form: VisitorForm) -> files.Upload | None:
    item = request.files.get(form.letter.name)
    if item is None or not item.filename or form.capacity.data != "agent":
        return None
    return files.Upload(item.filename, item.stream.read(files.MAX_EVIDENCE_BYTES + 1))


@bp.route("/hall/stop", methods=["POST"])
@permission(ACT_FOR_EMPLOYER)
def stop():
    visit = g.get("acting")
    if visit is not None and ConfirmForm().validate_on_submit():
        # Every visit of this staff member ends, not only this session's: one left open by
        # another tab or browser must not outlive the stop.
        end_open_visits(current_user, reason="stopped", actor=current_user)
        session.pop(SESSION_KEY, None)
        g.acting = None
        flash(
            _("You are no longer acting for %(employer)s.", employer=visit.employer.name),
            "success",
        )
    return redirect(url_for("staff.employers"))


@bp.route("/hall/visits/<int:visit_id>/letter")
@permission(STAFF)
def authority_letter(visit_id: int):
    visit = get_visit_for_staff_or_404(current_user, visit_id)
    if (
        visit.letter_stored_name is None
        or visit.letter_content_type is None
        or visit.letter_name is None
    ):  # stored together
        abort(404)
    return send_upload(
        visit.letter_stored_name,
        mimetype=visit.letter_content_type,
        download_name=visit.letter_name,
    )


# ---------------------------------------------------------------- paper-signed commitment letter


@bp.route("/hall/e/<int:employer_id>/commitment/paper", methods=["GET", "POST"])
@permission(EMPLOYER_PAPER_SIGN)
def paper(employer):
    application = current_draft(employer)
    if application is None or missing_answers(application) or application.signed_at:
        flash(_("There is no application ready to sign. Answer its questions first."), "info")
        return redirect(url_for("applications.start", employer_id=employer.id))
    form = PaperSignatureForm()
    # The clerk's own agency's halls (the employer's: staff act only for their agency's).
    form.hall_id.choices = [
        SelectChoice(h.id, h.label) for h in halls_of_agency(employer.agency_id)
    ]
    if request.method == "GET" and g.acting.capacity == "legal_representative":
        form.signatory_name.data = g.acting.visitor_name
    if form.validate_on_submit():
        try:
            record_paper_signature(
                application,
                visit=g.acting,
                signatory_name=entered(form.signatory_name.data),
                signed_on=entered(form.signed_on.data),
                hall=get_hall_or_404(form.hall_id.data),
                scan=_scan_upload(form),
                actor=current_user,
                today=clock.today(),
                verify_url_for=verify_url_for,
            )
        except PaperSignatureError as error:
            put_error(form, error)
        except files.EvidenceError as error:
            put_error(form, error, default="scan")
        else:
            flash(_("The paper signature is recorded and the signed letter issued."), "success")
            return redirect(url_for("applications.check", employer_id=employer.id))
    return render_template(
        "hall/paper.html",
        employer=employer,
        application=application,
        form=form,
        title=COMMITMENT_TITLE,
        body=COMMITMENT_TEXT,
        period=period_label(employer, clock.today()),
    )


def _scan_upload(form: PaperSignatureForm) -> files.Upload | None:
    item = request.files.get(form.scan.name)
    if item is None or not item.filename:
        return None
    return files.Upload(item.filename, item.stream.read(files.MAX_EVIDENCE_BYTES + 1))
