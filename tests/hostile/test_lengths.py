"""Issue 15 items 12 and 13: over-long text refused with the limit, one message per bad number,
a hall phone in digits, finance staff told who confirms, paged histories."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from wtforms import StringField, TextAreaField
from wtforms.validators import Length

from portal.core.extensions import db
from portal.models import AuditEntry, CommitmentApplication, ServiceHall, User
from portal.web.forms import LINE_MAX, TEXT_MAX, BaseForm
from tests.applications.helpers import base, errors, submitted_application
from tests.conftest import post_form, sign_in
from tests.hostile.test_text import hall_form, soup


class _Form(BaseForm):
    class Meta:
        csrf = False

    line = StringField()
    short = StringField(validators=[Length(max=10)])
    text = TextAreaField()


# The app only gives a request context: nothing in it changes between examples.
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    field=st.sampled_from([("line", LINE_MAX), ("short", 10), ("text", TEXT_MAX)]),
    extra=st.integers(min_value=-3, max_value=3),
)
def test_every_text_field_keeps_at_most_its_limit_and_says_so(app, field, extra):
    name, limit = field
    length = limit + extra
    with app.test_request_context(method="POST", data={name: "字" * length}):
        form = _Form()
        is_valid = form.validate()
        assert is_valid == (length <= limit)
        if not is_valid:
            (message,) = form[name].errors
            assert f"{limit:,}" in message and f"{length:,}" in message


def test_a_ten_thousand_character_name_is_refused_with_the_limit(client, make):
    admin = make.user(staff_role="admin", agency=make.agency())
    make.commit()
    sign_in(client, admin)
    before = db.session.scalar(select(func.count()).select_from(User))
    response = post_form(
        client,
        "/admin/users/new",
        {
            "display_name": "张" * 10_000,
            "username": "clerk-2",
            "staff_role": "hall",
            "agency_id": str(admin.agency_id),
            "password": "a-long-enough-password-2022",
        },
        token_from="/admin/users/new",
    )
    assert response.status_code == 200
    assert errors(response) == ["最多输入 200 个字符（现有 10,000 个）"]
    assert db.session.scalar(select(func.count()).select_from(User)) == before


def test_a_review_reason_over_two_thousand_characters_is_refused_not_cut(client, make):
    agency = make.agency()
    employer = make.employer(agency, list_status="not_listed")
    reviewer = make.user(staff_role="reviewer", agency=agency)
    application = submitted_application(employer)
    make.commit()
    sign_in(client, reviewer)
    response = post_form(
        client,
        f"/review/{application.id}/reject",
        {"reason": "理" * 2001},
        token_from=f"/review/{application.id}",
    )
    assert errors(response) == ["最多输入 2,000 个字符（现有 2,001 个）"]
    assert db.session.get(CommitmentApplication, application.id).status == "submitted"


@pytest.mark.parametrize("phone", ["abc", "0539-abc", "--", "12345", "+86 ()"])
def test_a_hall_phone_must_be_a_phone_number(client, make, phone):
    admin = make.user(staff_role="admin")
    make.commit()
    sign_in(client, admin)
    response = post_form(
        client,
        "/admin/halls/new",
        {**hall_form(make), "phone": phone},
        token_from="/admin/halls/new",
    )
    assert response.status_code == 200
    assert errors(response) == ["请用数字填写电话号码，例如 0539-8101230"]
    assert db.session.scalar(select(func.count()).select_from(ServiceHall)) == 0


@pytest.mark.parametrize("phone", ["0539-8101230", "17662877870", "710919", "(0539) 8101230"])
def test_printed_hall_phones_are_accepted(client, make, phone):
    admin = make.user(staff_role="admin")
    make.commit()
    sign_in(client, admin)
    response = post_form(
        client,
        "/admin/halls/new",
        {**hall_form(make), "phone": phone},
        token_from="/admin/halls/new",
    )
    assert response.status_code == 302


def test_employees_abc_gets_one_message(client, make):
    response = client.get(
        "/lookup/classification",
        query_string={"industry": "retail", "employees": "abc", "revenue": "150"},
    )
    assert errors(response) == ["按 0 或以上的整数填写从业人员数，例如 45"]
    agency = make.agency()
    employer = make.employer(
        agency, list_status="not_listed", size_class=None, size_source=None, industry=None
    )
    owner = make.user(employer=employer, role="owner")
    make.commit()
    sign_in(client, owner)
    url = base(employer)
    post_form(client, f"{url}/begin", token_from=f"{url}/")
    post_form(client, f"{url}/particulars", {"unit_kind": "enterprise"}, token_from=f"{url}/")
    post_form(client, f"{url}/industry", {"industry": "retail"}, token_from=f"{url}/")
    response = post_form(
        client, f"{url}/figures", {"employees": "abc", "revenue": "850.5"}, token_from=f"{url}/"
    )
    assert len(soup(response).select("#employees-error, .form-group-error .error-message")) == 1


def test_finance_staff_are_not_told_to_confirm_what_they_cannot(client, make):
    employer = make.employer(make.agency(), list_status="listed")
    finance = make.user(employer=employer, role="finance")
    make.commit()
    sign_in(client, finance)
    page = client.get(f"/e/{employer.id}/applications/").get_data(as_text=True)
    assert "请在首页确认缓缴" not in page
    assert "单位负责人可在首页确认缓缴或选择不缓缴" in page
    home = soup(client.get(f"/e/{employer.id}/")).select_one("#next-step").get_text()
    assert "单位负责人可在" in home and "请在" not in home
    unlisted = make.employer(make.agency(), list_status="not_listed")
    clerk = make.user(employer=unlisted, role="finance")
    make.commit()
    sign_in(client, clerk)
    home = soup(client.get(f"/e/{unlisted.id}/")).select_one("#next-step").get_text()
    assert "可由单位负责人（法定代表人）申报指标" in home


def _audit_rows(actor, employer, n: int) -> None:
    start = datetime(2022, 8, 1, tzinfo=UTC)
    for i in range(n):
        db.session.add(
            AuditEntry(
                at=start + timedelta(minutes=i),
                actor_id=actor.id if actor else None,
                role="hall" if actor and actor.staff_role else "owner",
                action="deferral.confirm",
                acting_for_employer_id=employer.id,
                details={"n": i},
            )
        )
    db.session.commit()


def test_the_home_page_history_is_paged(client, make):
    employer = make.employer(make.agency())
    owner = make.user(employer=employer, role="owner")
    make.commit()
    _audit_rows(owner, employer, 25)
    sign_in(client, owner)
    first = soup(client.get(f"/e/{employer.id}/"))
    assert len(first.select("#history tbody tr")) == 20
    older = first.select_one(".pager a[rel=next]")["href"]
    assert first.select_one(".pager a[rel=prev]") is None
    second = soup(client.get(older))
    # 25 rows plus the sign-in row written by sign_in, if any: the rest of them.
    assert 5 <= len(second.select("#history tbody tr")) < 20
    assert second.select_one(".pager a[rel=prev]") is not None
    assert client.get(f"/e/{employer.id}/?page=abc").status_code == 200


def test_hall_staff_see_their_own_actions_a_page_at_a_time(client, make):
    agency = make.agency()
    employer = make.employer(agency, name="聊城市示例商贸有限公司")
    clerk = make.user(staff_role="hall", agency=agency)
    other = make.user(staff_role="hall", agency=agency)
    make.commit()
    _audit_rows(clerk, employer, 55)
    _audit_rows(other, employer, 3)
    sign_in(client, clerk)
    staff_page = soup(client.get("/staff/employers"))
    link = staff_page.select_one("#my-actions-link a")["href"]
    page = soup(client.get(link))
    rows = page.select("#my-actions tbody tr")
    assert len(rows) == 50
    assert "聊城市示例商贸有限公司" in rows[0].get_text()
    second = soup(client.get(page.select_one(".pager a[rel=next]")["href"]))
    mine = db.session.scalar(
        select(func.count()).select_from(AuditEntry).where(AuditEntry.actor_id == clerk.id)
    )
    assert len(second.select("#my-actions tbody tr")) == mine - 50


def test_the_halls_page_says_where_its_list_comes_from(client):
    text = soup(client.get("/halls")).select_one("#halls-source").get_text()
    assert "临医保发〔2020〕28号" in text and "管理员" in text


def test_a_reviewer_lands_on_a_page_that_leads_to_the_review_queue_first(client, make):
    """Issue 15 item 12: the link to the queue sat below the whole employer list."""
    agency = make.agency()
    for _n in range(3):
        make.employer(agency)
    reviewer = make.user(staff_role="reviewer", agency=agency)
    make.commit()
    sign_in(client, reviewer)
    landing = client.get(client.get("/dashboard").location)
    page = soup(landing)
    link = page.select_one("nav#staff-tasks #review-link a")
    assert link["href"] == "/review/"
    html = landing.get_data(as_text=True)
    assert html.index('id="review-link"') < html.index('id="results"')
