"""Hall state changes: start and end acting for an employer, keep the service-hall list."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, date, datetime, time
from pathlib import Path

from sqlalchemy import select
from stdnum import numdb
from stdnum.cn import ric
from stdnum.exceptions import ValidationError

from portal.core import audit
from portal.core import uploads as files
from portal.core.extensions import db
from portal.features.applications.operations import missing_answers, refusals
from portal.letters.document import SHANGHAI
from portal.letters.stored import VerifyUrlFor, issue_letter
from portal.models import (
    ActingSession,
    Agency,
    CommitmentApplication,
    Employer,
    PaperSignature,
    ServiceHall,
    User,
)
from portal.models.base import utcnow
from portal.models.hall import ACTING_END_REASONS, VISITOR_CAPACITIES
from portal.rules.errors import DomainError


class VisitorError(DomainError):
    """A visitor record refused; ``code`` names why, ``field`` where it belongs."""

    kind = "visitor"


def check_id_number(text: str) -> str:
    """Return the identity-card number in its compact form (18 characters, X upper case).

    The check digit and the birth date are checked with python-stdnum; the region code must
    exist in some edition of GB/T 2260 (stdnum's table). stdnum's own ``validate`` also asks
    that the code existed in the holder's birth year, but numbers are issued later than birth:
    Liaocheng's 3715xx codes date from 1997, and its people born before then hold them.

    :raise VisitorError: code ``id_length``, ``id_format``, ``id_checksum`` or ``id_component``
        (no such birth date or region).
    """
    number = ric.compact(text)
    if len(number) != 18:
        raise VisitorError("id_length", "id_number")
    if not number[:-1].isascii() or not number[:-1].isdigit():
        raise VisitorError("id_format", "id_number")
    if number[-1] != ric.calc_check_digit(number):
        raise VisitorError("id_checksum", "id_number")
    try:
        ric.get_birth_date(number)
    except ValidationError as error:
        raise VisitorError("id_component", "id_number") from error
    regions = numdb.get("cn/loc").info(number[:6])
    if not any("county" in props for _part, props in regions):
        raise VisitorError("id_component", "id_number")
    return number


def mask_id_number(number: str) -> str:
    """Show the first 6 and last 4 characters only: 370102********123X."""
    return number[:6] + "*" * (len(number) - 10) + number[-4:]


def hash_id_number(number: str, key: str) -> str:
    """A keyed hash, to tell whether two visits were by the same person without keeping it."""
    return hmac.new(key.encode(), number.encode(), hashlib.sha256).hexdigest()


def start_acting(
    employer: Employer,
    *,
    visitor_name: str,
    id_number: str,
    capacity: str,
    letter: files.Upload | None,
    actor: User,
    hash_key: str,
) -> ActingSession:
    """Record the visitor and start acting for ``employer``; any other open visit ends.

    :raise VisitorError: no name, a bad identity-card number, an unknown capacity, or an agent
        without a letter of authority.
    :raise EvidenceError: the letter is empty, over 10 MB, or not a PDF, JPEG or PNG.
    """
    visitor_name = visitor_name.strip()
    if not visitor_name:
        raise VisitorError("name_missing", "visitor_name")
    number = check_id_number(id_number)
    if capacity not in VISITOR_CAPACITIES:
        raise VisitorError("capacity_missing", "capacity")
    if capacity == "agent" and letter is None:
        raise VisitorError("letter_missing", "letter")
    if letter is not None:
        letter = files.check_uploads([letter], already=0)[0]  # kept as checked
    mime = letter.mime if letter is not None else None
    end_open_visits(actor, reason="replaced", actor=actor)
    visit = ActingSession(
        staff_id=actor.id,
        employer_id=employer.id,
        visitor_name=visitor_name,
        visitor_id_masked=mask_id_number(number),
        visitor_id_hash=hash_id_number(number, hash_key),
        capacity=capacity,
    )
    if letter is not None and mime is not None:
        visit.letter_stored_name = files.new_stored_name()
        visit.letter_name = files.clean_name(letter.filename, mime)
        visit.letter_content_type = mime
        visit.letter_sha256 = hashlib.sha256(letter.data).hexdigest()
        files.write(visit.letter_stored_name, letter.data)
    db.session.add(visit)
    db.session.flush()
    audit.record(
        actor,
        "hall.acting_start",
        employer_id=employer.id,
        obj=visit,
        details={
            **visit.audit_details(),
            "visitor_id_masked": visit.visitor_id_masked,
            "letter_sha256": visit.letter_sha256,
        },
    )
    return visit


def end_acting(
    visit: ActingSession, *, reason: str, actor: User, at: datetime | None = None
) -> None:
    """Close the visit (stopped, idle, signed out, or replaced by a new one)."""
    if reason not in ACTING_END_REASONS:
        raise ValueError(f"unknown end reason {reason!r}")
    if not visit.is_open:
        return
    visit.ended_at = at or utcnow()
    visit.end_reason = reason
    db.session.flush()
    audit.record(
        actor,
        "hall.acting_end",
        employer_id=visit.employer_id,
        obj=visit,
        details={**visit.audit_details(), "reason": reason},
    )


def end_open_visits(staff: User, *, reason: str, actor: User) -> None:
    """End every visit this staff member still has open."""
    visits = db.session.scalars(
        select(ActingSession).where(
            ActingSession.staff_id == staff.id, ActingSession.ended_at.is_(None)
        )
    )
    for visit in list(visits):
        end_acting(visit, reason=reason, actor=actor)


# ----------------------------------------------------------------------- the service halls

HALL_FIELDS = ("agency_id", "city", "district", "address", "phone", "note", "position", "is_listed")


def create_hall(values: dict[str, object], *, actor: User) -> ServiceHall:
    """Add a hall to the public list (an administrator's entry has no source document)."""
    hall = ServiceHall(source="", **{k: values[k] for k in HALL_FIELDS})
    db.session.add(hall)
    db.session.flush()
    audit.record(actor, "service_hall.create", obj=hall, details=_snapshot(hall))
    return hall


def update_hall(hall: ServiceHall, values: dict[str, object], *, actor: User) -> bool:
    """Change a hall; return False (and write nothing) when nothing changed."""
    before = _snapshot(hall)
    for key in HALL_FIELDS:
        setattr(hall, key, values[key])
    after = _snapshot(hall)
    changed = {k: [before[k], after[k]] for k in HALL_FIELDS if before[k] != after[k]}
    if not changed:
        return False
    db.session.flush()
    audit.record(actor, "service_hall.update", obj=hall, details={"changed": changed})
    return True


def _snapshot(hall: ServiceHall) -> dict[str, object]:
    return {key: getattr(hall, key) for key in HALL_FIELDS}


def load_shipped_halls(path: str | Path, *, agency: Agency | None = None) -> int:
    """Add the halls of a shipped YAML file (the migration does this once); return how many.

    Used by the tests, whose databases are built from the models; the halls belong to
    ``agency`` (none: until an administrator chooses it).
    """
    import yaml

    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    existing = {
        tuple(row) for row in db.session.execute(select(ServiceHall.city, ServiceHall.district))
    }
    added = 0
    for position, row in enumerate(data["halls"], start=1):
        if (data["city"], row["district"]) in existing:
            continue
        db.session.add(
            ServiceHall(
                agency_id=agency.id if agency is not None else None,
                city=data["city"],
                district=row["district"],
                address=row["address"],
                phone=str(row["phone"]),
                source=data["source"],
                note=row.get("note"),
                position=position,
                is_listed=True,
            )
        )
        added += 1
    db.session.flush()
    return added


def adopt_halls(agency: Agency) -> int:
    """Give ``agency`` the halls without one in its region's city; return how many.

    The migrations load Linyi's halls into a database that has no agency yet; once Linyi's
    agency is entered (by `flask portal demo`, say), its halls are its own. Nothing is
    audited: no hall changes hands, one without an owner is given its only possible one.
    """
    halls = list(
        db.session.scalars(
            select(ServiceHall).where(
                ServiceHall.agency_id.is_(None), ServiceHall.city == agency.region.name
            )
        )
    )
    for hall in halls:
        hall.agency_id = agency.id
    db.session.flush()
    return len(halls)


# ---------------------------------------------------------------- paper-signed commitment letter


class PaperSignatureError(DomainError):
    """A paper signature refused; ``code`` names why, ``field`` where it belongs (or None)."""

    kind = "paper"


def record_paper_signature(
    application: CommitmentApplication,
    *,
    visit: ActingSession,
    signatory_name: str,
    signed_on: date,
    hall: ServiceHall,
    scan: files.Upload | None,
    actor: User,
    today: date,
    verify_url_for: VerifyUrlFor,
) -> PaperSignature:
    """Record a letter signed and stamped on paper at ``hall``, keep its scan, issue the PDF.

    The issued letter says "signed on paper at <hall> on <date>, received by <staff>".

    :raise PaperSignatureError: not a draft, signed already, answers missing or refused, no
        name, a date after today, a hall of another agency, or a visit for another employer.
    :raise EvidenceError: the scan is empty, over 10 MB, or not a PDF, JPEG or PNG.
    """
    if visit.employer_id != application.employer_id or not visit.is_open:
        raise PaperSignatureError("not_acting")
    if application.status != "draft":
        raise PaperSignatureError("not_draft")
    if application.signed_at is not None:
        raise PaperSignatureError("already_signed")
    if missing_answers(application) or refusals(
        application.employer, unit_kind=application.unit_kind, size=application.computed_size
    ):
        raise PaperSignatureError("incomplete")
    signatory_name = signatory_name.strip()
    if not signatory_name:
        raise PaperSignatureError("name_missing", "signatory_name")
    if signed_on > today:
        raise PaperSignatureError("future", "signed_on")
    if hall.agency_id is None or hall.agency_id != application.employer.agency_id:
        raise PaperSignatureError("hall_elsewhere", "hall_id")
    scan = files.check_uploads([scan] if scan is not None else [], already=0)[0]  # as checked
    mime = scan.mime
    stale = db.session.scalar(
        select(PaperSignature).where(PaperSignature.application_id == application.id)
    )
    if stale is not None:  # from a signature withdrawn when the answers changed
        db.session.delete(stale)
        db.session.flush()
    record = PaperSignature(
        application_id=application.id,
        hall_id=hall.id,
        hall_label=hall.label,
        signed_on=signed_on,
        received_by_id=actor.id,
        acting_session_id=visit.id,
        scan_name=files.clean_name(scan.filename, mime),
        scan_stored_name=files.new_stored_name(),
        scan_content_type=mime,
        scan_size_bytes=len(scan.data),
        scan_sha256=hashlib.sha256(scan.data).hexdigest(),
    )
    files.write(record.scan_stored_name, scan.data)
    db.session.add(record)
    application.signature_method = "paper"
    application.signatory_name = signatory_name
    application.signed_at = _signed_at(signed_on)
    application.signed_by_id = actor.id
    application.filed_by_staff_id = actor.id
    db.session.flush()
    letter = issue_letter(application, "signed", verify_url_for=verify_url_for, issued_on=today)
    audit.record(
        actor,
        "commitment.paper_sign",
        employer_id=application.employer_id,
        obj=application,
        details={
            "signatory_name": signatory_name,
            "method": "paper",
            "hall": record.hall_label,
            "signed_on": signed_on.isoformat(),
            "scan_sha256": record.scan_sha256,
            "letter_id": letter.id,
            "sha256": letter.sha256,
        },
    )
    return record


def _signed_at(signed_on: date) -> datetime:
    """The moment stored for a paper signature: now if signed today, else noon that day.

    The letter prints the day in Asia/Shanghai; only the day is known for paper.
    """
    now = utcnow().replace(microsecond=0)
    if now.astimezone(SHANGHAI).date() == signed_on:
        return now
    return datetime.combine(signed_on, time(12), tzinfo=SHANGHAI).astimezone(UTC)
