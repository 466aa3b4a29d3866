"""The monthly deferral report against the hand-worked agency of tests/reports/helpers.py."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from portal.features.reports.monthly import monthly_report
from tests.deferral.test_loader import counted_statements
from tests.reports.helpers import build_world, standings_statements


def figures(line):
    return {
        "employers": line.employers,
        "persons": line.persons,
        "deferred": line.deferred_amount,
        "caught_up": line.caught_up_amount,
        "outstanding": line.outstanding_amount,
        "late_fee": line.late_fee_amount,
        "opted_out": line.opted_out,
        "applications": (line.received, line.approved, line.rejected, line.overdue),
    }


def test_august_for_one_agency_as_worked_by_hand(make):
    world = build_world(make)
    report = monthly_report("2022-08", date(2022, 9, 15), agency_id=world.agency.id)
    assert report.as_of == date(2022, 8, 31)
    assert [line.agency_code for line in report.lines] == ["SD-A"]
    assert figures(report.lines[0]) == {
        "employers": 2,  # E1 (07–09) and E2 (08–10) defer August; E3 opted out, E4 unlisted
        "persons": 15,  # 10 + 5
        "deferred": Decimal("1500.00"),  # 1,000.00 + 500.00
        "caught_up": Decimal("400.00"),  # 300.00 on 08-10 + 100.00 on 08-20 (not 09-05)
        # due by 08-31 (07 and 08; September's is not due yet): E1 2,000 − 300; E2 500 − 100
        "outstanding": Decimal("2100.00"),
        "late_fee": Decimal("0.00"),  # before any deadline
        "opted_out": 1,  # E3
        # received: sent 08-03 and 08-05 (not 09-01 China time); approved 08-02; rejected
        # 08-31 23:30 China time; overdue: the one due 08-08 and still undecided
        "applications": (2, 1, 1, 1),
    }


def test_every_agency_adds_up_with_a_total(make):
    build_world(make)
    report = monthly_report("2022-08", date(2022, 9, 15))
    assert [line.agency_code for line in report.lines] == ["SD-A", "SD-B"]
    assert figures(report.lines[1]) == {
        "employers": 1,
        "persons": 2,
        "deferred": Decimal("200.00"),
        "caught_up": Decimal("0"),
        "outstanding": Decimal("400.00"),  # 07 and 08, not 09
        "late_fee": Decimal("0"),
        "opted_out": 0,
        "applications": (0, 0, 0, 0),
    }
    total = figures(report.total)
    assert (total["employers"], total["persons"], total["deferred"], total["outstanding"]) == (
        3,
        17,
        Decimal("1700.00"),
        Decimal("2500.00"),
    )


def test_november_charges_the_late_fee_that_started_on_1_october(make):
    world = build_world(make)
    report = monthly_report("2022-11", date(2022, 12, 15), agency_id=world.agency.id)
    line = report.lines[0]
    assert (line.employers, line.persons, line.deferred_amount) == (0, 0, Decimal("0"))
    assert line.caught_up_amount == Decimal("1500.00")  # E2 on 11-10, before its deadline
    assert line.outstanding_amount == Decimal("2600.00")  # E1: 3,100 − 500; E2 paid in full
    # E1's deadline 2022-10-31 passed: 2,600.00 × 0.05% × 61 days (10-01 … 11-30, both counted);
    # as of 10-31 nothing was charged yet (社会保险法 第八十六条; 鲁医保发〔2022〕21号 二).
    assert line.late_fee_amount == Decimal("79.30")


def test_the_running_month_is_as_of_today(make):
    world = build_world(make)
    report = monthly_report("2022-08", date(2022, 8, 15), agency_id=world.agency.id)
    assert report.as_of == date(2022, 8, 15)
    line = report.lines[0]
    assert line.caught_up_amount == Decimal("300.00")  # 08-20 has not come yet
    # received 08-03 and 08-05; both undecided today and past their review date
    assert (line.received, line.approved, line.rejected, line.overdue) == (2, 1, 0, 2)


def test_a_past_month_is_reported_as_it_stood_at_its_end(make):
    world = build_world(make)
    # E1 opts out on 2022-09-10 (China): after August, so August still counts it as deferring.
    make.decision(world.e1, world.owner, "opt_out").decided_at = datetime(
        2022, 9, 10, 2, tzinfo=UTC
    )
    make.commit()
    august = monthly_report("2022-08", date(2022, 9, 15), agency_id=world.agency.id)
    assert (august.lines[0].employers, august.lines[0].opted_out) == (2, 1)
    assert august.lines[0].deferred_amount == Decimal("1500.00")
    september = monthly_report("2022-09", date(2022, 9, 15), agency_id=world.agency.id)
    assert september.lines[0].opted_out == 2  # E3 and now E1


def test_the_chart_has_each_month_up_to_the_report(make):
    world = build_world(make)
    report = monthly_report("2022-08", date(2022, 9, 15), agency_id=world.agency.id)
    assert [(b.month, b.deferred_amount, b.caught_up_amount) for b in report.bars] == [
        ("2022-07", Decimal("1000.00"), Decimal("0")),
        ("2022-08", Decimal("1500.00"), Decimal("400.00")),
    ]


def test_the_report_costs_four_statements_more_than_the_standings(make):
    world = build_world(make)
    agency_id = world.agency.id
    with counted_statements() as few:
        monthly_report("2022-08", date(2022, 9, 15), agency_id=agency_id)
    for _ in range(5):
        make.employer(world.agency)
    make.commit()
    with counted_statements() as more:
        report = monthly_report("2022-08", date(2022, 9, 15), agency_id=agency_id)
    assert report.lines[0].employers == 2 + 5  # the new ones are listed and defer by default
    # five for the standings (tests/deferral/test_loader.py), then agencies of the employers,
    # the approved 2020 deferrals (none here: their assessments and payments are not read),
    # the agencies, the applications
    assert len(few) == len(more) == standings_statements(date(2022, 8, 31), agency_id) + 4
    assert len(more) == 9, "\n\n".join(more)


def test_a_report_made_part_by_part_is_the_report_made_whole(make, monkeypatch):
    """A large agency's report is made two thousand employers at a time (flat memory): parts
    of one employer give every figure and the chart as one part of all of them does."""
    from portal.features.reports import monthly

    build_world(make)
    whole = monthly_report("2022-08", date(2022, 9, 15))
    monkeypatch.setattr(monthly, "PART_EMPLOYERS", 1)
    parts = monthly_report("2022-08", date(2022, 9, 15))
    assert [figures(line) for line in parts.lines] == [figures(line) for line in whole.lines]
    assert figures(parts.total) == figures(whole.total)
    assert parts.bars == whole.bars
    assert whole.total.employers >= 3 and any(b.caught_up_amount for b in whole.bars)
