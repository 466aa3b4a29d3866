"""Money and times survive the database exactly, on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal.core.extensions import db
from portal.models import Payment
from portal.models.base import ScaledDecimal

fen_amounts = st.decimals(
    min_value=Decimal("-99999999999.99"),
    max_value=Decimal("99999999999.99"),
    places=2,
    allow_nan=False,
    allow_infinity=False,
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(amount=fen_amounts)
def test_money_round_trips_exactly(app, make, amount):
    employer = make.employer()
    payment = Payment(
        employer_id=employer.id,
        paid_on=datetime(2022, 9, 1).date(),
        amount=amount,
        settles="test",
        source_ref=f"p-{employer.id}",
    )
    db.session.add(payment)
    db.session.commit()
    db.session.expire_all()
    stored = db.session.get(Payment, payment.id).amount
    assert isinstance(stored, Decimal)
    assert stored == amount and str(stored) == str(amount.quantize(Decimal("0.01")))


def test_money_sums_in_sql_are_exact(app, make):
    employer = make.employer()
    for n, amount in enumerate(["0.10", "0.20", "1234567.89", "0.01"]):
        db.session.add(
            Payment(
                employer_id=employer.id,
                paid_on=datetime(2022, 9, 1).date(),
                amount=Decimal(amount),
                settles="t",
                source_ref=f"s{n}",
            )
        )
    db.session.commit()
    total = db.session.scalar(db.select(db.func.sum(Payment.amount)))
    assert total == Decimal("1234568.20") and isinstance(total, Decimal)


def test_money_is_rounded_half_up_to_the_fen_when_stored():
    column = ScaledDecimal(2)
    assert column.process_bind_param(Decimal("0.005"), None) == 1
    assert column.process_bind_param(Decimal("-0.005"), None) == -1
    assert column.process_bind_param(Decimal("2.675"), None) == 268
    with pytest.raises(TypeError):
        column.process_bind_param(0.1, None)


def test_datetimes_come_back_aware_and_in_utc(app, make):
    user = make.user()
    shanghai = timezone(timedelta(hours=8))
    user.locked_until = datetime(2022, 8, 15, 9, 30, tzinfo=shanghai)
    db.session.commit()
    db.session.expire_all()
    stored = db.session.get(type(user), user.id).locked_until
    assert stored == datetime(2022, 8, 15, 1, 30, tzinfo=UTC)
    assert stored.utcoffset() == timedelta(0)
