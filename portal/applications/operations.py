"""Commitment applications (告知承诺制, 鲁医保发〔2022〕21号 四; DOMAIN.md §7.3): state changes.

One row per round. A draft keeps every answer as it is given, so leaving and coming back
resumes it; signing renders the letter once; submitting is a guarded draft → submitted
transition, so a double submit gives one application.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from portal import audit
from portal import uploads as files
from portal.applications.queries import latest_round
from portal.deferral.queries import employer_facts
from portal.extensions import db
from portal.letters.stored import VerifyUrlFor, issue_letter, supersede_letters
from portal.models import CommitmentApplication, Employer, EvidenceFile, User
from portal.models.base import utcnow
from portal.pdf import sha256_hex
from portal.rules import (
    INDUSTRIES,
    Classification,
    NotApplicable,
    classify,
    load_program,
    parse_uscc,
    review_due_date,
)
from portal.rules import standing as standing_rules
from portal.rules.errors import DomainError

OPEN_STATUSES = ("draft", "submitted")


class ApplicationError(DomainError):
    """A change refused; ``code`` names why and ``field`` the form field it belongs to."""

    kind = "application"

    def __init__(self, code: str, field: str | None = None, detail: str = "") -> None:
        super().__init__(code, field, detail=detail)
        self.detail = detail


class AlreadySubmitted(ApplicationError):
    def __init__(self) -> None:
        super().__init__("already_submitted")


# ------------------------------------------------------------------------------- who may apply


def refusals(
    employer: Employer, *, unit_kind: str | None = None, size: str | None = None
) -> list[tuple[str, str]]:
    """List (code, rules' message) of every reason the employer may not apply; empty if it may."""
    program = load_program(employer.program_id)
    facts = employer_facts(employer)
    return standing_rules.refusals(program, facts, unit_kind=unit_kind, size=size)


def classification(application: CommitmentApplication) -> Classification | None:
    """Classify the declared figures (工信部联企业〔2011〕300号 第四条) once an industry is set."""
    if not application.industry:
        return None
    return classify(
        application.industry,
        employees=application.employees,
        revenue=application.revenue_amount,
        assets=application.assets_amount,
    )


def is_signed(application: CommitmentApplication) -> bool:
    return application.signed_at is not None


def missing_answers(application: CommitmentApplication) -> list[str]:
    """The required steps still unanswered, in order."""
    missing = []
    if not application.unit_kind:
        missing.append("particulars")
    if not application.industry:
        missing.append("industry")
    if application.computed_size in (None, "undetermined"):
        missing.append("figures")
    return missing


def review_working_days(program_id: str) -> int:
    """The review time (鲁医保发〔2022〕21号 四; a named reading where a source is silent)."""
    param = load_program(program_id).review_working_days
    if param is None:
        raise NotApplicable(f"{program_id} has no commitment review", field="program_id")
    return int(param.value)


# ------------------------------------------------------------------------------- drafts


def open_draft(employer: Employer, *, actor: User, today: date) -> CommitmentApplication:
    """Return the employer's current draft, starting one (or the next round) if there is none.

    A first application starts empty, with the unit kind its credit code shows; after a
    rejection the next round starts from the rejected round's answers and evidence.

    :raise ApplicationError: the employer is on the list, or may not apply at all.
    """
    latest = latest_round(employer)
    if latest is not None and latest.status != "rejected":
        return latest
    if latest is None and employer.list_status == "listed":
        raise ApplicationError("listed")
    refused = refusals(employer)
    if refused:
        raise ApplicationError(refused[0][0], detail=refused[0][1])
    application = CommitmentApplication(
        employer=employer,
        round=(latest.round + 1) if latest else 1,
        status="draft",
        program_id=employer.program_id,
    )
    if latest is None:
        application.unit_kind = parse_uscc(employer.credit_code).unit_kind
    else:
        for name in (
            "unit_kind",
            "industry",
            "industry_code",
            "employees",
            "revenue_amount",
            "assets_amount",
            "computed_size",
        ):
            setattr(application, name, getattr(latest, name))
    try:
        with db.session.begin_nested():
            db.session.add(application)
    except IntegrityError:
        # A double click: another request opened this round at the same moment and won.
        return latest_round(employer)
    application.reference = f"CA-{today.year}-{application.id:06d}"
    if latest is not None:
        for earlier in latest.evidence:
            copy_name = files.new_stored_name()
            files.copy(earlier.stored_name, copy_name)
            application.evidence.append(
                EvidenceFile(
                    original_name=earlier.original_name,
                    stored_name=copy_name,
                    content_type=earlier.content_type,
                    size_bytes=earlier.size_bytes,
                    sha256=earlier.sha256,
                )
            )
    db.session.flush()
    audit.record(
        actor,
        "commitment.resubmit_start" if latest else "commitment.start",
        employer_id=employer.id,
        obj=application,
        details={"reference": application.reference, "round": application.round},
    )
    return application


def _require_draft(application: CommitmentApplication) -> None:
    if application.status != "draft":
        raise ApplicationError("not_draft")


def _save(application: CommitmentApplication, changes: dict, *, actor: User) -> bool:
    """Apply changed answers; a change after signing withdraws the signature."""
    _require_draft(application)
    changed = {k: v for k, v in changes.items() if getattr(application, k) != v}
    if not changed:
        return False
    for name, value in changed.items():
        setattr(application, name, value)
    result = classification(application)
    application.computed_size = result.size if result else None
    if is_signed(application):
        _withdraw_signature(application, actor=actor)
    db.session.flush()
    audit.record(
        actor,
        "commitment.answer",
        employer_id=application.employer_id,
        obj=application,
        details={"fields": sorted(changed), "computed_size": application.computed_size},
    )
    return True


def _withdraw_signature(application: CommitmentApplication, *, actor: User) -> None:
    supersede_letters(application)
    application.signed_at = None
    application.signed_by_id = None
    application.signatory_name = None
    application.signature_method = None
    audit.record(
        actor,
        "commitment.signature_withdrawn",
        employer_id=application.employer_id,
        obj=application,
        details={"reason": "answers changed after signing"},
    )


def set_unit_kind(application: CommitmentApplication, unit_kind: str, *, actor: User) -> bool:
    """Record the kind of unit.

    :raise ApplicationError: a kind the program does not cover (机关事业单位).
    """
    refused = [
        r
        for r in refusals(application.employer, unit_kind=unit_kind)
        if r[0] == "out_of_scope_unit_kind"
    ]
    if refused:
        raise ApplicationError("out_of_scope_unit_kind", field="unit_kind")
    return _save(application, {"unit_kind": unit_kind}, actor=actor)


def set_industry(
    application: CommitmentApplication, industry: str, code: str | None, *, actor: User
) -> bool:
    """Record the industry (one of the 16 of 第四条) and the GB/T 4754 code it came from."""
    if industry not in INDUSTRIES:
        raise ApplicationError("unknown_industry", field="industry")
    needed = set(INDUSTRIES[industry].indicators)
    changes = {"industry": industry, "industry_code": code}
    # Figures the new industry does not use are dropped, so the record says what was declared.
    for name, column in (
        ("employees", "employees"),
        ("revenue", "revenue_amount"),
        ("assets", "assets_amount"),
    ):
        if name not in needed:
            changes[column] = None
    return _save(application, changes, actor=actor)


def set_figures(
    application: CommitmentApplication,
    *,
    employees: int | None,
    revenue: Decimal | None,
    assets: Decimal | None,
    actor: User,
) -> bool:
    """Record the declared figures (persons; 万元) the industry's thresholds use."""
    if not application.industry:
        raise ApplicationError("no_industry", field="industry")
    needed = set(INDUSTRIES[application.industry].indicators)
    given = {"employees": employees, "revenue": revenue, "assets": assets}
    for name in needed:
        if given[name] is None:
            raise ApplicationError("missing_figure", field=name)
        if given[name] < 0:
            raise ApplicationError("negative_figure", field=name)
    return _save(
        application,
        {
            "employees": employees if "employees" in needed else None,
            "revenue_amount": revenue if "revenue" in needed else None,
            "assets_amount": assets if "assets" in needed else None,
        },
        actor=actor,
    )


# ------------------------------------------------------------------------------- evidence


def add_evidence(
    application: CommitmentApplication,
    uploads: list[files.Upload],
    *,
    actor: User,
) -> list[EvidenceFile]:
    """Store every upload, or none of them.

    :raise EvidenceError: see ``evidence.check_uploads``.
    """
    _require_draft(application)
    # Two uploads at once would each count the files before the other's: take the application
    # row's write lock first, then count what is committed. An UPDATE that changes nothing takes
    # it on both databases: PostgreSQL locks the row, and SQLite, which ignores FOR UPDATE and
    # lets two connections read before either writes, takes its database write lock (with
    # SELECT ... FOR UPDATE, two workers of `make run` each counted 4 files and stored 7).
    applications = CommitmentApplication.__table__
    db.session.execute(
        update(applications).where(applications.c.id == application.id).values(id=applications.c.id)
    )
    already = db.session.scalar(
        select(func.count())
        .select_from(EvidenceFile)
        .where(EvidenceFile.application_id == application.id)
    )
    accepted = files.check_uploads(uploads, already=already)

    added = []
    for upload in accepted:  # as checked: images re-encoded
        mime = upload.mime
        stored_name = files.new_stored_name()
        files.write(stored_name, upload.data)
        record = EvidenceFile(
            original_name=files.clean_name(upload.filename, mime),
            stored_name=stored_name,
            content_type=mime,
            size_bytes=len(upload.data),
            sha256=sha256_hex(upload.data),
        )
        application.evidence.append(record)
        added.append(record)
    db.session.flush()
    audit.record(
        actor,
        "commitment.evidence_add",
        employer_id=application.employer_id,
        obj=application,
        details={
            "files": [{"id": f.id, "name": f.original_name, "sha256": f.sha256} for f in added]
        },
    )
    return added


def remove_evidence(
    application: CommitmentApplication, record: EvidenceFile, *, actor: User
) -> None:
    _require_draft(application)
    audit.record(
        actor,
        "commitment.evidence_remove",
        employer_id=application.employer_id,
        obj=application,
        details={"file_id": record.id, "name": record.original_name},
    )
    application.evidence.remove(record)
    db.session.delete(record)
    db.session.flush()
    files.delete(record.stored_name)


# ------------------------------------------------------------------------------- sign, submit


def sign(
    application: CommitmentApplication,
    *,
    signatory_name: str,
    actor: User,
    today: date,
    verify_url_for: VerifyUrlFor,
) -> None:
    """Sign online: record who and when, and render and store the signed letter once.

    The password and the ticked statement are checked by the caller (they are form input).

    :raise ApplicationError: not a draft, already signed, answers missing, or not eligible.
    """
    _require_draft(application)
    if actor.is_staff:  # hall staff record a paper signature instead (portal/hall)
        raise ApplicationError("staff_cannot_sign")
    if is_signed(application):
        raise ApplicationError("already_signed")
    _require_complete(application)
    try:
        with db.session.begin_nested():  # UPDATE ... WHERE version = <read>, in a savepoint
            application.signature_method = "online"
            application.signatory_name = signatory_name.strip()
            application.signed_at = utcnow().replace(microsecond=0)
            application.signed_by_id = actor.id
    except StaleDataError as error:
        # A double click: another request signed (or changed) the draft at the same moment.
        raise ApplicationError("already_signed") from error
    letter = issue_letter(application, "signed", verify_url_for=verify_url_for, issued_on=today)
    audit.record(
        actor,
        "commitment.sign",
        employer_id=application.employer_id,
        obj=application,
        details={
            "signatory_name": application.signatory_name,
            "method": "online",
            "letter_id": letter.id,
            "sha256": letter.sha256,
        },
    )


def _require_complete(application: CommitmentApplication) -> None:
    missing = missing_answers(application)
    if missing:
        raise ApplicationError("incomplete", field=missing[0])
    refused = refusals(
        application.employer, unit_kind=application.unit_kind, size=application.computed_size
    )
    if refused:
        raise ApplicationError(refused[0][0], detail=refused[0][1])


def submit(application: CommitmentApplication, *, actor: User, today: date) -> bool:
    """Send a signed draft for review; return False when it had already been sent.

    :raise ApplicationError: not signed, answers missing, not eligible, or decided already.
    :raise AlreadySubmitted: another request submitted it at the same moment (stale version).
    """
    if application.status == "submitted":
        return False
    _require_draft(application)
    _require_complete(application)
    if not is_signed(application):
        raise ApplicationError("not_signed", field="sign")
    application.status = "submitted"
    application.submitted_at = utcnow()
    if actor.is_staff:  # filed at the hall: that reviewer may not decide it (portal/review)
        application.filed_by_staff_id = actor.id
    application.due_on = review_due_date(today, review_working_days(application.program_id))
    try:
        db.session.flush()  # UPDATE ... WHERE version = <read>: one of two submits wins
    except StaleDataError as error:
        raise AlreadySubmitted() from error
    audit.record(
        actor,
        "commitment.submit",
        employer_id=application.employer_id,
        obj=application,
        details={
            "reference": application.reference,
            "round": application.round,
            "due_on": application.due_on.isoformat(),
        },
    )
    return True
