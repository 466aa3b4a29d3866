"""The fund reserve in force on a day switches Jiangsu's and Inner Mongolia's deferral
(江苏省实施方案（2022） 二, 内医保办发〔2022〕19号 一: only where it covers more than 6 months)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from portal.core.extensions import db
from portal.facts.standing import employer_standing, standings
from portal.features.imports.operations import import_file
from portal.features.imports.reader import Source
from portal.models import Employer
from tests.conftest import sign_in
from tests.selfservice.test_home_and_decision import english, text


@pytest.mark.parametrize("program_id", ["jiangsu-2022", "inner-mongolia-2022"])
def test_the_reserve_of_the_latest_month_on_or_before_the_day_decides(make, program_id):
    region = make.region(program_id, reserve=None)
    agency = make.agency(region)
    employer = make.employer(agency)
    make.commit()
    reserve = (
        f"统筹地区代码,年月,可支付月数\n{region.code},2022-06,5.8\n{region.code},2022-07,7.0\n"
    )
    outcome, _record = import_file(
        "fund-reserve", Source.from_bytes("reserve.csv", reserve.encode()), dry_run=False
    )
    assert outcome.applied and outcome.created == 2
    db.session.commit()
    for on, months, deferred, reason in (
        (date(2022, 5, 31), None, False, "fund_reserve_unknown"),  # nothing reported yet
        (date(2022, 6, 30), Decimal("5.8"), False, "fund_reserve"),  # 5.8 is not above 6
        (date(2022, 7, 1), Decimal("7.0"), True, None),
        (date(2022, 8, 15), Decimal("7.0"), True, None),  # still July's: the latest reported
    ):
        one = employer_standing(db.session.get(Employer, employer.id), on)
        many = standings(on, region_id=region.id)[employer.id]
        for standing in (one, many):
            assert standing.program.id == program_id
            assert standing.facts.fund_reserve_months == months, on
            assert standing.is_deferred is deferred, on
            reasons = [code for code, _message in standing.eligibility.reasons]
            assert (reason in reasons) if reason else reasons == [], (on, reasons)


def test_the_page_names_the_reserve_in_force_that_day(app, client, make):
    region = make.region("jiangsu-2022", reserve=None, name="连云港市")
    employer = make.employer(make.agency(region))
    owner = make.user(employer=employer)
    make.commit()
    reserve = f"统筹地区代码,年月,可支付月数\n{region.code},2022-06,5.8\n{region.code},2022-09,7\n"
    import_file("fund-reserve", Source.from_bytes("r.csv", reserve.encode()), dry_run=False)
    db.session.commit()
    app.config["PORTAL_TODAY"] = "2022-08-15"
    sign_in(client, owner)
    english(client)
    said = text(client.get(f"/e/{employer.id}/"), "main")
    assert "In 连云港市 the medical insurance fund reserve covers 5.8 months" in said
