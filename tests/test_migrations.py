"""One head; the migrations build exactly what the models describe; the audit log is append-only."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import upgrade
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DatabaseError

from portal import create_app
from portal.config import REPO_ROOT, TestConfig
from portal.extensions import db
from portal.models import Base
from tests.conftest import IS_POSTGRES


def test_there_is_one_head(app):
    script = ScriptDirectory.from_config(app.extensions["migrate"].migrate.get_config())
    assert len(script.get_heads()) == 1


@pytest.fixture
def migrated_url(tmp_path, database_url):
    """A database built by the migrations: a new SQLite file, or the PostgreSQL test database."""
    if IS_POSTGRES:
        return database_url
    url = f"sqlite:///{tmp_path / 'migrated.sqlite'}"

    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = url

    app = create_app(Config)
    with app.app_context():
        upgrade(directory=str(REPO_ROOT / "migrations"))
        db.engine.dispose()
    return url


def test_models_and_migrations_agree(migrated_url):
    engine = create_engine(migrated_url)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, Base.metadata)
    engine.dispose()
    assert diff == []


def test_the_audit_log_refuses_updates_and_deletes(migrated_url, app):
    engine = create_engine(migrated_url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO audit_log (at, role, action, details) "
                "VALUES (CURRENT_TIMESTAMP, 'admin', 'test.append_only', '{}')"
            )
        )
    for statement in ("UPDATE audit_log SET action = 'changed'", "DELETE FROM audit_log"):
        with pytest.raises(DatabaseError, match="append-only"), engine.begin() as conn:
            conn.execute(text(statement))
    with engine.begin() as conn:
        conn.execute(text("TRUNCATE audit_log") if IS_POSTGRES else text("SELECT 1"))
    engine.dispose()
