"""The list compared and written chunk by chunk says and does what one pass over the file would.

A chunk of the list is staged, compared with the register and written while the next is read
(on PostgreSQL by a second thread). Here chunks are three rows and batches two, so a short file
crosses several chunks: the counts, refusals, conflicts and the whole-or-nothing rule must be
those of the whole file, on both databases.
"""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import func, select

from portal.core.extensions import db
from portal.features.imports.kinds import KINDS, deferral_list
from portal.features.imports.operations import run
from portal.features.imports.reader import Source
from portal.models import Employer
from tests.factories import credit_code

HEADER = "统一社会信用代码,单位名称,医保单位编号,医保经办机构代码,企业划型,是否纳入缓缴名单"


@pytest.fixture(autouse=True)
def small_chunks(monkeypatch):
    monkeypatch.setattr(deferral_list, "LIST_CHUNK_ROWS", 3)
    monkeypatch.setattr(deferral_list, "LIST_BATCHES_AHEAD", 2)
    monkeypatch.setattr(deferral_list, "SETTLE_ROWS", 2)  # held rows decided two at a time
    monkeypatch.setitem(KINDS, "list", dataclasses.replace(KINDS["list"], batch_rows=2))


@pytest.fixture
def agencies(make):
    liaocheng = make.agency(make.region("liaocheng-2022"), code="LC01")
    wuhai = make.agency(make.region("inner-mongolia-2022"), code="WH01")
    make.commit()
    return liaocheng, wuhai


def _file(*rows: str, tail: bytes = b"") -> Source:
    return Source.from_bytes("list.csv", ("\n".join((HEADER, *rows)) + "\n").encode() + tail)


def _row(employer: Employer, agency: str = "LC01", size: str = "小型", listed: str = "是") -> str:
    cells = (employer.credit_code, employer.name, employer.insurance_unit_number, agency, size)
    return ",".join((*cells, listed))


def _snapshot() -> list[tuple]:
    return db.session.execute(
        select(
            Employer.credit_code, Employer.name, Employer.size_class, Employer.list_status
        ).order_by(Employer.credit_code)
    ).all()


def test_new_changed_and_unchanged_rows_across_chunks(app, make, agencies):
    liaocheng = agencies[0]
    # Not on the list and no decision: their classification is not confirmed, a change applies
    stored = [make.employer(liaocheng, list_status="not_listed") for _ in range(5)]
    make.commit()
    new = [credit_code() for _ in range(6)]
    rows = [
        f"{new[0]},新一,N1,LC01,小型,是",
        _row(stored[0], listed="否"),  # unchanged
        _row(stored[1], size="中型", listed="否"),  # changed
        f"{new[1]},新二,N2,WH01,微型,否",
        f"{new[2]},新三,N3,LC01,小型,是",
        _row(stored[2]),  # changed: now on the list
        _row(stored[3], listed="否"),  # unchanged
        f"{new[3]},新四,N4,LC01,中型,是",
        f"{new[4]},新五,N5,LC01,小型,是",
        f"{new[5]},新六,N6,LC01,小型,是",
        _row(stored[4], listed="否"),  # unchanged
    ]
    outcome = run("list", _file(*rows), scope_agency_id=None, apply=True)
    assert outcome.applied and outcome.rows == 11
    assert (outcome.created, outcome.updated, outcome.unchanged) == (6, 2, 3)
    assert outcome.held == []
    assert db.session.scalar(select(func.count()).select_from(Employer)) == 11
    changed = db.session.get(Employer, stored[1].id)
    assert changed.size_class == "medium"
    assert db.session.get(Employer, stored[2].id).list_status == "listed"
    again = run("list", _file(*rows), scope_agency_id=None, apply=True)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 11)


def test_a_refusal_in_a_late_chunk_undoes_the_chunks_written_before(app, make, agencies):
    liaocheng, wuhai = agencies
    theirs = make.employer(wuhai)
    mine = make.employer(liaocheng)
    make.commit()
    before = _snapshot()
    rows = [f"{credit_code()},新{i},N{i},LC01,小型,是" for i in range(7)]
    rows[1] = _row(mine, size="中型")
    rows.insert(6, _row(theirs, agency="LC01"))  # line 8: another agency's employer
    rows.append(f"{credit_code()},,N9,LC01,小型,是")  # line 10: a blank name
    outcome = run("list", _file(*rows), scope_agency_id=liaocheng.id, apply=True)
    assert not outcome.applied and outcome.refused_rows == 2
    assert [(p.line, p.code) for p in outcome.problems] == [(8, "other_agency"), (10, "required")]
    assert _snapshot() == before


def test_a_file_refused_after_chunks_were_written_leaves_nothing(app, make, agencies):
    before = _snapshot()
    rows = [f"{credit_code()},新{i},N{i},LC01,小型,是" for i in range(8)]
    outcome = run("list", _file(*rows, tail=b"\xff\xfe,x\n"), scope_agency_id=None, apply=True)
    assert outcome.file_error is not None and outcome.file_error.code == "encoding"
    assert not outcome.applied
    assert _snapshot() == before


def test_a_check_across_chunks_writes_nothing(app, make, agencies):
    rows = [f"{credit_code()},新{i},N{i},LC01,小型,是" for i in range(8)]
    outcome = run("list", _file(*rows), scope_agency_id=None, apply=False)
    assert not outcome.is_refused and outcome.created == 8 and not outcome.applied
    assert db.session.scalar(select(func.count()).select_from(Employer)) == 0


def test_held_changes_of_every_chunk_are_listed_in_line_order(app, make, agencies):
    liaocheng = agencies[0]
    deferred = [make.employer(liaocheng, list_status="not_listed") for _ in range(3)]
    for employer in deferred:  # deferring by its own decision: its classification is confirmed
        make.decision(employer, make.user(employer=employer))
    make.commit()
    rows = [f"{credit_code()},新{i},N{i},LC01,小型,是" for i in range(6)]
    rows.insert(1, _row(deferred[2], size="大型", listed="否"))  # line 3
    rows.insert(4, _row(deferred[0]))  # line 6: onto the list
    rows.append(_row(deferred[1], size="中型", listed="否"))  # line 10
    outcome = run("list", _file(*rows), scope_agency_id=None, apply=True)
    assert outcome.applied and (outcome.created, outcome.updated, outcome.unchanged) == (6, 0, 3)
    assert [(h.line, h.credit_code, h.column, h.before, h.after) for h in outcome.held] == [
        (3, deferred[2].credit_code, "size_class", "small", "large"),
        (6, deferred[0].credit_code, "list_status", "not_listed", "listed"),
        (10, deferred[1].credit_code, "size_class", "small", "medium"),
    ]
    assert outcome.conflicts == []
    stored = [db.session.get(Employer, e.id) for e in deferred]
    assert [(e.size_class, e.list_status) for e in stored] == [("small", "not_listed")] * 3


def test_a_first_list_into_an_empty_register(app, agencies):
    rows = [f"{credit_code()},新{i},N{i},LC01,小型,是" for i in range(8)]
    refused = run(
        "list", _file(*rows, f"{credit_code()},新,N,LC01,,是"), scope_agency_id=None, apply=True
    )
    assert [(p.line, p.code) for p in refused.problems] == [(10, "required")]
    assert db.session.scalar(select(func.count()).select_from(Employer)) == 0
    outcome = run("list", _file(*rows), scope_agency_id=None, apply=True)
    assert outcome.applied and (outcome.created, outcome.updated, outcome.unchanged) == (8, 0, 0)
    assert db.session.scalar(select(func.count()).select_from(Employer)) == 8
    again = run("list", _file(*rows), scope_agency_id=None, apply=True)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 8)


def test_a_failing_write_stops_the_import_and_leaves_no_thread(app, agencies, monkeypatch):
    import threading

    def fail(self, where):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(deferral_list.ListStage, "_insert", fail)
    threads = threading.active_count()
    rows = [f"{credit_code()},新{i},N{i},LC01,小型,是" for i in range(8)]
    with pytest.raises(RuntimeError, match="went away"):
        run("list", _file(*rows), scope_agency_id=None, apply=True)
    db.session.rollback()
    assert threading.active_count() == threads
    assert db.session.scalar(select(func.count()).select_from(Employer)) == 0
