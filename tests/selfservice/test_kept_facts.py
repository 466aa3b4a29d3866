"""Pages show a change of an employer's facts at once, and a repeat visit reads none of them
(portal/facts/cache.py keeps them per employer and facts version)."""

from __future__ import annotations

from sqlalchemy import event, insert

from portal.core.extensions import db
from portal.models import DeferralDecision, Departure, Payment, PersonAssessment
from tests.conftest import post_form, sign_in
from tests.deferral.test_facts_version import _rows
from tests.selfservice.conftest import assess
from tests.selfservice.test_home_and_decision import english, text


def _statements(app):
    seen: list[str] = []
    event.listen(db.engine, "before_cursor_execute", lambda *args: seen.append(args[2]))
    return seen


def test_a_page_shows_a_payment_at_once_and_a_repeat_visit_reads_no_facts(client, listed):
    employer, owner, _finance = listed
    assess(employer, {"2022-07": "3000.00", "2022-08": "3000.00", "2022-09": "3000.00"})
    sign_in(client, owner)
    english(client)
    seen = _statements(client.application)
    path = f"/e/{employer.id}/amounts/"
    assert "¥9,000.00" in text(client.get(path), "#outstanding")
    first = list(seen)
    seen.clear()
    assert "¥9,000.00" in text(client.get(path), "#outstanding")
    assert any("FROM payments" in s for s in first)
    assert not any("FROM payments" in s or "FROM assessments" in s for s in seen)

    # The tax bureau's payment arrives (an import, on another machine): the next visit shows it.
    db.session.execute(insert(Payment).values(**_rows(employer.id, owner.id)[Payment]))
    db.session.commit()
    seen.clear()
    assert "¥8,900.00" in text(client.get(path), "#outstanding")
    assert any("FROM payments" in s for s in seen)


def test_a_decision_shows_on_the_next_page_and_a_form_reads_its_facts_afresh(client, listed):
    employer, owner, _finance = listed
    sign_in(client, owner)
    english(client)
    home = f"/e/{employer.id}/"
    client.get(home)
    client.get(f"/e/{employer.id}/deferral/")
    # Another person opts out in between: the form still based on "no decision" is refused,
    # though this worker kept the facts it read before (a POST reads them again).
    db.session.add(
        DeferralDecision(**_rows(employer.id, owner.id)[DeferralDecision]),
    )
    db.session.commit()
    answer = post_form(
        client,
        f"/e/{employer.id}/deferral/confirm",
        {"choice": "defer:2022-07", "based_on": ""},
        token_from=home,
    )
    assert answer.status_code == 409
    assert "opted out" in client.get(home).get_data(as_text=True)


def test_the_home_page_shows_a_departure_recorded_elsewhere_at_once(client, listed):
    """The amounts due at once are kept too (departures and per-person assessments)."""
    employer, owner, _finance = listed
    assess(employer, {"2022-07": "3000.00", "2022-08": "3000.00", "2022-09": "3000.00"})
    sign_in(client, owner)
    english(client)
    home = f"/e/{employer.id}/"
    assert "left, retired or transferred" not in client.get(home).get_data(as_text=True)
    client.get(home)  # kept now
    rows = _rows(employer.id, owner.id)
    db.session.execute(insert(PersonAssessment).values(**rows[PersonAssessment]))
    db.session.execute(insert(Departure).values(**rows[Departure]))
    db.session.commit()
    page = client.get(home).get_data(as_text=True)
    assert "1 insured person(s) left, retired or transferred" in page


def test_the_history_shows_what_was_done_elsewhere_at_once(client, listed):
    from portal.core import audit

    employer, owner, _finance = listed
    sign_in(client, owner)
    english(client)
    home = f"/e/{employer.id}/"
    assert "Nothing has happened yet." in client.get(home).get_data(as_text=True)
    client.get(home)  # kept now
    audit.record(owner, "decision.opt_out", employer_id=employer.id)
    db.session.commit()
    page = client.get(home).get_data(as_text=True)
    assert "Nothing has happened yet." not in page and 'id="history"' in page
