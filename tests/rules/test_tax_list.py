"""Who is a row of the 缓缴清单 (portal/rules/exchange.py ``is_on_tax_list``): each case cites
its clause (内医保办发〔2022〕19号 三（二）2 and 五; DOMAIN.md §8.3)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from portal import rules
from portal.rules.exchange import (
    CurrentFigures,
    current_figures,
    is_on_tax_list,
    off_list_reasons,
)
from portal.rules.standing import AssessmentFact, DecisionFact, EmployerFacts, standing

#: A listed small enterprise in a region with a reserve of 10 months (内19 一).
LISTED = EmployerFacts(
    employer_id=1,
    program_id="inner-mongolia-2022",
    credit_code="91150300000000010A",
    unit_kind="enterprise",
    size_class="small",
    is_listed=True,
    contribution_base=Decimal("10000.00"),
    fund_reserve_months=Decimal("10"),
    unit_medical_rate=Decimal("0.065"),
    maternity_rate=Decimal("0.01"),
)
DEFER = DecisionFact(1, "defer", None, None, "JD-TEST")
OPT_OUT = DecisionFact(1, "opt_out", None, None, "JD-TEST")
ON = date(2022, 8, 15)

CASES = [
    # (name, clause, program, facts, decision, on the list)
    (
        "listed SME deferred by default (免申即享)",
        "内19 三（一）1, 三（二）2, 五",
        "inner-mongolia-2022",
        LISTED,
        None,
        True,
    ),
    ("listed SME that confirmed", "内19 三（二）2, 五", "inner-mongolia-2022", LISTED, DEFER, True),
    (
        "listed SME that opted out",
        "内19 五; DOMAIN §8.3",
        "inner-mongolia-2022",
        LISTED,
        OPT_OUT,
        False,
    ),
    (
        "unlisted SME",
        "内19 三（二）2: the list of 符合缓缴条件的中小微企业",
        "inner-mongolia-2022",
        replace(LISTED, is_listed=False, size_class=None),
        None,
        False,
    ),
    (
        "large enterprise listed by mistake",
        "内19 一: 不包括机关事业单位和大型企业",
        "inner-mongolia-2022",
        replace(LISTED, size_class="large"),
        None,
        False,
    ),
    (
        "region with a reserve of 6 months or less",
        "内19 一: 可支付月数大于 6 个月",
        "inner-mongolia-2022",
        replace(LISTED, fund_reserve_months=Decimal("5")),
        None,
        False,
    ),
    (
        "listed, confirmed, but too new for any period: no 缓缴所属期 to send",
        "内19 二; DOMAIN §8.3 (缓缴所属期起/止)",
        "inner-mongolia-2022",
        replace(LISTED, founded_month="2022-10"),
        DEFER,
        False,
    ),
    (
        "new SME founded in September: deferred for that month",
        "内19 二: 新办中小微企业缓缴费款所属期为新办当月至2022年9月",
        "inner-mongolia-2022",
        replace(LISTED, founded_month="2022-09"),
        None,
        True,
    ),
    # Deferred means eligible (issue 22 item 4): a recorded "defer" is not enough.
    (
        "confirmed, then in arrears in Shandong",
        "鲁医保发〔2022〕21号 一: 须补缴……欠费后，方可享受缓缴政策",
        "shandong-2022",
        replace(LISTED, program_id="shandong-2022", has_arrears=True),
        DEFER,
        False,
    ),
    (
        "confirmed, then reclassified large",
        "内19 一: 不包括机关事业单位和大型企业",
        "inner-mongolia-2022",
        replace(LISTED, size_class="large"),
        DEFER,
        False,
    ),
    (
        "confirmed, then deregistered",
        "内19 三（四）1: 注销前缴纳",
        "inner-mongolia-2022",
        replace(LISTED, deregistered_on=date(2022, 8, 1)),
        DEFER,
        False,
    ),
    (
        "confirmed, deregistration dated after the list's day",
        "内19 三（四）1",
        "inner-mongolia-2022",
        replace(LISTED, deregistered_on=date(2022, 9, 1)),
        DEFER,
        True,
    ),
    (
        "a 2020 reduction program has no 缓缴清单",
        "锡医保服务〔2020〕11号: a reduction, not a deferral",
        "wuxi-2020",
        replace(LISTED, program_id="wuxi-2020"),
        None,
        False,
    ),
]


@pytest.mark.parametrize(
    ("name", "clause", "program_id", "facts", "decision", "expected"),
    CASES,
    ids=[case[0] for case in CASES],
)
def test_who_is_on_the_tax_list(name, clause, program_id, facts, decision, expected):
    assert clause, "every case cites its clause"
    s = standing(rules.load_program(program_id), facts, decision, [], [], ON)
    assert is_on_tax_list(s) is expected, name
    assert (off_list_reasons(s) == []) is expected, name


def test_the_reasons_an_employer_is_off_the_list_say_why():
    """What the 缓缴清单 page says of a removal: the eligibility reasons of a lapsed employer,
    else its own choice or listing."""
    program = rules.load_program("shandong-2022")
    facts = replace(LISTED, program_id="shandong-2022")
    arrears = standing(
        program, replace(facts, has_arrears=True, size_class="large"), DEFER, [], [], ON
    )
    assert off_list_reasons(arrears) == ["large_enterprise", "arrears"]
    assert off_list_reasons(standing(program, facts, OPT_OUT, [], [], ON)) == ["opted_out"]
    unlisted = replace(facts, is_listed=False)
    assert off_list_reasons(standing(program, unlisted, None, [], [], ON)) == ["not_listed"]


def test_a_deferred_employer_without_a_period_is_not_on_the_list():
    """The row's 缓缴所属期起/止 and 缓缴期限 come from the period: none, no row."""
    s = standing(
        rules.load_program("inner-mongolia-2022"),
        replace(LISTED, founded_month="2022-10"),
        DEFER,
        [],
        [],
        ON,
    )
    assert not s.is_deferred and s.period is None
    assert not is_on_tax_list(s)
    assert off_list_reasons(s) == ["no_period"]


def test_the_figures_sent_are_the_assessed_ones_never_an_estimate():
    """缓缴人数 and 缓缴金额 are 当期数 of the unit part (内19 五): the assessment of the month
    (五 2), blank until there is one (五 1: the list goes out before the assessments), zero
    outside the period."""
    program = rules.load_program("inner-mongolia-2022")
    assessed = [AssessmentFact("2022-07", Decimal("812.50"), Decimal("200"), 4)]
    s = standing(program, LISTED, None, assessed, [], ON)
    assert s.lines[1].source == "estimate"  # August: what the pages show, not what is sent
    assert current_figures(s, "2022-07") == CurrentFigures(4, Decimal("812.50"), False)
    assert current_figures(s, "2022-08") == CurrentFigures(None, None, True)
    assert current_figures(s, "2022-10") == CurrentFigures(0, Decimal(0), False)
