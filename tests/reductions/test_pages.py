"""The 2020 pages: reduced rates month by month, refund or offset, programs by date."""

from __future__ import annotations

from decimal import Decimal

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import func, select

from portal.core.extensions import db
from portal.facts.standing import employer_programs
from portal.models import Assessment, AuditEntry, ReturnChoice
from tests.conftest import post_form, sign_in

LINYI, WUXI = "371300", "320200"


def _soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


@pytest.fixture
def linyi(app, make):
    """A Linyi enterprise whose February 2020 was collected at the old 6 % (2,600.00 due)."""
    app.config["PORTAL_TODAY"] = "2020-03-20"
    region = make.region("linyi-2020", code=LINYI, name="临沂市")
    employer = make.employer(
        make.agency(region), contribution_base_amount=Decimal("52000.00"), industry="industry"
    )
    db.session.add(
        Assessment(
            employer_id=employer.id,
            month="2020-02",
            headcount=9,
            contribution_base_amount=Decimal("52000.00"),
            unit_amount=Decimal("3120.00"),
            personal_amount=Decimal("1040.00"),
        )
    )
    owner = make.user(employer=employer, role="owner")
    make.commit()
    return employer, owner


def _set_language(client, language: str) -> None:
    post_form(client, "/language", {"locale": language})


@pytest.mark.parametrize("language", ["zh", "en"])
def test_linyi_rates_month_by_month_with_clauses(app, client, linyi, language):
    employer, owner = linyi
    sign_in(client, owner)
    _set_language(client, language)
    page = _soup(client.get(f"/e/{employer.id}/reductions/"))
    feb = page.select_one("#month-2020-02").find_all("td")
    assert [c.get_text(" ", strip=True).split(" [")[0] for c in feb[:3]] == ["2020-02", "6%", "5%"]
    assert "3,120.00" in feb[4].get_text() and "2,600.00" in feb[5].get_text()
    assert "520.00" in feb[6].get_text() and "520.00" in feb[8].get_text()
    april = page.select_one("#month-2020-04").get_text(" ", strip=True)
    assert "4%" in april and "2,080.00" in april  # 52,000.00 x 4 %, an estimate from the base
    assert page.select_one("#total-over-collected").get_text(strip=True).endswith("520.00")
    notes = page.select_one("#notes").get_text()
    assert "临医保发〔2020〕28号 操作细则 一（一）（2月份5%）" in notes
    assert "鲁医保发〔2020〕23号 四" in notes
    for cell in page.select("#rates tbody td.num")[:2]:
        assert cell.select_one("sup a[href^='#note-']") is not None  # every rate is cited
    assert "而不是缓缴" not in page.get_text() and "instead of deferring" not in page.get_text()


def test_linyi_institution_rates_differ_and_wuxi_excludes_it(app, client, make):
    app.config["PORTAL_TODAY"] = "2020-03-20"
    linyi = make.employer(
        make.agency(make.region("linyi-2020", code=LINYI)),
        unit_kind="public_institution",
        contribution_base_amount=Decimal("10000.00"),
    )
    wuxi = make.employer(
        make.agency(make.region("jiangsu-2022", code=WUXI)),
        unit_kind="public_institution",
        contribution_base_amount=Decimal("10000.00"),
    )
    users = [make.user(employer=e, role="owner") for e in (linyi, wuxi)]
    make.commit()
    sign_in(client, users[0])
    page = _soup(client.get(f"/e/{linyi.id}/reductions/"))
    assert "6%" in page.select_one("#month-2020-02").find_all("td")[2].get_text()
    assert "5%" in page.select_one("#month-2020-03").find_all("td")[2].get_text()
    sign_in(client, users[1])
    page = _soup(client.get(f"/e/{wuxi.id}/reductions/"))
    assert page.select_one("#rates") is None
    assert (
        "锡医保服务〔2020〕11号 一（不含机关事业单位）" in page.select_one("#excluded").get_text()
    )


def test_choose_offset_then_see_it_month_by_month_audited_once(app, client, linyi):
    employer, owner = linyi
    sign_in(client, owner)
    form = _soup(client.get(f"/e/{employer.id}/reductions/return"))
    key = form.select_one("input[name=form_key]")["value"]  # portal.web.submissions
    data = {"choice": "offset", "account": "", "form_key": key}
    path = f"/e/{employer.id}/reductions/return"
    first = post_form(client, path, data, token_from=path)
    again = post_form(client, path, data, token_from=path)  # a double click
    assert first.status_code == again.status_code == 302
    assert db.session.scalar(select(func.count()).select_from(ReturnChoice)) == 1
    actions = list(db.session.scalars(select(AuditEntry.action)))
    assert actions.count("return_choice.offset") == 1
    page = _soup(client.get(f"/e/{employer.id}/reductions/"))
    assert "2020-04" in page.select_one("#current-choice").get_text()
    # An offset is taken from assessed months only: April waits for its assessment, in words.
    assert page.select_one("#offsets") is None
    assert "2020-04 尚未核定" in page.select_one("#offset-waiting").get_text()
    db.session.add(
        Assessment(
            employer_id=employer.id,
            month="2020-04",
            headcount=9,
            contribution_base_amount=Decimal("52000.00"),
            unit_amount=Decimal("2080.00"),
            personal_amount=Decimal("1040.00"),
        )
    )
    db.session.commit()
    page = _soup(client.get(f"/e/{employer.id}/reductions/"))
    rows = page.select("#offsets tbody tr")
    assert rows[0]["id"] == "offset-2020-04"  # the month after the choice (2020-03-20)
    assert "520.00" in rows[0].get_text() and "1,560.00" in rows[0].get_text()  # 2,080 - 520


def test_refund_needs_an_account_unless_the_agency_has_one(app, client, linyi):
    employer, owner = linyi
    sign_in(client, owner)
    path = f"/e/{employer.id}/reductions/return"
    key = _soup(client.get(path)).select_one("input[name=form_key]")["value"]
    refused = post_form(client, path, {"choice": "refund", "form_key": key}, token_from=path)
    assert refused.status_code == 400
    assert "Enter the account" in refused.get_data(as_text=True) or "退费" in refused.get_data(
        as_text=True
    )
    employer.refund_account = "中国工商银行临沂分行 6222 0000 0000 0000"
    db.session.commit()
    # The refusal changed nothing, so the same form's key is free to send it again corrected.
    done = post_form(client, path, {"choice": "refund", "form_key": key}, token_from=path)
    assert done.status_code == 302
    choice = db.session.scalar(select(ReturnChoice))
    assert choice.needs_application is False and choice.account is None


def test_the_employer_sees_the_agencys_account_masked(app, client, linyi):
    employer, owner = linyi
    employer.refund_account = "6222000011112222"
    db.session.commit()
    sign_in(client, owner)
    known = _soup(client.get(f"/e/{employer.id}/reductions/return")).select_one("#account-known")
    assert "**** 2222" in known.get_text() and "1111" not in known.get_text()


def test_an_earlier_program_stays_visible_only_with_amounts(app, client, linyi, make):
    employer, owner = linyi
    app.config["PORTAL_TODAY"] = "2022-08-15"
    bare = make.employer(employer.agency)
    make.commit()
    assert employer_programs(employer, __import__("datetime").date(2022, 8, 15)) == [
        "shandong-2022",
        "linyi-2020",
    ]
    assert employer_programs(bare, __import__("datetime").date(2022, 8, 15)) == ["shandong-2022"]
    sign_in(client, owner)
    home = _soup(client.get(f"/e/{employer.id}/"))
    assert "山东" in home.select_one("#program").get_text()
    assert "临沂" in home.select_one("#earlier-programs").get_text()
    page = _soup(client.get(f"/e/{employer.id}/reductions/"))
    assert page.select_one("#month-2020-02") is not None


def test_on_the_2020_date_the_home_page_shows_the_2020_program(app, client, linyi):
    employer, owner = linyi
    sign_in(client, owner)
    home = _soup(client.get(f"/e/{employer.id}/"))
    assert "临沂" in home.select_one("#program").get_text()
    assert home.select_one("#earlier-programs") is None
    assert home.select_one(f"a[href='/e/{employer.id}/reductions/']") is not None
