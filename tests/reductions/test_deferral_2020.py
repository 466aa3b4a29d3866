"""The 2020 deferral by application: the employer applies, uploads, sends; a reviewer approves
or returns it with a reason (临医保发〔2020〕28号 操作细则 一（二）、二（二）;
锡医保服务〔2020〕11号 三（一）)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import select

from portal.core.extensions import db
from portal.facts.standing import employer_standing
from portal.models import Assessment, AuditEntry, CommitmentApplication
from portal.rules import deferral_lengths, deferral_start_months, load_program
from tests.applications.helpers import multipart_post
from tests.conftest import post_form, sign_in
from tests.files import png

LINYI, WUXI = "371300", "320200"


def _soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


@pytest.fixture
def world(app, make):
    app.config["PORTAL_TODAY"] = "2020-03-20"
    linyi = make.agency(make.region("linyi-2020", code=LINYI))
    wuxi = make.agency(make.region("jiangsu-2022", code=WUXI))
    employers = {
        "linyi": make.employer(linyi, contribution_base_amount=Decimal("10000.00")),
        "wuxi": make.employer(wuxi, contribution_base_amount=Decimal("10000.00")),
        "large": make.employer(linyi, size_class="large"),
    }
    users = {key: make.user(employer=e, role="owner") for key, e in employers.items()}
    users["reviewer"] = make.user(staff_role="reviewer", agency=linyi)
    make.commit()
    return employers, users


def _apply(client, employer, **answers):
    path = f"/e/{employer.id}/applications/deferral-2020"
    data = {"route": "sme", "start_month": "2020-03", "months": "4", "reason": "疫情停工，订单延后"}
    data.update(answers)
    return post_form(client, path, data, token_from=path)


def _upload_and_send(client, employer):
    files_path = f"/e/{employer.id}/applications/deferral-2020/files"
    uploaded = multipart_post(client, files_path, {}, [("files", "缓缴申请书.png", png())])
    assert uploaded.status_code == 302
    return post_form(
        client, f"/e/{employer.id}/applications/deferral-2020/submit", token_from=files_path
    )


@pytest.mark.parametrize("language", ["zh", "en"])
def test_linyi_applies_for_four_months_and_a_reviewer_approves(app, client, world, language):
    employers, users = world
    employer = employers["linyi"]
    sign_in(client, users["linyi"])
    post_form(client, "/language", {"locale": language})
    assert _apply(client, employer).status_code == 302
    files_page = _soup(client.get(f"/e/{employer.id}/applications/deferral-2020/files"))
    assert "2020-03" in files_page.select_one("#deferral-months").get_text()
    # 4 % medical + 1 % maternity + 2 % personal on 10,000.00: 职工医疗、生育保险费 (一（二）)
    assert files_page.select_one("#deferred-total").get_text(strip=True).endswith("2,800.00")
    sent = _upload_and_send(client, employer)
    assert sent.status_code == 302
    application = db.session.scalar(select(CommitmentApplication))
    assert (application.kind, application.status) == ("deferral_2020", "submitted")
    assert application.reference.startswith("DA-2020-")
    # the reviewer's queue is the commitment applications' queue
    sign_in(client, users["reviewer"])
    queue = _soup(client.get("/review/"))
    assert application.reference in queue.get_text()
    detail = client.get(f"/review/{application.id}")
    assert "2020-03" in _soup(detail).select_one("#deferral-months").get_text()
    approved = post_form(
        client, f"/review/{application.id}/approve", token_from=f"/review/{application.id}"
    )
    assert approved.status_code == 302
    sign_in(client, users["linyi"])
    status = _soup(client.get(f"/e/{employer.id}/applications/{application.id}"))
    assert "2020" in status.select_one("#catch-up-by").get_text()
    assert "31" in status.select_one("#catch-up-by").get_text()  # 2020-07-31
    rates = _soup(client.get(f"/e/{employer.id}/reductions/"))
    assert "2020-03" in rates.select_one("#deferral-status").get_text()
    actions = set(db.session.scalars(select(AuditEntry.action)))
    assert {"deferral2020.start", "deferral2020.submit", "deferral2020.approve"} <= actions
    assert "commitment.evidence_add" in actions  # the same upload machinery


def test_a_returned_application_shows_the_reason_and_can_be_corrected(app, client, world):
    employers, users = world
    employer = employers["linyi"]
    sign_in(client, users["linyi"])
    _apply(client, employer)
    _upload_and_send(client, employer)
    application = db.session.scalar(select(CommitmentApplication))
    sign_in(client, users["reviewer"])
    returned = post_form(
        client,
        f"/review/{application.id}/reject",
        {"reason": "缺少承诺书"},
        token_from=f"/review/{application.id}",
    )
    assert returned.status_code == 302
    sign_in(client, users["linyi"])
    page = _soup(client.get(f"/e/{employer.id}/applications/deferral-2020"))
    assert "缺少承诺书" in page.select_one(".rejection").get_text()
    assert _apply(client, employer, months="3").status_code == 302
    rounds = list(db.session.scalars(select(CommitmentApplication.round)))
    assert sorted(rounds) == [1, 2]
    second = db.session.scalar(
        select(CommitmentApplication).where(CommitmentApplication.round == 2)
    )
    # the new round starts from the returned one's answers and a copy of its letter
    assert (second.reference[:8], second.defer_start, second.defer_months) == (
        "DA-2020-",
        "2020-03",
        3,
    )
    assert [f.original_name for f in second.evidence] == ["缓缴申请书.png"]
    started = db.session.scalar(
        select(AuditEntry).where(AuditEntry.action == "deferral2020.resubmit_start")
    )
    assert started.details == {"reference": second.reference, "round": 2}


def test_seven_months_and_a_missing_letter_are_refused(app, client, world):
    employers, users = world
    employer = employers["linyi"]
    sign_in(client, users["linyi"])
    refused = _apply(client, employer, months="7")
    assert refused.status_code == 400  # not a choice: at most 6 (一（二）)
    _apply(client, employer)
    files_path = f"/e/{employer.id}/applications/deferral-2020/files"
    post_form(client, f"/e/{employer.id}/applications/deferral-2020/submit", token_from=files_path)
    assert db.session.scalar(select(CommitmentApplication.status)) == "draft"


def test_a_sent_application_is_due_in_three_working_days_and_says_what_it_asks(app, client, world):
    employers, users = world
    employer = employers["linyi"]
    sign_in(client, users["linyi"])
    _apply(client, employer)
    assert _upload_and_send(client, employer).status_code == 302
    again = post_form(
        client,
        f"/e/{employer.id}/applications/deferral-2020/submit",
        token_from=f"/e/{employer.id}/applications/",
    )
    assert again.status_code == 302  # a second click shows what the first sent
    application = db.session.scalar(select(CommitmentApplication))
    # Friday 2020-03-20 + 3 working days (reading review_working_days, 操作细则 二（二）2)
    assert application.due_on == date(2020, 3, 25)
    sent = list(
        db.session.scalars(select(AuditEntry).where(AuditEntry.action == "deferral2020.submit"))
    )
    assert [entry.details for entry in sent] == [
        {"reference": application.reference, "months": "2020-03 x 4", "due_on": "2020-03-25"}
    ]


def test_the_commitment_start_page_of_a_2020_employer_names_the_review_time(client, world):
    employers, users = world
    sign_in(client, users["linyi"])
    page = _soup(client.get(f"/e/{employers['linyi'].id}/applications/"))
    lead = page.select_one(".lead").get_text()
    assert "None" not in lead and "3个工作日" in lead  # it said "None个工作日"


@pytest.mark.parametrize(("key", "program_id"), [("linyi", "linyi-2020"), ("wuxi", "wuxi-2020")])
def test_the_form_offers_exactly_the_months_the_rules_accept(client, world, key, program_id):
    employers, users = world
    employer = employers[key]
    sign_in(client, users[key])
    page = _soup(client.get(f"/e/{employer.id}/applications/deferral-2020"))
    offered = [i["value"] for i in page.select("input[name=start_month]")]
    lengths = [int(i["value"]) for i in page.select("input[name=months]")]
    program = load_program(program_id)
    assert offered == deferral_start_months(program)
    assert lengths == deferral_lengths(program)
    # a month the rules refuse is not a choice: the form refuses it before the rules are asked
    refused = _apply(client, employer, start_month="2021-01", months="1", employees_agreed="y")
    assert refused.status_code == 400
    assert db.session.scalar(select(CommitmentApplication)) is None


def test_wuxi_needs_the_employees_agreement(app, client, world):
    employers, users = world
    employer = employers["wuxi"]
    sign_in(client, users["wuxi"])
    page = _soup(client.get(f"/e/{employer.id}/applications/deferral-2020"))
    assert "经与职工协商一致" in page.select_one("#employees-agreement").get_text()
    refused = _apply(client, employer)
    assert refused.status_code == 400
    assert "经与职工协商一致" in _soup(refused).select_one(".error-message").get_text()
    assert _apply(client, employer, employees_agreed="y").status_code == 302
    assert db.session.scalar(select(CommitmentApplication.employees_agreed)) is True


def test_a_large_linyi_enterprise_applies_on_its_industry_not_as_an_sme(app, client, world):
    """Issue 28 item 20: 鲁医保发〔2020〕23号 三 names a second ground, the industries of
    鲁政办发〔2020〕5号, whatever the size class; the application says which it used."""
    employers, users = world
    employer = employers["large"]
    sign_in(client, users["large"])
    page = _soup(client.get(f"/e/{employer.id}/applications/deferral-2020"))
    grounds = [i["value"] for i in page.select("#route input[name=route]")]
    assert grounds == ["sme", "industry", "social_organisation"]
    industries = [i["value"] for i in page.select("#ground input")]
    assert industries == ["life_services", "wholesale_retail", "exhibition", "film_screening"]
    as_sme = _apply(client, employer)
    assert as_sme.status_code == 400
    assert "工信部联企业〔2011〕300号" in _soup(as_sme).select_one("#route").get_text()
    no_industry = _apply(client, employer, route="industry")
    assert no_industry.status_code == 400
    assert _soup(no_industry).select_one("#ground .error-message") is not None
    not_social = _apply(client, employer, route="social_organisation")
    assert not_social.status_code == 400
    assert "民政" in _soup(not_social).select_one("#route .error-message").get_text()
    assert db.session.scalar(select(CommitmentApplication.defer_route)) is None
    assert _apply(client, employer, route="industry", ground="wholesale_retail").status_code == 302
    application = db.session.scalar(select(CommitmentApplication))
    assert (application.defer_route, application.defer_ground) == ("industry", "wholesale_retail")
    files = _soup(client.get(f"/e/{employer.id}/applications/deferral-2020/files"))
    said = files.select_one("#deferral-route").get_text()
    assert "鲁政办发〔2020〕5号" in said and "批发零售业" in said and "GB/T 4754-2017" in said
    assert _upload_and_send(client, employer).status_code == 302
    sign_in(client, users["reviewer"])
    review = _soup(client.get(f"/review/{application.id}"))
    assert "批发零售业" in review.select_one("#deferral-route").get_text()


def test_a_social_organisation_applies_as_one_and_wuxi_names_no_ground(app, client, world, make):
    employers, users = world
    linyi = employers["linyi"].agency
    group = make.employer(linyi, unit_kind="social_group")
    owner = make.user(employer=group, role="owner")
    make.commit()
    sign_in(client, owner)
    assert _apply(client, group, route="social_organisation").status_code == 302
    assert db.session.scalar(select(CommitmentApplication.defer_route)) == "social_organisation"
    sign_in(client, users["wuxi"])
    wuxi = _soup(client.get(f"/e/{employers['wuxi'].id}/applications/deferral-2020"))
    assert wuxi.select_one("#route") is None and wuxi.select_one("#start_month") is not None


def test_an_excluded_unit_is_refused_on_every_ground(app, client, world, make):
    employers, _users = world
    organ = make.employer(employers["linyi"].agency, unit_kind="government_organ")
    owner = make.user(employer=organ, role="owner")
    make.commit()
    sign_in(client, owner)
    page = _soup(client.get(f"/e/{organ.id}/applications/deferral-2020"))
    assert page.select_one("#refused") is not None
    assert page.select_one("main form[method=post]") is None


def test_a_2020_deferral_is_not_the_2022_commitment_route(app, client, world):
    employers, users = world
    employer = employers["linyi"]
    sign_in(client, users["linyi"])
    _apply(client, employer)
    _upload_and_send(client, employer)
    app.config["PORTAL_TODAY"] = "2022-08-15"
    employer.list_status = "not_listed"
    db.session.commit()
    from datetime import date

    assert employer_standing(employer, date(2022, 8, 15)).application is None


def test_a_deferral_refused_at_first_then_sent_has_its_reference(app, client, world, make):
    """Issue 28 item 13: a first step refused by the rules (Wuxi without 经与职工协商一致)
    left the round without its reference, sent later as "申请 None"."""
    employers, users = world
    employer = employers["wuxi"]
    reviewer = make.user(staff_role="reviewer", agency=employer.agency)
    make.commit()
    sign_in(client, users["wuxi"])
    assert _apply(client, employer).status_code == 400
    assert _apply(client, employer, employees_agreed="y").status_code == 302
    _upload_and_send(client, employer)
    db.session.expire_all()
    application = db.session.scalar(select(CommitmentApplication))
    assert application.status == "submitted"
    assert application.reference == f"DA-2020-{application.id:06d}"
    status = _soup(client.get(f"/e/{employer.id}/applications/{application.id}"))
    assert application.reference in status.select_one("h1").get_text()
    sign_in(client, reviewer)
    queue = _soup(client.get("/review/")).get_text()
    assert application.reference in queue and "None" not in queue


@pytest.mark.parametrize("decision", ["approve", "reject"])
def test_the_home_page_speaks_of_the_2020_deferral_with_its_months_amount_and_deadline(
    app, client, world, decision
):
    """Issue 28 item 13: after a decision the home page spoke of a commitment application
    ("已纳入缓缴名单"); it names the 2020 deferral and, approved, its months, amount and
    catch-up day as deferral_request answers them (临医保发〔2020〕28号 操作细则 一（二）)."""
    employers, users = world
    employer = employers["linyi"]
    sign_in(client, users["linyi"])
    _apply(client, employer)
    _upload_and_send(client, employer)
    application = db.session.scalar(select(CommitmentApplication))
    sign_in(client, users["reviewer"])
    path = f"/review/{application.id}"
    post_form(client, f"{path}/{decision}", {"reason": "缺少承诺书"}, token_from=path)
    sign_in(client, users["linyi"])
    post_form(client, "/language", {"locale": "en"})
    notices = _soup(client.get(f"/e/{employer.id}/")).select_one("#notices").get_text(" ")
    assert "commitment" not in notices and "deferral list" not in notices
    assert "2020 deferral" in notices and application.reference in notices
    if decision == "approve":
        assert "2020-03 to 2020-06" in notices  # 4 months
        assert "2,800.00" in notices  # 4 x 700.00: unit medical, maternity, personal
        assert "31 Jul 2020" in notices
    else:
        assert "缺少承诺书" in notices


def test_an_unclassified_linyi_sme_applies_provisionally_under_the_commitment(
    app, client, world, make
):
    """Issue 28 item 9, 鲁医保发〔2020〕23号 三: with no shared class and no headcount before
    2020-02 the unit is classified provisionally as it applies (告知承诺), 多退少补 once
    confirmed; the application proceeds and records that it is provisional."""
    employers, _users = world
    employer = make.employer(
        employers["linyi"].agency, size_class=None, size_source=None, industry=None
    )
    owner = make.user(employer=employer, role="owner")
    make.commit()
    sign_in(client, owner)
    assert _apply(client, employer).status_code == 302
    application = db.session.scalar(select(CommitmentApplication))
    assert (application.size_basis, application.computed_size) == ("provisional", None)
    files = _soup(client.get(f"/e/{employer.id}/applications/deferral-2020/files"))
    assert "多退少补" in files.select_one("#size-basis").get_text()
    assert _upload_and_send(client, employer).status_code == 302


@pytest.mark.parametrize(("headcount", "applies"), [(20, True), (400, False)])
def test_an_unclassified_linyi_unit_is_sized_by_its_headcount_before_february_2020(
    app, client, world, make, headcount, applies
):
    """鲁医保发〔2020〕23号 三: 根据参保单位2020年2月之前最后一个缴费月的申报缴费人数确定
    (其他未列明行业: under 300 an SME, 10 to 99 small; 工信部联企业〔2011〕300号 第四条（十六）)."""
    employers, _users = world
    employer = make.employer(
        employers["linyi"].agency, size_class=None, size_source=None, industry="other"
    )
    owner = make.user(employer=employer, role="owner")
    for month, count in (("2019-12", 500), ("2020-01", headcount), ("2020-02", 5)):
        db.session.add(
            Assessment(
                employer_id=employer.id,
                month=month,
                headcount=count,
                contribution_base_amount=Decimal("10000.00"),
                unit_amount=Decimal("600.00"),
                personal_amount=Decimal("200.00"),
            )
        )
    make.commit()
    sign_in(client, owner)
    response = _apply(client, employer)
    application = db.session.scalar(select(CommitmentApplication))
    if applies:
        assert response.status_code == 302
        assert (application.size_basis, application.computed_size) == ("headcount", "small")
        assert application.employees == 20
    else:  # a medium enterprise by 400 heads? no: 300 or more is large; the SME ground refuses
        assert response.status_code == 400
        assert "工信部联企业〔2011〕300号" in _soup(response).select_one("#route").get_text()
        assert application is None or application.defer_start is None


def test_the_reminder_mails_of_a_2020_deferral_name_it_and_its_months(app, client, world):
    """Issue 28 item 13: the e-mails said "The commitment application ... is on the deferral
    list" of a 2020 deferral too."""
    from portal.features.reminders.messages import render
    from portal.features.reminders.queries import _application_dues

    employers, users = world
    employer = employers["linyi"]
    sign_in(client, users["linyi"])
    _apply(client, employer)
    _upload_and_send(client, employer)
    application = db.session.scalar(select(CommitmentApplication))
    sign_in(client, users["reviewer"])
    path = f"/review/{application.id}"
    post_form(client, f"{path}/approve", token_from=path)
    with app.test_request_context():
        dues = _application_dues(date(2020, 3, 20), employer_id=employer.id)  # what is mailed
        assert [d.kind for d in dues] == ["application_approved"]
        mail = render("application_approved", "en", {**dues[0].context, "recipient_name": "张三"})
    assert "2020 deferral" in mail.subject and "commitment" not in mail.subject
    assert "2020-03 to 2020-06" in mail.text and "31 Jul 2020" in mail.text
    assert "commitment" not in mail.text and "deferral list" not in mail.html
