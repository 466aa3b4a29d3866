"""Reminders of a 2020 deferral's catch-up day: 30, 7 and 1 days before it and on the first day
of the late fee (the readings reminder_days_before_deadline and catch_up_late_fee_from of the
2020 policy files, as for 2022), and none once it is paid.

Linyi 2020-03..05 on 10,000.00: 2,100.00 by 2020-06-30 (临医保发〔2020〕28号 操作细则 一（二）).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from portal.cli.reminders import run
from portal.features.reminders.queries import due_reminders
from tests.reductions.catch_up_world import LINYI, approved_deferral, pay
from tests.reminders.conftest import confirmed


def _catch_ups(on):
    return [d for d in due_reminders(on) if d.kind == "catch_up" and d.context.get("deferral_2020")]


def test_reminded_before_the_day_and_not_after_it_is_paid(app, make, smtp):
    employer = make.employer(
        make.agency(make.region("linyi-2020", code=LINYI)),
        contribution_base_amount=Decimal("10000.00"),
    )
    confirmed(make, employer=employer, email="finance2020@example.com")
    approved_deferral(employer, "linyi-2020", "2020-03", 3)
    make.commit()
    assert _catch_ups(date(2020, 5, 30)) == []  # before the first milestone
    [due] = _catch_ups(date(2020, 5, 31))
    assert due.milestone == "2020-06-30/d30"
    assert (due.context["outstanding"], due.context["days_left"]) == (Decimal("2100.00"), 30)
    app.config["PORTAL_TODAY"] = "2020-05-31"  # the day the run sends on
    run(date(2020, 5, 31))
    [message] = smtp.inbox.to("finance2020@example.com")
    text = smtp.inbox.text(message)
    assert "2020" in message["Subject"] and "¥2,100.00" in text
    assert f"/e/{employer.id}/reductions/?program=linyi-2020" in text
    app.config["PORTAL_TODAY"] = "2020-06-01"
    run(date(2020, 6, 1))  # the same milestone is not sent again
    assert len(smtp.inbox.to("finance2020@example.com")) == 1
    # two-thirds paid: the reminder of 7 days before says what is left
    pay(employer, date(2020, 6, 20), "1400.00", "2020-03")
    make.commit()
    [due] = _catch_ups(date(2020, 6, 23))
    assert (due.milestone, due.context["outstanding"]) == ("2020-06-30/d7", Decimal("700.00"))
    # all paid: no reminder before the day, none on the first day of the late fee
    pay(employer, date(2020, 6, 25), "700.00", "2020-05", part="personal")
    make.commit()
    assert _catch_ups(date(2020, 6, 29)) == []
    assert _catch_ups(date(2020, 7, 1)) == []


def test_the_first_day_of_the_late_fee(app, make):
    employer = make.employer(
        make.agency(make.region("linyi-2020", code=LINYI)),
        contribution_base_amount=Decimal("10000.00"),
    )
    confirmed(make, employer=employer)
    approved_deferral(employer, "linyi-2020", "2020-03", 3)
    make.commit()
    [due] = _catch_ups(date(2020, 7, 1))
    assert (due.milestone, due.context["is_late"]) == ("2020-06-30/late_fee", True)
    # 2,100.00 × 0.0005 × 1 day (2020-07-01) = 1.05
    assert due.context["late_fee"] == Decimal("1.05")
