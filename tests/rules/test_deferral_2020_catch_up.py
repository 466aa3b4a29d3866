"""A 2020 deferral by application followed to the end (rules/deferral_2020.py): the catch-up
day, what counts as paid, what is outstanding and the late fee after the day, clause by clause.

Figures by hand. Linyi 2020-03..05 on a base of 10,000.00 (临医保发〔2020〕28号 操作细则 一（一）:
enterprises 4 % in March–June, maternity 1 %, personal 2 %; 一（二）defers 职工医疗、生育保险费):
400.00 + 100.00 + 200.00 = 700.00 a month, 2,100.00 in all. Catch-up day (reading
deferral.catch_up_by): the last day of the month after 2020-05, 2020-06-30; late fee (reading
catch_up_late_fee_from, 社会保险法 第八十六条) 0.05 % a day from 2020-07-01 through the day paid.
Wuxi 2020-02..04 (锡医保服务〔2020〕11号 二: 4 %; 三（一）defers 医疗保险费, the unit part the
source gives a rate for): 400.00 a month, 1,200.00; catch up by 2020-05-31, fee from 2020-06-01.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.rules import deferral_request, load_program
from portal.rules.deferral_2020 import (
    AssessedMonth2020,
    MonthPayment,
    catch_up_2020,
    late_fee_between,
    outstanding_at,
)
from portal.rules.reminders import catch_up_milestones, due_milestone

D = Decimal
BASE = D("10000.00")
LINYI_MONTHS = ("2020-03", "2020-04", "2020-05")
WUXI_MONTHS = ("2020-02", "2020-03", "2020-04")


def unit(day, amount, month, insurance=None):
    return MonthPayment(day, D(amount), month, "unit", insurance)


def personal(day, amount, month):
    return MonthPayment(day, D(amount), month, "personal")


def every_month(day, months=LINYI_MONTHS, unit_amount="500", personal_amount="200"):
    """Each month's unit part (medical and maternity) and, where given, its personal part."""
    paid = [unit(day, unit_amount, m) for m in months]
    if personal_amount:
        paid += [personal(day, personal_amount, m) for m in months]
    return paid


SCENARIOS = [
    # (name, program, start, months, payments, as_of, paid, outstanding, late fee, clause)
    (
        "Linyi caught up on the catch-up day: no late fee",
        "linyi-2020",
        "2020-03",
        3,
        every_month(date(2020, 6, 30)),
        date(2020, 9, 1),
        "2100.00",
        "0.00",
        "0.00",
        "临医保发〔2020〕28号 操作细则 一（二）（缓缴期间，免收滞纳金）; reading catch_up_by",
    ),
    (
        # 2,100.00 × 0.0005 × 41 days (2020-07-01..2020-08-10, both counted) = 43.05
        "Linyi caught up late: the fee from the day after the catch-up day",
        "linyi-2020",
        "2020-03",
        3,
        every_month(date(2020, 8, 10)),
        date(2020, 9, 1),
        "2100.00",
        "0.00",
        "43.05",
        "reading catch_up_late_fee_from; 社会保险法 第八十六条; DOMAIN §6",
    ),
    (
        # late in two slices, principal first: 1,000.00 × 0.0005 × 5 (07-01..07-05) = 2.50 and
        # 1,100.00 × 0.0005 × 31 (07-01..07-31) = 17.05; 19.55 in all
        "Linyi caught up late in two payments: the fee per settled slice",
        "linyi-2020",
        "2020-03",
        3,
        [unit(date(2020, 7, 5), "1000", "2020-03"), unit(date(2020, 7, 31), "1100", "2020-04")],
        date(2020, 9, 1),
        "2100.00",
        "0.00",
        "19.55",
        "DOMAIN §6 (principal first, fee per slice, days inclusive)",
    ),
    (
        # the unit parts 3 × 500.00 by the day; 600.00 left × 0.0005 × 10 (07-01..07-10) = 3.00
        "Linyi partly paid by the day: the rest carries the fee",
        "linyi-2020",
        "2020-03",
        3,
        every_month(date(2020, 6, 20), personal_amount=None),
        date(2020, 7, 10),
        "1500.00",
        "600.00",
        "3.00",
        "临医保发〔2020〕28号 操作细则 一（二）（缓缴期满后，企业应足额补缴）",
    ),
    (
        "Linyi before the catch-up day: outstanding, no fee yet",
        "linyi-2020",
        "2020-03",
        3,
        [],
        date(2020, 6, 30),
        "0.00",
        "2100.00",
        "0.00",
        "临医保发〔2020〕28号 操作细则 一（二）（缓缴期间，免收滞纳金）",
    ),
    (
        # neither counts: a row without its month, and a month not deferred; 2,100.00 × 0.0005
        # × 1 day (2020-07-01) = 1.05
        "Payments without the month or for another month do not catch it up",
        "linyi-2020",
        "2020-03",
        3,
        [
            MonthPayment(date(2020, 6, 1), D("2100"), None, "unit"),
            unit(date(2020, 6, 1), "2100", "2020-06"),
        ],
        date(2020, 7, 1),
        "0.00",
        "2100.00",
        "1.05",
        "reading catch_up_parts (a deferred month's parts only)",
    ),
    (
        # 1,200.00 × 0.0005 × 10 days (2020-06-01..2020-06-10) = 6.00
        "Wuxi caught up late",
        "wuxi-2020",
        "2020-02",
        3,
        every_month(date(2020, 6, 10), WUXI_MONTHS, "400", None),
        date(2020, 7, 1),
        "1200.00",
        "0.00",
        "6.00",
        "锡医保服务〔2020〕11号 三（一）（缓缴期间不加收滞纳金）; reading catch_up_late_fee_from",
    ),
    (
        # the personal part and a maternity payment are not what Wuxi defers
        "Wuxi: personal and maternity payments do not catch up the unit medical part",
        "wuxi-2020",
        "2020-02",
        3,
        [
            personal(date(2020, 5, 1), "400", "2020-02"),
            unit(date(2020, 5, 1), "400", "2020-03", insurance="maternity"),
            unit(date(2020, 5, 31), "400", "2020-04", insurance="medical"),
        ],
        date(2020, 5, 31),
        "400.00",
        "800.00",
        "0.00",
        "锡医保服务〔2020〕11号 三（一）（申请缓缴医疗保险费）; 三（三）; reading catch_up_parts",
    ),
]


@pytest.mark.parametrize(
    ("program_id", "start", "months", "payments", "as_of", "paid", "outstanding", "fee"),
    [row[1:9] for row in SCENARIOS],
    ids=[f"{row[0]} [{row[9]}]" for row in SCENARIOS],
)
def test_scenarios(program_id, start, months, payments, as_of, paid, outstanding, fee):
    request = deferral_request(program_id, start_month=start, months=months)
    followed = catch_up_2020(
        request, unit_kind="enterprise", contribution_base=BASE, payments=payments, as_of=as_of
    )
    quote = followed.quote
    assert (quote.paid, quote.outstanding, quote.late_fee) == (D(paid), D(outstanding), D(fee))
    assert followed.owes == (D(outstanding) > 0 or D(fee) > quote.excess_paid)


def test_the_catch_up_day_and_the_first_day_of_the_fee_carry_their_readings():
    request = deferral_request("linyi-2020", start_month="2020-03", months=3)
    followed = catch_up_2020(
        request, unit_kind="enterprise", contribution_base=BASE, as_of=date(2020, 3, 1)
    )
    quote = followed.quote
    assert (quote.deadline, quote.late_fee_from) == (date(2020, 6, 30), date(2020, 7, 1))
    readings = load_program("linyi-2020").readings
    assert quote.refs["deadline"] == load_program("linyi-2020").deferral.catch_up_by.ref
    assert quote.refs["late_fee_from"] == readings["catch_up_late_fee_from"].ref
    assert quote.deferred_total == D("2100.00")
    assert [m.total for m in followed.months] == [D("700.00")] * 3


def test_the_agencys_assessment_wins_over_the_estimate():
    """DOMAIN §6: imported assessments win over recomputation (the base × rate estimate)."""
    request = deferral_request("linyi-2020", start_month="2020-03", months=3)
    assessed = [AssessedMonth2020("2020-03", D("12000.00"), D("480.10"), D("240.00"), 12)]
    followed = catch_up_2020(
        request,
        unit_kind="enterprise",
        assessed=assessed,
        contribution_base=None,
        as_of=date(2020, 4, 1),
    )
    # 480.10 assessed + 120.00 maternity (1 % of the assessed base) + 240.00 assessed personal
    assert [(m.month, m.total) for m in followed.months] == [("2020-03", D("840.10"))]
    assert followed.sources == {"2020-03": "assessment"}
    assert followed.quote.not_assessed == ["2020-04", "2020-05"]
    assert followed.headcounts == {"2020-03": 12}


def test_reminders_before_the_catch_up_day_and_on_the_first_day_of_the_fee():
    """The same reading of 30, 7 and 1 days as 2022 (readings reminder_days_before_deadline)."""
    request = deferral_request("linyi-2020", start_month="2020-03", months=3)
    followed = catch_up_2020(
        request, unit_kind="enterprise", contribution_base=BASE, as_of=date(2020, 5, 31)
    )
    assert [(m.key, m.on) for m in catch_up_milestones(followed.period)] == [
        ("d30", date(2020, 5, 31)),
        ("d7", date(2020, 6, 23)),
        ("d1", date(2020, 6, 29)),
        ("late_fee", date(2020, 7, 1)),
    ]
    assert due_milestone(followed.period, date(2020, 5, 30)) is None


def test_a_months_outstanding_and_the_fee_accrued_in_a_month():
    """月末未补缴 as data/exchange.yaml monthly_report.outstanding_through reads it: the assessed
    months up to the month, less what is paid; an estimated month is not an amount due."""
    request = deferral_request("linyi-2020", start_month="2020-03", months=3)
    assessed = [
        AssessedMonth2020(m, BASE, D("400.00"), D("200.00"), 10) for m in ("2020-03", "2020-04")
    ]
    followed = catch_up_2020(
        request,
        unit_kind="enterprise",
        assessed=assessed,
        contribution_base=BASE,
        payments=[unit(date(2020, 4, 10), "500", "2020-03")],
        as_of=date(2020, 8, 31),
    )
    # at the end of 2020-04: March and April fallen due (1,400.00) less 500.00 paid
    assert outstanding_at(followed, "2020-04") == D("900.00")
    # May is estimated only: not counted at its end
    assert outstanding_at(followed, "2020-05") == D("900.00")
    assert outstanding_at(followed, "2020-02") == D("0")
    # 1,600.00 unpaid × 0.0005 = 0.80 a day from 2020-07-01: August's 31 days 24.80; through
    # 08-31, 62 days, 49.60 (July's 24.80 before it)
    assert late_fee_between(followed, date(2020, 8, 1)) == D("24.80")
    assert followed.quote.late_fee == D("49.60")


amounts = st.decimals(min_value=D("0.01"), max_value=D("5000"), places=2)
days = st.integers(min_value=0, max_value=200)


@given(
    base=st.decimals(min_value=D("100"), max_value=D("100000"), places=2),
    paid=st.lists(
        st.tuples(
            days, amounts, st.sampled_from(LINYI_MONTHS), st.sampled_from(["unit", "personal"])
        ),
        max_size=6,
    ),
    as_of=days,
    later=st.integers(min_value=0, max_value=100),
)
def test_what_is_paid_and_what_is_left_add_up_and_the_fee_only_grows(base, paid, as_of, later):
    request = deferral_request("linyi-2020", start_month="2020-03", months=3)
    start = date(2020, 5, 1)
    payments = [MonthPayment(start + timedelta(d), a, m, p) for d, a, m, p in paid]

    def on(day):
        return catch_up_2020(
            request, unit_kind="enterprise", contribution_base=base, payments=payments, as_of=day
        ).quote

    quote, after = on(start + timedelta(as_of)), on(start + timedelta(as_of + later))
    assert quote.paid - quote.excess_paid + quote.outstanding == quote.deferred_total
    assert after.late_fee >= quote.late_fee >= 0
    if quote.as_of <= quote.deadline:
        assert quote.late_fee == 0
