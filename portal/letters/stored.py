"""The stored commitment letters: rendered once, kept with their SHA-256, served byte for byte."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from portal.core.extensions import db
from portal.core.pdf import sha256_hex
from portal.facts.standing import employer_standing
from portal.letters import codes, document
from portal.models import CommitmentApplication, Employer, StoredLetter
from portal.models.base import utcnow
from portal.rules import load_program

#: Builds the public verify URL printed (and drawn as a QR code) on a letter, from its code.
VerifyUrlFor = Callable[[str], str]


def period_label(employer: Employer, on: date) -> str:
    """The deferred months the letter names, e.g. ``2022-07 至 2022-09``: the period of the
    employer's standing, the one its own pages show (portal.rules.standing)."""
    period = employer_standing(employer, on).period
    return f"{period.start} 至 {period.end}" if period is not None else "—"


def letter_data(
    application: CommitmentApplication,
    *,
    verification_code: str,
    verify_url_for: VerifyUrlFor,
    issued_on: date,
    decision: str | None = None,
) -> document.CommitmentLetterData:
    employer = application.employer
    assert application.signed_at and application.signatory_name  # noqa: S101 - signed first
    return document.CommitmentLetterData(
        reference=application.reference or "",
        employer_name=employer.name,
        credit_code=employer.credit_code,
        insurance_unit_number=employer.insurance_unit_number or "—",
        program_name=load_program(employer.program_id).name_zh,
        period_label=period_label(employer, issued_on),
        signed_at=application.signed_at,
        signature_method="paper" if application.signature_method == "paper" else "online",
        signatory_name=application.signatory_name,
        verification_code=verification_code,
        verify_url=verify_url_for(verification_code),
        issued_on=issued_on,
        decision=decision,
        **_paper_particulars(application),
    )


def _paper_particulars(application: CommitmentApplication) -> dict[str, str]:
    """Where a paper-signed letter was signed and who received it (portal/features/hall)."""
    paper = getattr(application, "paper_signature", None)
    if application.signature_method != "paper" or paper is None:
        return {}
    return {"hall_name": paper.hall_label, "received_by": paper.received_by.display_name}


def issue_letter(
    application: CommitmentApplication,
    kind: str,
    *,
    verify_url_for: VerifyUrlFor,
    issued_on: date,
    decision: str | None = None,
) -> StoredLetter:
    """Render the letter, store its bytes and hash, and supersede the letter it replaces."""
    code = codes.new_verification_code()
    data = letter_data(
        application,
        verification_code=code,
        verify_url_for=verify_url_for,
        issued_on=issued_on,
        decision=decision,
    )
    body = document.render_commitment_letter(data)
    supersede_letters(application)
    letter = StoredLetter(
        employer_id=application.employer_id,
        kind=kind,
        verification_code=code,
        pdf=body,
        sha256=sha256_hex(body),
        issued_at=utcnow(),
    )
    application.letters.append(letter)
    db.session.flush()
    return letter


def supersede_letters(application: CommitmentApplication) -> None:
    now = utcnow()
    for letter in application.letters:
        if letter.superseded_at is None:
            letter.superseded_at = now


def current_letter(application: CommitmentApplication) -> StoredLetter | None:
    live = [letter for letter in application.letters if letter.superseded_at is None]
    return live[-1] if live else None


def letter_status(letter: StoredLetter, application: CommitmentApplication) -> str:
    """What a letter is now: ``superseded`` by a later one, or as its application stands:
    ``signed`` (not sent yet), ``under_review``, ``approved`` or ``rejected``. A signed letter
    is not "valid" until the agency approves the application it belongs to."""
    if letter.superseded_at is not None:
        return "superseded"
    return {
        "draft": "signed",
        "submitted": "under_review",
        "approved": "approved",
        "rejected": "rejected",
    }.get(application.status, "signed")


def download_name(letter: StoredLetter, application: CommitmentApplication) -> str:
    return f"承诺书-{application.reference}-{letter.kind}.pdf"
