"""One head; the migrations build exactly what the models describe; the audit log is append-only."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DatabaseError

from portal import create_app
from portal.config import REPO_ROOT, TestConfig
from portal.core.extensions import db
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


@pytest.mark.skipif(IS_POSTGRES, reason="the same on both databases; SQLite shows it")
def test_uploaded_files_move_from_the_folder_into_the_database_and_back(tmp_path, monkeypatch):
    folder = tmp_path / "uploads"
    folder.mkdir()
    (folder / "ab12cd").write_bytes(b"%PDF-1.4 evidence")
    monkeypatch.setenv("UPLOAD_DIR", str(folder))

    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'files.sqlite'}"

    app = create_app(Config)
    migrations = str(REPO_ROOT / "migrations")
    with app.app_context():
        upgrade(directory=migrations, revision="9e1fafba23ca")
        with db.engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO evidence_files (application_id, original_name, stored_name, "
                    "content_type, size_bytes, sha256, uploaded_at) VALUES "
                    "(1, 'licence.pdf', 'ab12cd', 'application/pdf', 17, '', CURRENT_TIMESTAMP)"
                )
            )
        upgrade(directory=migrations)
        with db.engine.connect() as conn:
            kept = conn.execute(text("SELECT name, data FROM uploaded_files")).all()
        assert kept == [("ab12cd", b"%PDF-1.4 evidence")]

        (folder / "ab12cd").unlink()
        downgrade(directory=migrations, revision="9e1fafba23ca")
        assert (folder / "ab12cd").read_bytes() == b"%PDF-1.4 evidence"
        db.engine.dispose()


@pytest.fixture
def scratch_url(tmp_path):
    """An empty database of its own: a SQLite file, or a new PostgreSQL database."""
    if not IS_POSTGRES:
        yield f"sqlite:///{tmp_path / 'scratch.sqlite'}"
        return
    from sqlalchemy.engine import make_url

    from tests.conftest import PG_URL

    admin = create_engine(
        make_url(PG_URL).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:
        conn.execute(text('DROP DATABASE IF EXISTS "portal_test_halls"'))
        conn.execute(text('CREATE DATABASE "portal_test_halls"'))
    yield (
        make_url(PG_URL)
        .set(drivername="postgresql+psycopg", database="portal_test_halls")
        .render_as_string(hide_password=False)
    )
    with admin.connect() as conn:
        conn.execute(text('DROP DATABASE IF EXISTS "portal_test_halls" WITH (FORCE)'))
    admin.dispose()


def test_linyis_halls_go_to_linyis_agency(scratch_url):
    """The halls 9e1fafba23ca loaded belong to the agency of region 371300, the others to none."""

    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = scratch_url

    app = create_app(Config)
    migrations = str(REPO_ROOT / "migrations")
    with app.app_context():
        upgrade(directory=migrations, revision="b7e2d4c91f0a")
        with db.engine.begin() as conn:
            for code, name, program in (
                ("371300", "临沂市", "linyi-2020"),
                ("371500", "聊城市", "liaocheng-2022"),
            ):
                conn.execute(
                    text(
                        "INSERT INTO pooling_regions (code, name, province, program_id) "
                        "VALUES (:code, :name, '山东省', :program)"
                    ),
                    {"code": code, "name": name, "program": program},
                )
                conn.execute(
                    text(
                        "INSERT INTO agencies (code, name, region_id) SELECT :agency, :name, id "
                        "FROM pooling_regions WHERE code = :code"
                    ),
                    {"agency": code[:4], "name": name + "医疗保障服务中心", "code": code},
                )
            conn.execute(
                text(
                    "INSERT INTO service_halls (city, district, address, phone, source, "
                    "position, is_listed, updated_at) VALUES ('聊城市', '东昌府区', "
                    "'柳园南路1号', '0635-1234567', '', 1, true, CURRENT_TIMESTAMP)"
                )
            )
        upgrade(directory=migrations)
        with db.engine.connect() as conn:
            owners = conn.execute(
                text(
                    "SELECT service_halls.city, agencies.name, count(*) FROM service_halls "
                    "LEFT JOIN agencies ON agencies.id = service_halls.agency_id "
                    "GROUP BY service_halls.city, agencies.name ORDER BY service_halls.city"
                )
            ).all()
        assert sorted(tuple(row) for row in owners) == [
            ("临沂市", "临沂市医疗保障服务中心", 14),
            ("聊城市", None, 1),
        ]
        downgrade(directory=migrations, revision="b7e2d4c91f0a")
        with db.engine.connect() as conn:
            columns = conn.execute(text("SELECT * FROM service_halls")).keys()
            assert "agency_id" not in columns
            assert conn.execute(text("SELECT count(*) FROM service_halls")).scalar() == 15
        db.engine.dispose()
