"""Double clicks at the same moment, on PostgreSQL: every request answers like the first one.

Each thread has its own client (its own cookie and CSRF token) and so its own database session
and connection; a barrier releases their POSTs together.
"""

from __future__ import annotations

import io
import threading
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import stream_encode_multipart

from portal.core.extensions import db
from portal.letters import document
from portal.models import (
    AuditEntry,
    CommitmentApplication,
    Departure,
    EvidenceFile,
    PaperSignature,
    PersonAssessment,
    ServiceHall,
    StoredLetter,
)
from tests.applications.helpers import (
    PNG,
    SMALL_PDF,
    base,
    fake_render,
    multipart_post,
    walk_to_sign,
)
from tests.conftest import IS_POSTGRES, csrf_token, sign_in
from tests.factories import PASSWORD
from tests.hall.helpers import hall_visit

pytestmark = pytest.mark.postgres_only


def count(model, *where) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def audits(action: str) -> int:
    return count(AuditEntry, AuditEntry.action == action)


def at_once(app, user, n: int, send, *, session_values: dict | None = None) -> list[int]:
    """Sign ``n`` clients in as ``user``; release ``send(client, token)`` in all at once."""
    clients = []
    for _ in range(n):
        client = app.test_client()
        if user is not None:
            sign_in(client, user)
        if session_values:
            with client.session_transaction() as session:
                session.update(session_values)
        clients.append(client)
    ready = threading.Barrier(n)
    codes: list[int] = []
    failures: list[Exception] = []

    def run(client, token):
        try:
            with app.app_context():
                ready.wait(timeout=30)
                codes.append(send(client, token).status_code)
        except Exception as error:  # noqa: BLE001 - a thread reports to the test, which fails
            failures.append(error)

    tokens = [csrf_token(client, "/login") for client in clients]
    threads = [threading.Thread(target=run, args=pair) for pair in zip(clients, tokens)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not failures, failures
    assert IS_POSTGRES
    return codes


@pytest.fixture
def applicant(make):
    agency = make.agency()
    employer = make.employer(
        agency, list_status="not_listed", size_class=None, size_source=None, industry=None
    )
    owner = make.user(employer=employer, role="owner", display_name="张三")
    make.commit()
    return employer, owner


def test_twenty_begins_at_once_open_one_draft(app, applicant):
    employer, owner = applicant
    codes = at_once(
        app,
        owner,
        20,
        lambda client, token: client.post(f"{base(employer)}/begin", data={"csrf_token": token}),
    )
    assert codes == [302] * 20
    assert count(CommitmentApplication) == 1
    assert audits("commitment.start") == 1


def test_ten_signatures_at_once_sign_once(app, client, applicant, monkeypatch):
    monkeypatch.setattr(document, "render_commitment_letter", fake_render)
    employer, owner = applicant
    sign_in(client, owner)
    walk_to_sign(client, employer)
    codes = at_once(
        app,
        owner,
        10,
        lambda c, token: c.post(
            f"{base(employer)}/sign",
            data={
                "csrf_token": token,
                "signatory_name": "张三",
                "statement": "y",
                "password": PASSWORD,
            },
        ),
    )
    assert codes == [302] * 10
    assert audits("commitment.sign") == 1
    assert count(StoredLetter) == 1


def test_twenty_departures_at_once_record_one(app, make):
    employer = make.employer(
        make.agency(
            make.region(
                "shandong-2022", unit_medical_rate=Decimal("0.065"), maternity_rate=Decimal("0.01")
            )
        )
    )
    owner = make.user(employer=employer)
    db.session.add(
        PersonAssessment(
            employer_id=employer.id,
            person_ref="P9",
            person_name="赵六",
            month="2022-07",
            unit_amount=Decimal("300.00"),
            personal_amount=Decimal("80.00"),
        )
    )
    make.commit()
    url = f"/e/{employer.id}/amounts/departures"
    codes = at_once(
        app,
        owner,
        20,
        lambda client, token: client.post(
            url,
            data={
                "csrf_token": token,
                "person_ref": "P9",
                "reason": "leave",
                "left_on": "2022-08-10",
            },
        ),
    )
    assert codes == [302] * 20
    assert count(Departure) == 1
    assert audits("departure.record") == 1


def test_the_evidence_limit_holds_when_uploads_arrive_together(app, client, applicant):
    employer, owner = applicant
    sign_in(client, owner)
    walk_to_sign(client, employer)
    url = f"{base(employer)}/evidence"
    files = [("a.pdf", SMALL_PDF), ("b.png", PNG)]
    codes = at_once(
        app,
        owner,
        4,
        lambda c, token: multipart_post(
            c, url, {}, [("files", name, body) for name, body in files]
        ),
    )
    assert sorted(codes) == [200, 200, 302, 302]  # two uploads of two fit; the others are told
    application = db.session.scalar(select(CommitmentApplication))
    assert count(EvidenceFile, EvidenceFile.application_id == application.id) == 4


def test_a_paper_signature_recorded_eight_times_at_once_is_recorded_once(
    app, client, applicant, make, monkeypatch
):
    monkeypatch.setattr(document, "render_commitment_letter", fake_render)
    employer, owner = applicant
    staff = make.user(staff_role="hall", agency=employer.agency)
    service_hall = ServiceHall(
        agency=employer.agency, city="临沂市", district="市直", address="北京路8号", phone="0539"
    )
    db.session.add(service_hall)
    make.commit()
    sign_in(client, owner)
    walk_to_sign(client, employer)
    visit = hall_visit(employer, staff)
    db.session.commit()
    fields = {
        "signatory_name": "张三",
        "signed_on": "2022-08-15",
        "hall_id": str(service_hall.id),
        "is_original_seen": "y",
    }
    path = f"/hall/e/{employer.id}/commitment/paper"

    def send(c, token):  # with the token fetched before: by now the page may redirect
        data = MultiDict({**fields, "csrf_token": token})
        data.add("scan", FileStorage(io.BytesIO(SMALL_PDF), filename="scan.pdf"))
        stream, length, boundary = stream_encode_multipart(data, use_tempfile=False)
        return c.post(
            path,
            input_stream=stream,
            content_length=length,
            content_type=f"multipart/form-data; boundary={boundary}",
        )

    codes = at_once(app, staff, 8, send, session_values={"acting_id": visit.id})
    assert codes == [302] * 8
    assert count(PaperSignature) == 1
    assert audits("commitment.paper_sign") == 1


def test_an_activation_sent_five_times_at_once_makes_one_account_and_signs_each_in(app, make):
    from portal.features.auth.operations import issue_activation_code
    from portal.models import Membership, User

    agency = make.agency()
    employer = make.employer(agency)
    hall = make.user(staff_role="hall", agency=agency)
    make.commit()
    _code, plain = issue_activation_code(employer, "owner", actor=hall, valid_days=14)
    db.session.commit()
    form = {
        "credit_code": employer.credit_code,
        "code": plain,
        "display_name": "王法人",
        "username": "wang.faren",
        "password": "a long enough password",
        "password_confirm": "a long enough password",
    }
    codes = at_once(
        app, None, 5, lambda c, token: c.post("/activate", data={**form, "csrf_token": token})
    )
    assert codes == [302] * 5  # each signed in, as the first was
    assert count(User, User.username == "wang.faren") == 1
    assert count(Membership, Membership.employer_id == employer.id) == 1
    assert audits("activation.use") == 1


def test_a_staff_account_created_five_times_at_once_is_created_once(app, make):
    from portal.models import User

    agency = make.agency()
    admin = make.user(staff_role="admin")
    make.commit()
    form = {
        "display_name": "李审核",
        "username": "li.shenhe",
        "staff_role": "reviewer",
        "agency_id": str(agency.id),
        "password": "a long enough password",
    }
    codes = at_once(
        app,
        admin,
        5,
        lambda c, token: c.post("/admin/users/new", data={**form, "csrf_token": token}),
    )
    assert codes == [302] * 5
    assert count(User, User.username == "li.shenhe") == 1
    assert audits("staff_user.create") == 1
