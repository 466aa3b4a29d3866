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
from portal.models.jobs import not_the_queues
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
        opts = {"compare_type": True, "include_object": not_the_queues}
        context = MigrationContext.configure(conn, opts=opts)
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
def scratch_url(tmp_path, worker_id):
    """An empty database of its own: a SQLite file, or a new PostgreSQL database."""
    if not IS_POSTGRES:
        yield f"sqlite:///{tmp_path / 'scratch.sqlite'}"
        return
    from sqlalchemy.engine import make_url

    from tests.conftest import PG_URL

    admin = create_engine(
        make_url(PG_URL).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT"
    )
    # one per xdist worker: two tests using it may run at once on two workers
    name = f"portal_test_scratch_{worker_id}"
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield (
        make_url(PG_URL)
        .set(drivername="postgresql+psycopg", database=name)
        .render_as_string(hide_password=False)
    )
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
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


def test_the_region_figures_become_dated_rows_and_come_back(scratch_url):
    """8a1c2b48ba87: the fund reserve goes to fund_reserves at 2022-01 and the rates to
    region_rates from 2020-01 (stored integers as they are: both scaled alike); the program
    column goes, as the code names it; a downgrade puts the latest of each back."""

    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = scratch_url

    app = create_app(Config)
    migrations = str(REPO_ROOT / "migrations")
    with app.app_context():
        upgrade(directory=migrations, revision="b252b586e750")
        with db.engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO pooling_regions (code, name, province, program_id, "
                    "fund_reserve_months, unit_medical_rate, maternity_rate) VALUES "
                    "('320700', '连云港市', '江苏省', 'jiangsu-2022', 580, 700, 80), "
                    "('150300', '乌海市', '内蒙古自治区', 'inner-mongolia-2022', NULL, NULL, NULL)"
                )
            )
        upgrade(directory=migrations)
        with db.engine.connect() as conn:
            reserves = conn.execute(
                text("SELECT region_id, month, months FROM fund_reserves")
            ).all()
            rates = conn.execute(
                text("SELECT start_month, unit_medical_rate, maternity_rate FROM region_rates")
            ).all()
            columns = set(conn.execute(text("SELECT * FROM pooling_regions")).keys())
        assert [tuple(r[1:]) for r in reserves] == [("2022-01", 580)]
        assert [tuple(r) for r in rates] == [("2020-01", 700, 80)]
        assert columns == {"id", "code", "name", "province"}
        with db.engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO fund_reserves (region_id, month, months, created_at, updated_at) "
                    "VALUES (:region, '2022-07', 710, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
                ),
                {"region": reserves[0][0]},
            )
        downgrade(directory=migrations, revision="b252b586e750")
        with db.engine.connect() as conn:
            back = conn.execute(
                text(
                    "SELECT code, program_id, fund_reserve_months, unit_medical_rate, "
                    "maternity_rate FROM pooling_regions ORDER BY code"
                )
            ).all()
        assert [tuple(r) for r in back] == [
            ("150300", "inner-mongolia-2022", None, None, None),
            ("320700", "jiangsu-2022", 710, 700, 80),  # the latest month's reserve
        ]
        db.engine.dispose()
