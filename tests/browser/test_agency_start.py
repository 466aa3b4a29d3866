"""Issue 22: an agency starts from an empty database, without the demo — the first
administrator made on the command line, then the agencies, the fund reserve, the rates and the
list imported through the pages — and a listed employer then sees its deferral. In a real
browser, with a screenshot of each step."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from portal import create_app
from portal.config import TestConfig
from portal.core.extensions import db
from portal.models import Employer
from tests.browser.conftest import screenshot, sign_in
from tests.factories import PASSWORD, Factory, credit_code

pytestmark = pytest.mark.browser

ADMIN_PASSWORD = "an-agency-admin-2022"


@pytest.fixture(scope="module")
def empty_server(tmp_path_factory):
    """A live server on an empty database (tables only: no region, agency or user)."""
    database = tmp_path_factory.mktemp("empty") / "portal.sqlite"

    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{database}"
        PORTAL_TODAY = "2022-08-15"

    app = create_app(Config)
    with app.app_context():
        db.create_all()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", app
    server.shutdown()
    thread.join(timeout=5)
    with app.app_context():
        db.engine.dispose()


def _csv(name: str, *lines: str) -> dict:
    return {"name": name, "mimeType": "text/csv", "buffer": ("\n".join(lines) + "\n").encode()}


def _import(page, base_url: str, kind: str, file: dict, shot: str) -> str:
    page.goto(f"{base_url}/imports/")
    page.select_option("#kind", kind)
    page.set_input_files("#file", file)
    page.click("main form button.button")
    page.click("form[action$='/apply'] button.button")
    applied = page.inner_text("#applied")
    screenshot(page, shot)
    return applied


def test_an_agency_starts_without_the_demo(empty_server, page):
    base_url, app = empty_server
    made = app.test_cli_runner().invoke(
        args=["portal", "create-admin", "admin"], input=f"{ADMIN_PASSWORD}\n{ADMIN_PASSWORD}\n"
    )
    assert made.exit_code == 0, made.output
    sign_in(page, base_url, "admin", ADMIN_PASSWORD)

    agencies = _csv(
        "经办机构.csv",
        "医保经办机构代码,经办机构名称,统筹地区代码,统筹地区名称,地址,电话,统计联系人,联系电话",
        "LC01,聊城市医疗保障服务中心,371500,聊城市,聊城市东昌府区柳园南路1号,0635-8888888,王统计,0635-8888889",
        "WX01,无锡市医疗保险基金管理中心,320200,无锡市,,,,",
    )
    assert "新增 2 条" in _import(page, base_url, "agencies", agencies, "start-agencies")
    reserve = _csv(
        "基金结存.csv", "统筹地区代码,年月,可支付月数", "371500,2022-07,14.2", "320200,2022-07,9.5"
    )
    assert "新增 2 条" in _import(page, base_url, "fund-reserve", reserve, "start-fund-reserve")
    rates = _csv(
        "费率.csv",
        "统筹地区代码,起始年月,单位医疗费率,生育费率",
        "371500,2022-01,0.06,0.01",
        "320200,2022-01,0.07,0.008",
    )
    assert "新增 2 条" in _import(page, base_url, "rates", rates, "start-rates")
    code = credit_code(serial=880_001)
    listed = _csv(
        "缓缴名单.csv",
        "统一社会信用代码,单位名称,医保单位编号,医保经办机构代码,企业划型,是否纳入缓缴名单",
        f"{code},聊城新起点商贸有限公司,U8801,LC01,小型,是",
    )
    assert "新增 1 条" in _import(page, base_url, "list", listed, "start-list")

    page.goto(f"{base_url}/reference/regions")
    regions = page.inner_text("main")
    assert "371500" in regions and "14.2" in regions  # the fund reserve in force today
    screenshot(page, "start-regions")

    with app.app_context():  # the owner's account, as the hall's activation code would make
        employer = db.session.scalar(select(Employer).where(Employer.credit_code == code))
        owner = Factory().user(employer=employer, role="owner", username="owner-new")
        db.session.commit()
        owner_name = owner.username
    page.goto(f"{base_url}/logout")
    page.context.clear_cookies()
    sign_in(page, base_url, owner_name, PASSWORD)
    home = page.inner_text("main")
    assert "聊城新起点商贸有限公司" in home
    assert "2022-07" in home and "缓缴" in home  # listed: the deferral, 免申即享
    screenshot(page, "start-employer-home")
