"""The employer's home page and the confirm / choose period / opt out journey."""

from __future__ import annotations

from decimal import Decimal

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import func, select

from portal.core.extensions import db
from portal.models import AuditEntry, DeferralDecision
from tests.conftest import post_form, sign_in


def soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def text(response, selector: str) -> str:
    node = soup(response).select_one(selector)
    assert node is not None, selector
    return node.get_text(" ", strip=True)


def english(client):
    post_form(client, "/language", {"locale": "en"})


def test_home_says_where_a_listed_employer_stands(client, listed):
    employer, owner, _ = listed
    sign_in(client, owner)
    response = client.get(f"/e/{employer.id}/")
    assert "免申即享" in text(response, "#next-step")
    assert "2022年8月31日" in text(response, "#next-step")
    standing = text(response, "#standing")
    assert "2022-07 – 2022-09" in standing and "2022年10月31日" in standing
    english(client)
    response = client.get(f"/e/{employer.id}/")
    assert "Confirm the deferral, choose the period or opt out by 31 Aug 2022" in text(
        response, "#next-step"
    )


@pytest.mark.parametrize(
    ("setup", "expected"),
    [
        (
            {"unit_kind": "public_institution", "prefix": "12"},
            "government organ or public institution",
        ),
        (
            {"size_class": "large", "employees": 3200, "revenue_amount": Decimal("560000")},
            "large enterprise (3,200 employees, revenue 560,000 × 10,000 yuan)",
        ),
        (
            {"has_arrears": True, "program": "shandong-2022"},
            "Pay everything owed for 2022-06 and earlier first",
        ),
        ({"program": "jiangsu-2022", "reserve": "5.8"}, "covers 5.8 months of payouts"),
    ],
    ids=["public-institution", "large", "arrears", "fund-reserve"],
)
def test_home_says_why_an_employer_is_out_of_scope(client, make, setup, expected):
    setup = dict(setup)
    from tests.factories import credit_code

    region = make.region(setup.pop("program", "liaocheng-2022"), reserve=setup.pop("reserve", "12"))
    prefix = setup.pop("prefix", "91")
    employer = make.employer(make.agency(region), credit_code=credit_code(prefix), **setup)
    owner = make.user(employer=employer)
    make.commit()
    sign_in(client, owner)
    english(client)
    response = client.get(f"/e/{employer.id}/")
    assert expected in text(response, "#reasons")
    next_step = "Pay the contributions your employer owes" if "owed" in expected else "cannot defer"
    assert next_step in text(response, "#next-step")


def test_liaocheng_arrears_have_no_date_limit(client, make):
    """Issue 28 item 7: 聊医保发〔2022〕39号 一 (须补齐之前中断缴费后方可享受缓缴政策) sets no
    month: the page said "请先缴清 2022-06 及以前的全部欠费", Shandong's limit (鲁21 一)."""
    region = make.region("liaocheng-2022", reserve="12")
    employer = make.employer(make.agency(region), has_arrears=True)
    owner = make.user(employer=employer)
    make.commit()
    sign_in(client, owner)
    reasons = text(client.get(f"/e/{employer.id}/"), "#reasons")
    assert "2022-06" not in reasons and "及以前" not in reasons
    assert "请先缴清全部欠费（无论所属哪个月份）" in reasons
    assert "聊医保发〔2022〕39号 一" in reasons
    english(client)
    reasons = text(client.get(f"/e/{employer.id}/"), "#reasons")
    assert "Pay everything owed first, whatever months it is for" in reasons


def test_an_unlisted_sme_past_the_decision_cut_off_is_told_to_apply(app, client, make):
    """No source sets a deadline for applying (鲁医保发〔2022〕21号 四; 江苏实施方案 三（一）;
    内医保办发〔2022〕19号 三（一）3): the cut-off of DOMAIN §7.2 is about changing a listed
    employer's decision, so the home page says what the application page lets it do."""
    employer = make.employer(list_status="not_listed", size_class=None)
    owner = make.user(employer=employer)
    make.commit()
    app.config["PORTAL_TODAY"] = "2022-08-15"
    sign_in(client, owner)
    english(client)
    page = client.get(f"/e/{employer.id}/")
    assert "The time to decide on this program has passed." not in page.get_data(as_text=True)
    assert "sign the commitment letter" in text(page, "#next-step")


@pytest.mark.parametrize("on", ["2022-08-15", "2022-09-01"])
def test_the_decision_page_gives_an_employer_with_arrears_the_arrears(app, client, make, on):
    """Issue 28 item 16(c): after the cut-off the page said only that the time to decide had
    ended, and before it offered a choice the employer cannot make."""
    region = make.region("liaocheng-2022", reserve="12")
    employer = make.employer(make.agency(region), has_arrears=True)
    owner = make.user(employer=employer)
    make.commit()
    app.config["PORTAL_TODAY"] = on
    sign_in(client, owner)
    page = client.get(f"/e/{employer.id}/deferral/")
    reasons = text(page, "#reasons")
    assert "请先缴清全部欠费（无论所属哪个月份）" in reasons
    assert "聊医保发〔2022〕39号 一" in reasons
    assert "选择期限" not in soup(page).select_one("main").get_text()
    assert soup(page).select(".radio") == []


def _choose(client, employer, choice):
    response = post_form(client, f"/e/{employer.id}/deferral/", {"choice": choice})
    assert response.status_code == 200
    page = soup(response)
    return page, {
        i["name"]: i.get("value", "")
        for i in page.select("form input[type=hidden]")
        if page.select_one("form[action$='/confirm']")
        and i.find_parent("form") is page.select_one("form[action$='/confirm']")
    }


def test_owner_confirms_the_later_period_with_a_check_page_and_a_reference(client, listed):
    employer, owner, _ = listed
    sign_in(client, owner)
    english(client)
    page = soup(client.get(f"/e/{employer.id}/deferral/"))
    options = [label.get_text(strip=True) for label in page.select(".radio label")]
    # On 2022-08-15 the 7-9 period can no longer be chosen (its first month is over).
    assert options == [
        "Defer the months 2022-08 to 2022-10",
        "Opt out and pay every month as usual",
    ]
    page, fields = _choose(client, employer, "defer:2022-08")
    consequence = page.select_one(".consequence").get_text(" ", strip=True)
    assert "Pay it all by 30 Nov 2022" in consequence and "from 1 Nov 2022" in consequence
    # Issue 15 item 11: what deferring does not change (鲁医保发〔2022〕21号 三).
    assert "鲁医保发〔2022〕21号 三" in page.select_one("#benefits").get_text()
    assert db.session.scalar(select(func.count()).select_from(DeferralDecision)) == 0
    response = post_form(client, f"/e/{employer.id}/deferral/confirm", fields)
    assert response.status_code == 302
    done = client.get(response.location)
    decision = db.session.scalar(select(DeferralDecision))
    assert decision.reference in text(done, ".panel")
    assert (decision.period_start, decision.period_end, decision.choice) == (
        "2022-08",
        "2022-10",
        "defer",
    )
    home = client.get(f"/e/{employer.id}/")
    assert "2022-08 – 2022-10" in text(home, "#standing")
    assert "30 Nov 2022" in text(home, "#standing")
    audit = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "decision.defer"))
    assert audit.actor_id == owner.id and audit.acting_for_employer_id == employer.id
    assert audit.role == "owner" and audit.request_id


def test_the_liaocheng_choice_says_7_to_9_is_the_default_and_when_it_closed(client, listed):
    employer, owner, _ = listed
    sign_in(client, owner)
    page = client.get(f"/e/{employer.id}/deferral/")
    default = text(page, "#default-period")
    assert "2022-07 至 2022-09" in default and "默认" in default
    closed = text(page, "#closed-options")
    assert "2022-07 至 2022-09" in closed and "2022年7月31日" in closed
    english(client)
    page = client.get(f"/e/{employer.id}/deferral/")
    assert "If you choose nothing, the months 2022-07 to 2022-09 are deferred" in text(
        page, "#default-period"
    )
    # Once a period is chosen, the default no longer applies: the page does not offer it.
    _page, fields = _choose(client, employer, "defer:2022-08")
    post_form(client, f"/e/{employer.id}/deferral/confirm", fields)
    assert soup(client.get(f"/e/{employer.id}/deferral/")).select_one("#default-period") is None


def test_submitting_twice_or_from_two_tabs_records_one_decision(client, listed):
    employer, owner, _ = listed
    sign_in(client, owner)
    page, first_tab = _choose(client, employer, "opt_out")
    assert page.select_one("#benefits") is None  # opting out defers nothing
    _page, second_tab = _choose(client, employer, "opt_out")
    for fields in (first_tab, first_tab, second_tab):
        assert post_form(client, f"/e/{employer.id}/deferral/confirm", fields).status_code == 302
    assert db.session.scalar(select(func.count()).select_from(DeferralDecision)) == 1


def test_a_different_choice_from_a_stale_tab_is_refused(client, listed):
    employer, owner, _ = listed
    sign_in(client, owner)
    english(client)
    _page, defer_tab = _choose(client, employer, "defer:2022-08")
    _page, opt_out_tab = _choose(client, employer, "opt_out")
    post_form(client, f"/e/{employer.id}/deferral/confirm", defer_tab)
    response = post_form(client, f"/e/{employer.id}/deferral/confirm", opt_out_tab)
    assert response.status_code == 409
    assert "changed in another window" in soup(response).get_text()
    assert db.session.scalar(select(func.count()).select_from(DeferralDecision)) == 1


def test_after_the_cut_off_the_decision_cannot_change(app, client, listed):
    employer, owner, _ = listed
    app.config["PORTAL_TODAY"] = "2022-09-01"
    sign_in(client, owner)
    english(client)
    page = soup(client.get(f"/e/{employer.id}/deferral/"))
    assert page.select(".radio") == []
    assert "Paying the deferred amount early is always possible." in page.get_text()
    response = post_form(client, f"/e/{employer.id}/deferral/", {"choice": "opt_out"})
    assert "can no longer be changed" in soup(response).get_text()
    assert db.session.scalar(select(func.count()).select_from(DeferralDecision)) == 0


def test_no_choice_gets_a_message_beside_the_field(client, listed):
    employer, owner, _ = listed
    sign_in(client, owner)
    english(client)
    response = post_form(client, f"/e/{employer.id}/deferral/", {})
    page = soup(response)
    assert page.select_one(".error-summary a")["href"] == "#choice"
    assert "Choose whether to defer" in page.select_one(".error-message").get_text()


def test_the_history_shows_who_decided_and_when(client, listed):
    employer, owner, _ = listed
    sign_in(client, owner)
    _page, fields = _choose(client, employer, "opt_out")
    post_form(client, f"/e/{employer.id}/deferral/confirm", fields)
    _page, fields = _choose(client, employer, "defer:2022-08")
    post_form(client, f"/e/{employer.id}/deferral/confirm", fields)
    english(client)
    rows = soup(client.get(f"/e/{employer.id}/deferral/")).select("table tbody tr")
    assert [r.select("td")[1].get_text(strip=True) for r in rows] == [
        "Defer 2022-08 to 2022-10",
        "Opt out",
    ]
    assert all(r.select("td")[2].get_text(strip=True) == owner.display_name for r in rows)


def test_finance_staff_see_the_home_page_but_cannot_decide(client, listed):
    employer, _owner, finance = listed
    sign_in(client, finance)
    response = client.get(f"/e/{employer.id}/")
    assert response.status_code == 200
    assert soup(response).select_one("#next-step a.button") is None
    assert client.get(f"/e/{employer.id}/deferral/").status_code == 403


def test_an_unlisted_sme_is_pointed_to_the_commitment_application(client, make):
    employer = make.employer(list_status="not_listed", size_class=None, size_source=None)
    owner = make.user(employer=employer)
    make.commit()
    sign_in(client, owner)
    english(client)
    response = client.get(f"/e/{employer.id}/")
    assert "declare its figures and sign the commitment letter" in text(response, "#next-step")
    button = soup(response).select_one("#next-step a.button")
    assert button["href"] == f"/e/{employer.id}/applications/"
    assert client.get(button["href"]).status_code == 200


def test_the_home_page_follows_the_employers_application(client, make):
    """Issue 15 item 4: after submitting, and after a rejection, the home page still said
    "not on the deferral list … sign the commitment letter"."""
    from tests.applications.helpers import submitted_application

    employer = make.employer(list_status="not_listed", size_class=None)
    owner = make.user(employer=employer)
    application = submitted_application(employer)
    make.commit()
    sign_in(client, owner)
    english(client)
    waiting = text(client.get(f"/e/{employer.id}/"), "#next-step")
    assert "was sent. The agency reviews it by 18 Aug 2022" in waiting
    application.status, application.decision_reason = "rejected", "营业收入与报表不符。"
    make.commit()
    rejected = text(client.get(f"/e/{employer.id}/"), "#next-step")
    assert "did not approve your application: 营业收入与报表不符。" in rejected
    assert "Correct it and apply again" in rejected


@pytest.mark.parametrize(
    ("program", "until", "clear", "shown"),
    [
        ("shandong-2022", "2022-04", "2022-04", "2022-04"),  # earlier than 鲁21 一's 2022-06
        ("shandong-2022", "2022-07", "2022-06", "2022-07"),  # the program's month caps it
        ("shandong-2022", None, "2022-06", None),
        ("liaocheng-2022", "2022-05", "2022-05", "2022-05"),
    ],
)
def test_arrears_name_the_months_and_who_knows_the_amount(
    client, make, program, until, clear, shown
):
    """Issue 28 item 16(c): the arrears refusal names the months (欠费所属期止 from the agency's
    list, capped by the program's month) and says that the amount owed is the agency's to give:
    the portal records only payments of deferred amounts, so it cannot compute what is owed."""
    from portal import rules

    to_clear = rules.arrears_to_clear(rules.load_program(program), until)
    assert (to_clear.through, to_clear.arrears_until) == (clear, until)
    assert rules.arrears_to_clear(rules.load_program(program), "2022-13").arrears_until is None
    region = make.region(program, reserve="12")
    agency = make.agency(region, name="示例医疗保障服务中心")
    employer = make.employer(agency, has_arrears=True, arrears_until=until)
    owner = make.user(employer=employer)
    make.commit()
    sign_in(client, owner)
    reasons = text(client.get(f"/e/{employer.id}/"), "#reasons")
    assert f"请先缴清 {clear} 及以前的全部欠费" in reasons
    assert "本平台不掌握欠费金额，请向示例医疗保障服务中心查询。" in reasons
    assert (f"欠费所属期止 {shown}" in reasons) == (shown is not None)
    english(client)
    reasons = text(client.get(f"/e/{employer.id}/deferral/"), "#reasons")
    assert "The amount owed is not known to the portal: ask 示例医疗保障服务中心 for it." in reasons
