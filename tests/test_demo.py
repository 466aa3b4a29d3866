"""Demo data: every program and situation, one account per role; loading twice changes nothing."""

from __future__ import annotations

from sqlalchemy import func, select

from portal import create_app
from portal.cli.demo import DEMO_PASSWORD, load_demo_data
from portal.config import ProductionConfig
from portal.core.extensions import db
from portal.models import (
    Agency,
    AuditEntry,
    Employer,
    FundReserve,
    ImportRecord,
    PoolingRegion,
    RegionRate,
    User,
)


def test_demo_data_is_idempotent(app):
    """The reference data goes through the imports, once: a second run imports nothing."""
    models = (Employer, User, Agency, FundReserve, RegionRate, ImportRecord, AuditEntry)
    assert load_demo_data() > 0
    db.session.commit()
    counts = [db.session.scalar(select(func.count()).select_from(m)) for m in models]
    imported = db.session.execute(select(ImportRecord.kind, ImportRecord.status)).all()
    assert sorted(imported) == [
        ("agencies", "applied"),
        ("fund-reserve", "applied"),
        ("rates", "applied"),
    ]
    assert load_demo_data() == 0
    db.session.commit()
    assert [db.session.scalar(select(func.count()).select_from(m)) for m in models] == counts


def test_demo_data_covers_programs_situations_and_roles(app):
    load_demo_data()
    db.session.commit()
    programs = {
        term.program_id
        for region in db.session.scalars(select(PoolingRegion))
        for term in region.programs.terms
    }
    assert programs == {
        "shandong-2022",
        "liaocheng-2022",
        "jiangsu-2022",
        "inner-mongolia-2022",
        "linyi-2020",
        "wuxi-2020",
    }
    employers = list(db.session.scalars(select(Employer)))
    assert any(e.list_status == "listed" for e in employers)
    assert any(e.list_status == "not_listed" and e.unit_kind == "enterprise" for e in employers)
    assert any(e.is_july_paid for e in employers)
    assert any(e.founded_month for e in employers)
    assert any(e.unit_kind == "public_institution" for e in employers)
    assert any(e.size_class == "large" for e in employers)
    roles = {u.staff_role for u in db.session.scalars(select(User))}
    assert roles == {None, "hall", "reviewer", "admin"}


def test_demo_accounts_sign_in_with_the_published_password(app, client):
    load_demo_data()
    db.session.commit()
    from tests.conftest import post_form

    response = post_form(client, "/login", {"username": "owner-a", "password": DEMO_PASSWORD})
    assert response.status_code == 302


def test_demo_data_is_refused_in_production():
    class Config(ProductionConfig):
        SECRET_KEY = "p" * 40
        SQLALCHEMY_DATABASE_URI = "sqlite://"
        PORTAL_TODAY = None

    result = create_app(Config).test_cli_runner().invoke(args=["portal", "demo"])
    assert result.exit_code != 0
    assert "refused in production" in result.output


def test_demo_credit_codes_name_their_own_region(app):
    """Issue 15 item 11: the Wuhai, Wuxi and Jinan employers' codes started 913715 (Liaocheng)."""
    from stdnum.cn import uscc

    load_demo_data()
    db.session.commit()
    for employer in db.session.scalars(select(Employer)):
        assert uscc.is_valid(employer.credit_code), employer.credit_code
        assert employer.credit_code[2:8] == employer.agency.region.code, employer.name


def test_demo_assessments_stop_at_the_demo_date(app, client):
    """Issue 15 item 11: 2022-10 was labelled 经办机构核定 on 2022-08-15."""
    from bs4 import BeautifulSoup

    from portal.models import Assessment, PersonAssessment
    from tests.conftest import post_form

    app.config["PORTAL_TODAY"] = "2022-08-15"
    load_demo_data()
    db.session.commit()
    for model in (Assessment, PersonAssessment):
        assert db.session.scalar(select(func.max(model.month))) == "2022-08"
    post_form(client, "/login", {"username": "owner-a", "password": DEMO_PASSWORD})
    employer = db.session.scalar(select(Employer).where(Employer.name == "聊城市示例商贸有限公司"))
    page = BeautifulSoup(client.get(f"/e/{employer.id}/amounts/").get_data(as_text=True), "lxml")
    sources = {
        tr.select("td")[0].get_text(strip=True): tr.select("td")[-1].get_text(strip=True)
        for tr in page.select("#months tbody tr")
    }
    assert sources["2022-08"] == "经办机构核定"
    assert all(sources[m] != "经办机构核定" for m in sources if m > "2022-08")


def test_demo_owners_have_confirmed_addresses_and_are_reminded(app):
    from datetime import date

    from portal.features.reminders.queries import due_reminders

    load_demo_data()
    db.session.commit()
    owners = {u.username: u for u in db.session.scalars(select(User))}
    for username in ("owner-a", "owner-b"):
        assert owners[username].has_confirmed_email
    dues = due_reminders(date(2022, 10, 1))
    reminded = {r.username for d in dues if d.kind == "catch_up" for r in d.recipients}
    assert {"owner-a", "finance-a"} <= reminded


def test_the_2020_demonstration_date_has_something_to_see(app, client):
    """``make run DEMO_DATE=2020-03-20``: the Linyi and Wuxi employers under their 2020 programs,
    and under the 2022 ones on the default date with the 2020 program still listed."""
    from bs4 import BeautifulSoup

    from tests.conftest import sign_in

    load_demo_data()
    db.session.commit()
    app.config["PORTAL_TODAY"] = "2020-03-20"
    for username, program, over in (
        ("owner-ly", "临沂", "410.00"),
        ("owner-wx", "无锡", "1,640.00"),
    ):
        user = db.session.scalar(select(User).where(User.username == username))
        employer_id = user.memberships[0].employer_id
        sign_in(client, user)
        home = BeautifulSoup(client.get(f"/e/{employer_id}/").get_data(as_text=True), "html.parser")
        assert program in home.select_one("#program").get_text()
        assert "2020" in home.select_one(".demo-banner").get_text()
        rates = client.get(f"/e/{employer_id}/reductions/").get_data(as_text=True)
        page = BeautifulSoup(rates, "html.parser")
        assert page.select_one("#total-over-collected").get_text(strip=True).endswith(over)
    app.config["PORTAL_TODAY"] = "2022-08-15"
    user = db.session.scalar(select(User).where(User.username == "owner-ly"))
    sign_in(client, user)
    home = BeautifulSoup(
        client.get(f"/e/{user.memberships[0].employer_id}/").get_data(as_text=True), "html.parser"
    )
    assert "山东" in home.select_one("#program").get_text()
    assert "临沂" in home.select_one("#earlier-programs").get_text()


def _demo_load_day(app, portal_today):
    from portal.models import AuditEntry
    from portal.util.clock import local_date

    app.config["PORTAL_TODAY"] = portal_today
    result = app.test_cli_runner().invoke(args=["portal", "demo"])
    assert result.exit_code == 0, result.output
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "demo.load"))
    return local_date(entry.at, app.config["BABEL_DEFAULT_TIMEZONE"]), result.output


def test_the_demo_is_loaded_at_the_demonstration_date_set_by_make(app):
    """Issue 28 item 18: ``make run`` loaded the demo without PORTAL_TODAY, so the audit page
    showed a ``demo.load`` row with the machine's date under the 2022 demonstration."""
    day, output = _demo_load_day(app, "2020-03-20")
    assert str(day) == "2020-03-20" and "2020-03-20" in output
    assert app.config["PORTAL_TODAY"] == "2020-03-20"


def test_the_demo_command_without_a_date_loads_at_the_demos_own_date(app):
    from portal.cli.demo import DEMO_DATE

    day, output = _demo_load_day(app, None)
    assert day == DEMO_DATE and str(DEMO_DATE) in output
    assert app.config["PORTAL_TODAY"] is None  # the command does not keep its date


def test_make_loads_the_demo_at_the_date_it_serves():
    from pathlib import Path

    makefile = (Path(__file__).resolve().parents[1] / "Makefile").read_text(encoding="utf-8")
    recipe = makefile.split("\ndemo:", 1)[1].split("\n\n", 1)[0]
    assert "PORTAL_TODAY=$(DEMO_DATE)" in recipe and "portal demo" in recipe
