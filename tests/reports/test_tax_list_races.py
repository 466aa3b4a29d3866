"""Two "since the last export" 缓缴清单 exports at once never send a row twice (issue 24).

Each thread has its own app context, so its own session and connection, and commits like a
request or a command; a barrier releases their exports together. PostgreSQL: the second waits
on the export's advisory lock, then reads what the first committed. SQLite: a file database
(the suite's in-memory one is a single connection shared by every session), whose one writer
the export takes before it reads.
"""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import event, select

from portal import create_app
from portal.config import TestConfig
from portal.core.extensions import db
from portal.features.reports.operations import export_tax_list
from portal.models import TaxListExportRow
from tests.conftest import IS_POSTGRES
from tests.factories import Factory
from tests.reports.helpers import build_world
from tests.reports.test_tax_list import ON


def exports_at_once(app, n: int = 2) -> list[tuple[int, int]]:
    """Run ``n`` since-last exports of every agency at once; (export id, rows) of each."""
    ready = threading.Barrier(n)
    results: list[tuple[int, int]] = []
    failures: list[BaseException] = []

    def run():
        try:
            with app.app_context():
                ready.wait(timeout=30)
                exported = export_tax_list(
                    ON, agency=None, since_last=True, file_format="csv", actor=None
                )
                db.session.commit()
                results.append((exported.export.id, exported.export.row_count))
        except BaseException as error:  # noqa: BLE001 - a thread reports to the test, which fails
            failures.append(error)

    threads = [threading.Thread(target=run) for _ in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not failures, failures
    return sorted(results)


def assert_sent_once(results: list[tuple[int, int]], listed: set[int]) -> None:
    db.session.expire_all()
    sent = db.session.execute(
        select(TaxListExportRow.export_id, TaxListExportRow.employer_id).where(
            TaxListExportRow.is_removal.is_(False)
        )
    ).all()
    employers = [employer_id for _, employer_id in sent]
    assert sorted(employers) == sorted(listed)  # each once
    # One export carried every row, the other (which read after the first committed) none.
    assert sorted(count for _, count in results) == [0, len(listed)]
    (full,) = [export_id for export_id, count in results if count]
    assert {export_id for export_id, _ in sent} == {full}


@pytest.mark.postgres_only
def test_two_since_last_exports_at_once_send_each_row_once_postgres(app, make):
    world = build_world(make)
    make.commit()
    results = exports_at_once(app)
    assert_sent_once(results, {world.e1.id, world.e2.id, world.e5.id})


@pytest.mark.skipif(IS_POSTGRES, reason="SQLite's own: runs in the SQLite suite")
def test_two_since_last_exports_at_once_send_each_row_once_sqlite_file(tmp_path):
    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'races.sqlite'}"

    app = create_app(Config)
    with app.app_context():
        # No waiting for the disk at each of create_all's statements (2 s instead of 0.1 s).
        event.listen(db.engine, "connect", lambda dbapi, _: dbapi.execute("PRAGMA synchronous=OFF"))
        db.create_all()
        world = build_world(Factory())
        db.session.commit()
        listed = {world.e1.id, world.e2.id, world.e5.id}
        results = exports_at_once(app)
        assert_sent_once(results, listed)
        db.session.remove()
        db.engine.dispose()
