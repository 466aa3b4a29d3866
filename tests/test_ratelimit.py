from __future__ import annotations

from portal.core.ratelimit import hit


def test_counts_per_key_and_window(app):
    assert [hit("a", now=120.0) for _ in range(3)] == [1, 2, 3]
    assert hit("b", now=120.0) == 1
    assert hit("a", now=180.0) == 1  # a new minute starts a new window


def test_counts_survive_a_rolled_back_request_transaction(app):
    from portal.core.extensions import db

    hit("c", now=60.0)
    db.session.rollback()
    assert hit("c", now=60.0) == 2
