"""The facts loader: one employer in four statements, many in five, the same answers."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import date
from decimal import Decimal

from sqlalchemy import event

from portal.core.extensions import db
from portal.facts.standing import employer_standing, standings
from portal.models import Assessment, Employer, Payment

ON = date(2022, 8, 15)


@contextmanager
def counted_statements():
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def _employers(make, count: int):
    region = make.region(
        "shandong-2022", unit_medical_rate=Decimal("0.065"), maternity_rate=Decimal("0.01")
    )
    agency = make.agency(region)
    other = make.agency(make.region("inner-mongolia-2022"))
    user = make.user()
    employers = []
    for i in range(count):
        employer = make.employer(
            agency,
            contribution_base_amount=Decimal("10000.00") + i,
            is_july_paid=i % 3 == 1,
            list_status="listed" if i % 4 else "not_listed",
        )
        if i % 5 == 2:
            make.decision(employer, user, "opt_out")
        if i % 5 == 3:
            make.decision(employer, user, "opt_out")
            make.decision(employer, user, "defer")  # the later decision is the current one
        if i % 2:
            db.session.add(
                Assessment(
                    employer_id=employer.id,
                    month="2022-08",
                    headcount=3,
                    contribution_base_amount=Decimal("9000.00"),
                    unit_amount=Decimal("675.00"),
                    personal_amount=Decimal("180.00"),
                )
            )
            db.session.add(
                Payment(
                    employer_id=employer.id,
                    paid_on=date(2022, 8, 1),
                    amount=Decimal("100.00") + i,
                    settles="deferred",
                    source_ref=f"P{employer.id}",
                )
            )
        employers.append(employer)
    make.employer(other)  # another agency's employer is not loaded
    make.commit()
    return agency, employers


def _answer(s):
    return (
        s.next_step,
        s.is_deferred,
        s.period and (s.period.start, s.period.end),
        s.decision,
        [(line.month, line.unit_amount, line.source) for line in s.lines],
        s.quote and (s.quote.deferred_total, s.quote.paid, s.quote.outstanding),
        s.payments,
    )


def test_many_employers_get_the_same_standing_as_one_at_a_time(make):
    agency, employers = _employers(make, 20)
    many = standings(ON, agency_id=agency.id)
    assert sorted(many) == sorted(e.id for e in employers)
    for employer in employers:
        loaded = db.session.get(Employer, employer.id)
        assert _answer(many[employer.id]) == _answer(employer_standing(loaded, ON))
    # the scenario really mixes what it should
    assert {s.next_step for s in many.values()} >= {"apply", "pay_normally", "pay_by_deadline"}
    assert {s.amounts_source for s in many.values()} >= {"estimate", "mixed"}


def test_many_employers_cost_five_statements_whatever_their_number(make):
    agency, _ = _employers(make, 30)
    agency_id = agency.id
    db.session.expire_all()
    with counted_statements() as few:
        standings(ON, agency_id=agency_id)
    make.employer(agency)
    make.employer(agency)
    make.commit()
    with counted_statements() as more:
        result = standings(ON, agency_id=agency_id)
    assert len(result) == 32
    assert len(few) == len(more) == 5


def test_one_employer_costs_four_statements(make):
    """The region's figures in force on the day, the decision, assessments and payments."""
    _, employers = _employers(make, 2)
    employer = db.session.get(Employer, employers[1].id)
    employer.agency.region  # loaded with the employer on a page (the permission check)
    with counted_statements() as statements:
        employer_standing(employer, ON)
    assert len(statements) == 4


def test_all_regions_at_once(make):
    _, employers = _employers(make, 3)
    everyone = standings(ON)
    assert len(everyone) == 4
    assert everyone[employers[0].id].program.id == "shandong-2022"
    assert {s.program.id for s in everyone.values()} == {"shandong-2022", "inner-mongolia-2022"}


def test_a_2020_program_and_an_application_load_the_same_both_ways(make):
    from tests.applications.helpers import submitted_application

    linyi = make.agency(make.region("linyi-2020"))
    listed_2020 = make.employer(linyi)
    make.decision(listed_2020, make.user(), "defer")
    shandong = make.agency(make.region("shandong-2022"))
    applicant = make.employer(shandong, list_status="not_listed", size_class=None)
    submitted_application(applicant, round=1, status="rejected")
    submitted_application(applicant, round=2, status="submitted")
    make.commit()
    in_2020 = date(2020, 3, 20)  # Linyi runs linyi-2020 then (rules/data/regions.yaml)
    many = {**standings(in_2020, agency_id=linyi.id), **standings(ON, agency_id=shandong.id)}
    for employer, on in ((listed_2020, in_2020), (applicant, ON)):
        one = employer_standing(db.session.get(Employer, employer.id), on)
        assert _answer(many[employer.id]) == _answer(one)
        assert many[employer.id].application == one.application
    assert many[listed_2020.id].program.id == "linyi-2020"
    assert many[listed_2020.id].is_deferred is False and many[listed_2020.id].decision is None
    assert many[applicant.id].next_step == "await_review"
