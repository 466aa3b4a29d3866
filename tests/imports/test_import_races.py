"""The same checked import applied twice at once, on PostgreSQL: applied once, the other told
so (issue 24: a unique violation, a 500, when two pages applied it at the same moment).

Each thread has its own app context, so its own session and connection, and commits like a
request; a barrier releases them together.
"""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from portal.core.extensions import db
from portal.features.imports.operations import ImportError_, apply_checked, check_upload
from portal.models import AuditEntry, Employer, ImportRecord, User
from tests.applications.helpers import soup
from tests.conftest import IS_POSTGRES, sign_in
from tests.factories import credit_code
from tests.imports.test_import_pages import HEADER, _world

pytestmark = pytest.mark.postgres_only

ROWS = 30


def checked_import(make) -> tuple[ImportRecord, User]:
    agency, _other, reviewer = _world(make)
    body = (
        HEADER + "\n" + "".join(f"{credit_code()},公司{n},U{n},LC01,小型,是\n" for n in range(ROWS))
    )
    record = check_upload(
        "list", "名单.csv", body.encode(), actor=reviewer, scope_agency_id=agency.id
    )
    make.commit()
    assert record.status == "checked"
    return record, reviewer


def at_once(app, n: int, prepare, act) -> list:
    """``prepare()`` in each of ``n`` threads (each in an app context of its own), then
    ``act(prepared)`` in all at once."""
    ready = threading.Barrier(n)
    results: list = []
    failures: list[BaseException] = []

    def run():
        try:
            with app.app_context():
                prepared = prepare()
                ready.wait(timeout=30)
                results.append(act(prepared))
        except BaseException as error:  # noqa: BLE001 - a thread reports to the test, which fails
            failures.append(error)

    threads = [threading.Thread(target=run) for _ in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not failures, failures
    assert IS_POSTGRES
    return results


def count(model, *where) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_the_same_import_applied_twice_at_once_applies_once(app, make):
    record, reviewer = checked_import(make)

    def load():
        """The record as the page loads it before applying: "checked", for both."""
        return db.session.get(ImportRecord, record.id), db.session.get(User, reviewer.id)

    def apply_like_a_request(loaded):
        mine, actor = loaded
        try:
            apply_checked(mine, mine.sha256, actor=actor)
        except ImportError_ as error:
            db.session.rollback()
            return error.code
        except IntegrityError as error:  # the 500
            db.session.rollback()
            return f"IntegrityError: {error.orig}"
        db.session.commit()
        return "applied"

    results = at_once(app, 2, load, apply_like_a_request)
    assert sorted(results) == ["applied", "not_checked"]
    assert count(Employer) == ROWS
    assert db.session.get(ImportRecord, record.id).status == "applied"
    assert count(AuditEntry, AuditEntry.action == "import.applied") == 1


def test_two_pages_applying_the_same_import_at_once_get_no_500(app, make):
    record, reviewer = checked_import(make)
    path = f"/imports/{record.id}"

    def open_page():
        """A page of the record in a browser of its own: its form's fields (CSRF, key)."""
        client = app.test_client()
        sign_in(client, reviewer)
        form = soup(client.get(path)).select_one("form[action$='/apply']")
        fields = {i["name"]: i.get("value", "") for i in form.select("input[name]")}
        return client, form["action"], fields

    def confirm(prepared):
        client, action, fields = prepared
        response = client.post(action, data=fields)
        return response.status_code, response.location

    results = sorted(at_once(app, 2, open_page, confirm), key=lambda r: r[0])
    assert [status for status, _ in results] == [302, 409]  # applied; "applied already"
    assert "/jobs/" in results[0][1]  # the apply's job, run by now (JOBS_RUN "now")
    assert count(Employer) == ROWS
    assert count(AuditEntry, AuditEntry.action == "import.applied") == 1
