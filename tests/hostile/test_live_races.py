"""Double clicks against a real gunicorn, on PostgreSQL and on a SQLite file: several workers,
each with its own connections, answer POSTs released together. Every answer is the one the
first click got (or the form's own message), never a 5xx; exactly one row and one audit row
for each change.

``test_races.py`` drives the same races through the test client inside the test's process;
here the requests cross HTTP to three worker processes of four threads, as in production, and
the browser signs in with its password and posts the CSRF token its page handed out.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from portal import create_app
from portal.config import TestConfig
from portal.core.extensions import db
from portal.models import (
    AuditEntry,
    CommitmentApplication,
    Departure,
    EvidenceFile,
    PersonAssessment,
    StoredLetter,
)
from tests.applications.helpers import PNG, SMALL_PDF, submitted_application
from tests.conftest import IS_POSTGRES, _migrate
from tests.factories import PASSWORD, Factory
from tests.hostile.live import Browser, Server, at_once


@pytest.fixture(scope="module")
def live_url(request, tmp_path_factory) -> str:
    """PostgreSQL: this test worker's database. SQLite: a file that gunicorn's workers share,
    built by the migrations (as `make run` serves it)."""
    if IS_POSTGRES:
        return request.getfixturevalue("database_url")
    url = f"sqlite:///{tmp_path_factory.mktemp('live-sqlite') / 'portal.sqlite'}"
    _migrate(url)
    return url


@pytest.fixture(scope="module")
def server(live_url, tmp_path_factory):
    live = Server(live_url, tmp_path_factory.mktemp("gunicorn") / "log").start()
    yield live
    live.stop()


@pytest.fixture
def live(server, live_url):
    """The server, and the test's app on the same database for its rows. Every count below is
    of the test's own employer: the SQLite file is not emptied between tests."""

    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = live_url

    app = create_app(Config)
    with app.app_context():
        yield server
        db.session.remove()
        db.engine.dispose()
    print(server.tail())  # shown by pytest only when the test fails
    assert "Exception on" not in server.log.read_text()  # no error left unhandled


@pytest.fixture
def make(live):
    return Factory()


def count(model, *where) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def audits(action: str, employer) -> int:
    return count(
        AuditEntry, AuditEntry.action == action, AuditEntry.acting_for_employer_id == employer.id
    )


def statuses(responses) -> list[int]:
    codes = [r.status for r in responses]
    assert all(code < 500 for code in codes), codes
    return codes


@pytest.fixture
def applicant(make):
    """An employer not on the list (Liaocheng, 2022) and its owner."""
    agency = make.agency(name="聊城市医疗保障服务中心")
    employer = make.employer(
        agency, list_status="not_listed", size_class=None, size_source=None, industry=None
    )
    owner = make.user(employer=employer, role="owner", display_name="张三")
    make.commit()
    return employer, owner


def test_each_step_of_an_application_clicked_many_times_at_once_happens_once(live, applicant):
    employer, owner = applicant
    browser = Browser(live.port).sign_in(owner.username, PASSWORD)
    url = f"/e/{employer.id}/applications"
    token = browser.token(f"{url}/")

    begun = at_once(20, lambda _i: browser.post(f"{url}/begin", token=token))
    assert statuses(begun) == [302] * 20
    assert len({r.location for r in begun}) == 1  # every click is sent to the same next step
    assert count(CommitmentApplication, CommitmentApplication.employer_id == employer.id) == 1
    assert audits("commitment.start", employer) == 1

    for step, fields in [
        ("particulars", {"unit_kind": "enterprise"}),
        ("industry", {"industry": "retail"}),
        ("figures", {"employees": "45", "revenue": "850.5"}),
    ]:
        assert browser.post(f"{url}/{step}", fields, token=token).status == 302, step

    files = [("files", "licence.png", PNG), ("files", "scan.pdf", SMALL_PDF)]
    uploads = at_once(
        8, lambda i: browser.post(f"{url}/evidence", token=token, files=[files[i % 2]])
    )
    # Five files fit; the three late uploads get the form back with its message.
    assert sorted(statuses(uploads)) == [200] * 3 + [302] * 5
    application = db.session.scalar(
        select(CommitmentApplication).where(CommitmentApplication.employer_id == employer.id)
    )
    assert count(EvidenceFile, EvidenceFile.application_id == application.id) == 5
    assert audits("commitment.evidence_add", employer) == 5

    signed = at_once(
        10,
        lambda _i: browser.post(
            f"{url}/sign",
            {"signatory_name": "张三", "statement": "y", "password": PASSWORD},
            token=token,
        ),
    )
    assert statuses(signed) == [302] * 10
    assert count(StoredLetter, StoredLetter.employer_id == employer.id) == 1  # one render
    assert audits("commitment.sign", employer) == 1

    sent = at_once(10, lambda _i: browser.post(f"{url}/submit", token=token))
    assert statuses(sent) == [302] * 10
    assert len({r.location for r in sent}) == 1  # the application's page
    db.session.refresh(application)
    assert application.status == "submitted"
    assert audits("commitment.submit", employer) == 1
    assert browser.get(sent[0].location).status == 200


def test_two_reviewers_deciding_the_same_application_at_once_decide_it_once(live, applicant, make):
    employer, _owner = applicant
    application = submitted_application(employer)
    first = make.user(staff_role="reviewer", agency=employer.agency, display_name="审核员甲")
    second = make.user(staff_role="reviewer", agency=employer.agency, display_name="审核员乙")
    make.commit()
    page = f"/review/{application.id}"
    reviewers = [Browser(live.port).sign_in(user.username, PASSWORD) for user in (first, second)]
    tokens = [browser.token(page) for browser in reviewers]

    def decide(i: int):
        browser, token = reviewers[i % 2], tokens[i % 2]
        if i % 2 == 0:  # the first approves, the second rejects; each clicks three times
            return browser.post(f"{page}/approve", token=token)
        return browser.post(f"{page}/reject", {"reason": "营业收入与报表不符"}, token=token)

    codes = statuses(at_once(6, decide))
    # One click decides; every other is told who decided it first (409), nothing else.
    assert sorted(codes) == [302] + [409] * 5
    db.session.expire_all()
    decided = db.session.get(CommitmentApplication, application.id)
    assert decided.status in {"approved", "rejected"}
    assert audits("commitment.approve", employer) + audits("commitment.reject", employer) == 1
    approved_letters = count(
        StoredLetter, StoredLetter.kind == "approved", StoredLetter.employer_id == employer.id
    )
    assert approved_letters == (1 if decided.status == "approved" else 0)


def test_twenty_departures_posted_at_once_record_one(live, make):
    region = make.region(
        "shandong-2022", unit_medical_rate=Decimal("0.065"), maternity_rate=Decimal("0.01")
    )
    employer = make.employer(make.agency(region))
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
    browser = Browser(live.port).sign_in(owner.username, PASSWORD)
    url = f"/e/{employer.id}/amounts/departures"
    token = browser.token(url)
    fields = {"person_ref": "P9", "reason": "leave", "left_on": "2022-08-10"}
    answers = at_once(20, lambda _i: browser.post(url, fields, token=token))
    assert statuses(answers) == [302] * 20
    assert count(Departure, Departure.employer_id == employer.id) == 1
    assert audits("departure.record", employer) == 1
