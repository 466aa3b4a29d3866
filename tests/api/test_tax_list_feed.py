"""The 缓缴清单 feed (内医保办发〔2022〕19号 五 1): the file's 12 columns and formats, the whole
list without a cursor, what changed since with one, pages that lose and repeat nothing while
the list changes under them, and reading that moves nothing for anyone else."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from portal.core.extensions import db
from portal.features.reports.operations import export_tax_list
from portal.models import Assessment, AuditEntry, TaxListChange
from portal.util import clock
from tests.api.helpers import token
from tests.reports.helpers import assess, build_world
from tests.reports.test_tax_list import ON, parse_csv


@pytest.fixture
def fixed_now(monkeypatch):
    monkeypatch.setattr(clock, "_utcnow", lambda: datetime(2026, 1, 2, 2, 3, 4, tzinfo=UTC))


def _read(client, headers, since=None, limit=None, agency="SD-A"):
    query = {"agency": agency}
    if since is not None:
        query["since"] = since
    if limit is not None:
        query["limit"] = str(limit)
    response = client.get("/api/v1/tax-list", query_string=query, headers=headers)
    assert response.status_code == 200, response.json
    return response.json


def _names(page) -> list[tuple[str, str]]:
    return [(item["change"], item["row"]["单位名称"]) for item in page["items"]]


def test_the_whole_list_has_the_files_columns_and_cells(client, make, fixed_now):
    world = build_world(make)
    _c, headers = token(make, agencies=[world.agency])
    page = _read(client, headers)
    exported = export_tax_list(
        ON, agency=world.agency, since_last=False, file_format="csv", actor=None
    )
    header, *rows = parse_csv(exported.content)
    assert [list(item["row"]) for item in page["items"]] == [header, header]
    assert [list(item["row"].values()) for item in page["items"]] == rows  # 传输时间 too
    assert page["month"] == "2022-08" and page["has_more"] is False
    assert _read(client, headers, since=page["next"])["items"] == []  # nothing changed


def test_pages_lose_and_repeat_nothing_while_the_list_changes(client, make):
    world = build_world(make)
    _c, headers = token(make, agencies=[world.agency])
    first = _read(client, headers, limit=1)
    assert _names(first) == [("listed", "甲一有限公司")] and first["has_more"] is True
    # Between the pages: E1 (already read) is re-assessed, a new employer joins the list,
    # and E2 (not read yet) opts out: it leaves the list before it was ever read.
    august = db.session.scalar(
        select(Assessment).where(
            Assessment.employer_id == world.e1.id, Assessment.month == "2022-08"
        )
    )
    august.headcount = 12
    joined = make.employer(world.agency, name="甲五有限公司")
    assess(joined, "2022-08", 3, "300")
    make.decision(world.e2, world.owner, "opt_out")
    make.commit()
    seen, since = list(_names(first)), first["next"]
    while True:
        page = _read(client, headers, since=since, limit=1)
        seen += _names(page)
        since = page["next"]
        if not page["has_more"]:
            break
    # E1 again with its new row, the new employer once, and E2's removal: it was read by no
    # page before it left, but it was on the list when the read began.
    assert seen == [
        ("listed", "甲一有限公司"),
        ("listed", "甲一有限公司"),
        ("listed", "甲五有限公司"),
        ("removed", "甲二有限公司"),
    ]
    assert _read(client, headers, since=since)["items"] == []
    # A reader starting now gets the list as it is: no removal, each employer once.
    fresh = _read(client, headers)
    assert _names(fresh) == [("listed", "甲一有限公司"), ("listed", "甲五有限公司")]
    assert fresh["items"][0]["row"]["缓缴人数"] == "12"


def test_a_removal_reaches_a_reader_that_had_the_row(client, make):
    world = build_world(make)
    _c, headers = token(make, agencies=[world.agency])
    whole = _read(client, headers)
    make.decision(world.e1, world.owner, "opt_out")
    make.commit()
    page = _read(client, headers, since=whole["next"])
    assert _names(page) == [("removed", "甲一有限公司")]
    removed = page["items"][0]["row"]
    assert (removed["缓缴人数"], removed["缓缴金额"]) == ("0", "0.00")  # as the file's removals


def test_reading_moves_nothing_for_another_reader_or_the_file(client, make, fixed_now):
    world = build_world(make)
    _c, first = token(make, agencies=[world.agency], name="税务局甲")
    _c, second = token(make, agencies=[world.agency], name="税务局乙")
    a = _read(client, first)
    b = _read(client, second)
    assert _names(a) == _names(b)
    assert _read(client, first)["items"] == a["items"]  # the whole list again, as it was
    # The file's "since the last export" still sends everything: the feed moved nothing.
    exported = export_tax_list(
        ON, agency=world.agency, since_last=True, file_format="csv", actor=None
    )
    assert len(parse_csv(exported.content)) == 1 + 2
    # The journal recorded the list once, whoever read it; each call's audit row says so.
    assert db.session.scalar(select(db.func.count()).select_from(TaxListChange)) == 2
    calls = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "api.call").order_by(AuditEntry.id)
    )
    assert [c.details["journal_appended"] for c in calls] == [2, 0, 0]


def test_agency_b_token_never_sees_agency_a_rows(client, make):
    world = build_world(make)
    _c, headers = token(make, agencies=[world.other_agency])
    page = _read(client, headers, agency="SD-B")
    assert _names(page) == [("listed", "乙一有限公司")]
    assert client.get("/api/v1/tax-list?agency=SD-A", headers=headers).status_code == 403


@pytest.mark.postgres_only
def test_readers_at_once_record_each_change_once(app, make):
    """Two readers' first pages at once (threads with their own connections): the journal's
    appends for an agency wait for each other, so the list is recorded once, not twice."""
    import threading

    from portal.features.api import feed

    world = build_world(make)
    agency_id = world.agency.id
    make.commit()
    barrier = threading.Barrier(2)
    counts: list[int] = []

    def one_reader() -> None:
        with app.app_context():
            barrier.wait()
            page, appended = feed.read_page(agency_id, None, 10, on=clock.today(), at=clock.now())
            db.session.commit()
            counts.append(appended)
            assert len(page.items) == 2
            db.session.remove()

    threads = [threading.Thread(target=one_reader) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(counts) == [0, 2]
    assert db.session.scalar(select(db.func.count()).select_from(TaxListChange)) == 2
