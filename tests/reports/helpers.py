"""A hand-worked agency for the report and list tests (Shandong 2022, 鲁医保发〔2022〕21号).

Agency A (Shandong: 7–9 deferred until 2022-10-31, late fee from 2022-10-01; July paid: 8–10
until 2022-11-30, late fee from 2022-11-01), every month assessed:

=====  ======================  ==========================  =================================
E1     listed, period 07–09    07: 10 persons 1,000.00      paid 2022-08-10 300.00,
                               08: 10 persons 1,000.00           2022-09-05 200.00
                               09: 11 persons 1,100.00      (deferred 3,100.00)
E2     listed, July paid,      08: 5 persons 500.00         paid 2022-08-20 100.00,
       period 08–10            09: 5 persons 500.00              2022-11-10 1,500.00
                               10: 6 persons 600.00         (deferred 1,600.00)
E3     listed, opted out       08: 7 persons 700.00         not deferred
E4     not on the list         08: 4 persons 400.00         not deferred
=====  ======================  ==========================  =================================

Agency B (another Shandong agency) has one listed employer, E5: 07, 08 and 09 each 2 persons
200.00, nothing paid.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

from portal.core.extensions import db
from portal.facts.standing import standings
from portal.models import Agency, Assessment, CommitmentApplication, Employer, Payment, User
from tests.deferral.test_loader import counted_statements


@dataclass
class World:
    agency: Agency
    other_agency: Agency
    e1: Employer
    e2: Employer
    e3: Employer
    e4: Employer
    e5: Employer
    owner: User


def assess(employer: Employer, month: str, headcount: int, unit: str) -> Assessment:
    assessment = Assessment(
        employer_id=employer.id,
        month=month,
        headcount=headcount,
        contribution_base_amount=Decimal(unit) * 10,
        unit_amount=Decimal(unit),
        personal_amount=Decimal(unit) / 4,
    )
    db.session.add(assessment)
    return assessment


def pay(employer: Employer, paid_on: date, amount: str) -> None:
    db.session.add(
        Payment(
            employer_id=employer.id,
            paid_on=paid_on,
            amount=Decimal(amount),
            settles="deferred",
            source_ref=f"P-{employer.id}-{paid_on.isoformat()}",
        )
    )


def application(
    employer: Employer,
    round_no: int,
    *,
    status: str,
    submitted_at: datetime,
    due_on: date,
    decided_at: datetime | None = None,
) -> CommitmentApplication:
    row = CommitmentApplication(
        employer_id=employer.id,
        round=round_no,
        status=status,
        program_id="shandong-2022",
        submitted_at=submitted_at,
        due_on=due_on,
        decided_at=decided_at,
        reference=f"CA-TEST-{employer.id}-{round_no}",
    )
    db.session.add(row)
    return row


#: When the world's employers entered the register: a report counts only those there by its date.
KNOWN_SINCE = datetime(2022, 6, 1, tzinfo=UTC)


def build_world(make) -> World:
    region = make.region("shandong-2022")
    agency = make.agency(region, code="SD-A", name="甲医保中心")
    other_agency = make.agency(region, code="SD-B", name="乙医保中心")
    e1 = make.employer(agency, name="甲一有限公司")
    e2 = make.employer(agency, name="甲二有限公司", is_july_paid=True)
    e3 = make.employer(agency, name="甲三有限公司")
    e4 = make.employer(agency, name="甲四有限公司", list_status="not_listed")
    e5 = make.employer(other_agency, name="乙一有限公司")
    for employer in (e1, e2, e3, e4, e5):  # in the register before the program began
        employer.created_at = KNOWN_SINCE
    owner = make.user(employer=e3)
    make.decision(e3, owner, "opt_out").decided_at = datetime(2022, 7, 20, 2, tzinfo=UTC)
    for month, headcount, unit in (
        ("2022-07", 10, "1000"),
        ("2022-08", 10, "1000"),
        ("2022-09", 11, "1100"),
    ):
        assess(e1, month, headcount, unit)
    for month, headcount, unit in (
        ("2022-08", 5, "500"),
        ("2022-09", 5, "500"),
        ("2022-10", 6, "600"),
    ):
        assess(e2, month, headcount, unit)
    assess(e3, "2022-08", 7, "700")
    assess(e4, "2022-08", 4, "400")
    for month in ("2022-07", "2022-08", "2022-09"):
        assess(e5, month, 2, "200")
    pay(e1, date(2022, 8, 10), "300.00")
    pay(e1, date(2022, 9, 5), "200.00")
    pay(e2, date(2022, 8, 20), "100.00")
    pay(e2, date(2022, 11, 10), "1500.00")
    # Commitment applications of the unlisted E4 (China's time is UTC+8):
    # sent 2022-08-03, due 2022-08-08, still undecided: received in August, overdue at its end.
    application(
        e4,
        1,
        status="submitted",
        submitted_at=datetime(2022, 8, 3, 2, tzinfo=UTC),
        due_on=date(2022, 8, 8),
    )
    # sent in July, approved 2022-08-02: approved in August, received in July.
    application(
        e4,
        2,
        status="approved",
        submitted_at=datetime(2022, 7, 28, 2, tzinfo=UTC),
        due_on=date(2022, 8, 2),
        decided_at=datetime(2022, 8, 2, 2, tzinfo=UTC),
    )
    # sent 2022-08-05, rejected 2022-08-31 23:30 in China (15:30 UTC): rejected in August.
    application(
        e4,
        3,
        status="rejected",
        submitted_at=datetime(2022, 8, 5, 2, tzinfo=UTC),
        due_on=date(2022, 8, 10),
        decided_at=datetime(2022, 8, 31, 15, 30, tzinfo=UTC),
    )
    # sent 2022-09-01 00:30 in China (2022-08-31 16:30 UTC): September's.
    application(
        e4,
        4,
        status="submitted",
        submitted_at=datetime(2022, 8, 31, 16, 30, tzinfo=UTC),
        due_on=date(2022, 9, 5),
    )
    make.commit()
    return World(agency, other_agency, e1, e2, e3, e4, e5, owner)


def standings_statements(on: date, agency_id: int) -> int:
    """How many statements ``standings`` itself runs (the loader's own test pins that)."""
    with counted_statements() as statements:
        standings(on, agency_id=agency_id)
    return len(statements)
