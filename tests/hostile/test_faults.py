"""Faults: the database away is a 503 with Retry-After; an oversized upload while acting, a 413."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup

from portal import create_app
from portal.config import ProductionConfig, TestConfig
from portal.core.extensions import db
from tests.applications.helpers import base
from tests.conftest import csrf_token, sign_in
from tests.hall.helpers import hall_visit


def soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


@pytest.fixture(
    params=[
        "sqlite:////nonexistent-directory/portal.db",
        "postgresql+psycopg://nobody@127.0.0.1:9/portal?connect_timeout=2",
    ]
)
def app_without_database(request):
    """The app pointed at a database that does not answer (a real fault, not a stand-in)."""

    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = request.param

    app = create_app(Config)
    yield app
    with app.app_context():
        db.engine.dispose()


def test_a_database_that_does_not_answer_is_a_503_with_retry_after(app_without_database):
    client = app_without_database.test_client()
    token = csrf_token(client, "/login")
    response = client.post(
        "/login", data={"csrf_token": token, "username": "owner-a", "password": "demo-portal-2022"}
    )
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    page = soup(response)
    assert page.select_one("h1").get_text() == "请稍后再试"
    assert "没有保存任何内容" in page.select_one(".lead").get_text()


def test_a_signed_in_page_with_the_database_away_is_a_503(app_without_database):
    client = app_without_database.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = "1:nonce"
        session["login_at"] = session["seen_at"] = 2**40
    response = client.get("/e/1/")
    assert response.status_code == 503
    assert "Retry-After" in response.headers


def test_the_api_answers_503_in_json(app_without_database):
    app_without_database.config["API_RATE_LIMIT_PER_MINUTE"] = 10
    response = app_without_database.test_client().get(
        "/api/v1/classification", query_string={"industry": "retail"}
    )
    assert response.status_code == 503
    assert response.get_json()["status"] == 503


def test_an_oversized_upload_while_acting_is_the_413_page(client, app, make):
    agency = make.agency()
    employer = make.employer(
        agency, list_status="not_listed", size_class=None, size_source=None, industry=None
    )
    staff = make.user(staff_role="hall", agency=agency)
    make.commit()
    visit = hall_visit(employer, staff)
    db.session.commit()
    sign_in(client, staff)
    with client.session_transaction() as session:
        session["acting_id"] = visit.id
    token = csrf_token(client, f"{base(employer)}/")
    app.config["MAX_CONTENT_LENGTH"] = 1024
    response = client.post(f"{base(employer)}/begin", data={"csrf_token": token, "x": "x" * 5000})
    assert response.status_code == 413
    assert soup(response).select_one("h1").get_text() == "文件过大"


def test_production_sessions_use_a_host_only_cookie():
    assert ProductionConfig.SESSION_COOKIE_NAME == "__Host-session"
    assert ProductionConfig.SESSION_COOKIE_SECURE is True
    assert ProductionConfig.SESSION_COOKIE_PATH == "/"
    assert ProductionConfig.SESSION_COOKIE_DOMAIN is None


@pytest.mark.postgres_only
def test_a_request_waiting_on_a_lock_gives_up_with_a_503(app, database_url, make):
    """A row held by another transaction: the statement is cancelled, the worker is freed."""
    from sqlalchemy import create_engine, text

    agency = make.agency()
    employer = make.employer(
        agency, list_status="not_listed", size_class=None, size_source=None, industry=None
    )
    owner = make.user(employer=employer, role="owner")
    make.commit()

    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = database_url
        DATABASE_STATEMENT_TIMEOUT_SECONDS = 1

    impatient = create_app(Config)
    client = impatient.test_client()
    sign_in(client, owner)
    token = csrf_token(client, f"{base(employer)}/")
    holder = create_engine(database_url)
    try:
        with holder.connect() as conn:
            conn.execute(
                text("SELECT id FROM employers WHERE id = :id FOR UPDATE"), {"id": employer.id}
            )
            response = client.post(f"{base(employer)}/begin", data={"csrf_token": token})
            conn.rollback()
    finally:
        holder.dispose()
        with impatient.app_context():
            db.engine.dispose()
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"


def test_a_nul_met_only_at_the_commit_is_still_a_400(app, client, make):
    """A change left for the request's commit is flushed after the view: the same answer."""
    from portal.models import User

    user = make.user(display_name="王")
    make.commit()

    @app.route("/test-only/nul-at-commit", methods=["POST"])
    def nul_at_commit():
        db.session.get(User, user.id).display_name = "王\x00"  # flushed by the commit
        return "changed"

    app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production (TESTING re-raises)
    response = client.post("/test-only/nul-at-commit")
    assert response.status_code == 400
    assert "NUL" in soup(response).select_one(".lead").get_text()
    db.session.expire_all()
    assert db.session.get(User, user.id).display_name == "王"


def test_a_nul_met_only_at_the_commit_is_not_logged_as_an_unhandled_error(
    app, client, make, caplog
):
    from portal.models import User

    user = make.user(display_name="王")
    make.commit()

    @app.route("/test-only/nul-at-commit-logged", methods=["POST"])
    def nul_at_commit_logged():
        db.session.get(User, user.id).display_name = "王\x00"
        return "changed"

    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = client.post("/test-only/nul-at-commit-logged")
    assert response.status_code == 400
    assert "Content-Security-Policy" in response.headers
    assert not [r for r in caplog.records if r.levelname in {"ERROR", "CRITICAL"}]


@pytest.mark.postgres_only
def test_the_connection_cut_between_the_view_and_its_commit_is_a_503(
    app, client, database_url, make, caplog
):
    """PostgreSQL ends the request's own session (as a restart does) after the view changed a
    row: the commit fails, the answer is the 503 page with Retry-After and the security
    headers, the fault is logged as the database being away (not as an unhandled error), and
    nothing was stored."""
    from sqlalchemy import create_engine, text

    from portal.models import User

    user = make.user(display_name="王")
    make.commit()

    @app.route("/test-only/cut-before-commit", methods=["POST"])
    def cut_before_commit():
        db.session.get(User, user.id).display_name = "李"
        db.session.flush()
        pid = db.session.scalar(text("SELECT pg_backend_pid()"))
        other = create_engine(database_url)
        try:
            with other.connect() as conn:
                conn.execute(text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": pid})
        finally:
            other.dispose()
        return "changed"

    app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production (TESTING re-raises)
    response = client.post("/test-only/cut-before-commit")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert "Content-Security-Policy" in response.headers
    assert soup(response).select_one("h1").get_text() == "请稍后再试"
    assert not [r for r in caplog.records if r.levelname in {"ERROR", "CRITICAL"}]
    assert any("database unavailable" in r.getMessage() for r in caplog.records)
    db.session.expire_all()
    assert db.session.get(User, user.id).display_name == "王"
