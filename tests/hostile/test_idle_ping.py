"""A PostgreSQL connection cut while it stood in the pool (portal/core/connections.py): replaced
before a request sees it when it stood idle for longer than the limit; found by its first
statement, once, when it was in use a moment before."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from portal.core.connections import watch

pytestmark = pytest.mark.postgres_only


def backend_pid(engine) -> int:
    with engine.connect() as conn:
        return conn.scalar(text("SELECT pg_backend_pid()"))


def cut(database_url: str, pid: int) -> None:
    """End that session from another one, as a restart would."""
    other = create_engine(database_url)
    try:
        with other.connect() as conn:
            assert conn.scalar(text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": pid})
    finally:
        other.dispose()


@pytest.fixture
def engine(database_url):
    engine = create_engine(database_url, pool_size=1, max_overflow=0)
    yield engine
    engine.dispose()


def test_a_connection_cut_while_idle_is_replaced_before_use(engine, database_url):
    watch(engine, 0)  # every connection has stood "too long"
    first = backend_pid(engine)
    assert backend_pid(engine) == first  # the ping keeps a live connection
    cut(database_url, first)
    replaced = backend_pid(engine)  # no error: the ping found it dead and the pool replaced it
    assert replaced != first


def test_a_connection_in_use_a_moment_ago_is_not_pinged(engine, database_url):
    watch(engine, 3600)
    first = backend_pid(engine)
    cut(database_url, first)
    # Not pinged (a ping would have replaced it): its own statement finds out, and that page
    # is a 503 (tests/hostile/test_faults.py)...
    with pytest.raises(OperationalError):
        backend_pid(engine)
    assert backend_pid(engine) != first  # ...and the pool has a fresh one at once
