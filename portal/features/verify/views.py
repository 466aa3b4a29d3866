"""Public verification of a commitment letter: status, date and hash; byte-for-byte upload check.

Guessing codes is rate-limited per client across all workers (VERIFY_RATE_LIMIT_PER_MINUTE).
"""

from __future__ import annotations

from flask import redirect, render_template, request, url_for
from flask_babel import gettext as _

from portal.core import ratelimit
from portal.core.extensions import db
from portal.core.pdf import sha256_hex
from portal.features.verify import bp
from portal.features.verify.forms import LookupForm, UploadForm
from portal.features.verify.queries import letter_by_code
from portal.letters.codes import normalise_verification_code
from portal.letters.stored import letter_status
from portal.models import CommitmentApplication
from portal.web.permissions import PUBLIC, permission

MAX_CHECK_BYTES = 20 * 1024 * 1024


@bp.route("/")
@permission(PUBLIC)
def lookup():
    form = LookupForm(request.args, meta={"csrf": False})
    text = (form.code.data or "").strip()
    if text:
        try:
            return redirect(url_for("verify.letter", code=normalise_verification_code(text)))
        except ValueError:
            form.code.errors = [_("Enter the verification code as printed on the letter")]
    return render_template("verify/lookup.html", form=form)


@bp.before_request
def limit_guesses() -> None:
    """Count each look at a letter, before its view (and before a form's key is claimed: on
    SQLite the count's own transaction would wait for the request's).

    :raise 429: too many from this client this minute.
    """
    if request.endpoint == "verify.letter":
        ratelimit.enforce("verify", "VERIFY_RATE_LIMIT_PER_MINUTE")


@bp.route("/<code>", methods=["GET", "POST"])
@permission(PUBLIC)
def letter(code: str):
    stored = letter_by_code(code)
    if stored is None:
        return _unknown(code)
    form = UploadForm()
    matches = None
    if form.validate_on_submit():
        upload = request.files.get(form.pdf.name)
        if upload is None or not upload.filename:
            form.pdf.errors = [_("Choose the PDF file to check")]
        else:
            matches = sha256_hex(upload.stream.read(MAX_CHECK_BYTES + 1)) == stored.sha256
    application = db.session.get_one(CommitmentApplication, stored.application_id)
    return render_template(
        "verify/letter.html",
        letter=stored,
        employer=application.employer,
        status=letter_status(stored, application),
        form=form,
        matches=matches,
    )


def _unknown(code: str):
    """A 404 that says, in words, that no letter has this code (or that it is no code)."""
    try:
        shown, well_formed = normalise_verification_code(code), True
    except ValueError:
        shown, well_formed = code, False
    form = LookupForm(formdata=None, meta={"csrf": False})
    return render_template(
        "verify/unknown.html", code=shown, well_formed=well_formed, form=form
    ), 404
