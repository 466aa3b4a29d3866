from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.facts.standing import employer_standing
from portal.features.auth.operations import ACTIVATION_SEED, code_again, issue_activation_code
from portal.features.imports.cells import CellError
from portal.features.payments.queries import queue_items
from portal.features.staff import bp
from portal.features.staff.calendar import Entry, agency_calendar
from portal.features.staff.forms import EmployerFactsForm
from portal.features.staff.operations import (
    FactsEditError,
    FactsTyped,
    edit_employer_facts,
    facts_fingerprint,
    read_facts,
)
from portal.features.staff.queries import (
    facts_edits,
    get_employer_for_staff_or_404,
    search_employers,
    staff_agency,
)
from portal.labels import put_error
from portal.util.clock import today
from portal.util.formatting import account_number
from portal.util.text import forbidden_character
from portal.web import submissions
from portal.web.forms import CONTROL_MESSAGE, ConfirmForm, entered
from portal.web.permissions import (
    BACK_OFFICE,
    EDIT_EMPLOYER_FACTS,
    ISSUE_ACTIVATION,
    REVIEW,
    STAFF,
    can,
    permission,
)


@bp.route("/employers")
@permission(STAFF)
def employers():
    text = request.args.get("q", "")
    problem = CONTROL_MESSAGE if forbidden_character(text) else None  # never a query for it
    return render_template(
        "staff/employers.html",
        employers=[] if problem else search_employers(current_user, text),
        q=text,
        problem=problem,
        calendar=None if text else _calendar(),
    )


def _calendar() -> list[Entry] | None:
    """The agency's calendar on the staff home (not on a search): for those who do the back
    office's or the reviewers' work for an agency; None for the others."""
    if not (can(current_user, BACK_OFFICE) or can(current_user, REVIEW)):
        return None
    agency = staff_agency(current_user)
    return None if agency is None else agency_calendar(current_user, agency, today())


@bp.route("/employers/<int:employer_id>/activation-code", methods=["POST"])
@permission(ISSUE_ACTIVATION)
def activation_code(employer_id: int):
    employer = get_employer_for_staff_or_404(current_user, employer_id)
    form = ConfirmForm()
    if not form.validate_on_submit():
        rows = [
            row
            for row in search_employers(current_user, employer.credit_code)
            if row.id == employer.id
        ]
        return render_template("staff/employers.html", employers=rows, q=employer.credit_code)
    code, plain = issue_activation_code(
        employer,
        "owner",
        actor=current_user,
        valid_days=current_app.config["ACTIVATION_CODE_DAYS"],
        seed=submissions.secret(ACTIVATION_SEED),
    )
    submissions.answered(code.id)
    return render_template("staff/activation_code.html", employer=employer, code=code, plain=plain)


@submissions.replays("staff.activation_code")
def _activation_code_again(answer: submissions.Answer, employer_id: int):
    """The same code asked for again: the code the first request issued, made again from the
    form's key."""
    employer = get_employer_for_staff_or_404(current_user, employer_id)
    again = code_again(answer.ref, submissions.secret(ACTIVATION_SEED), employer_id=employer.id)
    if again is None:
        raise submissions.SentAlready()
    code, plain = again
    return render_template("staff/activation_code.html", employer=employer, code=code, plain=plain)


@bp.route("/employers/<int:employer_id>")
@permission(STAFF)
def employer(employer_id: int):
    employer = get_employer_for_staff_or_404(current_user, employer_id)
    return render_template(
        "staff/employer.html",
        employer=employer,
        edits=facts_edits(employer),
        standing=employer_standing(employer, today()),
        payment_items=queue_items(employer.agency_id, employer_id=employer.id),
    )


@bp.route("/employers/<int:employer_id>/facts", methods=["GET", "POST"])
@permission(EDIT_EMPLOYER_FACTS)
def edit_facts(employer_id: int):
    employer = get_employer_for_staff_or_404(current_user, employer_id)
    form = EmployerFactsForm()
    if _checked(form, employer):
        try:
            changes = edit_employer_facts(
                employer,
                _typed(form),
                reason=entered(form.reason.data),
                seen=entered(form.seen.data),
                actor=current_user,
            )
        except (CellError, FactsEditError) as error:
            put_error(form, error)
            if error.code == "changed":  # the page now shows what is stored: sent again, it saves
                form.seen.data = facts_fingerprint(employer)
        else:
            flash(_("The facts are saved.") if changes else _("Nothing changed."), "success")
            return redirect(url_for("staff.employer", employer_id=employer.id))
    elif request.method == "GET":
        _fill(form, employer)
    status = 200 if request.method == "GET" or not form.errors else 400
    return render_template("staff/edit_facts.html", employer=employer, form=form), status


def _checked(form: EmployerFactsForm, employer) -> bool:
    """Validate a submitted form, the facts as the list import checks them included: every
    problem at once, each beside its field (the operation checks them again)."""
    if request.method != "POST":
        return False
    is_valid = form.validate_on_submit()
    _facts, problems = read_facts(employer, _typed(form))
    for problem in problems:
        if not getattr(form, problem.field or "").errors:
            put_error(form, problem)
    return is_valid and not problems


def _typed(form: EmployerFactsForm) -> FactsTyped:
    chosen = form.has_arrears.data
    return FactsTyped(
        has_arrears=None if chosen not in ("yes", "no") else chosen == "yes",
        arrears_until=form.arrears_until.data or "",
        deregistered_on=form.deregistered_on.data or "",
        refund_bank=form.refund_bank.data or "",
        refund_account=form.refund_account.data or "",
    )


def _fill(form: EmployerFactsForm, employer) -> None:
    """The form as stored (the account whole: only the agency's staff reach this page)."""
    form.has_arrears.data = "yes" if employer.has_arrears else "no"
    form.arrears_until.data = employer.arrears_until or ""
    form.deregistered_on.data = (
        employer.deregistered_on.isoformat() if employer.deregistered_on else ""
    )
    form.refund_bank.data = employer.refund_bank or ""
    form.refund_account.data = account_number(employer.refund_account or "")
    form.seen.data = facts_fingerprint(employer)
