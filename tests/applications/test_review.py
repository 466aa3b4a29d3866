"""Reviewers: the queue, the detail page, approve, reject and resubmit, races, own filings."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from sqlalchemy import select

from portal.core.extensions import db
from portal.features.review.operations import ReviewError, approve, reject
from portal.letters.stored import letter_status
from portal.models import AuditEntry, CommitmentApplication, Employer
from tests.applications.helpers import (
    PNG,
    base,
    english,
    errors,
    sign,
    soup,
    submit,
    submitted_application,
    text_of,
    upload,
    walk_to_sign,
)
from tests.conftest import IS_POSTGRES, post_form, sign_in, uploaded_files


def _url(verify_code: str) -> str:
    return f"http://localhost/verify/{verify_code}"


def test_the_queue_is_ordered_by_due_date_marks_overdue_and_filters(client, people, make):
    employer = people["employer"]
    later = submitted_application(employer, due_on=date(2022, 8, 19))
    overdue = submitted_application(
        make.employer(people["agency"], list_status="not_listed"), due_on=date(2022, 8, 10)
    )
    decided = submitted_application(
        make.employer(people["agency"]), status="rejected", decision_reason="x"
    )
    elsewhere = submitted_application(make.employer(make.agency()))
    make.commit()
    sign_in(client, people["reviewer"])
    english(client)
    page = soup(client.get("/review/"))
    rows = page.select("table.queue tbody tr")
    assert [r.select("td")[1].get_text(strip=True) for r in rows] == [
        overdue.reference,
        later.reference,
    ]
    assert "overdue" in rows[0]["class"] and "Overdue" in rows[0].get_text()
    assert "overdue" not in rows[1].get("class", [])
    assert elsewhere.reference not in page.get_text()
    rejected = text_of(client.get("/review/?status=rejected"))
    assert decided.reference in rejected and later.reference not in rejected
    assert later.reference not in text_of(client.get("/review/?program=jiangsu-2022"))
    assert later.reference in text_of(client.get("/review/?program=liaocheng-2022&status=all"))


def test_a_queue_row_shows_the_application_in_the_readers_language(client, people, make):
    employer = people["employer"]
    dated = submitted_application(employer, due_on=date(2022, 8, 19))
    undated = submitted_application(
        make.employer(people["agency"], name="乙有限公司"), due_on=None, status="approved"
    )
    other = submitted_application(make.employer(people["agency"], name="丙有限公司"))
    draft = submitted_application(make.employer(people["agency"]), status="draft")
    undated.program_id, other.program_id, draft.program_id = None, "jiangsu-2022", "wuxi-2020"
    make.commit()
    sign_in(client, people["reviewer"])

    def rows(response):
        return [
            (
                [td.get_text(" ", strip=True) for td in tr.select("td")],
                tr.select_one("a")["href"],
            )
            for tr in soup(response).select("table.queue tbody tr")
        ]

    liaocheng = "聊城市阶段性缓缴职工基本医疗保险单位缴费（2022年）"
    jiangsu = "江苏省阶段性缓缴职工基本医疗保险单位缴费（2022年）"
    by_reference = dict(
        (cells[1], (cells, href)) for cells, href in rows(client.get("/review/?status=all"))
    )
    assert by_reference == {
        dated.reference: (
            ["2022年8月19日", dated.reference, employer.name, liaocheng, "待审核"],
            f"/review/{dated.id}",
        ),
        undated.reference: (
            ["—", undated.reference, "乙有限公司", "—", "审核通过"],
            f"/review/{undated.id}",
        ),
        other.reference: (
            ["2022年8月18日", other.reference, "丙有限公司", jiangsu, "待审核"],
            f"/review/{other.id}",
        ),
    }
    page = soup(client.get("/review/?program=jiangsu-2022"))
    options = [
        (o["value"], o.get_text(), o.has_attr("selected")) for o in page.select("#program option")
    ]
    # The programs of the agency's applications, drafts included, sorted by id.
    assert [value for value, _text, _selected in options] == [
        "",
        "jiangsu-2022",
        "liaocheng-2022",
        "wuxi-2020",
    ]
    assert options[1] == ("jiangsu-2022", jiangsu, True)
    assert [o.get_text() for o in page.select("#status option")] == [
        "待审核",
        "审核通过",
        "未通过",
        "全部",
    ]

    english(client)
    cells, _href = rows(client.get("/review/?program=liaocheng-2022"))[0]
    assert cells == [
        "19 Aug 2022",
        dated.reference,
        employer.name,
        "Liaocheng 2022 staged deferral of employee medical insurance unit contributions",
        "Waiting for review",
    ]


def test_a_reviewer_of_another_agency_gets_404(client, people):
    application = submitted_application(people["employer"])
    db.session.commit()
    sign_in(client, people["reviewer_other"])
    assert client.get(f"/review/{application.id}").status_code == 404
    response = post_form(client, f"/review/{application.id}/reject", {"reason": "no"})
    assert response.status_code == 404
    assert db.session.get(CommitmentApplication, application.id).status == "submitted"


def test_the_detail_page_shows_figures_class_evidence_and_signature(client, people, fast_letters):
    employer = people["employer"]
    sign_in(client, people["owner"])
    walk_to_sign(client, employer)
    upload(client, employer, ("licence.png", PNG))
    sign(client, employer)
    submit(client, employer)
    application = db.session.scalar(select(CommitmentApplication))
    sign_in(client, people["reviewer"])
    english(client)
    page = soup(client.get(f"/review/{application.id}"))
    assert page.select_one(".figure-employees").get_text(strip=True).startswith("45")
    assert page.select_one(".figure-revenue").get_text(strip=True).startswith("850.50")
    assert page.select_one(".computed-size").get_text() == "Small enterprise"
    assert "Signed online by 张三" in page.select_one(".signature-record").get_text()
    link = page.select_one(".evidence a")["href"]
    download = client.get(link)
    assert download.data == PNG and download.headers["Content-Disposition"].startswith("attachment")


def test_approve_puts_the_employer_on_the_list_and_reissues_the_letter(
    client, people, fast_letters
):
    employer = people["employer"]
    application = submitted_application(employer)
    db.session.commit()
    sign_in(client, people["reviewer"])
    english(client)
    response = post_form(
        client, f"/review/{application.id}/approve", token_from=f"/review/{application.id}"
    )
    assert response.status_code == 302
    db.session.expire_all()
    employer = db.session.get(Employer, employer.id)
    assert (employer.list_status, employer.size_class, employer.size_source) == (
        "listed",
        "small",
        "commitment",
    )
    application = db.session.get(CommitmentApplication, application.id)
    assert application.status == "approved"
    assert application.decided_by_id == people["reviewer"].id
    signed, approved = application.letters
    assert (signed.kind, approved.kind) == ("signed", "approved")
    assert signed.superseded_at is not None and approved.superseded_at is None
    assert "审核通过 2022-08-15".encode() in approved.pdf
    assert letter_status(signed, application) == "superseded"
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "commitment.approve"))
    assert entry.actor_id == people["reviewer"].id and entry.acting_for_employer_id == employer.id
    sign_in(client, people["owner"])
    english(client)
    page = text_of(client.get(f"{base(employer)}/{application.id}"))
    assert "Approved: your employer is now on the deferral list" in page


def test_reject_needs_a_reason_the_employer_then_reads_and_corrects(client, people, fast_letters):
    employer = people["employer"]
    sign_in(client, people["owner"])
    walk_to_sign(client, employer)
    upload(client, employer, ("licence.png", PNG))
    sign(client, employer)
    submit(client, employer)
    first = db.session.scalar(select(CommitmentApplication))
    sign_in(client, people["reviewer"])
    english(client)
    response = post_form(
        client, f"/review/{first.id}/reject", {"reason": "  "}, token_from=f"/review/{first.id}"
    )
    assert errors(response) == [
        "Enter the reason: the employer needs it to correct the application"
    ]
    post_form(
        client, f"/review/{first.id}/reject", {"reason": "营业收入与报表不符，请核对后重新提交"}
    )
    first = db.session.get(CommitmentApplication, first.id)
    assert first.status == "rejected"
    assert letter_status(first.letters[0], first) == "rejected"

    sign_in(client, people["owner"])
    english(client)
    page = soup(client.get(f"{base(employer)}/{first.id}"))
    assert page.select_one(".reason").get_text() == "营业收入与报表不符，请核对后重新提交"
    response = post_form(client, f"{base(employer)}/begin")
    assert response.location.endswith("/check")
    post_form(client, f"{base(employer)}/figures", {"employees": "45", "revenue": "700"})
    sign(client, employer)
    submit(client, employer)

    rounds = list(
        db.session.scalars(select(CommitmentApplication).order_by(CommitmentApplication.round))
    )
    assert [(r.round, r.status) for r in rounds] == [(1, "rejected"), (2, "submitted")]
    assert str(rounds[0].revenue_amount) == "850.50" and str(rounds[1].revenue_amount) == "700.00"
    assert rounds[1].reference != rounds[0].reference
    assert [f.original_name for f in rounds[1].evidence] == ["licence.png"]
    assert rounds[1].evidence[0].stored_name != rounds[0].evidence[0].stored_name
    kept = uploaded_files()  # the next round has its own copy
    assert set(kept) == {rounds[0].evidence[0].stored_name, rounds[1].evidence[0].stored_name}
    assert set(kept.values()) == {PNG}

    sign_in(client, people["reviewer"])
    english(client)
    history = soup(client.get(f"/review/{rounds[1].id}")).select("table.rounds tbody tr")
    assert [row.select("td")[0].get_text() for row in history] == ["2", "1"]
    assert "营业收入与报表不符" in history[1].get_text()


def test_a_second_reviewer_is_told_the_first_decision_won(client, people, fast_letters):
    application = submitted_application(people["employer"])
    db.session.commit()
    first, second = people["reviewer"], people["reviewer2"]
    sign_in(client, second)
    english(client)
    token_page = f"/review/{application.id}"
    assert "Reject" in text_of(client.get(token_page))
    other = client.application.test_client()
    sign_in(other, first)
    post_form(other, f"/review/{application.id}/approve", token_from=token_page)
    response = post_form(
        client, f"/review/{application.id}/reject", {"reason": "figures"}, token_from=token_page
    )
    assert response.status_code == 409
    assert "Another reviewer decided this application first (Approved by 审核员甲)" in (
        soup(response).select_one(".problem").get_text()
    )
    assert db.session.get(CommitmentApplication, application.id).status == "approved"


def test_two_sessions_deciding_the_same_version_one_wins(app, people, fast_letters):
    """The optimistic lock itself: both loaded the submitted row; the second UPDATE is stale."""
    application = submitted_application(people["employer"])
    db.session.commit()
    stale = db.session.get(CommitmentApplication, application.id)
    assert stale.status == "submitted"
    with app.app_context():  # another request: its own session
        fresh = db.session.get(CommitmentApplication, application.id)
        reviewer = db.session.get(type(people["reviewer"]), people["reviewer"].id)
        reject(fresh, "first", actor=reviewer)
        db.session.commit()
    with pytest.raises(ReviewError) as raised:
        reject(stale, "second", actor=people["reviewer2"])
    assert raised.value.code == "already_decided"
    db.session.rollback()
    assert db.session.get(CommitmentApplication, application.id).decision_reason == "first"


@pytest.mark.postgres_only
def test_two_reviewers_at_the_same_moment_on_postgres(app, people, fast_letters):
    """Two threads, two connections: both read the row, both decide; exactly one wins."""
    application = submitted_application(people["employer"])
    db.session.commit()
    ids = [people["reviewer"].id, people["reviewer2"].id]
    loaded = threading.Barrier(2)
    outcomes: dict[int, str] = {}

    def decide(user_id: int, approving: bool) -> None:
        with app.app_context():
            from portal.models import User

            row = db.session.get(CommitmentApplication, application.id)
            actor = db.session.get(User, user_id)
            assert row.status == "submitted"
            loaded.wait(timeout=10)
            try:
                if approving:
                    approve(row, actor=actor, today=date(2022, 8, 15), verify_url_for=_url)
                else:
                    reject(row, "no", actor=actor)
                db.session.commit()
                outcomes[user_id] = "won"
            except ReviewError as error:
                db.session.rollback()
                outcomes[user_id] = error.code
            finally:
                db.session.remove()

    threads = [
        threading.Thread(target=decide, args=(ids[0], True)),
        threading.Thread(target=decide, args=(ids[1], False)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert IS_POSTGRES
    assert sorted(outcomes.values()) == ["already_decided", "won"]
    db.session.expire_all()
    final = db.session.get(CommitmentApplication, application.id)
    assert final.status in ("approved", "rejected")
    decisions = db.session.scalars(
        select(AuditEntry.action).where(
            AuditEntry.action.in_(["commitment.approve", "commitment.reject"])
        )
    )
    assert len(list(decisions)) == 1


def test_a_reviewer_cannot_decide_what_they_filed_at_the_hall(client, people, fast_letters):
    reviewer = people["reviewer"]
    application = submitted_application(people["employer"], filed_by_staff_id=reviewer.id)
    db.session.commit()
    sign_in(client, reviewer)
    english(client)
    response = post_form(
        client, f"/review/{application.id}/approve", token_from=f"/review/{application.id}"
    )
    assert response.status_code == 409
    assert "another reviewer must decide it" in text_of(response)
    assert db.session.get(CommitmentApplication, application.id).status == "submitted"
    sign_in(client, people["reviewer2"])
    response = post_form(
        client, f"/review/{application.id}/approve", token_from=f"/review/{application.id}"
    )
    assert response.status_code == 302
