from __future__ import annotations

import pytest

from portal.letters import document
from tests.applications.helpers import fake_render


@pytest.fixture
def fast_letters(monkeypatch):
    """Swap the WeasyPrint render for a stand-in (the PDF tests use the real one)."""
    monkeypatch.setattr(document, "render_commitment_letter", fake_render)


@pytest.fixture
def people(make):
    """An employer not on the list (Liaocheng, 2022), its owner and finance, two reviewers."""
    agency = make.agency(name="聊城市医疗保障服务中心")
    other_agency = make.agency()
    employer = make.employer(
        agency, list_status="not_listed", size_class=None, size_source=None, industry=None
    )
    result = {
        "agency": agency,
        "employer": employer,
        "owner": make.user(employer=employer, role="owner", display_name="张三"),
        "finance": make.user(employer=employer, role="finance"),
        "reviewer": make.user(staff_role="reviewer", agency=agency, display_name="审核员甲"),
        "reviewer2": make.user(staff_role="reviewer", agency=agency, display_name="审核员乙"),
        "reviewer_other": make.user(staff_role="reviewer", agency=other_agency),
        "hall": make.user(staff_role="hall", agency=agency),
    }
    make.commit()
    return result
