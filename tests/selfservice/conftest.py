from __future__ import annotations

from decimal import Decimal

import pytest

from portal.core.extensions import db
from portal.models import Assessment


@pytest.fixture
def listed(make):
    """A listed small retailer in Liaocheng (period choice 7-9 or 8-10) with its owner."""
    region = make.region(
        "liaocheng-2022", unit_medical_rate=Decimal("0.06"), maternity_rate=Decimal("0.01")
    )
    employer = make.employer(make.agency(region), contribution_base_amount=Decimal("50000"))
    owner = make.user(employer=employer, role="owner")
    finance = make.user(employer=employer, role="finance")
    make.commit()
    return employer, owner, finance


def assess(employer, amounts: dict[str, str]) -> None:
    for month, unit in amounts.items():
        db.session.add(
            Assessment(
                employer_id=employer.id,
                month=month,
                headcount=10,
                contribution_base_amount=Decimal("50000"),
                unit_amount=Decimal(unit),
                personal_amount=Decimal("1000"),
            )
        )
    db.session.commit()
