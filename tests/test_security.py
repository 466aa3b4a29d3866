"""Headers on every response, friendly error pages with a request id, safe configuration."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import update

from portal import create_app
from portal.config import DevelopmentConfig, ProductionConfig, TestConfig
from portal.core.extensions import db
from portal.models import Employer
from tests.conftest import sign_in


def test_security_headers_on_a_public_page(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "no-store" not in response.headers.get("Cache-Control", "")


def test_signed_in_pages_are_not_stored(client, make):
    employer = make.employer()
    user = make.user(employer=employer)
    make.commit()
    sign_in(client, user)
    assert client.get(f"/e/{employer.id}/").headers["Cache-Control"] == "no-store"


def test_pages_carry_no_inline_script(client):
    soup = BeautifulSoup(client.get("/login").get_data(as_text=True), "html.parser")
    assert [s for s in soup.find_all("script") if not s.get("src")] == []
    assert not any(tag.attrs.get("onclick") for tag in soup.find_all(True))


def test_not_found_page_is_friendly_and_has_a_request_id(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    assert soup.select_one("h1").get_text(strip=True) == "页面不存在"
    assert response.headers["X-Request-Id"] in soup.get_text()


def test_an_unexpected_error_shows_no_traceback(app):
    @app.route("/boom")
    def boom():
        raise RuntimeError("secret internals")

    boom.permission = "public"
    response = app.test_client().get("/boom")
    text = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "secret internals" not in text and "Traceback" not in text
    assert response.headers["X-Request-Id"] in text


def test_production_refuses_to_start_without_a_secret_key(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)

    class Config(ProductionConfig):
        SECRET_KEY = None
        SQLALCHEMY_DATABASE_URI = "sqlite://"

    with pytest.raises(RuntimeError, match="SECRET_KEY is not set"):
        create_app(Config)


def test_production_refuses_a_demonstration_date_and_debug():
    class Config(ProductionConfig):
        SECRET_KEY = "x" * 40
        SQLALCHEMY_DATABASE_URI = "sqlite://"
        PORTAL_TODAY = "2022-08-15"
        DEBUG = True

    with pytest.raises(RuntimeError) as error:
        create_app(Config)
    assert "DEBUG" in str(error.value) and "PORTAL_TODAY" in str(error.value)


def test_check_deploy_reports_unsafe_settings():
    class OnSQLite(TestConfig):
        SQLALCHEMY_DATABASE_URI = "sqlite://"

    app = create_app(OnSQLite)
    result = app.test_cli_runner().invoke(args=["portal", "check-deploy"])
    assert result.exit_code == 1
    assert "UNSAFE: TESTING is on" in result.output
    assert "UNSAFE: the database is SQLite" in result.output
    assert "UNSAFE: MAIL_SERVER is not set" in result.output

    class Safe(ProductionConfig):
        SECRET_KEY = "s" * 48
        SQLALCHEMY_DATABASE_URI = "postgresql://portal@db/portal"
        SESSION_COOKIE_SECURE = True
        PORTAL_TODAY = None
        MAIL_SERVER = "smtp.example.gov.cn"
        PORTAL_URL = "https://portal.example.gov.cn"

    result = create_app(Safe).test_cli_runner().invoke(args=["portal", "check-deploy"])
    assert result.exit_code == 0, result.output


def test_development_generates_its_secret_key_once(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)

    class Config(DevelopmentConfig):
        SECRET_KEY = None
        SQLALCHEMY_DATABASE_URI = "sqlite://"

    first = create_app(Config)
    second = create_app(Config)
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"]
    assert len(first.config["SECRET_KEY"]) >= 48


def test_the_session_cookie_is_http_only_and_has_no_remember_me(app):
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert ProductionConfig.SESSION_COOKIE_SECURE is True


@pytest.mark.parametrize("how", ["orm", "core"])
def test_a_request_that_writes_commits_it(app, make, how):
    """A read-only request skips the commit (portal.web.hooks.commit_or_rollback); one that
    wrote, through the ORM or through a statement on the session's connection, commits."""
    employer = make.employer(name="改名前有限公司")
    employer_id = employer.id
    db.session.commit()

    @app.route("/write-test")
    def write_test():
        if how == "orm":
            db.session.get(Employer, employer_id).name = "改名后有限公司"
        else:
            db.session.connection().execute(
                update(Employer).where(Employer.id == employer_id).values(name="改名后有限公司")
            )
        return "written"

    @app.route("/read-test")
    def read_test():
        return db.session.get(Employer, employer_id).name

    write_test.permission = read_test.permission = "public"
    client = app.test_client()
    assert client.get("/read-test").get_data(as_text=True) == "改名前有限公司"
    assert client.get("/write-test").status_code == 200
    db.session.remove()  # what another request sees
    assert db.session.get(Employer, employer_id).name == "改名后有限公司"
    assert client.get("/read-test").get_data(as_text=True) == "改名后有限公司"
