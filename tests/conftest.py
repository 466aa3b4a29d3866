"""Fixtures: the app on SQLite (default) or on PostgreSQL (TEST_DATABASE_URL), a client, factories.

SQLite: every test gets a fresh in-memory database built from the models (the first test of a
worker builds it with ``create_all``; the others get a byte-for-byte copy of it through SQLite's
backup API, a millisecond instead of ``create_all`` and ``drop_all``'s fifty).
PostgreSQL: each xdist worker gets its own database, built once by the migrations, and every
test starts from empty tables (TRUNCATE, which the audit log's append-only trigger allows).
"""

from __future__ import annotations

import os
import re
import sqlite3
import time

import pytest
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from portal import create_app
from portal.config import TestConfig
from portal.core.extensions import db

PG_URL = os.environ.get("TEST_DATABASE_URL", "")
IS_POSTGRES = PG_URL.startswith("postgresql")


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "postgres_only" in item.keywords and not IS_POSTGRES:
            item.add_marker(pytest.mark.skip(reason="needs PostgreSQL (make test runs it there)"))
    if IS_POSTGRES:
        # The second run is for the database: a test that never opens one (the rules, the
        # parsers, the templates' checks) ran on SQLite already and would only run again.
        same = [item for item in items if not _uses_database(item)]
        if same:
            config.hook.pytest_deselected(items=same)
            items[:] = [item for item in items if _uses_database(item)]


#: Fixtures through which a test reaches the database under test.
DATABASE_FIXTURES = {"app", "database_url"}


def _uses_database(item) -> bool:
    """Whether the test reaches the database: through a fixture, by being PostgreSQL's own, or
    because its module reads the PostgreSQL address itself (it starts servers or commands)."""
    if DATABASE_FIXTURES & set(getattr(item, "fixturenames", ())):
        return True
    if "postgres_only" in item.keywords:
        return True
    module = getattr(item, "module", None)
    source = getattr(module, "__file__", None)
    if source is None:
        return True
    return _reads_database_address(source)


_address_readers: dict[str, bool] = {}


def _reads_database_address(path: str) -> bool:
    if path not in _address_readers:
        with open(path, encoding="utf-8") as module:
            text = module.read()
        _address_readers[path] = any(
            name in text for name in ("IS_POSTGRES", "PG_URL", "TEST_DATABASE_URL")
        )
    return _address_readers[path]


def pytest_configure(config):
    from tests.i18n_build import compile_catalogs

    compile_catalogs()
    _share_url_builders()


def _share_url_builders() -> None:
    """Compile each URL rule's builder once per test process, not once per app.

    Every test builds its own app (``create_app``), and Werkzeug compiles two URL-building
    functions for each of the portal's 400-odd rules from a generated AST: some forty
    milliseconds of CPU a test, a third of what a small test costs. The function depends only
    on the rule's text, its parsed parts, its defaults and its converters' types, and reads the
    rule's own converters when called (it is bound to each rule), so rules that agree on all of
    these can share it. The application itself compiles its rules once per worker process, as
    before; this is for the test process only.
    """
    from werkzeug.routing.rules import Rule

    compile_builder = Rule._compile_builder
    compiled: dict[tuple, object] = {}

    def shared_builder(self, append_unknown=True):
        key = (
            self.rule,
            tuple(self._trace),
            repr(sorted((self.defaults or {}).items())),
            tuple(sorted((name, type(c).__qualname__) for name, c in self._converters.items())),
            append_unknown,
        )
        if key not in compiled:
            compiled[key] = compile_builder(self, append_unknown)
        return compiled[key]

    Rule._compile_builder = shared_builder


@pytest.fixture(scope="session")
def database_url(worker_id):
    if not IS_POSTGRES:
        yield "sqlite://"
        return
    name = f"portal_test_{worker_id}"
    admin_url = make_url(PG_URL).set(drivername="postgresql+psycopg")
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin_url.set(database=name).render_as_string(hide_password=False)
    app = create_app(TestConfig)
    app.config["SQLALCHEMY_DATABASE_URI"] = url
    _migrate(url)
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _migrate(url: str) -> None:
    from flask_migrate import upgrade

    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = url

    app = create_app(Config)
    with app.app_context():
        upgrade()
        db.engine.dispose()


class FreshContextClient(FlaskClient):
    """Run each request in its own app context, as a real server does.

    The test itself holds an app context for its factories; without this, requests would share
    that context's ``g`` (and its cached CSRF token) and its database session.
    """

    def open(self, *args, **kwargs):
        with self.application.app_context():
            response = super().open(*args, **kwargs)
        db.session.expire_all()
        return response


@pytest.fixture
def app(database_url):
    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = database_url

    app = create_app(Config)
    app.test_client_class = FreshContextClient
    with app.app_context():
        if IS_POSTGRES:
            # procrastinate's queue too (its schema comes with the migrations)
            queue = ["procrastinate_jobs", "procrastinate_periodic_defers", "procrastinate_workers"]
            names = [t.name for t in db.metadata.sorted_tables] + queue
            tables = ", ".join(f'"{name}"' for name in names)
            db.session.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
            db.session.commit()
        else:
            _fresh_sqlite_schema()
        yield app
        db.session.remove()
        db.engine.dispose()  # on SQLite the in-memory database goes with its one connection


#: The empty schema of this worker's first test (tables, indexes, triggers), for the others.
_sqlite_schema: sqlite3.Connection | None = None


def _fresh_sqlite_schema() -> None:
    """Give the app's in-memory database the models' schema: built once by ``create_all``,
    then copied page by page (sqlite3's backup API) into each new database."""
    global _sqlite_schema
    raw = db.engine.raw_connection()  # the in-memory database's one connection (StaticPool)
    try:
        if _sqlite_schema is None:
            db.create_all()
            _sqlite_schema = sqlite3.connect(":memory:", check_same_thread=False)
            raw.driver_connection.backup(_sqlite_schema)
        else:
            _sqlite_schema.backup(raw.driver_connection)
    finally:
        raw.close()


def uploaded_files() -> dict[str, bytes]:
    """Every uploaded file the database keeps: name -> bytes."""
    from portal.models import UploadedFile

    return {row.name: row.data for row in db.session.scalars(db.select(UploadedFile))}


@pytest.fixture
def client(app):
    return app.test_client()


CSRF_RE = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


def csrf_token(client, path: str = "/login") -> str:
    response = client.get(path)
    match = CSRF_RE.search(response.get_data(as_text=True))
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def post_form(client, path: str, data: dict | None = None, *, token_from: str = "/login", **kw):
    """POST like a browser: with the CSRF token a page of the site handed out."""
    payload = {"csrf_token": csrf_token(client, token_from), **(data or {})}
    return client.post(path, data=payload, **kw)


def sign_in(client, user) -> None:
    """Start a session for ``user`` the way the login view does, without the password hash."""
    from portal.util import clock

    now = int(clock.timestamp())
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True
        session["login_at"] = now
        session["seen_at"] = now
        session.permanent = True


@pytest.fixture
def make(app):
    from tests.factories import Factory

    return Factory()


@pytest.fixture
def frozen_minute(monkeypatch):
    """Hold the rate limiter's clock still, so a test's requests share one one-minute window."""
    import portal.core.ratelimit

    now = (int(time.time()) // 60) * 60 + 1.0
    monkeypatch.setattr(portal.core.ratelimit, "_clock", lambda: now)
    return now


JOB_PATH = re.compile(r"^/jobs/\d+$")


def through_job(client, response):
    """A page that starts a job answers with a redirect to the job's page, which (the job has
    run by then: JOBS_RUN is "now" in the tests) redirects on to its result: that redirect, as
    the page itself once answered."""
    from urllib.parse import urlsplit

    if response.status_code in (302, 303) and JOB_PATH.match(urlsplit(response.location).path):
        return client.get(response.location)
    return response


def post_form_through_job(client, path: str, data: dict | None = None, **kw):
    """``post_form`` for a page whose form starts a job that makes a file: the file, as the
    page itself once answered (the job has run by then; its page offers the file)."""
    from urllib.parse import urlsplit

    response = post_form(client, path, data, **kw)
    if response.status_code in (302, 303) and JOB_PATH.match(urlsplit(response.location).path):
        return client.get(urlsplit(response.location).path + "/file")
    return response


def press_download(client, page: str, button: str = "csv"):
    """A download made by a job, as a browser makes it: on ``page``, the form of the button
    ``#button`` sent with its hidden fields (the page's filters, its CSRF token and key); the
    job's file, as the page once answered (else the answer itself)."""
    from urllib.parse import urlsplit

    from bs4 import BeautifulSoup

    html = BeautifulSoup(client.get(page).data, "html.parser")
    form = html.select_one(f"#{button}").find_parent("form")
    data = {tag["name"]: tag.get("value", "") for tag in form.select("input[name]")}
    response = client.post(form["action"], data=data)
    if response.status_code in (302, 303) and JOB_PATH.match(urlsplit(response.location).path):
        return client.get(urlsplit(response.location).path + "/file")
    return response
