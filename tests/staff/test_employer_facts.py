"""Agency staff correct an employer's facts by hand: the list import's parsers and checks, a
reason required, an audit row with before and after, a second click harmless, the refund
account whole only for the agency's staff and administrators."""

from __future__ import annotations

import re
from datetime import date

import pytest
from bs4 import BeautifulSoup
from flask_login import login_user
from sqlalchemy import select

from portal.core.extensions import db
from portal.models import AuditEntry, Employer
from portal.web.templating import refund_account
from tests.conftest import post_form, sign_in

SEEN_RE = re.compile(r'name="seen" type="hidden" value="([0-9a-f]{16})"')


@pytest.fixture
def world(make):
    agency = make.agency(make.region("shandong-2022"))
    employer = make.employer(
        agency,
        founded_month="2021-05",
        refund_bank="中国建设银行聊城分行",
        refund_account="6217000011112222",
    )
    people = {
        "reviewer": make.user(staff_role="reviewer", agency=agency),
        "hall": make.user(staff_role="hall", agency=agency),
        "other": make.user(staff_role="reviewer", agency=make.agency()),
        "admin": make.user(staff_role="admin"),
        "owner": make.user(employer=employer, role="owner"),
    }
    make.commit()
    return employer, people


def _soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def _form(client, employer, **changes):
    """The edit form as the page fills it, with ``changes``."""
    page = client.get(f"/staff/employers/{employer.id}/facts")
    assert page.status_code == 200
    soup = _soup(page)
    data = {
        name: soup.select_one(f"[name={name}]")["value"]
        for name in ("arrears_until", "deregistered_on", "refund_bank", "refund_account", "seen")
    }
    data["has_arrears"] = soup.select_one("[name=has_arrears][checked]")["value"]
    data["reason"] = "单位来函更正"
    data.update(changes)
    return data


def _post(client, employer, data):
    path = f"/staff/employers/{employer.id}/facts"
    return post_form(client, path, data, token_from=path)


def _edits() -> list[AuditEntry]:
    return list(
        db.session.scalars(select(AuditEntry).where(AuditEntry.action == "employer.facts_edit"))
    )


def test_agency_staff_correct_the_facts_with_a_reason_audited_before_and_after(app, client, world):
    employer, people = world
    sign_in(client, people["hall"])
    data = _form(
        client,
        employer,
        has_arrears="yes",
        arrears_until="202206",
        deregistered_on="2022-12-31",
        refund_account="6217 0000 3333 4444",
    )
    done = _post(client, employer, data)
    assert done.status_code == 302 and done.location.endswith(f"/staff/employers/{employer.id}")
    db.session.expire_all()
    stored = db.session.get(Employer, employer.id)
    assert (stored.has_arrears, stored.arrears_until, stored.deregistered_on) == (
        True,
        "2022-06",
        date(2022, 12, 31),
    )
    assert stored.refund_account == "6217000033334444"
    (entry,) = _edits()
    assert entry.details["reason"] == "单位来函更正" and entry.acting_for_employer_id == employer.id
    assert entry.details["before"] == {
        "has_arrears": False,
        "arrears_until": None,
        "deregistered_on": None,
        "refund_account": "6217000011112222",
    }
    assert entry.details["after"]["deregistered_on"] == "2022-12-31"
    assert entry.role == "hall" and entry.actor_id == people["hall"].id
    # The same form sent again (a second click): nothing more happens.
    again = _post(client, employer, data)
    assert again.status_code == 302 and len(_edits()) == 1
    page = _soup(client.get(f"/staff/employers/{employer.id}"))
    assert "没有变化" in page.get_text()
    history = page.select_one("#edits").get_text()
    assert "单位来函更正" in history and "6217000011112222 → 6217000033334444" in history
    assert page.select_one("#refund-account").get_text() == "6217 0000 3333 4444"


def test_a_reason_is_required_and_bad_values_are_refused_as_the_import_refuses_them(
    app, client, world
):
    employer, people = world
    sign_in(client, people["reviewer"])
    cases = [
        ({"reason": "  "}, "reason", "请说明更正原因"),
        ({"arrears_until": "2022-13"}, "arrears_until", "YYYY-MM"),
        ({"deregistered_on": "2022-02-30"}, "deregistered_on", "YYYY-MM-DD"),
        ({"deregistered_on": "1999-01-01"}, "deregistered_on", "2000"),
        ({"refund_account": "6217-0000"}, "refund_account", "数字"),
        ({"refund_account": "1234 567"}, "refund_account", "8 至 30 位"),
        ({"refund_bank": "=1+1"}, "refund_bank", "公式"),
        # Against the stored founding month (2021-05), and arrears without a month's meaning.
        ({"deregistered_on": "2021-04-30"}, "deregistered_on", "注销日期早于成立年月（2021-05）"),
        (
            {"has_arrears": "no", "arrears_until": "2022-06"},
            "arrears_until",
            "是否中断缴费须为“是”",
        ),
    ]
    for changes, field, words in cases:
        refused = _post(client, employer, _form(client, employer, **changes))
        assert refused.status_code == 400, changes
        soup = _soup(refused)
        group = soup.select_one(f"#{field}").find_parent(class_="form-group")
        assert words in group.get_text(), (changes, group.get_text())
        assert words in soup.select_one(".error-summary").get_text()
    # Every problem at once: the reason and the facts.
    both = _form(client, employer, reason="", has_arrears="no", arrears_until="2022-06")
    summary = _soup(_post(client, employer, both)).select_one(".error-summary").get_text()
    assert "请说明更正原因" in summary and "是否中断缴费须为“是”" in summary
    assert _edits() == []
    db.session.expire_all()
    assert db.session.get(Employer, employer.id).deregistered_on is None


def test_an_edit_made_meanwhile_is_not_overwritten(app, client, world):
    employer, people = world
    sign_in(client, people["reviewer"])
    stale = _form(client, employer, refund_bank="中国银行聊城分行")
    sign_in(client, people["admin"])
    assert _post(client, employer, _form(client, employer, has_arrears="yes")).status_code == 302
    sign_in(client, people["reviewer"])
    refused = _post(client, employer, stale)
    assert refused.status_code == 400 and "有人更改了这些信息" in refused.get_data(as_text=True)
    # The page now carries what is stored: sent again as it is, it saves.
    seen = SEEN_RE.search(refused.get_data(as_text=True)).group(1)
    assert seen != stale["seen"]
    assert _post(client, employer, {**stale, "seen": seen}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Employer, employer.id).refund_bank == "中国银行聊城分行"


def test_only_the_agencys_staff_and_administrators(app, client, world):
    employer, people = world
    for who, status in (("other", 404), ("owner", 403), ("admin", 302)):
        sign_in(client, people[who])
        data = {"has_arrears": "yes", "reason": "x", "seen": "0" * 16}
        if who == "admin":
            data = _form(client, employer, has_arrears="yes")
        response = _post(client, employer, data)
        assert response.status_code == status, who
    assert [entry.actor_id for entry in _edits()] == [people["admin"].id]


def test_the_refund_account_is_masked_except_for_the_agency(app, client, world):
    employer, people = world
    # Staff of the agency and administrators: whole, grouped by four.
    for who in ("reviewer", "admin"):
        sign_in(client, people[who])
        shown = _soup(client.get(f"/staff/employers/{employer.id}")).select_one("#refund-account")
        assert shown.get_text() == "6217 0000 1111 2222"
    # Everyone else, the employer's own people too: the last four digits (the 2020 pages,
    # tests/reductions/test_pages.py).
    with app.test_request_context():
        login_user(people["owner"])
        assert refund_account(employer) == "**** 2222"
        login_user(people["other"])  # staff of another agency
        assert refund_account(employer) == "**** 2222"
        login_user(people["hall"])
        assert refund_account(employer) == "6217 0000 1111 2222"
