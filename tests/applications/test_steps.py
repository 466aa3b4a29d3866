"""The employer's steps: answers, the computed class, refusals, evidence, signing, submitting."""

from __future__ import annotations

from sqlalchemy import func, select

from portal.core.extensions import db
from portal.models import AuditEntry, CommitmentApplication, EvidenceFile, StoredLetter
from tests.applications.helpers import (
    JPEG,
    PNG,
    SMALL_PDF,
    base,
    english,
    errors,
    sign,
    soup,
    submit,
    text_of,
    upload,
    walk_to_sign,
)
from tests.conftest import post_form, sign_in, uploaded_files
from tests.factories import credit_code


def _application(employer) -> CommitmentApplication:
    db.session.expire_all()
    return db.session.scalars(
        select(CommitmentApplication)
        .where(CommitmentApplication.employer_id == employer.id)
        .order_by(CommitmentApplication.round.desc())
    ).first()


def test_each_step_saves_its_answer_and_leads_to_the_next(client, people):
    employer = people["employer"]
    sign_in(client, people["owner"])
    english(client)
    url = base(employer)
    assert "Start now" in text_of(client.get(f"{url}/"))
    response = post_form(client, f"{url}/begin", token_from=f"{url}/")
    assert response.location.endswith("/particulars") is False  # unit kind is pre-filled
    assert response.location.endswith("/industry")
    page = soup(client.get(f"{url}/particulars"))
    assert page.select_one("input[name=unit_kind][checked]")["value"] == "enterprise"
    assert employer.credit_code in page.get_text()
    response = post_form(client, f"{url}/particulars", {"unit_kind": "enterprise"})
    assert response.location.endswith("/industry")
    response = post_form(client, f"{url}/industry", {"industry": "retail"})
    assert response.location.endswith("/figures")
    page = soup(client.get(f"{url}/figures"))
    assert {i["name"] for i in page.select("input.input")} == {"employees", "revenue"}
    assert "万元" in page.get_text()
    response = post_form(client, f"{url}/figures", {"employees": "45", "revenue": "850.5"})
    assert response.location.endswith("/size")
    size_page = text_of(client.get(f"{url}/size"))
    assert "From your figures, the unit is: Small enterprise" in size_page
    assert "工信部联企业〔2011〕300号 第四条（五）" in size_page
    assert "Number of employees 45 ≥ 10 persons: yes" in size_page
    assert client.get(f"{url}/evidence").status_code == 200
    letter = soup(client.get(f"{url}/letter"))
    assert letter.select_one("[lang=zh-CN] .letter-body").get_text().startswith("我单位承诺")
    assert "Reading aid in English" in letter.get_text()
    application = _application(employer)
    assert (application.unit_kind, application.industry, application.employees) == (
        "enterprise",
        "retail",
        45,
    )
    assert str(application.revenue_amount) == "850.50"
    assert application.computed_size == "small"
    assert application.reference.startswith("CA-2022-")
    actions = list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))
    assert actions.count("commitment.start") == 1 and "commitment.answer" in actions


def test_the_letter_has_no_english_aid_in_chinese(client, people):
    sign_in(client, people["owner"])
    walk_to_sign(client, people["employer"])
    page = soup(client.get(f"{base(people['employer'])}/letter"))
    assert page.select_one(".reading-aid") is None
    assert "我单位承诺" in page.select_one(".letter-body").get_text()


def test_a_draft_survives_leaving_and_coming_back(client, people):
    employer = people["employer"]
    sign_in(client, people["owner"])
    url = base(employer)
    post_form(client, f"{url}/begin", token_from=f"{url}/")
    post_form(client, f"{url}/industry", {"industry": "industry"}, token_from=f"{url}/")
    client.get("/dashboard")
    english(client)
    assert "Continue your application" in text_of(client.get(f"{url}/"))
    response = post_form(client, f"{url}/begin")
    assert response.location.endswith("/figures")
    page = soup(client.get(f"{url}/industry"))
    assert page.select_one("input[name=industry][checked]")["value"] == "industry"
    assert db.session.scalar(select(func.count()).select_from(CommitmentApplication)) == 1


def test_later_steps_send_you_back_to_the_first_missing_answer(client, people):
    sign_in(client, people["owner"])
    url = base(people["employer"])
    post_form(client, f"{url}/begin", token_from=f"{url}/")
    assert client.get(f"{url}/sign").location.endswith("/industry")
    assert client.get(f"{url}/check").location.endswith("/industry")


def test_industry_from_a_gbt4754_code(client, people):
    sign_in(client, people["owner"])
    english(client)
    url = base(people["employer"])
    post_form(client, f"{url}/begin")
    response = post_form(client, f"{url}/industry", {"industry": "code", "code": "F5211"})
    assert response.status_code == 302
    assert (
        _application(people["employer"]).industry,
        _application(people["employer"]).industry_code,
    ) == ("retail", "F5211")
    post_form(client, f"{url}/industry", {"industry": "code", "code": "5311"})
    page = text_of(client.get(f"{url}/figures"))
    assert "the reviewer will decide it" in page  # railways: the rules say staff must decide


def test_bad_industry_answers_say_what_to_do(client, people):
    sign_in(client, people["owner"])
    english(client)
    url = base(people["employer"])
    post_form(client, f"{url}/begin")
    assert errors(post_form(client, f"{url}/industry", {})) == [
        "Choose an industry, or choose to enter a code"
    ]
    assert errors(post_form(client, f"{url}/industry", {"industry": "code"})) == [
        "Enter the GB/T 4754-2017 industry code"
    ]
    response = post_form(client, f"{url}/industry", {"industry": "code", "code": "ZZ99"})
    assert errors(response) == [
        "Enter a GB/T 4754-2017 code: a section letter and 2 to 4 digits, like C1311"
    ]
    assert soup(response).select_one("input[name=code]")["value"] == "ZZ99"  # kept
    response = post_form(client, f"{url}/industry", {"industry": "code", "code": "70"})
    assert errors(response)[0].startswith("This code covers more than one industry")


def test_bad_figures_say_what_to_do(client, people):
    sign_in(client, people["owner"])
    english(client)
    url = base(people["employer"])
    walk_to_sign(client, people["employer"], figures={"employees": ""})
    assert errors(post_form(client, f"{url}/figures", {"employees": "", "revenue": ""})) == [
        "Enter the number of employees",
        "Enter the operating revenue in 万元",
    ]
    response = post_form(client, f"{url}/figures", {"employees": "4.5", "revenue": "-3"})
    assert errors(response) == [
        "Enter the number of employees as a whole number, like 45",
        "Enter the operating revenue as a number in 万元, like 850.5",
    ]
    assert _application(people["employer"]).computed_size == "undetermined"


def test_a_large_enterprise_is_told_it_cannot_apply(client, people):
    employer = people["employer"]
    sign_in(client, people["owner"])
    english(client)
    walk_to_sign(client, employer, figures={"employees": "500", "revenue": "30000"})
    page = text_of(client.get(f"{base(employer)}/size"))
    assert "From your figures, the unit is: Large enterprise" in page
    assert "You cannot apply" in page
    assert "covers only medium, small and micro enterprises" in page
    assert client.get(f"{base(employer)}/sign").location.endswith("/size")
    assert sign(client, employer).location.endswith("/size")
    submit(client, employer)
    application = _application(employer)
    assert application.status == "draft" and application.signed_at is None


def test_a_public_institution_is_told_it_cannot_apply(client, make):
    agency = make.agency()
    employer = make.employer(agency, credit_code=credit_code("12"), list_status="not_listed")
    owner = make.user(employer=employer)
    make.commit()
    sign_in(client, owner)
    english(client)
    page = text_of(client.get(f"{base(employer)}/"))
    assert "Government organs and public institutions (机关事业单位) cannot apply" in page
    assert "Start now" not in page
    post_form(client, f"{base(employer)}/begin")
    assert _application(employer) is None


def test_choosing_a_public_institution_as_the_kind_is_refused(client, people):
    sign_in(client, people["owner"])
    english(client)
    url = base(people["employer"])
    post_form(client, f"{url}/begin")
    response = post_form(client, f"{url}/particulars", {"unit_kind": "public_institution"})
    assert errors(response)[0].startswith("Government organs and public institutions")
    assert _application(people["employer"]).unit_kind == "enterprise"


def test_an_employer_on_the_list_need_not_apply(client, make):
    employer = make.employer(list_status="listed")
    owner = make.user(employer=employer)
    make.commit()
    sign_in(client, owner)
    english(client)
    assert "already on the deferral list, so it does not need to apply" in text_of(
        client.get(f"{base(employer)}/")
    )
    post_form(client, f"{base(employer)}/begin")
    assert _application(employer) is None


def test_finance_staff_see_the_page_but_cannot_apply(client, people):
    sign_in(client, people["finance"])
    english(client)
    url = base(people["employer"])
    assert "Only the owner" in text_of(client.get(f"{url}/"))
    assert post_form(client, f"{url}/begin", token_from=f"{url}/").status_code == 403


# ---------------------------------------------------------------------------------- evidence


def test_evidence_is_typed_by_content_and_served_only_as_a_download(client, people):
    employer = people["employer"]
    sign_in(client, people["owner"])
    walk_to_sign(client, employer)
    response = upload(
        client, employer, ("scan.txt", JPEG), ("licence.PNG", PNG), ("statement.pdf", SMALL_PDF)
    )
    assert response.status_code == 302
    stored = list(db.session.scalars(select(EvidenceFile).order_by(EvidenceFile.id)))
    assert [(f.original_name, f.content_type) for f in stored] == [
        ("scan.jpg", "image/jpeg"),
        ("licence.png", "image/png"),
        ("statement.pdf", "application/pdf"),
    ]
    kept = uploaded_files()
    assert sorted(kept) == sorted(f.stored_name for f in stored)
    assert all(len(name) == 40 and "." not in name for name in kept)
    assert kept[stored[2].stored_name] == SMALL_PDF
    download = client.get(f"{base(employer)}/evidence/{stored[0].id}")
    assert download.data == JPEG
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    sign_in(client, people["finance"])
    assert client.get(f"{base(employer)}/evidence/{stored[0].id}").data == JPEG


def _refused(client, employer, *files) -> list[str]:
    before = db.session.scalar(select(func.count()).select_from(EvidenceFile))
    response = upload(client, employer, *files)
    assert response.status_code == 200
    assert db.session.scalar(select(func.count()).select_from(EvidenceFile)) == before
    assert len(uploaded_files()) == before
    return errors(response)


def test_wrong_type_too_large_and_too_many_files_are_refused_and_nothing_is_stored(client, people):
    employer = people["employer"]
    sign_in(client, people["owner"])
    english(client)
    walk_to_sign(client, employer)
    assert _refused(client, employer, ("ok.png", PNG), ("report.pdf", b"MZ\x90\x00 not a pdf")) == [
        "report.pdf is not a PDF, JPEG or PNG file. Upload a PDF, JPEG or PNG; nothing was saved."
    ]
    big = b"%PDF-1.4\n" + b"0" * (10 * 1024 * 1024)
    assert _refused(client, employer, ("big.pdf", big)) == [
        "big.pdf is larger than 10 MB. Upload a smaller file."
    ]
    six = [(f"f{i}.png", PNG) for i in range(6)]
    assert _refused(client, employer, *six) == [
        "You can attach at most 5 files. Remove one before adding another."
    ]
    upload(client, employer, *six[:5])
    assert _refused(client, employer, ("sixth.png", PNG))[0].startswith(
        "You can attach at most 5 files"
    )
    assert _refused(client, employer)[0] == "Choose a file to upload"


def test_evidence_can_be_removed_while_a_draft(client, people):
    employer = people["employer"]
    sign_in(client, people["owner"])
    walk_to_sign(client, employer)
    upload(client, employer, ("a.png", PNG))
    record = db.session.scalar(select(EvidenceFile))
    post_form(
        client, f"{base(employer)}/evidence/{record.id}/remove", token_from=f"{base(employer)}/"
    )
    assert db.session.scalar(select(func.count()).select_from(EvidenceFile)) == 0
    assert uploaded_files() == {}


def test_another_employers_evidence_is_a_404(client, people, make):
    employer = people["employer"]
    sign_in(client, people["owner"])
    walk_to_sign(client, employer)
    upload(client, employer, ("a.png", PNG))
    record = db.session.scalar(select(EvidenceFile))
    other = make.user(employer=make.employer())
    make.commit()
    sign_in(client, other)
    assert client.get(f"{base(employer)}/evidence/{record.id}").status_code == 404
    assert (
        client.get(
            f"/e/{other.memberships[0].employer_id}/applications/evidence/{record.id}"
        ).status_code
        == 404
    )


# ---------------------------------------------------------------------------------- signing


def test_signing_needs_the_statement_and_the_right_password(client, people, fast_letters):
    employer = people["employer"]
    sign_in(client, people["owner"])
    english(client)
    walk_to_sign(client, employer)
    assert errors(sign(client, employer, statement=None)) == [
        "Tick the box to confirm the statement"
    ]
    assert errors(sign(client, employer, password="not my password")) == [
        "The password is not right. Enter the password you sign in with"
    ]
    assert errors(sign(client, employer, signatory_name="")) == [
        "Enter the legal representative's full name"
    ]
    assert db.session.scalar(select(func.count()).select_from(StoredLetter)) == 0
    assert _application(employer).signed_at is None
    assert sign(client, employer).location.endswith("/check")
    application = _application(employer)
    assert application.signatory_name == "张三"
    assert application.signed_by_id == people["owner"].id
    assert application.signed_at is not None
    assert [letter.kind for letter in application.letters] == ["signed"]
    # Signing again makes no second letter.
    assert sign(client, employer).location.endswith("/check")
    assert db.session.scalar(select(func.count()).select_from(StoredLetter)) == 1


def test_changing_an_answer_after_signing_withdraws_the_signature(client, people, fast_letters):
    employer = people["employer"]
    sign_in(client, people["owner"])
    english(client)
    walk_to_sign(client, employer)
    sign(client, employer)
    post_form(
        client, f"{base(employer)}/figures?from=check", {"employees": "46", "revenue": "850.5"}
    )
    application = _application(employer)
    assert application.signed_at is None
    assert application.letters[0].superseded_at is not None
    assert "Read and sign the commitment letter" in text_of(client.get(f"{base(employer)}/check"))
    # Saving the same answers again changes nothing.
    sign(client, employer)
    post_form(client, f"{base(employer)}/figures", {"employees": "46", "revenue": "850.5"})
    assert _application(employer).signed_at is not None


def test_check_your_answers_then_submit_gives_a_reference_and_due_date(
    client, people, fast_letters
):
    employer = people["employer"]
    sign_in(client, people["owner"])
    english(client)
    walk_to_sign(client, employer)
    sign(client, employer)
    check = soup(client.get(f"{base(employer)}/check"))
    assert check.select_one(".computed-size").get_text() == "Small enterprise"
    assert "Signed online by 张三" in check.select_one(".signature-record").get_text()
    upload(client, employer, ("payroll.png", PNG))  # 相关证明材料 (鲁医保发〔2022〕21号 四)
    response = submit(client, employer)
    confirmation = soup(client.get(response.location))
    application = _application(employer)
    assert confirmation.select_one(".reference").get_text() == application.reference
    # Monday 2022-08-15 (PORTAL_TODAY) + 3 working days.
    assert "18 Aug 2022" in confirmation.select_one(".due").get_text()
    assert (application.status, str(application.due_on)) == ("submitted", "2022-08-18")


def test_a_double_submit_gives_one_application(client, people, fast_letters):
    employer = people["employer"]
    sign_in(client, people["owner"])
    english(client)
    walk_to_sign(client, employer)
    sign(client, employer)
    upload(client, employer, ("payroll.png", PNG))  # 相关证明材料 (鲁医保发〔2022〕21号 四)
    first = submit(client, employer)
    second = submit(client, employer)
    assert first.location == second.location
    assert "Application sent" in text_of(client.get(second.location))
    assert db.session.scalar(select(func.count()).select_from(CommitmentApplication)) == 1
    sent = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "commitment.submit"))
    assert len(list(sent)) == 1
    # After sending, the steps no longer change it.
    post_form(client, f"{base(employer)}/figures", {"employees": "9999", "revenue": "1"})
    assert _application(employer).employees == 45


def test_submitting_without_signing_is_refused(client, people):
    employer = people["employer"]
    sign_in(client, people["owner"])
    walk_to_sign(client, employer)
    assert submit(client, employer).location.endswith("/check")
    assert _application(employer).status == "draft"


def test_the_letter_page_says_whose_form_it_is(client, make, people):
    """Issue 15 item 10: a Jiangsu applicant got Shandong's form captioned "as the agency
    issued it"; only Shandong's notice carries a form (DOMAIN.md §9 reading)."""
    sign_in(client, people["owner"])
    english(client)
    walk_to_sign(client, people["employer"])
    own = text_of(client.get(f"{base(people['employer'])}/letter"))
    assert "word for word as the agency issued it (鲁医保发〔2022〕21号 附件)" in own
    jiangsu = make.employer(
        make.agency(make.region("jiangsu-2022")),
        list_status="not_listed",
        size_class=None,
        size_source=None,
        industry=None,
    )
    owner = make.user(employer=jiangsu, role="owner")
    make.commit()
    sign_in(client, owner)
    walk_to_sign(client, jiangsu)
    other = text_of(client.get(f"{base(jiangsu)}/letter"))
    assert "Your program's notice (江苏省实施方案（2022）) asks for a written commitment" in other
    assert "this is Shandong's form (鲁医保发〔2022〕21号 附件)" in other


def test_an_accounting_firm_declares_its_kind_and_is_not_size_tested(client, people):
    """Issue 15 item 11: 会计师事务所 (鲁医保发〔2022〕21号 一, 参照执行) had no unit kind; its
    credit code starts 91 like an enterprise's, so the firm declares it."""
    employer = people["employer"]
    sign_in(client, people["owner"])
    url = base(employer)
    post_form(client, f"{url}/begin", token_from=f"{url}/")
    page = soup(client.get(f"{url}/particulars"))
    labels = {
        i["value"]: page.select_one(f"label[for={i['id']}]").get_text(strip=True)
        for i in page.select("input[name=unit_kind]")
    }
    assert labels["accounting_firm"] == "会计师事务所"
    assert labels["other_social_organisation"] == "其他社会组织"
    response = post_form(client, f"{url}/particulars", {"unit_kind": "accounting_firm"})
    assert response.status_code == 302
    assert _application(employer).unit_kind == "accounting_firm"
