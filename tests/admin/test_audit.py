"""The administrators' audit view: filters, pages, and a CSV that cannot run formulas."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
from bs4 import BeautifulSoup

from portal.core import audit
from portal.core.extensions import db
from portal.models import AuditEntry
from tests.conftest import post_form, press_download, sign_in


def soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def actions(response) -> list[str]:
    return [
        tr.select("td")[3].select_one(".hint").get_text(strip=True)
        for tr in soup(response).select("#audit tbody tr")
    ]


@pytest.fixture
def logged(make):
    agency = make.agency()
    employer = make.employer(agency, name="甲商贸有限公司")
    other = make.employer(agency, name='=HYPERLINK("http://x")乙公司')
    hall = make.user(staff_role="hall", agency=agency, display_name="赵窗口", username="zhao")
    hall2 = make.user(staff_role="hall", agency=agency, display_name="钱窗口", username="qian")
    admin = make.user(staff_role="admin", display_name="孙管理")

    def row(actor, action, employer_id, at, **details):
        # Rows as audit.record writes them, at chosen times (the log refuses later updates).
        entry = AuditEntry(
            actor_id=actor.id,
            acting_for_employer_id=employer_id,
            at=at,
            role=actor.staff_role,
            action=action,
            details=details,
        )
        db.session.add(entry)
        db.session.flush()
        return entry

    row(
        hall,
        "decision.defer",
        employer.id,
        datetime(2022, 8, 14, 17, 0, tzinfo=UTC),
        visitor_name="李来人",
        visitor_capacity="agent",
        acting_session_id=7,
    )
    row(hall, "departure.record", employer.id, datetime(2022, 8, 15, 2, 0, tzinfo=UTC))
    row(
        hall2,
        "decision.opt_out",
        other.id,
        datetime(2022, 8, 16, 2, 0, tzinfo=UTC),
        visitor_name="@SUM(A1)",
        visitor_capacity="legal_representative",
    )
    make.commit()
    return {"employer": employer, "other": other, "hall": hall, "hall2": hall2, "admin": admin}


def test_filters_by_staff_employer_action_and_local_dates(client, logged):
    sign_in(client, logged["admin"])
    everything = client.get("/admin/audit")
    assert actions(everything) == ["decision.opt_out", "departure.record", "decision.defer"]
    hall = logged["hall"]
    assert actions(client.get(f"/admin/audit?staff={hall.id}")) == [
        "departure.record",
        "decision.defer",
    ]
    assert actions(client.get("/admin/audit?employer=甲商贸")) == [
        "departure.record",
        "decision.defer",
    ]
    code = logged["other"].credit_code
    assert actions(client.get(f"/admin/audit?employer={code}")) == ["decision.opt_out"]
    assert actions(client.get("/admin/audit?action=decision.defer")) == ["decision.defer"]
    # 2022-08-14 17:00 UTC is 2022-08-15 01:00 in Shanghai: a 15 August row.
    assert actions(client.get("/admin/audit?from_date=2022-08-15&to_date=2022-08-15")) == [
        "departure.record",
        "decision.defer",
    ]
    page = soup(client.get("/admin/audit?staff=" + str(hall.id)))
    cells = [td.get_text(" ", strip=True) for td in page.select("#audit tbody tr")[1].select("td")]
    assert "赵窗口 (zhao)" in cells[1] and "甲商贸有限公司" in cells[2]
    assert "李来人" in cells[4] and "委托代理人" in cells[4]


def test_a_bad_date_range_says_what_to_do(client, logged):
    sign_in(client, logged["admin"])
    response = client.get("/admin/audit?from_date=2022-08-16&to_date=2022-08-15")
    assert "结束日期" in soup(response).select_one(".error-summary").get_text()
    assert actions(response) == []


def test_pages_of_fifty(client, logged, make):
    for _ in range(55):
        audit.record(logged["admin"], "service_hall.update", details={})
    make.commit()
    sign_in(client, logged["admin"])
    first = client.get("/admin/audit?action=service_hall.update")
    assert len(actions(first)) == 50
    next_link = soup(first).select_one("a[rel=next]")["href"]
    assert "action=service_hall.update" in next_link and "page=2" in next_link
    assert len(actions(client.get(next_link))) == 5


def test_csv_export_keeps_the_filters_and_defuses_formulas(client, logged):
    sign_in(client, logged["admin"])
    response = press_download(client, f"/admin/audit?staff={logged['hall2'].id}")
    assert response.headers["Content-Disposition"].startswith("attachment")
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0] == [
        "时间",
        "操作人用户名",
        "操作人姓名",
        "角色",
        "单位统一社会信用代码",
        "单位名称",
        "操作",
        "代办会话编号",
        "来人姓名",
        "来人身份",
        "操作对象",
        "请求编号",
        "详情",
    ]
    assert len(rows) == 2
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["时间"] == "2022-08-16T10:00:00+08:00"
    assert row["单位名称"].startswith("'=HYPERLINK")
    assert row["来人姓名"] == "'@SUM(A1)"
    assert row["操作"] == "decision.opt_out" and row["角色"] == "hall"
    everything = press_download(client, "/admin/audit")
    rows = list(csv.reader(io.StringIO(everything.data.decode("utf-8-sig"))))
    # The three logged, and the jobs of the two downloads (a job started is audited).
    actions = [row[6] for row in rows[1:]]
    assert len([a for a in actions if not a.startswith("jobs.")]) == 3, actions
    assert actions.count("jobs.started") == 2, actions


def test_only_administrators_see_the_audit_log(client, logged):
    sign_in(client, logged["hall"])
    assert client.get("/admin/audit").status_code == 403
    assert client.get("/admin/audit.csv").status_code == 403
    assert post_form(client, "/admin/audit.csv").status_code == 403
    assert db.session.query(AuditEntry).count() == 3
