from __future__ import annotations

from decimal import Decimal

import pytest

from tests import files
from tests.applications.helpers import multipart_post
from tests.conftest import sign_in

#: Valid identity-card numbers (兰山区, born 1995 and 1996; the first ends in X).
VISITOR_ID = "37130219950101123X"
OTHER_VISITOR_ID = "371302199605120043"
PDF_BYTES = files.pdf()
PNG_BYTES = files.png()


@pytest.fixture
def hall_world(make):
    """Two employers in one agency (similar names), one elsewhere, hall staff and an owner."""
    region = make.region(
        "liaocheng-2022", unit_medical_rate=Decimal("0.06"), maternity_rate=Decimal("0.01")
    )
    agency = make.agency(region, name="聊城市医疗保障服务中心")
    other_agency = make.agency(name="临沂市医疗保险事业中心")
    employer = make.employer(
        agency, name="聊城市东昌府区示例商贸有限公司", contribution_base_amount=Decimal("50000")
    )
    similar = make.employer(agency, name="聊城市东昌府区示例商贸中心", list_status="not_listed")
    elsewhere = make.employer(other_agency, name="临沂示例商贸有限公司")
    world = {
        "agency": agency,
        "employer": employer,
        "similar": similar,
        "elsewhere": elsewhere,
        "owner": make.user(employer=employer, role="owner", display_name="王法人"),
        "owner_elsewhere": make.user(employer=elsewhere, role="owner"),
        "hall": make.user(staff_role="hall", agency=agency, display_name="赵窗口"),
        "hall_other": make.user(staff_role="hall", agency=other_agency, display_name="钱窗口"),
        "reviewer": make.user(staff_role="reviewer", agency=agency),
        "admin": make.user(staff_role="admin", display_name="孙管理"),
    }
    make.commit()
    return world


def visitor_data(**overrides) -> dict:
    data = {
        "visitor_name": "李来人",
        "id_number": VISITOR_ID,
        "capacity": "legal_representative",
    }
    data.update(overrides)
    return data


def start_visit(client, employer, *, letter: bytes | None = None, **overrides):
    """Record the visitor and start acting, as hall staff would (the client is signed in)."""
    files = [("letter", "授权委托书.pdf", letter)] if letter is not None else []
    path = f"/hall/employers/{employer.id}/visit"
    return multipart_post(client, path, visitor_data(**overrides), files)


@pytest.fixture
def acting_client(client, hall_world):
    """Hall staff signed in and acting for the employer, for a legal representative."""
    sign_in(client, hall_world["hall"])
    response = start_visit(client, hall_world["employer"])
    assert response.status_code == 302, response.get_data(as_text=True)
    return client
