from __future__ import annotations

from flask import current_app, render_template, request
from flask_login import current_user

from portal.features.auth.operations import ACTIVATION_SEED, code_again, issue_activation_code
from portal.features.staff import bp
from portal.features.staff.queries import get_employer_for_staff_or_404, search_employers
from portal.util.text import forbidden_character
from portal.web import submissions
from portal.web.forms import CONTROL_MESSAGE, ConfirmForm
from portal.web.permissions import ISSUE_ACTIVATION, STAFF, permission


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
    )


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
