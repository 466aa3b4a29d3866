"""Reference data pages: agencies, pooling regions, a region's fund reserve and rates.

Each add and edit is audited with before and after, shown as the row's history; a double
submit adds one row; bad input is refused in words; reviewers work on their own region only.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import func, select

from portal.core.extensions import db
from portal.models import Agency, AuditEntry, FundReserve, PoolingRegion, RegionRate
from tests.conftest import post_form, sign_in

# Until the branch that derives a region's program from its code lands, a region row needs
# a program of its own: adding one from the agency form is tested once that column is gone.


def soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def errors(response) -> list[str]:
    """The messages beside the fields, in the page's order."""
    return [
        p.get_text(" ", strip=True).split(" ", 1)[1]
        for p in soup(response).select(".error-message")
    ]


def region_row(client, code: str):
    """The row of the regions list for ``code``."""
    rows = soup(client.get("/reference/regions")).select("#regions tbody tr")
    return next(row for row in rows if row.select_one("td").get_text(strip=True) == code)


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def audit_rows(action: str) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


@pytest.fixture
def world(make):
    region = make.region("liaocheng-2022", None, code="371500", name="聊城市")
    other_region = make.region(
        "inner-mongolia-2022", None, code="150300", name="乌海市", province="内蒙古自治区"
    )
    agency = make.agency(region, code="LC01", name="聊城市医疗保障服务中心")
    other_agency = make.agency(other_region, code="WH01", name="乌海市医疗保障服务中心")
    users = {
        "admin": make.user(staff_role="admin", display_name="孙管理", username="sun"),
        "reviewer": make.user(staff_role="reviewer", agency=agency, username="li"),
        "reviewer_other": make.user(staff_role="reviewer", agency=other_agency),
        "hall": make.user(staff_role="hall", agency=agency),
    }
    make.commit()
    return {
        "region": region.id,
        "other_region": other_region.id,
        "agency": agency.id,
        "other_agency": other_agency.id,
        **users,
    }


AGENCY = {
    "code": "LC02",
    "name": "聊城市东昌府区医疗保障服务中心",
    "new_region_code": "",
    "new_region_name": "",
    "address": "聊城市东昌府区柳园南路1号",
    "phone": "0635-8241234",
    "report_contact": "王统计",
    "report_contact_phone": "0635-8241235",
}


def test_an_administrator_adds_and_changes_an_agency_with_its_history(client, world):
    sign_in(client, world["admin"])
    page = soup(client.get("/reference/agencies/new"))
    options = [o.get_text() for o in page.select("#region option")]
    assert "371500 聊城市" in options and options[-1].startswith("新的统筹地区")
    data = {**AGENCY, "region": str(world["region"])}
    first = post_form(client, "/reference/agencies/new", data, token_from="/reference/agencies/new")
    assert first.status_code == 302
    # A double click: the same agency once, one audit row, the same answer.
    again = post_form(client, "/reference/agencies/new", data, token_from="/reference/agencies/new")
    assert again.status_code == 302
    assert count(Agency) == 3 and len(audit_rows("agency.create")) == 1
    listed = soup(client.get("/reference/agencies")).select_one("#agencies").get_text(" ")
    assert "LC02" in listed and "柳园南路1号" in listed and "王统计" in listed
    # The same code with other details is refused in words, not a 500 nor a second row.
    taken = post_form(
        client,
        "/reference/agencies/new",
        {**data, "name": "另一个中心"},
        token_from="/reference/agencies/new",
    )
    assert taken.status_code == 200
    assert errors(taken) == [
        "另一个经办机构的代码已是 LC02。请核对代码：每个经办机构的代码各不相同"
    ]
    assert soup(taken).select_one("#name")["value"] == "另一个中心"  # kept as typed

    agency = db.session.scalar(select(Agency).where(Agency.code == "LC02"))
    edit = f"/reference/agencies/{agency.id}/edit"
    form = soup(client.get(edit))
    assert form.select_one("#code")["value"] == "LC02"
    assert form.select_one("#region option[selected]")["value"] == str(world["region"])
    changed = post_form(
        client,
        edit,
        {**data, "phone": "0635-8888888", "region": str(world["other_region"])},
        token_from=edit,
    )
    assert changed.status_code == 302
    db.session.expire_all()
    assert agency.phone == "0635-8888888" and agency.region_id == world["other_region"]
    # Saving it unchanged writes nothing.
    post_form(
        client,
        edit,
        {**data, "phone": "0635-8888888", "region": str(world["other_region"])},
        token_from=edit,
    )
    assert len(audit_rows("agency.update")) == 1
    rows = soup(client.get(edit)).select("#history tbody tr")
    assert len(rows) == 2  # the change, then the addition
    newest = rows[0].get_text(" ", strip=True)
    assert "孙管理 (sun)" in newest and "经办机构已修改" in newest
    assert "0635-8241234 → 0635-8888888" in newest
    assert "371500 聊城市 → 150300 乌海市" in newest
    assert "LC02" not in newest  # only what changed
    assert "经办机构已添加" in rows[1].get_text()
    # Another agency's code is refused on an edit too.
    refused = post_form(
        client, edit, {**data, "code": "LC01", "region": str(world["region"])}, token_from=edit
    )
    assert errors(refused) == [
        "另一个经办机构的代码已是 LC01。请核对代码：每个经办机构的代码各不相同"
    ]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"code": ""}, "输入经办机构代码"),
        ({"code": "LC 02"}, "代码使用最多20个字母、数字或短横线，例如 LC01"),
        ({"name": ""}, "输入经办机构名称"),
        ({"name": "中" * 101}, "最多输入 100 个字符（现有 101 个）"),
        ({"region": ""}, "选择经办机构的统筹地区，或选择新的统筹地区并输入其代码和名称"),
        ({"region": "99999"}, "选择经办机构的统筹地区，或选择新的统筹地区并输入其代码和名称"),
        ({"region": "new", "new_region_name": "某市"}, "输入新统筹地区的代码，例如 371500"),
        ({"region": "new", "new_region_code": "991234", "new_region_name": "某市"}, None),
        ({"region": "new", "new_region_code": "37150", "new_region_name": "某市"}, None),
        ({"region": "new", "new_region_code": "371600"}, "输入新统筹地区的名称，例如 聊城市"),
        ({"phone": "打电话"}, "输入电话号码，例如 0635-8241234"),
        ({"report_contact_phone": "12"}, "输入电话号码，例如 0635-8241234"),
    ],
)
def test_the_agency_form_says_what_to_fix(client, world, changes, message):
    sign_in(client, world["admin"])
    data = {**AGENCY, "region": str(world["region"]), **changes}
    response = post_form(
        client, "/reference/agencies/new", data, token_from="/reference/agencies/new"
    )
    assert response.status_code == 200
    expected = message or ("输入统筹地区的6位行政区划代码，例如 371500：前两位代表省份")
    assert errors(response) == [expected]
    assert count(Agency) == 2


def test_an_agency_adds_its_new_pooling_region_once(client, world):
    sign_in(client, world["admin"])
    data = {
        **AGENCY,
        "region": "new",
        "new_region_code": "３７１６００",
        "new_region_name": "滨州市",
    }
    for _click in range(2):
        response = post_form(
            client, "/reference/agencies/new", data, token_from="/reference/agencies/new"
        )
        assert response.status_code == 302
    region = db.session.scalar(select(PoolingRegion).where(PoolingRegion.code == "371600"))
    assert (region.name, region.province) == ("滨州市", "山东省")
    assert len(audit_rows("region.create")) == 1 and count(Agency) == 3
    # Another agency naming the same region joins it; under another name it is refused.
    second = {**data, "code": "BZ02", "name": "滨州市二中心"}
    post_form(client, "/reference/agencies/new", second, token_from="/reference/agencies/new")
    assert db.session.scalar(select(Agency).where(Agency.code == "BZ02")).region_id == region.id
    clash = {**second, "code": "BZ03", "new_region_name": "滨州"}
    refused = post_form(
        client, "/reference/agencies/new", clash, token_from="/reference/agencies/new"
    )
    assert errors(refused) == ["统筹地区 371600 已存在，名称为 滨州市：请从列表中选择"]
    assert count(PoolingRegion) == 3


def test_the_fund_reserve_by_month_with_its_history(client, world):
    sign_in(client, world["reviewer"])  # the agency's own reviewer may keep its region's data
    base = f"/reference/regions/{world['region']}"
    new = f"{base}/fund-reserve/new"
    for month, months in (("2022-06", "5.8"), ("2022-07", "6.5"), ("2022-09", "7")):
        response = post_form(client, new, {"month": month, "months": months}, token_from=new)
        assert response.status_code == 302, errors(response)
    # A double click records the month once and answers the same.
    assert (
        post_form(client, new, {"month": "2022-07", "months": "6.50"}, token_from=new).status_code
        == 302
    )
    assert count(FundReserve) == 3 and len(audit_rows("fund_reserve.create")) == 3
    taken = post_form(client, new, {"month": "２０２２-07", "months": "8"}, token_from=new)
    assert errors(taken) == ["2022-07 已有数值（6.5）。如需修改，请在列表中选择该月份进行修改"]
    page = soup(client.get(base))
    assert [td.get_text() for td in page.select("#reserves tbody td:first-child")] == [
        "2022-09",
        "2022-07",
        "2022-06",
    ]
    # On 2022-08-15 the July figure is in force (September's is not yet).
    row = region_row(client, "371500")
    assert "6.5" in row.select("td")[3].get_text() and "2022-07" in row.select("td")[3].get_text()

    reserve = db.session.scalar(select(FundReserve).where(FundReserve.month == "2022-07"))
    edit = f"{base}/fund-reserve/{reserve.id}"
    assert soup(client.get(edit)).select_one("#months")["value"] == "6.5"
    # Spaces only are nothing entered: said so, not a 500 (the fuzz found one).
    blank = post_form(client, edit, {"months": "   "}, token_from=edit)
    assert blank.status_code == 200 and errors(blank) == ["输入月数，例如 14.2"]
    assert post_form(client, edit, {"months": "7.25"}, token_from=edit).status_code == 302
    db.session.expire_all()
    assert reserve.months == Decimal("7.25") and reserve.updated_at >= reserve.created_at
    rows = soup(client.get(edit)).select("#history tbody tr")
    assert "6.5 → 7.25" in rows[0].get_text(" ", strip=True)
    assert "2022-07" in rows[1].get_text() and "6.5" in rows[1].get_text()


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"month": "", "months": "6"}, ["输入该数值所属的月份，例如 2022-08"]),
        ({"month": "2022-13", "months": "6"}, ["按年-月填写月份，例如 2022-08"]),
        ({"month": "22-08", "months": "6"}, ["按年-月填写月份，例如 2022-08"]),
        ({"month": "2022-08", "months": ""}, ["输入月数，例如 14.2"]),
        ({"month": "2022-08", "months": "-1"}, ["输入0或以上的月数，例如 14.2"]),
        ({"month": "2022-08", "months": "1e3"}, ["输入0或以上的月数，例如 14.2"]),
        ({"month": "2022-08", "months": "NaN"}, ["输入0或以上的月数，例如 14.2"]),
        ({"month": "2022-08", "months": "12345"}, ["小数点前最多输入4位"]),
        ({"month": "2022-08", "months": "1.234"}, ["小数点后最多输入2位"]),
    ],
)
def test_a_fund_reserve_is_a_month_and_a_number_of_months(client, world, data, expected):
    sign_in(client, world["admin"])
    new = f"/reference/regions/{world['region']}/fund-reserve/new"
    response = post_form(client, new, data, token_from=new)
    assert response.status_code == 200
    assert errors(response) == expected
    assert count(FundReserve) == 0


def test_the_rates_from_a_month_with_their_history(client, world):
    sign_in(client, world["admin"])
    base = f"/reference/regions/{world['region']}"
    new = f"{base}/rates/new"
    data = {"start_month": "2022-01", "unit_medical_rate": "0.065", "maternity_rate": "0.008"}
    for _click in range(2):
        assert post_form(client, new, data, token_from=new).status_code == 302
    assert count(RegionRate) == 1 and len(audit_rows("region_rate.create")) == 1
    taken = post_form(client, new, {**data, "maternity_rate": "0.01"}, token_from=new)
    assert errors(taken) == [
        "2022-01 已有数值（0.065 / 0.008）。如需修改，请在列表中选择该月份进行修改"
    ]
    row = region_row(client, "371500").get_text(" ")
    assert "6.5%" in row and "0.8%" in row
    rate = db.session.scalar(select(RegionRate))
    edit = f"{base}/rates/{rate.id}"
    assert soup(client.get(edit)).select_one("#unit_medical_rate")["value"] == "0.065"
    changed = {"unit_medical_rate": "0.06", "maternity_rate": "0.008"}
    assert post_form(client, edit, changed, token_from=edit).status_code == 302
    history = soup(client.get(edit)).select("#history tbody tr")
    assert "0.065 → 0.06" in history[0].get_text(" ", strip=True)
    assert "0.008" not in history[0].get_text()  # unchanged
    for bad, message in (
        ("6.5", "以小数填写费率，取值0至1，例如 0.065 表示6.5%"),
        ("65", "以小数填写费率，取值0至1，例如 0.065 表示6.5%"),
        ("-0.1", "以小数填写费率，取值0至1，例如 0.065 表示6.5%"),
        ("0.06555", "小数点后最多输入4位"),
        ("", "输入单位医疗费率，例如 0.065"),
    ):
        response = post_form(client, edit, {**changed, "unit_medical_rate": bad}, token_from=edit)
        assert errors(response) == [message], bad
    db.session.expire_all()
    assert rate.unit_medical_rate == Decimal("0.06")


def test_reviewers_keep_their_own_region_only(client, world):
    other = f"/reference/regions/{world['other_region']}"
    sign_in(client, world["reviewer"])
    assert [
        r.get_text(strip=True)
        for r in soup(client.get("/reference/agencies")).select("#agencies tbody td:first-child")
    ] == ["LC01"]
    assert len(soup(client.get("/reference/regions")).select("#regions tbody tr")) == 1
    own_new = f"/reference/regions/{world['region']}/fund-reserve/new"
    data = {"month": "2022-08", "months": "9"}
    assert (
        post_form(client, f"{other}/fund-reserve/new", data, token_from=own_new).status_code == 404
    )
    rates = {"start_month": "2022-01", "unit_medical_rate": "0.06", "maternity_rate": "0.01"}
    assert post_form(client, f"{other}/rates/new", rates, token_from=own_new).status_code == 404
    agency = {**AGENCY, "region": str(world["region"])}
    assert (
        post_form(client, "/reference/agencies/new", agency, token_from=own_new).status_code == 403
    )
    edit_agency = f"/reference/agencies/{world['agency']}/edit"
    assert post_form(client, edit_agency, agency, token_from=own_new).status_code == 403
    # Another region's row through this region's URL is a 404 too.
    db.session.add(FundReserve(region_id=world["other_region"], month="2022-07", months=Decimal(5)))
    db.session.commit()
    reserve_id = db.session.scalar(select(FundReserve.id))
    own_edit = f"/reference/regions/{world['region']}/fund-reserve/{reserve_id}"
    assert post_form(client, own_edit, {"months": "9"}, token_from=own_new).status_code == 404
    assert db.session.scalar(select(FundReserve.months)) == Decimal(5)
    assert count(RegionRate) == 0 and count(Agency) == 2
    # The staff page links the reference pages for the back office, not for hall staff.
    assert soup(client.get("/staff/employers")).select_one("#reference-links") is not None
    sign_in(client, world["hall"])
    assert soup(client.get("/staff/employers")).select_one("#reference-links") is None


def test_the_mobile_number_is_kept_on_the_agency_page(client, world):
    """手机号码, which the Wuxi 附表's footer asks for: typed, checked, shown and audited."""
    sign_in(client, world["admin"])
    data = {**AGENCY, "region": str(world["region"]), "report_contact_mobile": "手机"}
    refused = post_form(
        client, "/reference/agencies/new", data, token_from="/reference/agencies/new"
    )
    assert refused.status_code == 200 and errors(refused) == ["输入电话号码，例如 0635-8241234"]
    data["report_contact_mobile"] = "13912345678"
    added = post_form(client, "/reference/agencies/new", data, token_from="/reference/agencies/new")
    assert added.status_code == 302
    agency = db.session.scalar(select(Agency).where(Agency.code == "LC02"))
    assert agency.report_contact_mobile == "13912345678"
    assert "13912345678" in soup(client.get("/reference/agencies")).select_one("#agencies").text
    edit = soup(client.get(f"/reference/agencies/{agency.id}/edit"))
    assert edit.select_one("#report_contact_mobile")["value"] == "13912345678"
    assert (
        audit_rows("agency.create")[-1].details["after"]["report_contact_mobile"] == "13912345678"
    )
