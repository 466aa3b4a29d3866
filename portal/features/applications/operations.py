"""Applications to the agency: state changes. Two kinds share the row, the uploads, the review
queue and the audit: the commitment application (告知承诺制, 鲁医保发〔2022〕21号 四; DOMAIN.md
§7.3) and the 2020 deferral by application (临医保发〔2020〕28号 操作细则 二（二）;
锡医保服务〔2020〕11号 三（一））.

One row per round. A draft keeps every answer as it is given, so leaving and coming back
resumes it; signing renders the letter once; submitting is a guarded draft → submitted
transition, so a double submit gives one application. Both kinds open a round (``_open``) and
send it (``_send``) through one skeleton; an ``ApplicationKind`` holds what differs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from portal.core import audit
from portal.core import uploads as files
from portal.core.extensions import db
from portal.core.pdf import sha256_hex
from portal.facts.standing import employer_facts
from portal.features.applications.queries import (
    LATEST_ROUND,
    headcounts_through,
    latest_and_next_round,
)
from portal.letters.stored import VerifyUrlFor, issue_letter, supersede_letters
from portal.models import CommitmentApplication, Employer, EvidenceFile, User
from portal.models.base import utcnow
from portal.rules import (
    INDUSTRIES,
    Classification,
    DeferralRequest,
    DeferralSize,
    NotApplicable,
    RulesError,
    UnknownProgram,
    check_eligibility,
    classify,
    deferral_request,
    deferral_routes,
    deferral_size,
    load_program,
    missing_documents,
    open_to_some_route,
    parse_uscc,
    review_due_date,
    review_working_days,
    route_refusals,
)
from portal.rules import standing as standing_rules
from portal.rules.errors import DomainError

OPEN_STATUSES = ("draft", "submitted")
DEFERRAL_KIND = "deferral_2020"


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


# ------------------------------------------------------------- one skeleton for both kinds


@dataclass(frozen=True)
class ApplicationKind:
    """What differs between the two kinds of application; opening and sending are shared."""

    key: str  # CommitmentApplication.kind
    action: str  # the audit rows' prefix: <action>.start, .resubmit_start, .submit
    reference: str  # the reference's prefix: <reference>-<year>-<id>
    # (code, detail) of every reason the employer may not open a round after ``latest``
    refusals: Callable[[Employer, str, CommitmentApplication | None], list[tuple[str, str]]]
    # The answers a round starts with: its first, or those of the rejected round ``latest``
    first_answers: Callable[[Employer, CommitmentApplication | None], dict[str, object]]
    # Raise ApplicationError when the answers are not ready to send
    check_answers: Callable[[CommitmentApplication, date], None]
    # What the submission's audit row says besides the reference and the due date
    submit_details: Callable[[CommitmentApplication], dict[str, object]]


def _commitment_refusals(
    employer: Employer, _program_id: str, latest: CommitmentApplication | None
) -> list[tuple[str, str]]:
    if latest is None and employer.list_status == "listed":
        return [("listed", "")]
    return refusals(employer)


def _commitment_answers(
    employer: Employer, latest: CommitmentApplication | None
) -> dict[str, object]:
    if latest is None:
        return {"unit_kind": parse_uscc(employer.credit_code).unit_kind}
    return {name: getattr(latest, name) for name in COMMITMENT_ANSWERS}


def _deferral_refusals(
    employer: Employer, program_id: str, _latest: CommitmentApplication | None
) -> list[tuple[str, str]]:
    return deferral_refusals(employer, program_id)


def _deferral_answers(
    employer: Employer, latest: CommitmentApplication | None
) -> dict[str, object]:
    carried = {} if latest is None else {name: getattr(latest, name) for name in DEFERRAL_ANSWERS}
    return {"unit_kind": employer.unit_kind, **carried}


def _check_deferral_answers(application: CommitmentApplication, today: date) -> None:
    check_deferral(
        application,
        start_month=application.defer_start,
        months=application.defer_months,
        reason=application.defer_reason,
        employees_agreed=bool(application.employees_agreed),
        today=today,
        route=application.defer_route,
        ground=application.defer_ground,
    )


COMMITMENT_ANSWERS = (
    "unit_kind",
    "industry",
    "industry_code",
    "employees",
    "revenue_amount",
    "assets_amount",
    "computed_size",
)
DEFERRAL_ANSWERS = (
    "defer_start",
    "defer_months",
    "defer_reason",
    "employees_agreed",
    "defer_route",
    "defer_ground",
)

COMMITMENT = ApplicationKind(
    key="commitment",
    action="commitment",
    reference="CA",
    refusals=_commitment_refusals,
    first_answers=_commitment_answers,
    check_answers=lambda application, _today: _require_complete(application),
    submit_details=lambda application: {"round": application.round},
)
DEFERRAL_2020 = ApplicationKind(
    key=DEFERRAL_KIND,
    action="deferral2020",
    reference="DA",
    refusals=_deferral_refusals,
    first_answers=_deferral_answers,
    check_answers=_check_deferral_answers,
    submit_details=lambda a: {"months": f"{a.defer_start} x {a.defer_months}"},
)

#: The refusal for a required document the application does not carry (portal.rules.applications).
MISSING_DOCUMENT = {
    "signed_commitment_letter": ("not_signed", "sign"),
    "supporting_evidence": ("evidence_required", "files"),
    "uploaded_letter": ("documents_required", "files"),
}


def _open(
    employer: Employer, kind: ApplicationKind, program_id: str, *, actor: User, today: date
) -> CommitmentApplication:
    """Return the employer's open application of ``kind``, or start its next round: a first one
    with ``kind.first_answers``, after a rejection one with the rejected round's answers and
    copies of its files.

    :raise ApplicationError: the first of ``kind.refusals``.
    """
    latest, next_round = latest_and_next_round(employer, kind.key)
    if latest is not None and latest.status != "rejected":
        return latest
    refused = kind.refusals(employer, program_id, latest)
    if refused:
        raise ApplicationError(refused[0][0], detail=refused[0][1])
    application = CommitmentApplication(
        employer=employer,
        round=next_round,
        status="draft",
        kind=kind.key,
        program_id=program_id,
        **kind.first_answers(employer, latest),
    )
    try:
        with db.session.begin_nested():
            db.session.add(application)
            db.session.flush()  # the id the reference is made of
            # Inside the savepoint: on SQLite (pysqlite) releasing the first savepoint commits
            # the row, and a refusal later in the request rolled back a reference set after it,
            # leaving a round sent later as "None".
            application.reference = f"{kind.reference}-{today.year}-{application.id:06d}"
    except IntegrityError:
        # A double click: another request opened this round at the same moment and won.
        return db.session.scalars(
            LATEST_ROUND, {"employer_id": employer.id, "kind": kind.key}
        ).one()
    if latest is not None:
        _copy_evidence(latest, application)
    db.session.flush()
    audit.record(
        actor,
        f"{kind.action}.resubmit_start" if latest else f"{kind.action}.start",
        employer_id=employer.id,
        obj=application,
        details={"reference": application.reference, "round": application.round},
    )
    return application


def _program_id(application: CommitmentApplication) -> str:
    """The program ``application`` is under: ``_open`` names it, but the column allows NULL.

    :raise UnknownProgram: it names none (as ``load_program(None)`` raises).
    """
    if application.program_id is None:
        raise UnknownProgram("The application names no program", field="program_id")
    return application.program_id


def _send(
    application: CommitmentApplication, kind: ApplicationKind, *, actor: User, today: date
) -> bool:
    """Send a draft of ``kind`` for review, due the program's review time from ``today``;
    return False when it had already been sent.

    :raise ApplicationError: not a draft, answers not ready, or a required document missing.
    :raise AlreadySubmitted: another request submitted it at the same moment (stale version).
    """
    if application.status == "submitted":
        return False
    _require_draft(application)
    kind.check_answers(application, today)
    program = load_program(_program_id(application))
    missing = missing_documents(
        program, is_signed=is_signed(application), uploaded_files=len(application.evidence)
    )
    if missing:
        code, field = MISSING_DOCUMENT[missing[0].key]
        raise ApplicationError(code, field=field, detail=missing[0].ref)
    days = review_working_days(program)
    if days is None:
        raise NotApplicable(f"{program.id} has no review by the agency", field="program_id")
    application.status = "submitted"
    application.submitted_at = utcnow()
    if actor.is_staff:  # filed at the hall: that reviewer may not decide it (features/review)
        application.filed_by_staff_id = actor.id
    application.due_on = review_due_date(today, days)
    try:
        db.session.flush()  # UPDATE ... WHERE version = <read>: one of two submits wins
    except StaleDataError as error:
        raise AlreadySubmitted() from error
    audit.record(
        actor,
        f"{kind.action}.submit",
        employer_id=application.employer_id,
        obj=application,
        details={
            "reference": application.reference,
            **kind.submit_details(application),
            "due_on": application.due_on.isoformat(),
        },
    )
    return True


def _copy_evidence(source: CommitmentApplication, target: CommitmentApplication) -> None:
    """A new round starts with copies of the last round's files (each round keeps its own)."""
    for earlier in source.evidence:
        copy_name = files.new_stored_name()
        files.copy(earlier.stored_name, copy_name)
        target.evidence.append(
            EvidenceFile(
                original_name=earlier.original_name,
                stored_name=copy_name,
                content_type=earlier.content_type,
                size_bytes=earlier.size_bytes,
                sha256=earlier.sha256,
            )
        )


# ------------------------------------------------------------------------------- drafts


def open_draft(employer: Employer, *, actor: User, today: date) -> CommitmentApplication:
    """Return the employer's current draft, starting one (or the next round) if there is none.

    A first application starts empty, with the unit kind its credit code shows; after a
    rejection the next round starts from the rejected round's answers and evidence.

    :raise ApplicationError: the employer is on the list, or may not apply at all.
    """
    return _open(employer, COMMITMENT, employer.program_id, actor=actor, today=today)


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
        value = given[name]
        if value is None:
            raise ApplicationError("missing_figure", field=name)
        if value < 0:
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

    :raise EvidenceError: see ``portal.core.uploads.check_uploads``.
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
    already = db.session.scalars(
        select(func.count())
        .select_from(EvidenceFile)
        .where(EvidenceFile.application_id == application.id)
    ).one()
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
    if actor.is_staff:  # hall staff record a paper signature instead (portal/features/hall)
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
    return _send(application, COMMITMENT, actor=actor, today=today)


# ------------------------------------------------------------------- 2020 deferral by application
# 临医保发〔2020〕28号 操作细则 一（二）、二（二）; 锡医保服务〔2020〕11号 三（一）.
# The same row, uploads,
# submission, review queue and audit as a commitment application, with kind "deferral_2020".


def deferral_size_of(employer: Employer, program_id: str) -> DeferralSize | None:
    """The size class the 2020 deferral is decided on (鲁医保发〔2020〕23号 三: shared, else the
    headcount before 2020-02, else provisional); None where the program has no such rule."""
    last = load_program(program_id).reading("fallback_headcount_month")
    headcounts = {} if last is None else headcounts_through(employer, last.value)
    return deferral_size(
        program_id,
        shared_size=employer.size_class,
        industry=employer.industry,
        headcounts=headcounts,
    )


def deferral_refusals(
    employer: Employer, program_id: str, route: str | None = None
) -> list[tuple[str, str]]:
    """(code, rules' message) of every reason the employer may not apply for the 2020 deferral
    (Linyi: SMEs only, 操作细则 一（二）, classified as 鲁医保发〔2020〕23号 三 asks, or on another
    of its grounds, ``route_refusals``; Wuxi: enterprises, not 机关事业单位, 锡 一). ``route``
    None: none while at least one ground is open to the employer."""
    found = deferral_size_of(employer, program_id)
    size = found.size if found is not None and found.basis == "headcount" else employer.size_class
    eligibility = check_eligibility(program_id, unit_kind=employer.unit_kind, size=size)
    reasons = list(eligibility.reasons)
    if found is not None and found.is_provisional:  # 告知承诺: the unit applies as an SME
        reasons = [r for r in reasons if r[0] != "size_undetermined"]
    if route is None:
        return open_to_some_route(program_id, reasons, unit_kind=employer.unit_kind)
    return route_refusals(program_id, route, reasons, unit_kind=employer.unit_kind)


def open_deferral_draft(
    employer: Employer, program_id: str, *, actor: User, today: date
) -> CommitmentApplication:
    """Return the employer's open 2020 deferral application, starting one if there is none (or
    the last was returned: a new round starts from its answers and files).

    :raise ApplicationError: the employer may not apply.
    """
    application = _open(employer, DEFERRAL_2020, program_id, actor=actor, today=today)
    found = deferral_size_of(employer, program_id)
    if application.status == "draft" and found is not None:
        # Recorded with the round: a provisional class is settled 多退少补 once confirmed.
        application.computed_size = found.size
        application.size_basis = found.basis
        if found.headcount is not None:
            application.employees = found.headcount
        db.session.flush()
    return application


def check_deferral(
    application: CommitmentApplication,
    *,
    start_month: str | None,
    months: int | None,
    reason: str | None,
    employees_agreed: bool,
    today: date,
    route: str | None = None,
    ground: str | None = None,
) -> DeferralRequest:
    """The program's answer to what the employer asks for.

    :raise ApplicationError: a month, count, reason, the employees' agreement or (Linyi) the
        ground is missing or refused by the program (too many months, outside the window,
        applications closed, not open to the employer on that ground).
    """
    check_route(application, route, ground)
    if not start_month:
        raise ApplicationError("start_month_required", field="start_month")
    if not months:
        raise ApplicationError("months_required", field="months")
    try:
        request = deferral_request(
            _program_id(application), start_month=start_month, months=months, applied_on=today
        )
    except RulesError as error:
        raise ApplicationError(error.code, field=error.field, detail=error.message) from error
    if not (reason or "").strip():
        raise ApplicationError("reason_required", field="reason")
    if request.needs_employee_agreement and not employees_agreed:
        raise ApplicationError("employees_agreement", field="employees_agreed")
    return request


def check_route(application: CommitmentApplication, route: str | None, ground: str | None) -> None:
    """The ground the application names, where the program has several (鲁医保发〔2020〕23号 三):
    named, with the industry on the industry ground, and open to the employer.

    :raise ApplicationError: missing, unknown, or refused on that ground.
    """
    program_id = _program_id(application)
    routes = deferral_routes(program_id)
    if routes is None:
        return
    if route not in routes.keys:
        raise ApplicationError("route_required", field="route")
    if route == "industry" and routes.ground(ground) is None:
        raise ApplicationError("ground_required", field="ground")
    refused = deferral_refusals(application.employer, program_id, route)
    if refused:
        raise ApplicationError(refused[0][0], field="route", detail=refused[0][1])


def set_deferral_answers(
    application: CommitmentApplication,
    *,
    start_month: str | None,
    months: int | None,
    reason: str | None,
    employees_agreed: bool,
    actor: User,
    today: date,
    route: str | None = None,
    ground: str | None = None,
) -> DeferralRequest:
    """Record the months, the reason, (Wuxi) the employees' agreement and (Linyi) the ground of
    a draft.

    :raise ApplicationError: see ``check_deferral``; not a draft.
    """
    _require_draft(application)
    request = check_deferral(
        application,
        start_month=start_month,
        months=months,
        reason=reason,
        employees_agreed=employees_agreed,
        today=today,
        route=route,
        ground=ground,
    )
    has_routes = deferral_routes(_program_id(application)) is not None
    changes = {
        "defer_start": request.start,
        "defer_months": len(request.months),
        "defer_reason": (reason or "").strip(),
        "employees_agreed": employees_agreed if request.needs_employee_agreement else None,
        "defer_route": route if has_routes else None,
        "defer_ground": ground if has_routes and route == "industry" else None,
    }
    changed = sorted(k for k, v in changes.items() if getattr(application, k) != v)
    for name, value in changes.items():
        setattr(application, name, value)
    db.session.flush()
    if changed:
        audit.record(
            actor,
            "deferral2020.answer",
            employer_id=application.employer_id,
            obj=application,
            details={"fields": changed, "months": f"{request.start}..{request.end}"},
        )
    return request


def deferral_of(application: CommitmentApplication) -> DeferralRequest | None:
    """What a 2020 deferral application asks for, as the program answers it (None if unset)."""
    if application.kind != DEFERRAL_KIND or not application.defer_start:
        return None
    return deferral_request(
        _program_id(application),
        start_month=application.defer_start,
        months=application.defer_months or 1,
    )


def submit_deferral(application: CommitmentApplication, *, actor: User, today: date) -> bool:
    """Send a complete 2020 deferral draft for review; False when it was sent already.

    :raise ApplicationError: answers missing, no uploaded letter where the program needs one.
    :raise AlreadySubmitted: another request submitted it at the same moment (stale version).
    """
    return _send(application, DEFERRAL_2020, actor=actor, today=today)
