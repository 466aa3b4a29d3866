"""Deferred means eligible (issue 22 item 4): an employer that confirmed "defer" and then no
longer qualifies sees on its home, deferral and amounts pages that the deferral does not apply,
why (the clause), and what is due now (readings.lapsed_deferral_due).

A listed Shandong employer, ¥10,000.00 base at 6 % + 1 % (¥700.00 a month, 07–09), that
confirmed its deferral; the portal's date is 2022-08-15: July and August are due now, September
is paid as usual.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from tests.conftest import sign_in
from tests.selfservice.test_home_and_decision import english, soup, text

CASES = {
    "arrears": ({"has_arrears": True}, "鲁医保发〔2022〕21号 一", "欠费"),
    "large": (
        {"size_class": "large", "employees": 1200},
        "鲁医保发〔2022〕21号 一、四",
        "大型企业",
    ),
    "deregistered": ({"deregistered_on": date(2022, 8, 10)}, "鲁医保发〔2022〕21号 五", "注销"),
}


def _lapsed(make, **facts):
    region = make.region(
        "shandong-2022", unit_medical_rate=Decimal("0.06"), maternity_rate=Decimal("0.01")
    )
    employer = make.employer(
        make.agency(region), contribution_base_amount=Decimal("10000"), **facts
    )
    owner = make.user(employer=employer)
    make.decision(employer, owner)
    make.commit()
    return employer, owner


@pytest.mark.parametrize("case", list(CASES))
def test_the_pages_say_the_deferral_does_not_apply_and_what_is_due(client, make, case):
    facts, clause, words = CASES[case]
    employer, owner = _lapsed(make, **facts)
    sign_in(client, owner)
    due_on = "2022年8月10日" if case == "deregistered" else "2022年8月15日"
    for path in ("", "deferral/", "amounts/"):
        page = client.get(f"/e/{employer.id}/{path}")
        assert page.status_code == 200, path
        lapsed = text(page, "#lapsed")
        assert "缓缴不适用" in lapsed and words in lapsed, path
        assert clause in text(page, "#reasons"), path
        assert "2022-07–2022-08" in text(page, "#lapse-due"), path
        assert "¥1,400.00" in text(page, "#lapse-due") and due_on in text(page, "#lapse-due")
        assert "2022-09" in text(page, "#lapse-later"), path
        assert "readings" not in lapsed and "portal's reading" in lapsed  # the reading's ref
    home = client.get(f"/e/{employer.id}/")
    # neither the deferred period nor the catch-up deadline of a deferral that does not apply
    assert "补缴截止日" not in text(home, "#standing")
    assert "不能缓缴" in text(home, "#next-step") or "欠费" in text(home, "#next-step")
    amounts = client.get(f"/e/{employer.id}/amounts/")
    rows = [
        [td.get_text(strip=True) for td in tr.select("td")]
        for tr in soup(amounts).select("#lapsed-months tbody tr")
    ]
    assert [(r[0], r[1], r[2]) for r in rows] == [
        ("2022-07", "¥700.00", "现在应缴"),
        ("2022-08", "¥700.00", "现在应缴"),
        ("2022-09", "¥700.00", "按月照常缴纳"),
    ]


def test_in_english_with_a_late_fee_after_the_deadline(app, client, make):
    """On 2022-11-10, reclassified large: all three months due, with the late fee counted as
    for the catch-up from 2022-10-01 (41 days × 0.05 % × ¥2,100.00 = ¥43.05)."""
    employer, owner = _lapsed(make, size_class="large")
    app.config["PORTAL_TODAY"] = "2022-11-10"
    sign_in(client, owner)
    english(client)
    page = client.get(f"/e/{employer.id}/amounts/")
    due = text(page, "#lapse-due")
    assert "2022-07–2022-09" in due and "¥2,100.00" in due and "¥43.05" in due
    assert soup(page).select_one("#lapse-later") is None
    home = client.get(f"/e/{employer.id}/")
    assert "The deferral does not apply" in text(home, "#lapsed")
    assert "cannot defer now: pay ¥2,143.05" in text(home, "#next-step")
