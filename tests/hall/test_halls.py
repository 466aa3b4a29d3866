"""The public list of service halls (Linyi's from 临医保发〔2020〕28号), kept by administrators."""

from __future__ import annotations

from pathlib import Path

import yaml
from bs4 import BeautifulSoup
from sqlalchemy import select

from portal.core.extensions import db
from portal.features.hall.operations import load_shipped_halls
from portal.models import AuditEntry, ServiceHall
from tests.conftest import post_form, sign_in

SHIPPED = "portal/features/hall/linyi_service_halls.yaml"


def soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def rows(response) -> list[list[str]]:
    return [
        [td.get_text(" ", strip=True) for td in tr.select("td")]
        for tr in soup(response).select("table tbody tr")
    ]


def test_the_public_page_lists_linyis_halls_with_the_source(client, app):
    assert load_shipped_halls(app.root_path + "/../" + SHIPPED) == 14
    db.session.commit()
    response = client.get("/halls")
    assert response.status_code == 200
    table = rows(response)
    assert len(table) == 14
    assert table[0] == ["市直", "北京路8号，市政务服务大厅3楼", "0539-8101230"]
    assert ["莒南县", "文化路中段，新政务大厅1楼", "17662877870"] in table
    assert table[-1][0] == "高新区" and "6位" in table[-1][1]
    assert "临沂市" in soup(response).select_one("h2").get_text()
    assert "临医保发〔2020〕28号 操作细则 四–五" in soup(response).select_one(".ref").get_text()
    assert soup(response).select_one("a[href='tel:05398101230']")
    # Loading again adds nothing.
    assert load_shipped_halls(app.root_path + "/../" + SHIPPED) == 0


def test_the_shipped_list_cites_its_document_by_number_not_by_a_path(app):
    # The policy files in portal/rules/programs/ cite documents by number (and name a seed file
    # relative to seeds/); no path on a development machine belongs in a shipped file.
    text = (Path(app.root_path).parent / SHIPPED).read_text(encoding="utf-8")
    assert yaml.safe_load(text)["source"] == "临医保发〔2020〕28号 操作细则 四–五"
    assert "/work/" not in text and "/shared/" not in text


def test_the_public_page_is_linked_from_every_page(client):
    assert soup(client.get("/")).select_one("footer a[href='/halls']")


def test_every_agencys_halls_are_listed_under_their_agency(client, app, make):
    linyi = make.agency(name="临沂市医疗保障服务中心")
    liaocheng = make.agency(name="聊城市医疗保障服务中心")
    load_shipped_halls(app.root_path + "/../" + SHIPPED, agency=linyi)
    db.session.add(
        ServiceHall(
            agency=liaocheng,
            city="聊城市",
            district="东昌府区",
            address="柳园南路1号",
            phone="0635-1234567",
        )
    )
    make.commit()
    page = soup(client.get("/halls"))
    headings = [h.get_text(" ", strip=True) for h in page.select("h2")]
    assert headings == ["临沂市 · 临沂市医疗保障服务中心", "聊城市 · 聊城市医疗保障服务中心"]
    assert len(page.select("#halls-1 tbody tr")) == 14
    assert [td.get_text() for td in page.select("#halls-2 tbody td")][:2] == [
        "东昌府区",
        "柳园南路1号",
    ]


def test_the_demo_gives_linyis_halls_loaded_without_an_agency_to_linyis(app):
    from portal.cli.demo import load_demo_data

    load_shipped_halls(app.root_path + "/../" + SHIPPED)  # as the migrations load them
    load_demo_data()
    db.session.commit()
    agencies = {hall.agency.code for hall in db.session.scalars(select(ServiceHall))}
    assert agencies == {"LY01"}


def test_administrators_add_and_change_halls_and_each_change_is_audited(client, make):
    admin = make.user(staff_role="admin")
    agency = make.agency(name="聊城市医疗保障服务中心")
    make.commit()
    sign_in(client, admin)
    response = post_form(
        client,
        "/admin/halls/new",
        {
            "city": "聊城市",
            "district": "东昌府区",
            "address": "",
            "phone": "0635-1234567",
            "position": "1",
            "is_listed": "y",
        },
        token_from="/admin/halls/new",
    )
    assert response.status_code == 200
    assert "输入大厅地址" in soup(response).select_one(".error-summary").get_text()
    assert "请选择大厅所属的经办机构" in soup(response).select_one(".error-summary").get_text()
    options = soup(client.get("/admin/halls/new")).select("#agency_id option")
    assert [o.get_text() for o in options] == ["请选择经办机构", "聊城市医疗保障服务中心"]
    assert soup(response).select_one("#phone")["value"] == "0635-1234567"
    response = post_form(
        client,
        "/admin/halls/new",
        {
            "agency_id": str(agency.id),
            "city": "聊城市",
            "district": "东昌府区",
            "address": "柳园南路1号",
            "phone": "0635-1234567",
            "position": "1",
            "is_listed": "y",
        },
        token_from="/admin/halls/new",
    )
    assert response.status_code == 302
    hall = db.session.scalar(select(ServiceHall))
    assert (hall.agency_id, hall.city, hall.address, hall.source, hall.is_listed) == (
        agency.id,
        "聊城市",
        "柳园南路1号",
        "",
        True,
    )
    assert ["东昌府区", "柳园南路1号", "0635-1234567"] in rows(client.get("/halls"))
    edit = f"/admin/halls/{hall.id}/edit"
    assert soup(client.get(edit)).select_one("#address")["value"] == "柳园南路1号"
    assert soup(client.get(edit)).select_one("#agency_id option[selected]")["value"] == str(
        agency.id
    )
    response = post_form(
        client,
        edit,
        {
            "agency_id": str(agency.id),
            "city": "聊城市",
            "district": "东昌府区",
            "address": "柳园南路2号",
            "phone": "0635-1234567",
            "position": "1",
        },  # unticked: no longer shown
        token_from=edit,
    )
    assert response.status_code == 302
    assert rows(client.get("/halls")) == []
    assert [
        "聊城市医疗保障服务中心",
        "聊城市",
        "东昌府区",
        "柳园南路2号",
        "0635-1234567",
        "否",
        "管理员录入",
        "修改 东昌府区",
    ] in rows(client.get("/admin/halls"))
    entries = list(db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)))
    assert [e.action for e in entries] == ["service_hall.create", "service_hall.update"]
    assert entries[1].details["changed"] == {
        "address": ["柳园南路1号", "柳园南路2号"],
        "is_listed": [True, False],
    }
    assert entries[1].actor_id == admin.id


def test_only_administrators_edit_halls(client, make):
    hall_staff = make.user(staff_role="hall", agency=make.agency())
    make.commit()
    sign_in(client, hall_staff)
    assert client.get("/admin/halls").status_code == 403
    assert client.get("/admin/halls/new").status_code == 403
