"""The same form sent 20 times at once changes state once, and every answer is the first's.

``CASES`` maps every endpoint that accepts a state-changing method to its double-submit case;
``test_every_state_changing_endpoint_has_a_double_submit_case`` walks ``app.url_map`` and fails
for an endpoint without one (add a case below when you add a route that takes a POST).

Each case sets up its rows, opens the page as a browser would (so the form's CSRF token and
its key, ``portal.web.submissions``, are the ones the page rendered in that very form), then
sends the form 20 times at once from the same browser (same session, same token, same key) to
a real gunicorn on PostgreSQL (tests/hostile/live.py), and asserts: no answer of 500 or more,
every answer the same as the first (status and target; a page the same where it matters), one
change and one audit row. The battery of issue 26 is in: the application's industry and
figures steps (StaleDataError 500s), a hall visit (18 open acting sessions, deadlocks, one
left open after "stop"), 20 halls, 20 invitation codes, 20 activation codes, 20 confirmation
e-mails, 20 tax-list exports, a member removed twice (two audit rows).
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import func, select

from portal import create_app
from portal.config import TestConfig
from portal.core.extensions import db
from portal.core.uploads import keep_stream
from portal.features.api.operations import grant_access, issue_client
from portal.features.auth.operations import issue_activation_code
from portal.features.imports.operations import import_file
from portal.features.imports.reader import Source
from portal.models import (
    ActingSession,
    ActivationCode,
    Agency,
    ApiClient,
    ApiGrant,
    Assessment,
    AuditEntry,
    Collection,
    CommitmentApplication,
    DeferralDecision,
    Departure,
    Employer,
    EvidenceFile,
    FundReserve,
    HeldChange,
    ImportRecord,
    Job,
    Membership,
    OutboxMessage,
    PaperSignature,
    Payment,
    PaymentQueueResolution,
    PersonAssessment,
    PoolingRegion,
    RegionRate,
    ReturnChoice,
    ReturnDone,
    SentMonthlyReport,
    ServiceHall,
    StoredLetter,
    Submission,
    TaxListExport,
    User,
)
from tests import files
from tests.applications.helpers import stored_evidence, submitted_application
from tests.factories import PASSWORD, Factory, credit_code
from tests.hall.conftest import VISITOR_ID
from tests.hostile.live import Browser, Response, Server, at_once

N = 20
PNG = files.png()
PDF = files.pdf()
CODE = r"[2-9A-HJ-NP-Z]{4}(?:-[2-9A-HJ-NP-Z]{4}){3}"  # an activation code as a page shows it


# --------------------------------------------------------------------------- the harness


@dataclass
class Shot:
    """What a case sends: from ``browser``, the form posting to ``action`` on ``page`` (or in
    ``html``, a page that was itself the answer to a POST), with ``fields`` and ``files``."""

    browser: Browser
    page: str
    action: str
    fields: dict[str, str] = field(default_factory=dict)
    files: list[tuple[str, str, bytes]] = field(default_factory=list)
    html: str | None = None
    same_answer: bool = True  # every answer's status and target are the first's


@dataclass
class World:
    server: Server  # PORTAL_TODAY 2022-08-15
    server_2020: Callable[[], Server]  # PORTAL_TODAY 2020-03-20, started when a case asks
    make: Factory

    def browser(self, user: User | None = None, *, server: Server | None = None) -> Browser:
        browser = Browser((server or self.server).port)
        return browser.sign_in(user.username, PASSWORD) if user is not None else browser


Check = Callable[[list[Response]], None]
Case = Callable[[World], tuple[Shot, Check]]
CASES: dict[str, Case] = {}


def case(endpoint: str) -> Callable[[Case], Case]:
    def register(func: Case) -> Case:
        CASES[endpoint] = func
        return func

    return register


def form_fields(html: str, action: str, page: str = "") -> dict[str, str]:
    """The hidden fields of the form on ``page`` that posts to ``action`` (a form without an
    action posts to its page): its CSRF token and its key."""
    for form in BeautifulSoup(html, "html.parser").find_all("form"):
        if (form.get("method") or "").lower() != "post":
            continue
        if urlsplit(form.get("action") or page).path == action:
            return {i["name"]: i.get("value", "") for i in form.select("input[type=hidden]")}
    raise AssertionError(f"no form posts to {action}")


def count(model, *where) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def audits(action: str, *, employer=None, obj=None) -> int:
    where = [AuditEntry.action == action]
    if employer is not None:
        where.append(AuditEntry.acting_for_employer_id == employer.id)
    if obj is not None:
        where += [
            AuditEntry.object_type == type(obj).__name__,
            AuditEntry.object_id == str(obj.id),
        ]
    return count(AuditEntry, *where)


def statuses(answers: list[Response]) -> list[int]:
    return [a.status for a in answers]


def same_text(answers: list[Response], pattern: str) -> str:
    """What ``pattern`` finds in every answer: one and the same."""
    found = {m.group(0) if (m := re.search(pattern, a.text)) else None for a in answers}
    assert len(found) == 1 and None not in found, found
    return found.pop()


# --------------------------------------------------------------------------- fixtures


def _server(url: str, log, today: str) -> Server:
    server = Server(url, log, workers=3, threads=4, preload=True)
    server.env["PORTAL_TODAY"] = today
    # Every browser here is 127.0.0.1, and 20 requests at once are more than a person sends:
    # each is counted (a repeat too), and the limits are not what these tests are about.
    for limit in ("ACTIVATE", "EMAIL", "VERIFY"):
        server.env[f"{limit}_RATE_LIMIT_PER_MINUTE"] = "100000"
    return server.start()


@pytest.fixture(scope="module")
def servers(request, tmp_path_factory):
    url = request.getfixturevalue("database_url")
    started: dict[str, Server] = {}

    def get(today: str) -> Server:
        if today not in started:
            log = tmp_path_factory.mktemp("gunicorn") / "log"
            started[today] = _server(url, log, today)
        return started[today]

    get.started = started  # type: ignore[attr-defined]
    yield get
    for server in started.values():
        server.stop()


@pytest.fixture
def world(servers, database_url):
    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = database_url

    app = create_app(Config)
    server = servers("2022-08-15")
    with app.app_context():
        yield World(server, lambda: servers("2020-03-20"), Factory())
        db.session.remove()
        db.engine.dispose()
    for live in servers.started.values():
        print(live.tail())  # shown when the test fails
        assert "Exception on" not in live.log.read_text()  # no error left unhandled


# --------------------------------------------------------------------------- the cases


def _liaocheng(make: Factory):
    region = make.region(
        "liaocheng-2022", unit_medical_rate=Decimal("0.06"), maternity_rate=Decimal("0.01")
    )
    return make.agency(region, name="聊城市医疗保障服务中心")


def _applicant(make: Factory):
    """An unlisted Liaocheng employer and its owner."""
    employer = make.employer(
        _liaocheng(make), list_status="not_listed", size_class=None, size_source=None, industry=None
    )
    return employer, make.user(employer=employer, role="owner", display_name="张三")


def _draft(employer, **answers) -> CommitmentApplication:
    application = CommitmentApplication(
        employer_id=employer.id,
        round=1,
        status="draft",
        program_id=employer.program_id,
        **answers,
    )
    db.session.add(application)
    db.session.flush()
    application.reference = f"CA-2022-{application.id:06d}"
    return application


ANSWERED = {
    "unit_kind": "enterprise",
    "industry": "retail",
    "employees": 45,
    "revenue_amount": Decimal("850.5"),
    "computed_size": "small",
}


def _one_more(model, *where, action: str, employer=None, obj=None) -> Check:
    def check(_answers):
        assert count(model, *where) == 1
        assert audits(action, employer=employer, obj=obj) == 1

    return check


@case("admin.new_hall")
def _new_hall(w: World):
    agency = _liaocheng(w.make)
    admin = w.make.user(staff_role="admin")
    w.make.commit()
    address = f"双击路{agency.id}号"
    fields = {
        "agency_id": str(agency.id),
        "city": "聊城市",
        "district": "东昌府区",
        "address": address,
        "phone": "0635-1234567",
        "position": "1",
        "is_listed": "y",
    }

    def check(_answers):
        [hall] = db.session.scalars(select(ServiceHall).where(ServiceHall.address == address))
        assert audits("service_hall.create", obj=hall) == 1

    return Shot(w.browser(admin), "/admin/halls/new", "/admin/halls/new", fields), check


@case("admin.edit_hall")
def _edit_hall(w: World):
    agency = _liaocheng(w.make)
    hall = ServiceHall(
        agency_id=agency.id, city="聊城市", district="临清市", address="旧址1号", phone="0635-1"
    )
    db.session.add(hall)
    admin = w.make.user(staff_role="admin")
    w.make.commit()
    path = f"/admin/halls/{hall.id}/edit"
    fields = {
        "agency_id": str(agency.id),
        "city": "聊城市",
        "district": "临清市",
        "address": "新址2号",
        "phone": "0635-7654321",
        "position": "1",
    }
    return Shot(w.browser(admin), path, path, fields), _one_more(
        ServiceHall, ServiceHall.id == hall.id, action="service_hall.update", obj=hall
    )


@case("admin.new_user")
def _new_user(w: World):
    agency = _liaocheng(w.make)
    admin = w.make.user(staff_role="admin")
    w.make.commit()
    username = f"clerk{agency.id}"
    fields = {
        "display_name": "新窗口",
        "username": username,
        "staff_role": "hall",
        "agency_id": str(agency.id),
        "password": "a long enough password",
    }

    def check(_answers):
        [user] = db.session.scalars(select(User).where(User.username == username))
        assert audits("staff_user.create", obj=user) == 1

    return Shot(w.browser(admin), "/admin/users/new", "/admin/users/new", fields), check


def _api_client(w: World, scopes=("standing",)):
    admin = w.make.user(staff_role="admin")
    client, _token = issue_client(
        name=f"系统{admin.id}",
        scopes=list(scopes),
        agency_ids=[],
        can_write=False,
        expires_on=date(2023, 8, 14),
        actor=admin,
    )
    w.make.commit()
    return client, admin


@case("admin.new_api_client")
def _new_api_client(w: World):
    admin = w.make.user(staff_role="admin")
    w.make.commit()
    name = f"税务局{admin.id}"
    fields = {"name": name, "scopes": "tax-list", "expires_on": "2023-06-30"}

    def check(answers):
        assert set(statuses(answers)) == {200}
        same_text(answers, r'id="api-token" class="api-token">[^<]+<')  # one token, shown alike
        [client] = db.session.scalars(select(ApiClient).where(ApiClient.name == name))
        assert audits("api_client.issue", obj=client) == 1

    path = "/admin/api-clients/new"
    return Shot(w.browser(admin), path, path, fields), check


@case("admin.revoke_api_client")
def _revoke_api_client(w: World):
    client, admin = _api_client(w)
    path = "/admin/api-clients"

    def check(_answers):
        db.session.expire_all()
        assert db.session.get(ApiClient, client.id).revoked_at is not None
        assert audits("api_client.revoke", obj=client) == 1

    return Shot(w.browser(admin), path, f"{path}/{client.id}/revoke"), check


@case("employer.api_access")
def _api_access(w: World):
    employer, owner = _listed(w)
    client, _admin = _api_client(w)
    path = f"/e/{employer.id}/api-access"
    fields = {"client_id": str(client.id), "until": "2022-12-31"}
    return Shot(w.browser(owner), path, path, fields), _one_more(
        ApiGrant, ApiGrant.employer_id == employer.id, action="api_grant.create", employer=employer
    )


@case("employer.revoke_api_access")
def _revoke_api_access(w: World):
    employer, owner = _listed(w)
    client, _admin = _api_client(w)
    grant = grant_access(employer, client, date(2022, 12, 31), actor=owner)
    w.make.commit()
    path = f"/e/{employer.id}/api-access"

    def check(_answers):
        db.session.expire_all()
        assert db.session.get(ApiGrant, grant.id).revoked_at is not None
        assert audits("api_grant.revoke", obj=grant) == 1

    return Shot(w.browser(owner), path, f"{path}/{grant.id}/revoke"), check


@case("amounts.departure")
def _departure(w: World):
    region = w.make.region(
        "shandong-2022", unit_medical_rate=Decimal("0.065"), maternity_rate=Decimal("0.01")
    )
    employer = w.make.employer(w.make.agency(region))
    owner = w.make.user(employer=employer)
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
    w.make.commit()
    path = f"/e/{employer.id}/amounts/departures"
    fields = {"person_ref": "P9", "reason": "leave", "left_on": "2022-08-10"}
    return Shot(w.browser(owner), path, path, fields), _one_more(
        Departure,
        Departure.employer_id == employer.id,
        action="departure.record",
        employer=employer,
    )


@case("applications.begin")
def _begin(w: World):
    employer, owner = _applicant(w.make)
    w.make.commit()
    url = f"/e/{employer.id}/applications"
    return Shot(w.browser(owner), f"{url}/", f"{url}/begin"), _one_more(
        CommitmentApplication,
        CommitmentApplication.employer_id == employer.id,
        action="commitment.start",
        employer=employer,
    )


def _step(w: World, step: str, answers: dict, fields: dict):
    employer, owner = _applicant(w.make)
    _draft(employer, **answers)
    w.make.commit()
    path = f"/e/{employer.id}/applications/{step}"

    def check(_answers):
        assert audits("commitment.answer", employer=employer) == 1

    return Shot(w.browser(owner), path, path, fields), check


@case("applications.particulars")
def _particulars(w: World):
    return _step(w, "particulars", {}, {"unit_kind": "enterprise"})


@case("applications.industry")
def _industry(w: World):  # 3 x 500 (StaleDataError) on PostgreSQL before
    return _step(w, "industry", {"unit_kind": "enterprise"}, {"industry": "retail"})


@case("applications.figures")
def _figures(w: World):  # 3 x 500 (StaleDataError) on PostgreSQL before
    answers = {"unit_kind": "enterprise", "industry": "retail"}
    return _step(w, "figures", answers, {"employees": "45", "revenue": "850.5"})


def _evidence_case(w: World, path: str, page: str, application, owner, action: str):
    def check(_answers):
        assert count(EvidenceFile, EvidenceFile.application_id == application.id) == 1
        assert audits(action, employer=application.employer) == 1

    files_ = [("files", "licence.png", PNG)]
    return Shot(w.browser(owner), page, path, files=files_), check


@case("applications.evidence")
def _evidence(w: World):
    employer, owner = _applicant(w.make)
    application = _draft(employer, **ANSWERED)
    w.make.commit()
    path = f"/e/{employer.id}/applications/evidence"
    return _evidence_case(w, path, path, application, owner, "commitment.evidence_add")


def _remove_case(w: World, owner, application, record, path: str, page: str):
    def check(_answers):
        assert count(EvidenceFile, EvidenceFile.application_id == application.id) == 0
        assert audits("commitment.evidence_remove", employer=application.employer) == 1

    return Shot(w.browser(owner), page, path), check


@case("applications.remove_file")
def _remove_file(w: World):
    employer, owner = _applicant(w.make)
    application = _draft(employer, **ANSWERED)
    record = stored_evidence(application)
    w.make.commit()
    url = f"/e/{employer.id}/applications"
    return _remove_case(
        w, owner, application, record, f"{url}/evidence/{record.id}/remove", f"{url}/evidence"
    )


@case("applications.sign")
def _sign(w: World):
    employer, owner = _applicant(w.make)
    application = _draft(employer, **ANSWERED)
    stored_evidence(application)
    w.make.commit()
    path = f"/e/{employer.id}/applications/sign"
    fields = {"signatory_name": "张三", "statement": "y", "password": PASSWORD}

    def check(_answers):
        assert count(StoredLetter, StoredLetter.application_id == application.id) == 1
        assert audits("commitment.sign", employer=employer) == 1

    return Shot(w.browser(owner), path, path, fields), check


@case("applications.submit")
def _submit(w: World):
    employer, owner = _applicant(w.make)
    application = submitted_application(employer, status="draft", due_on=None)
    application.submitted_at = None
    stored_evidence(application)
    w.make.commit()
    url = f"/e/{employer.id}/applications"

    def check(_answers):
        db.session.expire_all()
        assert db.session.get(CommitmentApplication, application.id).status == "submitted"
        assert audits("commitment.submit", employer=employer) == 1

    return Shot(w.browser(owner), f"{url}/check", f"{url}/submit"), check


def _linyi_2020(w: World):
    """A Linyi enterprise in 2020 and its owner, on the server whose date is 2020-03-20."""
    region = db.session.scalar(select(PoolingRegion).where(PoolingRegion.code == "371300"))
    region = region or w.make.region("linyi-2020", code="371300", name="临沂市")
    employer = w.make.employer(
        w.make.agency(region), contribution_base_amount=Decimal("52000.00"), industry="industry"
    )
    owner = w.make.user(employer=employer, role="owner")
    return employer, owner


def _deferral_draft(employer) -> CommitmentApplication:
    application = CommitmentApplication(
        employer_id=employer.id,
        round=1,
        status="draft",
        kind="deferral_2020",
        program_id="linyi-2020",
        defer_route="sme",  # Linyi asks on what ground (鲁医保发〔2020〕23号 三)
        defer_start="2020-03",
        defer_months=4,
        defer_reason="疫情停工",
    )
    db.session.add(application)
    db.session.flush()
    application.reference = f"HJ-2020-{application.id:06d}"
    return application


@case("applications.deferral_2020")
def _deferral_2020(w: World):
    employer, owner = _linyi_2020(w)
    w.make.commit()
    path = f"/e/{employer.id}/applications/deferral-2020"
    fields = {
        "route": "sme",  # Linyi's grounds: the small and medium enterprises' (鲁医保发〔2020〕23号)
        "start_month": "2020-03",
        "months": "4",
        "reason": "疫情停工，订单延后",
    }
    browser = w.browser(owner, server=w.server_2020())

    def check(_answers):
        kind = CommitmentApplication.kind == "deferral_2020"
        assert count(CommitmentApplication, CommitmentApplication.employer_id == employer.id, kind)
        assert audits("deferral2020.start", employer=employer) == 1
        assert audits("deferral2020.answer", employer=employer) == 1

    return Shot(browser, path, path, fields), check


@case("applications.deferral_2020_files")
def _deferral_2020_files(w: World):
    employer, owner = _linyi_2020(w)
    application = _deferral_draft(employer)
    w.make.commit()
    path = f"/e/{employer.id}/applications/deferral-2020/files"
    shot, check = _evidence_case(w, path, path, application, owner, "commitment.evidence_add")
    shot.browser = w.browser(owner, server=w.server_2020())
    return shot, check


@case("applications.deferral_2020_remove")
def _deferral_2020_remove(w: World):
    employer, owner = _linyi_2020(w)
    application = _deferral_draft(employer)
    record = stored_evidence(application)
    w.make.commit()
    url = f"/e/{employer.id}/applications/deferral-2020/files"
    shot, check = _remove_case(w, owner, application, record, f"{url}/{record.id}/remove", url)
    shot.browser = w.browser(owner, server=w.server_2020())
    return shot, check


@case("applications.deferral_2020_submit")
def _deferral_2020_submit(w: World):
    employer, owner = _linyi_2020(w)
    application = _deferral_draft(employer)
    stored_evidence(application)
    w.make.commit()
    url = f"/e/{employer.id}/applications/deferral-2020"
    browser = w.browser(owner, server=w.server_2020())

    def check(_answers):
        db.session.expire_all()
        assert db.session.get(CommitmentApplication, application.id).status == "submitted"
        assert audits("deferral2020.submit", employer=employer) == 1

    return Shot(browser, f"{url}/files", f"{url}/submit"), check


@case("auth.activate")
def _activate(w: World):
    employer = w.make.employer(_liaocheng(w.make))
    staff = w.make.user(staff_role="hall", agency=employer.agency)
    code, plain = issue_activation_code(employer, "owner", actor=staff, valid_days=30)
    w.make.commit()
    username = f"owner{employer.id}"
    fields = {
        "credit_code": employer.credit_code,
        "code": plain,
        "display_name": "王法人",
        "username": username,
        "password": PASSWORD,
        "password_confirm": PASSWORD,
    }

    def check(answers):
        assert {a.location for a in answers} == {"/dashboard"}
        [user] = db.session.scalars(select(User).where(User.username == username))
        assert count(Membership, Membership.user_id == user.id) == 1
        assert audits("activation.use", obj=code) == 1

    return Shot(w.browser(), "/activate", "/activate", fields), check


@case("auth.login")
def _login(w: World):
    user = w.make.user(staff_role="admin")
    w.make.commit()
    fields = {"username": user.username, "password": PASSWORD}
    browser = w.browser()

    def check(_answers):
        assert audits("auth.login", obj=user) == 1
        assert browser.get("/admin/users").status == 200  # this browser is signed in

    return Shot(browser, "/login", "/login", fields), check


@case("auth.logout")
def _logout(w: World):
    user = w.make.user(staff_role="admin")
    w.make.commit()
    browser = w.browser(user)

    def check(answers):
        # The first signs out; a request that came after it was done carried a session that
        # had ended, and was sent to sign in: no other answer, and one sign-out.
        assert {a.status for a in answers} == {302}
        assert audits("auth.logout", obj=user) == 1
        assert browser.get("/admin/users").status == 302

    return Shot(browser, "/admin/users", "/logout", same_answer=False), check


def _listed(w: World):
    employer = w.make.employer(_liaocheng(w.make), contribution_base_amount=Decimal("50000"))
    owner = w.make.user(employer=employer, role="owner")
    w.make.commit()
    return employer, owner


@case("deferral.choose")
def _choose(w: World):
    employer, owner = _listed(w)
    path = f"/e/{employer.id}/deferral/"

    def check(answers):  # a check page, nothing recorded
        assert set(statuses(answers)) == {200}
        assert count(DeferralDecision, DeferralDecision.employer_id == employer.id) == 0

    return Shot(w.browser(owner), path, path, {"choice": "defer:2022-08"}), check


@case("deferral.confirm")
def _confirm(w: World):
    employer, owner = _listed(w)
    browser = w.browser(owner)
    path = f"/e/{employer.id}/deferral/"
    hidden = form_fields(browser.get(path).text, path, path)
    token = hidden.pop("csrf_token")
    chosen = browser.post(path, {**hidden, "choice": "defer:2022-08"}, token=token)
    assert chosen.status == 200

    def check(_answers):
        assert count(DeferralDecision, DeferralDecision.employer_id == employer.id) == 1
        assert audits("decision.defer", employer=employer) == 1

    confirm = f"/e/{employer.id}/deferral/confirm"
    return Shot(browser, path, confirm, html=chosen.text), check


@case("employer.invite")
def _invite(w: World):  # 20 invitation codes before
    employer, owner = _listed(w)
    url = f"/e/{employer.id}/members"

    def check(answers):
        assert set(statuses(answers)) == {200}
        same_text(answers, CODE)
        assert count(ActivationCode, ActivationCode.employer_id == employer.id) == 1
        assert audits("activation.issue", employer=employer) == 1

    return Shot(w.browser(owner), url, f"{url}/invite", {"email": ""}), check


@case("employer.remove")
def _remove(w: World):  # two audit rows for one removal before
    employer, owner = _listed(w)
    finance = w.make.user(employer=employer, role="finance")
    w.make.commit()
    membership = db.session.scalar(select(Membership).where(Membership.user_id == finance.id))
    url = f"/e/{employer.id}/members"

    def check(_answers):
        assert count(Membership, Membership.user_id == finance.id) == 0
        assert audits("member.remove", employer=employer) == 1

    return Shot(w.browser(owner), url, f"{url}/{membership.id}/remove"), check


def _hall_staff(w: World, **employer_kw):
    agency = _liaocheng(w.make)
    employer = w.make.employer(agency, **employer_kw)
    staff = w.make.user(staff_role="hall", agency=agency, display_name="赵窗口")
    w.make.commit()
    return employer, staff


def _acting(w: World, employer, staff) -> Browser:
    """Hall staff signed in and acting for ``employer`` (a visit sent once)."""
    browser = w.browser(staff)
    path = f"/hall/employers/{employer.id}/visit"
    hidden = form_fields(browser.get(path).text, path, path)
    token = hidden.pop("csrf_token")
    fields = {**hidden, "visitor_name": "张三", "id_number": VISITOR_ID}
    fields["capacity"] = "legal_representative"
    assert browser.post(path, fields, token=token).status == 302
    return browser


@case("hall.visit")
def _visit(w: World):  # 18 open acting sessions and 2 x 503 (deadlocks) before
    employer, staff = _hall_staff(w)
    browser = w.browser(staff)
    path = f"/hall/employers/{employer.id}/visit"
    fields = {"visitor_name": "张三", "id_number": VISITOR_ID, "capacity": "legal_representative"}

    def check(_answers):
        assert count(ActingSession, ActingSession.staff_id == staff.id) == 1
        assert audits("hall.acting_start", employer=employer) == 1
        # This browser acts in that visit; stopping it leaves none open (one stayed open).
        home = browser.get(f"/e/{employer.id}/")
        assert home.status == 200 and "acting-banner" in home.text
        stop = form_fields(home.text, "/hall/stop")
        assert browser.post("/hall/stop", stop, token=stop.pop("csrf_token")).status == 302
        open_ = ActingSession.ended_at.is_(None)
        assert count(ActingSession, ActingSession.staff_id == staff.id, open_) == 0

    return Shot(browser, path, path, fields), check


@case("hall.stop")
def _stop(w: World):
    employer, staff = _hall_staff(w)
    browser = _acting(w, employer, staff)

    def check(_answers):
        open_ = ActingSession.ended_at.is_(None)
        assert count(ActingSession, ActingSession.staff_id == staff.id, open_) == 0
        assert audits("hall.acting_end", employer=employer) == 1

    return Shot(browser, f"/e/{employer.id}/", "/hall/stop"), check


@case("hall.paper")
def _paper(w: World):
    employer, staff = _hall_staff(
        w, list_status="not_listed", size_class=None, size_source=None, industry=None
    )
    application = _draft(employer, **ANSWERED)
    hall = ServiceHall(
        agency_id=employer.agency_id,
        city="聊城市",
        district="东昌府区",
        address="柳园路1号",
        phone="0635-1",
    )
    db.session.add(hall)
    w.make.commit()
    browser = _acting(w, employer, staff)
    path = f"/hall/e/{employer.id}/commitment/paper"
    fields = {
        "signatory_name": "张三",
        "signed_on": "2022-08-15",
        "hall_id": str(hall.id),
        "is_original_seen": "y",
    }

    def check(_answers):
        assert count(PaperSignature, PaperSignature.application_id == application.id) == 1
        assert count(StoredLetter, StoredLetter.application_id == application.id) == 1
        assert audits("commitment.paper_sign", employer=employer) == 1

    return Shot(browser, path, path, fields, files=[("scan", "scan.pdf", PDF)]), check


HEADER = "统一社会信用代码,单位名称,医保单位编号,医保经办机构代码,企业划型,是否纳入缓缴名单"


def _importer(w: World):
    code = f"LC{next(_codes)}"
    agency = w.make.agency(w.make.region("liaocheng-2022"), code=code)
    reviewer = w.make.user(staff_role="reviewer", agency=agency)
    w.make.commit()
    body = f"{HEADER}\n{credit_code()},甲公司,U1,{code},小型,是\n".encode()
    return reviewer, body


_codes = iter(range(100, 10_000))


@case("imports.index")
def _import(w: World):
    reviewer, body = _importer(w)

    def check(_answers):
        [record] = db.session.scalars(
            select(ImportRecord).where(ImportRecord.actor_id == reviewer.id)
        )
        assert audits(f"import.{record.status}", obj=record) == 1

    files_ = [("file", "名单.csv", body)]
    return Shot(w.browser(reviewer), "/imports/", "/imports/", {"kind": "list"}, files_), check


@case("imports.apply")
def _apply(w: World):
    reviewer, body = _importer(w)
    browser = w.browser(reviewer)
    hidden = form_fields(browser.get("/imports/").text, "/imports/", "/imports/")
    token = hidden.pop("csrf_token")
    upload = [("file", "名单.csv", body)]
    checked = browser.post("/imports/", {**hidden, "kind": "list"}, token=token, files=upload)
    assert checked.status == 302
    record = db.session.scalar(select(ImportRecord).where(ImportRecord.actor_id == reviewer.id))
    record_path = f"/imports/{record.id}"  # the check ran as a job (its page redirects here)

    def check(_answers):
        db.session.expire_all()
        assert db.session.get(ImportRecord, record.id).status == "applied"
        assert audits("import.applied", obj=record) == 1

    return Shot(browser, record_path, f"{record_path}/apply"), check


@case("jobs.retry")
def _jobs_retry(w: World):
    """A job that crashed, run again twice at once: queued and run once."""
    reviewer, body = _importer(w)
    stored, _size = keep_stream(io.BytesIO(body))
    job = Job(
        kind="imports.check",
        status="failed",
        stage="failed",
        error="crashed",
        actor_id=reviewer.id,
        agency_id=reviewer.agency_id,
        params={
            "kind": "list",
            "file_name": "名单.csv",
            "stored_name": stored,
            "agency_id": reviewer.agency_id,
        },
    )
    db.session.add(job)
    w.make.commit()
    page = f"/jobs/{job.id}"

    def check(_answers):
        db.session.expire_all()
        assert db.session.get(Job, job.id).status == "done"
        assert audits("jobs.retried", obj=job) == 1
        mine = select(func.count(ImportRecord.id)).where(ImportRecord.actor_id == reviewer.id)
        assert db.session.scalar(mine) == 1

    return Shot(w.browser(reviewer), page, f"{page}/retry"), check


@case("held.decide")
def _held_decide(w: World):
    code = f"LC{next(_codes)}"
    agency = w.make.agency(w.make.region("liaocheng-2022"), code=code)
    employer = w.make.employer(agency)
    reviewer = w.make.user(staff_role="reviewer", agency=agency)
    w.make.commit()
    row = f"{employer.credit_code},{employer.name},{employer.insurance_unit_number},{code},大型,是"
    import_file("list", Source.from_bytes("名单.csv", f"{HEADER}\n{row}\n".encode()), dry_run=False)
    db.session.commit()
    change = db.session.scalar(select(HeldChange).where(HeldChange.employer_id == employer.id))
    page = f"/held/{change.id}"

    def check(_answers):
        db.session.expire_all()
        assert db.session.get(HeldChange, change.id).status == "accepted"
        assert audits("held.accept", obj=change) == 1

    fields = {"decision": "accept", "reason": "统计部门复核为大型"}
    return Shot(w.browser(reviewer), page, f"{page}/decide", fields), check


@case("payments.item")
def _payment_queue_item(w: World):
    code = f"LC{next(_codes)}"
    agency = w.make.agency(w.make.region("liaocheng-2022"), code=code)
    employer = w.make.employer(agency)
    reviewer = w.make.user(staff_role="reviewer", agency=agency)
    db.session.add(
        Payment(
            employer_id=employer.id,
            paid_on=date(2022, 7, 11),
            amount=Decimal("80.00"),
            month="2022-06",
            part="personal",
            settles="personal 2022-06",
            source_ref=f"DS-{code}",
        )
    )
    w.make.commit()
    page = f"/payments/queue/{employer.id}/2022-06/personal/unmatched"

    def check(_answers):
        assert count(PaymentQueueResolution, PaymentQueueResolution.employer_id == employer.id) == 1
        assert audits("payment_queue.resolve", employer=employer) == 1

    return Shot(w.browser(reviewer), page, page, {"note": "已退回个人账户"}), check


@case("main.language")
def _language(w: World):
    user = w.make.user(staff_role="admin")
    w.make.commit()
    browser = w.browser(user)

    def check(_answers):
        assert audits("user.set_locale", obj=user) == 1
        assert 'lang="en"' in browser.get("/admin/users").text  # this browser's language too

    return Shot(browser, "/admin/users", "/language", {"locale": "en"}), check


@case("moved.commitment")
def _moved_commitment(w: World):
    employer, owner = _applicant(w.make)
    w.make.commit()
    browser = w.browser(owner)
    new = f"/e/{employer.id}/applications/begin"

    def check(answers):
        assert {(a.status, a.location) for a in answers} == {(308, new)}
        assert count(CommitmentApplication, CommitmentApplication.employer_id == employer.id) == 0
        # The browser sends the same form to where it moved: one application.
        hidden = form_fields(browser.get(f"/e/{employer.id}/applications/").text, new)
        token = hidden.pop("csrf_token")
        again = at_once(N, lambda _i: browser.post(new, hidden, token=token))
        assert len({(a.status, a.location) for a in again}) == 1
        assert count(CommitmentApplication, CommitmentApplication.employer_id == employer.id) == 1
        assert audits("commitment.start", employer=employer) == 1

    shot = Shot(browser, f"/e/{employer.id}/applications/", new)
    shot.action = f"/e/{employer.id}/commitment/begin"
    shot.html = browser.get(shot.page).text.replace(new, shot.action)
    return shot, check


@case("moved.decision")
def _moved_decision(w: World):
    employer, owner = _listed(w)
    browser = w.browser(owner)
    path = f"/e/{employer.id}/deferral/"
    old = f"/e/{employer.id}/decision/"

    def check(answers):
        assert {(a.status, a.location) for a in answers} == {(308, path)}
        assert count(DeferralDecision, DeferralDecision.employer_id == employer.id) == 0

    html = browser.get(path).text  # its form posts to its page: here, the old address
    return Shot(browser, old, old, {"choice": "defer:2022-08"}, html=html), check


@case("reductions.choose_return")
def _choose_return(w: World):
    employer, owner = _linyi_2020(w)
    db.session.add(
        Assessment(
            employer_id=employer.id,
            month="2020-02",
            headcount=9,
            contribution_base_amount=Decimal("52000.00"),
            unit_amount=Decimal("3120.00"),
            personal_amount=Decimal("1040.00"),
        )
    )
    w.make.commit()
    path = f"/e/{employer.id}/reductions/return"
    browser = w.browser(owner, server=w.server_2020())
    return Shot(browser, path, path, {"choice": "offset", "account": ""}), _one_more(
        ReturnChoice,
        ReturnChoice.employer_id == employer.id,
        action="return_choice.offset",
        employer=employer,
    )


@case("returns.done")
def _return_done(w: World):
    employer, owner = _linyi_2020(w)
    employer.refund_bank, employer.refund_account = "中国银行临沂分行", "6217000012345678"
    reviewer = w.make.user(staff_role="reviewer", agency=employer.agency)
    choice = ReturnChoice(
        reference=f"TF-DS{employer.id}",
        employer_id=employer.id,
        program_id="linyi-2020",
        choice="refund",
        over_collected_amount=Decimal("520.00"),
        decided_by_id=owner.id,
        submission_token=f"{employer.id:064d}",
    )
    db.session.add(choice)
    w.make.commit()
    page = f"/returns/refund-{choice.id}"
    return Shot(w.browser(reviewer), page, f"{page}/done", {"reference": "ZH-0001"}), _one_more(
        ReturnDone, ReturnDone.employer_id == employer.id, action="return.done", employer=employer
    )


def _with_address(w: World):
    employer, owner = _listed(w)
    return employer, owner, w.browser(owner)


def _reference(w: World, **rates) -> tuple[PoolingRegion, Browser]:
    """A Liaocheng region (its fund reserve and, given, its rates since 2000) and an
    administrator signed in."""
    region = w.make.region("liaocheng-2022", **rates)
    admin = w.make.user(staff_role="admin")
    w.make.commit()
    return region, w.browser(admin)


AGENCY = {
    "new_region_code": "",
    "new_region_name": "",
    "address": "聊城市东昌府区柳园南路1号",
    "phone": "0635-8241234",
    "report_contact": "王统计",
    "report_contact_phone": "0635-8241235",
}


@case("reference.new_agency")
def _new_agency(w: World):
    region, browser = _reference(w)
    code = f"DS{next(_codes)}"
    fields = {**AGENCY, "code": code, "name": "东昌府区医疗保障服务中心", "region": str(region.id)}

    def check(_answers):
        [agency] = db.session.scalars(select(Agency).where(Agency.code == code))
        assert audits("agency.create", obj=agency) == 1

    path = "/reference/agencies/new"
    return Shot(browser, path, path, fields), check


@case("reference.edit_agency")
def _edit_agency(w: World):
    region, browser = _reference(w)
    agency = w.make.agency(region)
    w.make.commit()
    path = f"/reference/agencies/{agency.id}/edit"
    fields = {**AGENCY, "code": agency.code, "name": "改名后的中心", "region": str(region.id)}
    return Shot(browser, path, path, fields), _one_more(
        Agency, Agency.name == "改名后的中心", action="agency.update", obj=agency
    )


@case("reference.new_fund_reserve")
def _new_fund_reserve(w: World):
    region, browser = _reference(w)
    path = f"/reference/regions/{region.id}/fund-reserve/new"

    def check(_answers):
        [reserve] = db.session.scalars(
            select(FundReserve).where(
                FundReserve.region_id == region.id, FundReserve.month == "2022-07"
            )
        )
        assert audits("fund_reserve.create", obj=reserve) == 1

    return Shot(browser, path, path, {"month": "2022-07", "months": "14.2"}), check


@case("reference.edit_fund_reserve")
def _edit_fund_reserve(w: World):
    region, browser = _reference(w)
    reserve = db.session.scalar(select(FundReserve).where(FundReserve.region_id == region.id))
    path = f"/reference/regions/{region.id}/fund-reserve/{reserve.id}"
    changed = FundReserve.months == Decimal("9.5")
    return Shot(browser, path, path, {"months": "9.5"}), _one_more(
        FundReserve,
        FundReserve.id == reserve.id,
        changed,
        action="fund_reserve.update",
        obj=reserve,
    )


RATES = {"unit_medical_rate": "0.065", "maternity_rate": "0.008"}


@case("reference.new_rates")
def _new_rates(w: World):
    region, browser = _reference(w)
    path = f"/reference/regions/{region.id}/rates/new"

    def check(_answers):
        [rate] = db.session.scalars(select(RegionRate).where(RegionRate.region_id == region.id))
        assert audits("region_rate.create", obj=rate) == 1

    return Shot(browser, path, path, {**RATES, "start_month": "2022-01"}), check


@case("reference.edit_rates")
def _edit_rates(w: World):
    region, browser = _reference(
        w, unit_medical_rate=Decimal("0.06"), maternity_rate=Decimal("0.01")
    )
    rate = db.session.scalar(select(RegionRate).where(RegionRate.region_id == region.id))
    path = f"/reference/regions/{region.id}/rates/{rate.id}"
    changed = RegionRate.unit_medical_rate == Decimal("0.065")
    return Shot(browser, path, path, RATES), _one_more(
        RegionRate, RegionRate.id == rate.id, changed, action="region_rate.update", obj=rate
    )


@case("reminders.settings")
def _settings(w: World):  # 20 confirmation e-mails before
    _employer, owner, browser = _with_address(w)
    path = "/reminders/settings"

    def check(_answers):
        assert count(OutboxMessage, OutboxMessage.recipient_id == owner.id) == 1
        assert audits("email.change", obj=owner) == 1

    return Shot(browser, path, path, {"email": f"u{owner.id}@example.com"}), check


@case("reminders.switch")
def _switch(w: World):
    _employer, owner, browser = _with_address(w)

    def check(_answers):
        assert audits("reminders.turn_off", obj=owner) == 1

    return Shot(
        browser, "/reminders/settings", "/reminders/settings/switch", {"enabled": "off"}
    ), check


@case("reminders.confirm")
def _confirm_email(w: World):
    _employer, owner, browser = _with_address(w)
    hidden = form_fields(
        browser.get("/reminders/settings").text, "/reminders/settings", "/reminders/settings"
    )
    token = hidden.pop("csrf_token")
    address = f"c{owner.id}@example.com"
    assert (
        browser.post("/reminders/settings", {**hidden, "email": address}, token=token).status == 302
    )
    message = db.session.scalar(select(OutboxMessage).where(OutboxMessage.recipient_id == owner.id))
    path = urlsplit(re.search(r"http://\S+/reminders/confirm/[\w.-]+", message.body_text)[0]).path
    anonymous = w.browser()

    def check(answers):
        assert set(statuses(answers)) == {200}
        assert all(address in a.text for a in answers)
        assert audits("email.confirm", obj=owner) == 1

    return Shot(anonymous, path, path), check


@case("reports.tax_list")
def _tax_list(w: World):  # 20 exports before
    agency = _liaocheng(w.make)
    w.make.employer(agency)
    reviewer = w.make.user(staff_role="reviewer", agency=agency)
    w.make.commit()
    fields = {"on": "2022-08-15", "agency": agency.code, "since_last": "y", "file_format": "csv"}

    def check(answers):
        # Every answer: the one job's page (portal/core/jobs.py), which made one export.
        assert set(statuses(answers)) == {302} and len({a.location for a in answers}) == 1
        assert count(TaxListExport, TaxListExport.exported_by_id == reviewer.id) == 1
        exported = AuditEntry.action == "reports.tax_list_export"
        assert count(AuditEntry, AuditEntry.actor_id == reviewer.id, exported) == 1

    return Shot(w.browser(reviewer), "/reports/tax-list", "/reports/tax-list", fields), check


@case("reports.monthly_sent")
def _monthly_sent(w: World):  # July's report, ended, marked sent 20 times
    agency = _liaocheng(w.make)
    w.make.employer(agency)
    reviewer = w.make.user(staff_role="reviewer", agency=agency)
    w.make.commit()
    page = f"/reports/monthly?month=2022-07&agency={agency.code}"

    def check(_answers):
        assert count(SentMonthlyReport, SentMonthlyReport.sent_by_id == reviewer.id) == 1
        marked = AuditEntry.action == "reports.monthly_sent"
        assert count(AuditEntry, AuditEntry.actor_id == reviewer.id, marked) == 1

    return Shot(w.browser(reviewer), page, "/reports/monthly/sent"), check


def _file_job(kind: str, actor: User) -> Check:
    """A download made by a job, sent 20 times: every answer the one job's page, one job."""

    def check(answers):
        assert set(statuses(answers)) == {302} and len({a.location for a in answers}) == 1
        assert count(Job, Job.kind == kind, Job.actor_id == actor.id) == 1
        started = AuditEntry.action == "jobs.started"
        assert count(AuditEntry, AuditEntry.actor_id == actor.id, started) == 1

    return check


def _reviewer(w: World) -> tuple[Agency, User]:
    agency = _liaocheng(w.make)
    employer = w.make.employer(agency)
    # The bureau's figures of July: the reconciliation offers its files once they are in.
    db.session.add(
        Collection(
            employer_id=employer.id,
            month="2022-07",
            part="unit",
            amount=Decimal("300.00"),
            collected_on=date(2022, 7, 10),
        )
    )
    reviewer = w.make.user(staff_role="reviewer", agency=agency)
    w.make.commit()
    return agency, reviewer


def _report_file(page: str, action: str, kind: str) -> Case:
    def shot(w: World):  # the month's file asked 20 times: one job
        agency, reviewer = _reviewer(w)
        url = f"{page}?month=2022-07&agency={agency.code}"
        return Shot(w.browser(reviewer), url, action), _file_job(kind, reviewer)

    return shot


for _format in ("csv", "xlsx"):
    case(f"reports.monthly_{_format}")(
        _report_file("/reports/monthly", f"/reports/monthly.{_format}", "reports.monthly_file")
    )
    case(f"reports.reconciliation_{_format}")(
        _report_file(
            "/reports/reconciliation",
            f"/reports/reconciliation.{_format}",
            "reports.reconciliation_file",
        )
    )


@case("reports.wuxi_2020_xlsx")
def _wuxi_2020_xlsx(w: World):
    agency = w.make.agency(w.make.region("wuxi-2020"))
    reviewer = w.make.user(staff_role="reviewer", agency=agency)
    w.make.commit()
    page = "/reports/wuxi-2020?month=2020-04&income=88.5"
    shot = Shot(w.browser(reviewer), page, "/reports/wuxi-2020.xlsx")
    return shot, _file_job("reports.wuxi_2020_file", reviewer)


def _worklist_file(file_format: str) -> Case:
    def shot(w: World):
        _agency, reviewer = _reviewer(w)
        action = f"/returns/worklist.{file_format}"
        return Shot(w.browser(reviewer), "/returns/", action), _file_job(
            "returns.worklist_file", reviewer
        )

    return shot


case("returns.worklist_csv")(_worklist_file("csv"))
case("returns.worklist_xlsx")(_worklist_file("xlsx"))


@case("admin.audit_csv")
def _audit_csv(w: World):
    admin = w.make.user(staff_role="admin")
    w.make.commit()
    page = f"/admin/audit?staff={admin.id}"
    return Shot(w.browser(admin), page, "/admin/audit.csv"), _file_job("admin.audit_file", admin)


def _review(w: World):
    employer, _owner = _applicant(w.make)
    application = submitted_application(employer)
    reviewer = w.make.user(staff_role="reviewer", agency=employer.agency)
    w.make.commit()
    return employer, application, w.browser(reviewer)


@case("review.approve_application")
def _approve(w: World):
    employer, application, browser = _review(w)
    page = f"/review/{application.id}"

    def check(_answers):
        db.session.expire_all()
        assert db.session.get(CommitmentApplication, application.id).status == "approved"
        assert audits("commitment.approve", employer=employer) == 1

    return Shot(browser, page, f"{page}/approve"), check


@case("review.reject_application")
def _reject(w: World):
    employer, application, browser = _review(w)
    page = f"/review/{application.id}"

    def check(_answers):
        db.session.expire_all()
        assert db.session.get(CommitmentApplication, application.id).status == "rejected"
        assert audits("commitment.reject", employer=employer) == 1

    return Shot(browser, page, f"{page}/reject", {"reason": "营业收入与报表不符"}), check


@case("staff.activation_code")
def _activation_code(w: World):  # 20 activation codes before
    employer, staff = _hall_staff(w)
    page = f"/staff/employers?q={employer.credit_code}"

    def check(answers):
        assert set(statuses(answers)) == {200}
        same_text(answers, CODE)
        assert count(ActivationCode, ActivationCode.employer_id == employer.id) == 1
        assert audits("activation.issue", employer=employer) == 1

    action = f"/staff/employers/{employer.id}/activation-code"
    return Shot(w.browser(staff), page, action), check


@case("staff.edit_facts")
def _edit_facts(w: World):
    employer, staff = _hall_staff(w)
    path = f"/staff/employers/{employer.id}/facts"
    fields = {
        "has_arrears": "yes",
        "arrears_until": "2022-06",
        "deregistered_on": "",
        "refund_bank": "中国建设银行聊城分行",
        "refund_account": "6217000033334444",
        "reason": "单位来函更正",
    }
    arrears = Employer.has_arrears.is_(True)
    return Shot(w.browser(staff), path, path, fields), _one_more(
        Employer,
        Employer.id == employer.id,
        arrears,
        action="employer.facts_edit",
        employer=employer,
    )


@case("verify.letter")
def _verify(w: World):
    employer, _owner = _applicant(w.make)
    submitted_application(employer)
    w.make.commit()
    letter = db.session.scalar(select(StoredLetter).where(StoredLetter.employer_id == employer.id))
    path = f"/verify/{letter.verification_code}"
    before = count(AuditEntry)

    def check(answers):  # a check of the upload against the letter: nothing is recorded
        assert set(statuses(answers)) == {200}
        assert count(AuditEntry) == before
        assert count(Submission, Submission.endpoint == "verify.letter") == 0

    return Shot(w.browser(), path, path, files=[("pdf", "letter.pdf", letter.pdf)]), check


# --------------------------------------------------------------------------- the tests


def test_every_state_changing_endpoint_has_a_double_submit_case(app):
    changing = {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if rule.methods and rule.methods & {"POST", "PUT", "PATCH", "DELETE"}
    }
    missing = sorted(changing - set(CASES) - set(IDEMPOTENT_BY_KEY))
    assert not missing, f"add a double-submit case in {__name__} for: {missing}"
    assert not sorted(set(CASES) - changing), "a case for an endpoint that takes no POST"


#: Endpoints of other systems, not forms (no session, CSRF or form key): each is idempotent by
#: its own key, so the same request again changes nothing; its test here sends it 20 times.
IDEMPOTENT_BY_KEY = {"api.collections": "employer + month + part (the bureau's reference)"}


@pytest.mark.postgres_only
def test_twenty_identical_batches_at_once_record_once(world):
    """The tax bureau's retry of a batch whose answer it lost, 20 times at once: one records
    it, the others wait for it and find every key recorded; no 5xx, no second row."""
    agency = _liaocheng(world.make)
    employers = [world.make.employer(agency) for _ in range(3)]
    admin = world.make.user(staff_role="admin")
    api_client, token = issue_client(
        name="聊城市税务局",
        scopes=["collections"],
        agency_ids=[agency.id],
        can_write=True,
        expires_on=date(2023, 8, 14),
        actor=admin,
    )
    world.make.commit()
    items = [
        {
            "credit_code": e.credit_code,
            "month": "2022-08",
            "part": part,
            "amount": "100.00",
            "collected_on": "2022-08-20",
        }
        for e in employers
        for part in ("unit", "personal")
    ]
    body = json.dumps({"items": items}).encode()
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    browser = world.browser()
    answers = at_once(N, lambda _i: browser.request("POST", "/api/v1/collections", body, headers))
    assert statuses(answers) == [200] * N, [a.text for a in answers if a.status != 200]
    counts = sorted(tuple(json.loads(a.text)[k] for k in ("created", "unchanged")) for a in answers)
    assert counts == [(0, 6)] * (N - 1) + [(6, 0)]
    ids = [e.id for e in employers]
    assert count(Collection, Collection.employer_id.in_(ids)) == 6
    recorded = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "collections.recorded")
    ).all()
    mine = [a for a in recorded if a.details["via"] == f"api client {api_client.id}"]
    assert sorted(a.details["created"] for a in mine) == [0] * (N - 1) + [6]


@pytest.mark.postgres_only
@pytest.mark.parametrize("endpoint", sorted(CASES))
def test_twenty_identical_posts_change_state_once(world, endpoint):
    shot, check = CASES[endpoint](world)
    browser = shot.browser
    html = shot.html if shot.html is not None else browser.get(shot.page).text
    hidden = form_fields(html, shot.action, shot.page)
    assert "form_key" in hidden, f"the form to {shot.action} on {shot.page} carries no key"
    fields = {**hidden, **shot.fields}
    token = fields.pop("csrf_token")
    answers = at_once(
        N, lambda _i: browser.post(shot.action, fields, token=token, files=shot.files)
    )
    print(statuses(answers), answers[0].location, answers[0].text[-3000:])  # when it fails
    assert all(code < 500 for code in statuses(answers)), statuses(answers)
    if shot.same_answer:
        assert len({(a.status, a.location) for a in answers}) == 1, [
            (a.status, a.location) for a in answers
        ]
    check(answers)
