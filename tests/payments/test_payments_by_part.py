"""Payments by part and month (issue 23 item 1): only the unit part of a deferred month reduces
the deferral, the personal part is shown as the withholding it is, what matches no assessment
or pays beyond it goes to the agency's queue, and a paid departure is settled everywhere.

Each scenario row names the clause it rests on."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from portal.cli.reminders import run as send_reminders
from portal.core.extensions import db
from portal.facts.departures import due_at_once
from portal.facts.standing import employer_standing
from portal.features.imports.operations import run
from portal.features.imports.reader import Source
from portal.features.payments.queries import queue_items
from portal.models import (
    Assessment,
    AuditEntry,
    Departure,
    Payment,
    PaymentQueueResolution,
    PersonAssessment,
)
from tests.conftest import post_form, sign_in
from tests.selfservice.test_home_and_decision import english, soup, text

HEADER = "统一社会信用代码,缴费日期,费款所属期,缴费类型,缴费金额,缴费流水号"


def _assessed(employer, months=("2022-07", "2022-08", "2022-09")) -> None:
    """¥700 unit and ¥200 personal a month, as the agency assessed them."""
    for month in months:
        db.session.add(
            Assessment(
                employer_id=employer.id,
                month=month,
                headcount=3,
                contribution_base_amount=Decimal("10000"),
                unit_amount=Decimal("700"),
                personal_amount=Decimal("200"),
            )
        )
    db.session.commit()


def _import(rows: list[str], name: str = "payments.csv", header: str = HEADER):
    source = Source.from_bytes(name, ("\n".join([header, *rows]) + "\n").encode())
    outcome = run("payments", source, scope_agency_id=None, apply=True)
    db.session.commit()
    return outcome


@pytest.mark.parametrize(
    ("rows", "outstanding", "queued"),
    [
        pytest.param(
            ["2022-08-10,2022-07,个人,200.00"],
            "2100.00",
            [],
            id="鲁21五-a-personal-part-leaves-the-deferral-unpaid",
        ),
        pytest.param(
            ["2022-08-10,2022-07,单位,700.00"],
            "1400.00",
            [],
            id="鲁21二-a-unit-payment-for-a-deferred-month-reduces-it",
        ),
        pytest.param(
            ["2022-07-10,2022-06,unit,650.00"],
            "2100.00",
            [("2022-06", "unit", "unmatched", "650.00")],
            id="鲁21一-a-unit-payment-for-a-month-not-deferred-does-not",
        ),
        pytest.param(
            ["2022-08-10,2022-05,personal,150.00"],
            "2100.00",
            [("2022-05", "personal", "unmatched", "150.00")],
            id="鲁21六-a-payment-matching-no-assessment-is-queued",
        ),
        pytest.param(
            ["2022-08-10,2022-07,单位,500.00", "2022-08-11,2022-07,单位,400.00"],
            "1200.00",
            [("2022-07", "unit", "over", "200.00")],
            id="鲁21六-an-over-payment-is-queued-with-the-difference",
        ),
        pytest.param(
            ["2022-08-10,2022-08,个人,260.00"],
            "2100.00",
            [("2022-08", "personal", "over", "60.00")],
            id="鲁21五-a-personal-part-paid-beyond-its-assessment-is-queued",
        ),
    ],
)
def test_payments_by_part_and_month(app, client, deferred, rows, outstanding, queued):
    employer = deferred["employer"]
    _assessed(employer)
    code = employer.credit_code
    outcome = _import([f"{code},{row},T{n}" for n, row in enumerate(rows)])
    assert outcome.applied and outcome.created == len(rows)
    # What the employer's amounts page says is outstanding
    sign_in(client, deferred["owner"])
    english(client)
    assert f"¥{Decimal(outstanding):,.2f}" in text(
        client.get(f"/e/{employer.id}/amounts/"), "#outstanding"
    )
    # What waits for the agency, with the difference: never silently dropped
    assert [(i.month, i.part, i.kind, str(i.difference)) for i in queue_items(None)] == queued


def test_the_personal_part_is_shown_month_by_month(app, client, make, deferred):
    """鲁医保发〔2022〕21号 五: the personal part is withheld and paid as usual, shown to the
    employer (amounts, home) and to its agency's staff as assessed against paid."""
    employer = deferred["employer"]
    _assessed(employer)
    _import([f"{employer.credit_code},2022-08-10,2022-07,个人,200.00,W1"])
    sign_in(client, deferred["owner"])
    english(client)
    page = client.get(f"/e/{employer.id}/amounts/")
    rows = [
        [td.get_text(strip=True) for td in tr.select("td")]
        for tr in soup(page).select("#withholding tbody tr")
    ]
    assert rows == [
        ["2022-07", "¥200.00", "¥200.00", "¥0.00"],
        ["2022-08", "¥200.00", "¥0.00", "¥200.00"],
        ["2022-09", "¥200.00", "¥0.00", "¥200.00"],
    ]
    assert soup(page).select_one("#payments") is None  # no payment of the deferral
    home = text(client.get(f"/e/{employer.id}/"), "#withholding-summary")
    assert "¥200.00 paid" in home and "¥400.00" in home
    reviewer = make.user(staff_role="reviewer", agency=deferred["agency"])
    make.commit()
    sign_in(client, reviewer)
    english(client)
    staff = soup(client.get(f"/staff/employers/{employer.id}"))
    assert len(staff.select("#withholding tbody tr")) == 3


def _departed(deferred, unit: str = "303.33") -> None:
    employer = deferred["employer"]
    for month in ("2022-07", "2022-08", "2022-09"):
        db.session.add(
            PersonAssessment(
                employer_id=employer.id,
                person_ref="P001",
                person_name="张三",
                month=month,
                unit_amount=Decimal(unit),
                personal_amount=Decimal("100"),
            )
        )
    db.session.add(
        Departure(
            employer_id=employer.id,
            person_ref="P001",
            reason="leave",
            left_on=date(2022, 9, 20),
            recorded_by_id=deferred["owner"].id,
        )
    )
    db.session.commit()


def test_a_departure_settled_by_a_payment_is_no_longer_due(app, client, smtp, deferred, tmp_path):
    """鲁医保发〔2022〕21号 五 (应先缴纳其缓缴的单位缴费部分): ¥909.99 due at once for a person
    who left; once paid, no page and no reminder says it is due at once."""
    employer = deferred["employer"]
    _assessed(employer)
    _departed(deferred)
    app.config["PORTAL_TODAY"] = "2022-10-01"
    sign_in(client, deferred["owner"])
    english(client)
    before = text(client.get(f"/e/{employer.id}/"), "#due-at-once")
    assert "¥909.99, is due now" in before
    send_reminders(date(2022, 10, 1))  # 30 days before the deadline: says it
    [first] = smtp.inbox.to("owner@example.com")
    assert "who left, retired or transferred: ¥909.99" in smtp.inbox.text(first)
    # The payment, as the tax bureau's file gives it, through the command
    path = tmp_path / "缴费.csv"
    path.write_text(
        HEADER
        + "\n"
        + "".join(
            f"{employer.credit_code},2022-09-25,{m},单位,303.33,D{m}\n"
            for m in ("2022-07", "2022-08", "2022-09")
        ),
        encoding="utf-8",
    )
    result = app.test_cli_runner().invoke(args=["portal", "import", "payments", str(path)])
    assert result.exit_code == 0, result.output
    standing = employer_standing(db.session.merge(employer), date(2022, 10, 1))
    due = due_at_once(employer, standing)
    assert due.owing == [] and due.items[0].paid == Decimal("909.99")
    assert standing.quote.outstanding == Decimal("1190.01")  # 2,100.00 less the 909.99
    for page in (f"/e/{employer.id}/", f"/e/{employer.id}/amounts/"):
        assert soup(client.get(page)).select_one("#due-at-once") is None, page
    cells = [
        td.get_text(strip=True)
        for td in soup(client.get(f"/e/{employer.id}/amounts/departures")).select(
            "#departures tbody td"
        )
    ]
    assert cells[3:5] == ["¥909.99", "Settled"]
    sent = len(smtp.inbox.messages)
    send_reminders(date(2022, 10, 24))  # 7 days before the deadline: no longer
    later = smtp.inbox.messages[sent:]
    assert {m["To"] for m in later} == {"owner@example.com", "finance@example.com"}
    for message in later:
        body = smtp.inbox.text(message)
        assert "¥909.99" in body  # paid so far
        assert "left, retired or transferred" not in body and "离职" not in body


def test_a_part_paid_settles_the_earliest_departure_first(app, deferred):
    """鲁医保发〔2022〕21号 五, the portal's reading: the unit payments settle what is due at once
    first, the earliest departure first, then the catch-up."""
    employer = deferred["employer"]
    _assessed(employer)
    _departed(deferred, unit="100")
    db.session.add(
        Departure(
            employer_id=employer.id,
            person_ref="P002",
            reason="retire",
            left_on=date(2022, 8, 5),
            recorded_by_id=deferred["owner"].id,
        )
    )
    for month in ("2022-07", "2022-08"):
        db.session.add(
            PersonAssessment(
                employer_id=employer.id,
                person_ref="P002",
                person_name="李四",
                month=month,
                unit_amount=Decimal("50"),
                personal_amount=Decimal("20"),
            )
        )
    db.session.commit()
    _import([f"{employer.credit_code},2022-09-21,2022-07,单位,150.00,E1"])
    standing = employer_standing(employer, date(2022, 10, 1))
    due = {item.departure.person_ref: item for item in due_at_once(employer, standing).items}
    assert (due["P002"].paid, due["P002"].settlement.amount) == (Decimal("100"), Decimal("0.00"))
    assert (due["P001"].paid, due["P001"].settlement.amount) == (Decimal("50"), Decimal("250.00"))


@pytest.mark.parametrize(
    ("header", "missing"),
    [
        pytest.param(
            "统一社会信用代码,缴费日期,缴费类型,缴费金额,缴费流水号",
            ["费款所属期"],
            id="鲁21五-no-费款所属期-is-not-guessed",
        ),
        pytest.param(
            "credit_code,paid_on,month,amount,source_ref",
            ["缴费类型"],
            id="鲁21五-no-缴费类型-is-not-guessed",
        ),
        pytest.param(
            "统一社会信用代码,缴费日期,缴费金额,缴费流水号",
            ["费款所属期", "缴费类型"],
            id="内19三（三）-the-old-file-without-either",
        ),
    ],
)
def test_a_header_without_month_or_part_is_refused(app, make, tmp_path, header, missing):
    employer = make.employer(make.agency(make.region("shandong-2022")))
    make.commit()
    cells = {
        "统一社会信用代码": employer.credit_code,
        "credit_code": employer.credit_code,
        "缴费日期": "2022-08-10",
        "paid_on": "2022-08-10",
        "缴费类型": "单位",
        "month": "2022-07",
        "缴费金额": "100",
        "amount": "100",
        "缴费流水号": "H1",
        "source_ref": "H1",
    }
    path = tmp_path / "payments.csv"
    columns = header.split(",")
    path.write_text(f"{header}\n{','.join(cells[c] for c in columns)}\n", encoding="utf-8")
    result = make_cli(app, path)
    assert result.exit_code == 1
    lines = result.output.splitlines()
    for column in missing:
        [line] = [line for line in lines if column in line]
        assert "缺少" in line or "missing" in line
        assert "不会猜测" in line or "does not guess" in line
    assert db.session.scalar(select(Payment.id)) is None


def make_cli(app, path):
    return app.test_cli_runner().invoke(args=["portal", "import", "payments", str(path)])


def test_a_part_other_than_unit_or_personal_is_refused_in_words(app, make):
    employer = make.employer(make.agency(make.region("shandong-2022")))
    make.commit()
    outcome = _import(
        [
            f"{employer.credit_code},2022-08-10,2022-07,单位,100,K1",
            f"{employer.credit_code},2022-08-10,2022-07,部分,100,K2",
            f"{employer.credit_code},2022-08-10,2022-07,个人,100,K3",
        ]
    )
    assert outcome.is_refused and not outcome.applied
    [problem] = outcome.problems
    assert (problem.line, problem.column, problem.code, problem.value) == (
        3,
        "缴费类型",
        "payment_part",
        "部分",
    )


def test_the_queue_page_resolves_with_a_note(app, client, make, deferred):
    """Agency staff see their agency's items only (administrators every agency's) and resolve
    each with a note, audited; a later payment that changes the difference brings it back."""
    employer = deferred["employer"]
    _assessed(employer)
    other = make.employer(make.agency(deferred["agency"].region))
    reviewer = make.user(staff_role="reviewer", agency=deferred["agency"])
    reviewer_other = make.user(staff_role="reviewer", agency=other.agency)
    make.commit()
    _import(
        [
            f"{employer.credit_code},2022-08-10,2022-07,单位,900,Q1",
            f"{other.credit_code},2022-08-10,2022-07,单位,10,Q2",
        ]
    )
    sign_in(client, reviewer)
    english(client)
    page = soup(client.get("/payments/queue"))
    rows = [tr.get_text(" ", strip=True) for tr in page.select("#payment-queue tbody tr")]
    assert len(rows) == 1 and "2022-07" in rows[0] and "¥200.00" in rows[0]
    item = f"/payments/queue/{employer.id}/2022-07/unit/over"
    assert client.get(f"/payments/queue/{other.id}/2022-07/unit/unmatched").status_code == 404
    empty = post_form(client, item, {"note": ""}, token_from=item)
    assert "Enter a note" in soup(empty).select_one(".error-message").get_text()
    done = post_form(client, item, {"note": "多缴200元已退回"}, token_from=item)
    assert done.status_code == 302
    page = soup(client.get("/payments/queue"))
    assert page.select_one("#payment-queue-empty") is not None
    assert "多缴200元已退回" in page.select_one("#payment-resolved").get_text()
    entry = db.session.scalar(
        select(AuditEntry).where(AuditEntry.action == "payment_queue.resolve")
    )
    assert entry.details["difference"] == "200.00" and entry.details["note"] == "多缴200元已退回"
    assert db.session.scalar(select(PaymentQueueResolution.note)) == "多缴200元已退回"
    # Resolved already: a second note is not saved
    again = post_form(client, item, {"note": "again"}, token_from="/payments/queue")
    assert again.status_code == 302
    assert len(db.session.scalars(select(PaymentQueueResolution)).all()) == 1
    # Another payment for the month: the difference changes, the item is back
    _import([f"{employer.credit_code},2022-08-20,2022-07,单位,50,Q3"], name="more.csv")
    assert [str(i.difference) for i in queue_items(deferred["agency"].id)] == ["250.00"]
    # The command shows the same queue
    result = app.test_cli_runner().invoke(args=["portal", "payments", "queue"])
    assert (
        result.exit_code == 0 and "\t250.00" in result.output and other.credit_code in result.output
    )
    sign_in(client, reviewer_other)
    assert employer.credit_code not in client.get("/payments/queue").get_data(as_text=True)


def test_the_import_page_says_the_columns_are_missing(app, client, make):
    """The page's words for the same refusal: each missing column on its own line."""
    from tests.applications.helpers import multipart_post
    from tests.conftest import csrf_token, through_job

    agency = make.agency(make.region("liaocheng-2022"))
    reviewer = make.user(staff_role="reviewer", agency=agency)
    make.commit()
    sign_in(client, reviewer)
    response = multipart_post(
        client,
        "/imports/",
        {"csrf_token": csrf_token(client, "/imports/"), "kind": "payments"},
        [("file", "缴费.csv", "统一社会信用代码,缴费日期,缴费金额,缴费流水号\n".encode())],
    )
    response = through_job(client, response)
    page = soup(client.get(response.location)).get_text(" ", strip=True)
    assert "缺少“费款所属期”列" in page and "缺少“缴费类型”列" in page
    assert page.count("不会猜测") == 2


def test_a_row_from_before_gets_its_month_and_part_from_a_later_file(app, deferred):
    """A payment recorded before files named the month counts as the unit part, as it was read;
    the bureau's file naming it again gives it its month and part, and nothing else changes."""
    employer = deferred["employer"]
    db.session.add(
        Payment(
            employer_id=employer.id,
            paid_on=date(2022, 8, 10),
            amount=Decimal("200.00"),
            settles="deferred",
            source_ref="OLD-1",
        )
    )
    db.session.commit()
    assert employer_standing(employer, date(2022, 8, 15)).quote.paid == Decimal("200.00")
    outcome = _import([f"{employer.credit_code},2022-08-10,2022-07,个人,200.00,OLD-1"])
    assert (outcome.applied, outcome.updated, outcome.created) == (True, 1, 0)
    payment = db.session.scalar(select(Payment))
    db.session.refresh(payment)
    assert (payment.month, payment.part) == ("2022-07", "personal")
    assert employer_standing(employer, date(2022, 8, 15)).quote.paid == Decimal("0.00")
    differs = _import([f"{employer.credit_code},2022-08-10,2022-08,个人,200.00,OLD-1"])
    assert differs.is_refused and differs.problems[0].code == "payment_differs"
