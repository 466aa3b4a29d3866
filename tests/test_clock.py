"""The portal's date is China's date, whatever zone the server runs in."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from portal.util import clock


def test_from_1600_utc_it_is_already_the_next_day_in_china():
    assert clock.local_date(datetime(2022, 9, 29, 15, 59, tzinfo=UTC), "Asia/Shanghai") == date(
        2022, 9, 29
    )
    assert clock.local_date(datetime(2022, 9, 29, 16, 0, tzinfo=UTC), "Asia/Shanghai") == date(
        2022, 9, 30
    )


def test_today_without_a_demo_date_is_the_date_in_china(app):
    app.config["PORTAL_TODAY"] = None
    before = datetime.now(UTC)
    with app.app_context():
        today = clock.today()
        assert not clock.is_demo_date()
    after = datetime.now(UTC)
    shanghai = {(moment + timedelta(hours=8)).date() for moment in (before, after)}
    assert today in shanghai


def test_a_demo_date_wins(app):
    app.config["PORTAL_TODAY"] = "2022-08-15"
    with app.app_context():
        assert clock.today() == date(2022, 8, 15)
        assert clock.is_demo_date()


def test_now_keeps_the_demo_date_and_the_time_of_day_in_china(app, monkeypatch):
    monkeypatch.setattr(clock, "_utcnow", lambda: datetime(2026, 1, 2, 17, 30, tzinfo=UTC))
    with app.app_context():
        app.config["PORTAL_TODAY"] = "2022-08-15"
        # 17:30 UTC is 01:30 the next morning in China; the demonstration's date wins
        assert clock.now() == datetime(2022, 8, 14, 17, 30, tzinfo=UTC)
        app.config["PORTAL_TODAY"] = None
        assert clock.now() == datetime(2026, 1, 2, 17, 30, tzinfo=UTC)
