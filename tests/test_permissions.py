"""Every route names its permission, and each role gets exactly what the table says."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from portal.core.extensions import db
from portal.features.api.operations import grant_access, issue_client
from portal.models import (
    Employer,
    FundReserve,
    HeldChange,
    ImportRecord,
    Job,
    JobFileChunk,
    Payment,
    RegionRate,
    ReturnChoice,
    ServiceHall,
)
from tests.applications.helpers import stored_evidence, submitted_application
from tests.conftest import csrf_token, sign_in
from tests.hall.helpers import hall_visit

ROLES = [
    "anonymous",
    "owner_a",
    "finance_a",
    "owner_b",
    "hall",
    "reviewer",
    "reviewer_other",
    "admin",
]
OK, LOGIN, FORBIDDEN, NOT_FOUND, MOVED = "ok", "login", 403, 404, 308
TOKEN = 401  # the API's own endpoints: a token, never a session (tests/api)


def row(anonymous, owner_a, finance_a, owner_b, hall, reviewer, reviewer_other, admin):
    return dict(
        zip(
            ROLES,
            [anonymous, owner_a, finance_a, owner_b, hall, reviewer, reviewer_other, admin],
            strict=True,
        )
    )


EMPLOYER_ONLY = row(LOGIN, OK, OK, NOT_FOUND, NOT_FOUND, NOT_FOUND, NOT_FOUND, NOT_FOUND)
OWNER_ONLY = row(LOGIN, OK, FORBIDDEN, NOT_FOUND, NOT_FOUND, NOT_FOUND, NOT_FOUND, NOT_FOUND)
STAFF_ONLY = row(LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK, OK, OK, OK)
ADMIN_ONLY = row(LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK)
EVERYONE = row(OK, OK, OK, OK, OK, OK, OK, OK)
SIGNED_IN = row(LOGIN, OK, OK, OK, OK, OK, OK, OK)
REVIEWERS = row(LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK, OK, FORBIDDEN)
OWN_AGENCY_REVIEWER = row(
    LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK, NOT_FOUND, FORBIDDEN
)
HALL_ONLY = row(LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN)
OWN_AGENCY_STAFF = row(LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK, OK, NOT_FOUND, OK)
# Reviewers (their own agency's data; tests/reports/test_pages.py: another's is a 404) and
# administrators (every agency).
BACK_OFFICE = row(LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK, OK, OK)
OWN_AGENCY_BACK_OFFICE = row(LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK, NOT_FOUND, OK)
TOKEN_ONLY = row(TOKEN, TOKEN, TOKEN, TOKEN, TOKEN, TOKEN, TOKEN, TOKEN)
# An old URL redirects everyone before any lookup; the new URL checks (see the tests below).
MOVED_FOR_ALL = row(MOVED, MOVED, MOVED, MOVED, MOVED, MOVED, MOVED, MOVED)

# endpoint: (method, expected outcome per role)
EXPECTED = {
    "main.index": ("GET", EVERYONE),
    "main.dashboard": ("GET", SIGNED_IN),
    "main.language": ("POST", EVERYONE),
    "main.healthz": ("GET", EVERYONE),
    "auth.login": ("GET", EVERYONE),
    "auth.logout": ("POST", SIGNED_IN),
    "auth.activate": ("GET", EVERYONE),
    "employer.home": ("GET", EMPLOYER_ONLY),
    "employer.members": ("GET", OWNER_ONLY),
    "employer.invite": ("POST", OWNER_ONLY),
    "employer.remove": ("POST", OWNER_ONLY),
    "staff.employers": ("GET", STAFF_ONLY),
    "staff.activation_code": (
        "POST",
        row(LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK, FORBIDDEN, FORBIDDEN, OK),
    ),
    # The employer's facts page and their correction by hand: its agency's staff and admins.
    "staff.employer": ("GET", OWN_AGENCY_STAFF),
    "staff.edit_facts": ("GET", OWN_AGENCY_STAFF),
    "deferral.choose": ("GET", OWNER_ONLY),
    "deferral.confirm": ("POST", OWNER_ONLY),
    "deferral.done": ("GET", EMPLOYER_ONLY),
    "amounts.schedule": ("GET", EMPLOYER_ONLY),
    "reductions.rates": ("GET", EMPLOYER_ONLY),
    "reductions.choose_return": ("GET", OWNER_ONLY),
    "amounts.schedule_csv": ("GET", EMPLOYER_ONLY),
    "amounts.schedule_xlsx": ("GET", EMPLOYER_ONLY),
    "amounts.departure": ("GET", EMPLOYER_ONLY),
    "lookup.classification": ("GET", EVERYONE),
    "lookup.employer": ("GET", EVERYONE),
    "api.classification": ("GET", EVERYONE),
    "api.openapi": ("GET", EVERYONE),
    "api.docs": ("GET", EVERYONE),
    "api.tax_list": ("GET", TOKEN_ONLY),
    "api.standing": ("GET", TOKEN_ONLY),
    "api.collections": ("POST", TOKEN_ONLY),  # a token that may write; never a session
    "admin.api_clients": ("GET", ADMIN_ONLY),
    "admin.new_api_client": ("GET", ADMIN_ONLY),
    "admin.revoke_api_client": ("POST", ADMIN_ONLY),
    # Only the owner lets a system read the standing: not finance staff, not hall staff acting.
    "employer.api_access": ("GET", OWNER_ONLY),
    "employer.revoke_api_access": ("POST", OWNER_ONLY),
    "applications.start": ("GET", EMPLOYER_ONLY),
    "applications.begin": ("POST", OWNER_ONLY),
    "applications.particulars": ("GET", OWNER_ONLY),
    "applications.industry": ("GET", OWNER_ONLY),
    "applications.figures": ("GET", OWNER_ONLY),
    "applications.size": ("GET", OWNER_ONLY),
    "applications.evidence": ("GET", OWNER_ONLY),
    "applications.remove_file": ("POST", OWNER_ONLY),
    "applications.evidence_file": ("GET", EMPLOYER_ONLY),
    "applications.letter": ("GET", OWNER_ONLY),
    "applications.sign": ("GET", OWNER_ONLY),
    "applications.check": ("GET", OWNER_ONLY),
    "applications.submit": ("POST", OWNER_ONLY),
    "applications.application": ("GET", EMPLOYER_ONLY),
    "applications.deferral_2020": ("GET", OWNER_ONLY),
    "applications.deferral_2020_files": ("GET", OWNER_ONLY),
    "applications.deferral_2020_remove": ("POST", OWNER_ONLY),
    "applications.deferral_2020_submit": ("POST", OWNER_ONLY),
    "applications.letter_file": ("GET", EMPLOYER_ONLY),
    "review.queue": ("GET", REVIEWERS),
    "review.detail": ("GET", OWN_AGENCY_REVIEWER),
    "review.approve_application": ("POST", OWN_AGENCY_REVIEWER),
    "review.reject_application": ("POST", OWN_AGENCY_REVIEWER),
    "review.evidence_file": ("GET", OWN_AGENCY_REVIEWER),
    "review.letter_file": ("GET", OWN_AGENCY_REVIEWER),
    "verify.lookup": ("GET", EVERYONE),
    "verify.letter": ("GET", EVERYONE),
    "admin.users": ("GET", ADMIN_ONLY),
    "admin.new_user": ("GET", ADMIN_ONLY),
    "admin.audit": ("GET", ADMIN_ONLY),
    "admin.audit_csv": ("GET", ADMIN_ONLY),
    "admin.halls": ("GET", ADMIN_ONLY),
    "admin.new_hall": ("GET", ADMIN_ONLY),
    "admin.edit_hall": ("GET", ADMIN_ONLY),
    "reports.tax_list": ("GET", BACK_OFFICE),
    "reports.monthly": ("GET", BACK_OFFICE),
    "reports.monthly_csv": ("GET", BACK_OFFICE),
    "reports.monthly_xlsx": ("GET", BACK_OFFICE),
    "reports.monthly_sent": ("POST", BACK_OFFICE),
    "reports.reconciliation": ("GET", BACK_OFFICE),
    "reports.reconciliation_csv": ("GET", BACK_OFFICE),
    "reports.reconciliation_xlsx": ("GET", BACK_OFFICE),
    "reports.wuxi_2020": ("GET", BACK_OFFICE),
    "reports.wuxi_2020_xlsx": ("GET", BACK_OFFICE),
    "hall.halls": ("GET", EVERYONE),
    "hall.my_actions": ("GET", HALL_ONLY),
    "hall.visit": ("GET", HALL_ONLY),
    "hall.stop": ("POST", HALL_ONLY),
    "hall.authority_letter": ("GET", OWN_AGENCY_STAFF),
    "imports.index": ("GET", BACK_OFFICE),
    "imports.record": ("GET", OWN_AGENCY_BACK_OFFICE),
    "imports.apply": ("POST", OWN_AGENCY_BACK_OFFICE),
    "imports.problems_csv": ("GET", OWN_AGENCY_BACK_OFFICE),
    "held.queue": ("GET", BACK_OFFICE),
    "jobs.index": ("GET", BACK_OFFICE),
    "jobs.show": ("GET", OWN_AGENCY_BACK_OFFICE),
    "jobs.download": ("GET", OWN_AGENCY_BACK_OFFICE),
    "jobs.retry": ("POST", OWN_AGENCY_BACK_OFFICE),  # a finished job: nothing to run again
    "held.change": ("GET", OWN_AGENCY_BACK_OFFICE),
    "held.decide": ("POST", OWN_AGENCY_BACK_OFFICE),  # without a decision: the form again
    "returns.worklist_page": ("GET", BACK_OFFICE),
    "returns.worklist_csv": ("GET", BACK_OFFICE),
    "returns.worklist_xlsx": ("GET", BACK_OFFICE),
    "returns.item": ("GET", OWN_AGENCY_BACK_OFFICE),
    "returns.done": ("POST", OWN_AGENCY_BACK_OFFICE),  # without a reference: the form again
    "payments.queue": ("GET", BACK_OFFICE),
    "payments.item": ("POST", OWN_AGENCY_BACK_OFFICE),  # without a note: the form again
    # Only hall staff acting for the employer record a paper signature (see the acting tests).
    "hall.paper": (
        "GET",
        row(LOGIN, FORBIDDEN, FORBIDDEN, NOT_FOUND, NOT_FOUND, NOT_FOUND, NOT_FOUND, NOT_FOUND),
    ),
    "reminders.settings": ("GET", SIGNED_IN),
    "reminders.switch": ("POST", SIGNED_IN),
    "reminders.confirm": ("GET", EVERYONE),
    "reminders.outbox": ("GET", ADMIN_ONLY),
    # Reference data: agencies are the administrators'; a region's fund reserve and rates are
    # also its own agency's reviewers' (another region's is a 404).
    "reference.agencies": ("GET", BACK_OFFICE),
    "reference.new_agency": ("GET", ADMIN_ONLY),
    "reference.edit_agency": ("GET", ADMIN_ONLY),
    "reference.regions": ("GET", BACK_OFFICE),
    "reference.region": ("GET", OWN_AGENCY_BACK_OFFICE),
    "reference.new_fund_reserve": ("GET", OWN_AGENCY_BACK_OFFICE),
    "reference.edit_fund_reserve": ("GET", OWN_AGENCY_BACK_OFFICE),
    "reference.new_rates": ("GET", OWN_AGENCY_BACK_OFFICE),
    "reference.edit_rates": ("GET", OWN_AGENCY_BACK_OFFICE),
    "reminders.undelivered": ("GET", ADMIN_ONLY),
    "moved.decision": ("GET", MOVED_FOR_ALL),
    "moved.commitment": ("GET", MOVED_FOR_ALL),
}


# Query strings a route needs to answer at all.
QUERY = {"api.classification": {"industry": "other"}, "api.tax_list": {"agency": "A1"}}


def test_every_route_states_its_permission(app):
    missing = [
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static"
        and not hasattr(app.view_functions[rule.endpoint], "permission")
    ]
    assert missing == []


def test_the_table_covers_every_route(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()} - {"static"}
    assert endpoints == set(EXPECTED)


@pytest.fixture
def world(app, make):
    agency = make.agency()
    other_agency = make.agency()
    employer_a = make.employer(agency)
    employer_b = make.employer(other_agency)
    finance_a = make.user(employer=employer_a, role="finance")
    users = {
        "owner_a": make.user(employer=employer_a, role="owner"),
        "finance_a": finance_a,
        "owner_b": make.user(employer=employer_b, role="owner"),
        "hall": make.user(staff_role="hall", agency=agency),
        "reviewer": make.user(staff_role="reviewer", agency=agency),
        "reviewer_other": make.user(staff_role="reviewer", agency=other_agency),
        "admin": make.user(staff_role="admin"),
    }
    membership_id = finance_a.memberships[0].id
    decision = make.decision(employer_a, users["owner_a"])
    application = submitted_application(employer_a)
    evidence = stored_evidence(application)
    letter = application.letters[0]
    visit = hall_visit(employer_a, users["hall"], with_letter=True)
    service_hall = ServiceHall(
        city="临沂市", district="市直", address="北京路8号", phone="0539-8101230"
    )
    db.session.add(service_hall)
    import_record = ImportRecord(
        kind="list",
        status="refused",
        file_name="list.csv",
        sha256="0" * 64,
        size=1,
        agency_id=agency.id,
        errors=[],
        conflicts=[],
    )
    db.session.add(import_record)
    reserve = FundReserve(region_id=agency.region_id, month="2022-07", months=Decimal("12.5"))
    rate = RegionRate(
        region_id=agency.region_id,
        start_month="2022-01",
        unit_medical_rate=Decimal("0.065"),
        maternity_rate=Decimal("0.008"),
    )
    db.session.add_all([reserve, rate])
    db.session.flush()
    held_change = HeldChange(
        import_id=import_record.id,
        employer_id=employer_a.id,
        line=2,
        column="size_class",
        before="small",
        after="large",
    )
    db.session.add(held_change)
    refund = ReturnChoice(
        reference="TF-PERM",
        employer_id=employer_a.id,
        program_id="linyi-2020",
        choice="refund",
        over_collected_amount=Decimal("520.00"),
        account="中国银行 6217000012345678",
        decided_by_id=users["owner_a"].id,
        submission_token="f" * 64,
    )
    db.session.add(refund)
    # A personal part for a month with no assessment: an item of the payments queue.
    db.session.add(
        Payment(
            employer_id=employer_a.id,
            paid_on=date(2022, 7, 11),
            amount=Decimal("80.00"),
            month="2022-06",
            part="personal",
            settles="personal 2022-06",
            source_ref="PERM-1",
        )
    )
    client, _token = issue_client(
        name="薪资系统",
        scopes=["standing"],
        agency_ids=[],
        can_write=False,
        expires_on=date(2023, 8, 15),
        actor=users["admin"],
    )
    grant = grant_access(employer_a, client, date(2023, 1, 1), actor=users["owner_a"])
    job = Job(
        kind="imports.check",
        status="done",
        stage="done",
        agency_id=agency.id,
        file_name="job.csv",
        file_format="csv",
        file_size=3,
    )
    db.session.add(job)
    db.session.flush()
    db.session.add(JobFileChunk(job_id=job.id, seq=0, data=b"a,b"))
    make.commit()
    return {
        "job_id": job.id,
        "client_id": client.id,
        "grant_id": grant.id,
        "credit_code": employer_a.credit_code,
        "agency_id": agency.id,
        "region_id": agency.region_id,
        "reserve_id": reserve.id,
        "rate_id": rate.id,
        "change_id": held_change.id,
        "item": f"refund-{refund.id}",
        "employer_b_id": employer_b.id,
        "visit_id": visit.id,
        "hall_id": service_hall.id,
        "record_id": import_record.id,
        "users": users,
        "employer_id": employer_a.id,
        "membership_id": membership_id,
        "reference": decision.reference,
        "application_id": application.id,
        "file_id": evidence.id,
        "letter_id": letter.id,
        "code": letter.verification_code,
        "token": "not-a-token",
        "month": "2022-06",
        "part": "personal",
        "kind": "unmatched",
    }


def _url(app, endpoint, world):
    from flask import url_for

    rule = next(app.url_map.iter_rules(endpoint))
    values = {k: world[k] for k in rule.arguments - set(rule.defaults or ())}
    values.update(QUERY.get(endpoint, {}))
    with app.test_request_context():
        return url_for(endpoint, **values)


def _outcome(response):
    if response.status_code in (401, 403, 404, 308):
        return response.status_code
    if response.status_code in (301, 302, 303) and "/login" in response.location:
        return LOGIN
    assert response.status_code < 400, response.status_code
    return OK


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("endpoint", sorted(EXPECTED))
def test_role_route_table(app, client, world, role, endpoint):
    method, expected = EXPECTED[endpoint]
    if role != "anonymous":
        sign_in(client, world["users"][role])
    url = _url(app, endpoint, world)
    if method == "GET":
        response = client.get(url)
    else:
        response = client.post(url, data={"csrf_token": csrf_token(client, "/login")})
    assert _outcome(response) == expected[role]


# Hall staff acting for employer A: the owner's outcome on A's employer routes (not its people),
# 404 on B's; the staff routes as for hall staff not acting.
ACTING_EXCEPTIONS = {
    "employer.members": FORBIDDEN,
    "employer.invite": FORBIDDEN,
    "employer.remove": FORBIDDEN,
    "hall.paper": OK,  # the owner signs online; only hall staff record paper
    "employer.api_access": FORBIDDEN,  # the owner's grant, never the agency's staff
    "employer.revoke_api_access": FORBIDDEN,
}


def _acting_expected(app, endpoint: str) -> str | int:
    from portal.web.permissions import EMPLOYER_SCOPED

    name = app.view_functions[endpoint].permission
    if name not in EMPLOYER_SCOPED:
        return EXPECTED[endpoint][1]["hall"]
    return ACTING_EXCEPTIONS.get(endpoint, EXPECTED[endpoint][1]["owner_a"])


def _act_for_a(client, world) -> None:
    visit = hall_visit(db.session.get(Employer, world["employer_id"]), world["users"]["hall"])
    db.session.commit()
    sign_in(client, world["users"]["hall"])
    with client.session_transaction() as session:
        session["acting_id"] = visit.id


@pytest.mark.parametrize("endpoint", sorted(EXPECTED))
def test_hall_staff_acting_for_a(app, client, world, endpoint):
    method, _expected = EXPECTED[endpoint]
    _act_for_a(client, world)
    url = _url(app, endpoint, world)
    if method == "GET":
        response = client.get(url)
    else:
        response = client.post(url, data={"csrf_token": csrf_token(client, "/login")})
    assert _outcome(response) == _acting_expected(app, endpoint)


def test_hall_staff_acting_for_a_get_404_on_b(app, client, world):
    _act_for_a(client, world)
    outcomes = {}
    for endpoint in sorted(EXPECTED):
        method, _expected = EXPECTED[endpoint]
        if "employer_id" not in next(app.url_map.iter_rules(endpoint)).arguments:
            continue
        if _expected["hall"] == FORBIDDEN:
            continue  # hall staff may not use it for any employer (the payments queue): 403
        url = _url(app, endpoint, {**world, "employer_id": world["employer_b_id"]})
        # An old URL redirects without looking anything up; where it leads is a 404 for B.
        moved = endpoint.startswith("moved.")
        if method == "GET":
            response = client.get(url, follow_redirects=moved)
        else:
            response = client.post(url, data={"csrf_token": csrf_token(client, "/login")})
        outcomes[endpoint] = _outcome(response)
    assert "employer.home" in outcomes
    assert {e: o for e, o in outcomes.items() if o != NOT_FOUND} == {}


OLD_URLS = [
    ("/e/{id}/decision/", "/e/{id}/deferral/"),
    ("/e/{id}/decision/confirm?tab=2", "/e/{id}/deferral/confirm?tab=2"),
    ("/e/{id}/commitment/", "/e/{id}/applications/"),
    ("/e/{id}/commitment/letters/7?x=1&y=%E4%B8", "/e/{id}/applications/letters/7?x=1&y=%E4%B8"),
]


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize(("old", "new"), OLD_URLS)
def test_old_urls_answer_308_to_the_new_path_with_the_query(client, world, method, old, new):
    # An employer that exists and one that does not get the same answer: nothing is looked up.
    for employer_id in (world["employer_id"], 999_999):
        response = client.open(old.format(id=employer_id), method=method)
        assert response.status_code == 308
        assert response.location == new.format(id=employer_id)


def test_an_old_url_leads_to_the_same_check_as_the_new_one(client, world):
    sign_in(client, world["users"]["owner_b"])
    for employer_id in (world["employer_id"], 999_999):
        old = client.get(f"/e/{employer_id}/commitment/", follow_redirects=True)
        assert old.status_code == 404
    sign_in(client, world["users"]["owner_a"])
    old = client.get(f"/e/{world['employer_id']}/decision/", follow_redirects=True)
    assert old.status_code == 200
    assert old.request.path == f"/e/{world['employer_id']}/deferral/"
