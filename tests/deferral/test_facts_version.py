"""The employer's facts version (database triggers) and the pages' kept reads of the standing.

The triggers must move an employer's ``facts_version`` for every insert, update and delete on
the four tables the standing reads, however the change is written, and only that employer's;
a page must then show the change at once, and a repeat visit must read none of the four.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import delete, insert, select, update

from portal.core.extensions import db
from portal.models import (
    Assessment,
    CommitmentApplication,
    DeferralDecision,
    Departure,
    Employer,
    Payment,
    PersonAssessment,
    StoredLetter,
)
from portal.util import clock


def _version(employer_id: int) -> int:
    db.session.expire_all()
    return db.session.scalar(select(Employer.facts_version).where(Employer.id == employer_id))


def _rows(employer_id: int, user_id: int, application_id: int | None = None):
    """One new row for each table the employer's pages read, for ``employer_id``."""
    return {
        DeferralDecision: {
            "reference": f"JD-{employer_id}",
            "employer_id": employer_id,
            "choice": "opt_out",
            "decided_by_id": user_id,
            "submission_token": f"t-{employer_id}",
        },
        Assessment: {
            "employer_id": employer_id,
            "month": "2022-07",
            "headcount": 3,
            "contribution_base_amount": Decimal("9000"),
            "unit_amount": Decimal("540.00"),
            "personal_amount": Decimal("180.00"),
        },
        Payment: {
            "employer_id": employer_id,
            "paid_on": date(2022, 8, 1),
            "amount": Decimal("100.00"),
            "settles": "deferred",
            "source_ref": f"P-{employer_id}",
        },
        CommitmentApplication: {"employer_id": employer_id, "reference": f"CA-{employer_id}"},
        StoredLetter: {
            "application_id": application_id,
            "employer_id": employer_id,
            "kind": "signed",
            "verification_code": f"V{employer_id}",
            "pdf": b"%PDF-",
            "sha256": "0" * 64,
        },
        Departure: {
            "employer_id": employer_id,
            "person_ref": "P001",
            "reason": "leave",
            "left_on": date(2022, 8, 1),
            "recorded_by_id": user_id,
        },
        PersonAssessment: {
            "employer_id": employer_id,
            "person_ref": "P001",
            "person_name": "张三",
            "month": "2022-07",
            "unit_amount": Decimal("60.00"),
            "personal_amount": Decimal("20.00"),
        },
    }


FACT_MODELS = [
    DeferralDecision,
    Assessment,
    Payment,
    CommitmentApplication,
    StoredLetter,
    Departure,
    PersonAssessment,
]


@pytest.mark.parametrize("model", FACT_MODELS)
def test_every_change_to_a_fact_moves_that_employer_version_and_no_other(app, make, model):
    agency = make.agency()
    employer, other = make.employer(agency), make.employer(agency)
    user = make.user(employer=employer)
    make.commit()
    application = None
    if model is StoredLetter:  # a letter is of an application
        application = CommitmentApplication(employer_id=other.id, reference="CA-letters")
        db.session.add(application)
    make.commit()
    employer_id, other_id = employer.id, other.id
    db.session.execute(update(Employer).values(facts_version=0))  # as before the application
    db.session.commit()
    assert _version(employer_id) == _version(other_id) == 0
    values = _rows(employer_id, user.id, application and application.id)[model]

    db.session.execute(insert(model).values(**values))  # a statement, as an import writes
    db.session.commit()
    assert (_version(employer_id), _version(other_id)) == (1, 0)

    row = db.session.scalar(select(model).where(model.employer_id == employer_id))
    row.employer_id = employer_id  # an ORM update, as a page writes (a change it must flush)
    db.session.execute(update(model).where(model.id == row.id).values(employer_id=employer_id))
    db.session.commit()
    assert (_version(employer_id), _version(other_id)) == (2, 0)

    # Moving a row to another employer changes both employers' facts.
    db.session.execute(update(model).where(model.id == row.id).values(employer_id=other_id))
    db.session.commit()
    assert (_version(employer_id), _version(other_id)) == (3, 1)

    db.session.execute(delete(model).where(model.employer_id == other_id))
    db.session.commit()
    assert (_version(employer_id), _version(other_id)) == (3, 2)


def test_one_statement_of_many_rows_moves_each_employer_once_per_statement_on_postgresql(app, make):
    """An import writes many rows in one statement (COPY, or a multi-row INSERT): PostgreSQL
    moves the version once for it, SQLite's row-level triggers once a row."""
    employer = make.employer()
    make.commit()
    rows = [
        {**_rows(employer.id, 0)[Payment], "source_ref": f"P-{n}", "amount": Decimal(n)}
        for n in range(1, 51)
    ]
    db.session.execute(insert(Payment).values(rows))
    db.session.commit()
    assert _version(employer.id) == (1 if db.engine.dialect.name == "postgresql" else 50)


def test_an_import_written_by_copy_moves_the_version(app, make):
    """The imports write new payments with COPY on PostgreSQL
    (portal/features/imports/bulk.py), past SQLAlchemy: the triggers still see them."""
    from portal.features.imports.bulk import insert_rows

    employer = make.employer()
    make.commit()
    row = {**_rows(employer.id, 0)[Payment], "imported_at": clock.now()}
    insert_rows(Payment.__table__, [{**row, "source_ref": f"C-{n}"} for n in range(3)])
    db.session.commit()
    assert _version(employer.id) == (1 if db.engine.dialect.name == "postgresql" else 3)


def test_an_audit_row_for_an_employer_moves_its_version_and_one_for_none_moves_nothing(app, make):
    """The home page's history is kept too: a new audit row for the employer is a change."""
    from portal.core import audit

    agency = make.agency()
    employer, other = make.employer(agency), make.employer(agency)
    staff = make.user(staff_role="admin")
    make.commit()
    audit.record(staff, "employer.test", employer_id=employer.id)
    db.session.commit()
    assert (_version(employer.id), _version(other.id)) == (1, 0)
    audit.record(staff, "portal.test")
    db.session.commit()
    assert (_version(employer.id), _version(other.id)) == (1, 0)
