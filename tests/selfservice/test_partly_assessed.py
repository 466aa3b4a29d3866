"""An employer whose deferred months are only partly assessed (issue 28 item 11)."""

from __future__ import annotations

from decimal import Decimal

from tests.conftest import sign_in
from tests.selfservice.conftest import assess
from tests.selfservice.test_home_and_decision import english, soup, text


def _partly_assessed(make):
    """A listed Shandong employer without a contribution base: July and August assessed,
    September not yet (PORTAL_TODAY is 2022-08-15)."""
    region = make.region(
        "shandong-2022", unit_medical_rate=Decimal("0.065"), maternity_rate=Decimal("0.01")
    )
    employer = make.employer(make.agency(region), contribution_base_amount=None)
    owner = make.user(employer=employer)
    make.commit()
    assess(employer, {"2022-07": "1000.00", "2022-08": "1000.00"})
    return employer, owner


def test_the_amounts_page_shows_the_assessed_months_and_the_deadline(client, make):
    """It said "没有缓缴金额" and showed no deadline (鲁医保发〔2022〕21号 二)."""
    employer, owner = _partly_assessed(make)
    sign_in(client, owner)
    page = client.get(f"/e/{employer.id}/amounts/")
    assert "没有缓缴金额" not in page.get_data(as_text=True)
    assert "2022年10月31日" in text(page, "#deadline")
    english(client)
    page = client.get(f"/e/{employer.id}/amounts/")
    assert "¥2,000.00" in text(page, "#outstanding")
    assert "31 Oct 2022" in text(page, "#deadline")
    assert "2022-09" in text(page, "#not-assessed")
    rows = [
        [td.get_text(strip=True) for td in tr.select("td")]
        for tr in soup(page).select("#months tbody tr")
    ]
    assert [row[0] for row in rows] == ["2022-07", "2022-08", "2022-09"]
    assert rows[0][1] == "¥1,000.00" and rows[2][1] == "—"
    assert rows[2][3] == "not assessed yet"


def test_the_home_page_shows_the_deadline_and_what_is_outstanding(client, make):
    employer, owner = _partly_assessed(make)
    sign_in(client, owner)
    english(client)
    page = client.get(f"/e/{employer.id}/")
    assert "Pay the deferred amount by 31 Oct 2022" in text(page, "#next-step")
    assert "¥2,000.00" in text(page, "#standing")


def test_deregistration_needs_only_the_months_up_to_this_month(client, make):
    """With July and August assessed and September not yet, deregistering now is still worked
    out: September is not settled by it (鲁医保发〔2022〕21号 五)."""
    employer, owner = _partly_assessed(make)
    sign_in(client, owner)
    english(client)
    page = soup(client.get(f"/e/{employer.id}/amounts/"))
    assert "¥2,000.00 is due before deregistration" in page.select_one(".deregistration").get_text()
