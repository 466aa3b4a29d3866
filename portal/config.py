"""Configuration: the classes PORTAL_ENV chooses, and what start-up fills in or refuses.

No secret has a default: development and test generate or set their own, production refuses to
start without SECRET_KEY (see ``check_production``).
"""

from __future__ import annotations

import os
import secrets
from datetime import date, timedelta
from pathlib import Path

from flask import Flask

from portal.util.formatting import DEFAULT_LOCALE

REPO_ROOT = Path(__file__).resolve().parent.parent


def _env_flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


class BaseConfig:
    ENV_NAME = "base"
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL", "")
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    # A PostgreSQL connection can be dropped under a worker (restart, fail-over): one that
    # stood unused for longer than this is tested when it is taken from the pool
    # (portal/core/connections.py).
    DATABASE_PING_AFTER_IDLE_SECONDS = float(os.environ.get("DATABASE_PING_AFTER_IDLE_SECONDS", 2))
    # No request waits without end on PostgreSQL (portal/config.py): a statement (a lock
    # wait included) is cancelled after this many seconds and the page is a 503 "try again";
    # connecting gives up after 5 seconds, waiting for a pooled connection after 10.
    # 0 turns the statement limit off (e.g. for a long migration: flask db upgrade).
    DATABASE_STATEMENT_TIMEOUT_SECONDS = int(
        os.environ.get("DATABASE_STATEMENT_TIMEOUT_SECONDS", "30")
    )
    # Where jobs run (portal/core/jobs.py): "queue" (procrastinate's workers, PostgreSQL),
    # "thread" (the web process, the embedded SQLite mode), "now" (in the request, after its
    # commit: the tests). Empty: "queue" on PostgreSQL, "thread" on SQLite.
    JOBS_RUN = os.environ.get("JOBS_RUN", "")
    SECRET_KEY = os.environ.get("SECRET_KEY")
    DEBUG = False
    TESTING = False
    # Sessions: a signed cookie that carries only the user id, a per-user nonce and two times.
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _env_flag("SESSION_COOKIE_SECURE", True)
    SESSION_COOKIE_NAME = "portal_session"
    PERMANENT_SESSION_LIFETIME = timedelta(hours=12)
    # The cookie is rewritten only when the session changes (at most once a minute, when
    # portal.web.hooks notes the time it was last seen), not on every response.
    SESSION_REFRESH_EACH_REQUEST = False
    SESSION_IDLE_MINUTES = 30
    # Hall staff acting for an employer stop after this long without a request
    # (portal/features/hall).
    ACTING_IDLE_MINUTES = 30
    SESSION_ABSOLUTE_HOURS = 12
    REMEMBER_COOKIE_DURATION = timedelta(seconds=0)
    # CSRF tokens live as long as the session (forms validate them; see portal.web.forms.BaseForm).
    WTF_CSRF_TIME_LIMIT = None
    WTF_CSRF_CHECK_DEFAULT = False
    WTF_CSRF_SSL_STRICT = True
    LOGIN_MAX_FAILURES = 10
    LOGIN_LOCK_MINUTES = 15
    ACTIVATION_CODE_DAYS = 14
    BABEL_DEFAULT_LOCALE = DEFAULT_LOCALE
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    BABEL_TRANSLATION_DIRECTORIES = str(REPO_ROOT / "translations")
    LANGUAGES = ("zh", "en")
    # The portal's clock: a fixed date for demonstrations and tests, else the real date.
    PORTAL_TODAY = os.environ.get("PORTAL_TODAY") or None
    DEMO_DATA_ALLOWED = True
    API_RATE_LIMIT_PER_MINUTE = int(os.environ.get("API_RATE_LIMIT_PER_MINUTE", "120"))
    # Calls per minute for each API token (portal/web/api_tokens.py), whatever its address.
    API_TOKEN_RATE_LIMIT_PER_MINUTE = int(os.environ.get("API_TOKEN_RATE_LIMIT_PER_MINUTE", "600"))
    VERIFY_RATE_LIMIT_PER_MINUTE = int(os.environ.get("VERIFY_RATE_LIMIT_PER_MINUTE", "10"))
    # Sign-in and activation attempts per client and minute, on top of the per-account lock:
    # one address cannot try a password on many accounts, or guess activation codes.
    LOGIN_RATE_LIMIT_PER_MINUTE = int(os.environ.get("LOGIN_RATE_LIMIT_PER_MINUTE", "20"))
    ACTIVATE_RATE_LIMIT_PER_MINUTE = int(os.environ.get("ACTIVATE_RATE_LIMIT_PER_MINUTE", "10"))
    # Address changes per client and minute: each one sends a confirmation link.
    EMAIL_RATE_LIMIT_PER_MINUTE = int(os.environ.get("EMAIL_RATE_LIMIT_PER_MINUTE", "5"))
    MAX_CONTENT_LENGTH = 60 * 1024 * 1024
    # Behind a proxy: number of X-Forwarded-For hops to trust (0 = none).
    PROXY_HOPS = int(os.environ.get("PROXY_HOPS", "0"))
    # E-mail (portal/features/reminders, sent with Flask-Mailman). Without MAIL_SERVER (development)
    # messages are written to the log instead of being sent.
    MAIL_SERVER = os.environ.get("MAIL_SERVER") or None
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "25"))
    MAIL_USE_TLS = _env_flag("MAIL_USE_TLS")
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME") or None
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD") or None
    MAIL_FROM = os.environ.get("MAIL_FROM", "noreply@localhost")
    MAIL_TIMEOUT = int(os.environ.get("MAIL_TIMEOUT", "10"))
    # Where the links in e-mails point (a reminder is rendered by a command, not a request).
    PORTAL_URL = os.environ.get("PORTAL_URL", "http://127.0.0.1:5000")
    # A confirmation link works this long; a draft unsigned this long is reminded once; an
    # approval or rejection older than this is not announced by a first run.
    EMAIL_CONFIRMATION_DAYS = 7
    REMINDER_DRAFT_DAYS = 3
    REMINDER_EVENT_DAYS = 7


class DevelopmentConfig(BaseConfig):
    ENV_NAME = "development"
    SESSION_COOKIE_SECURE = _env_flag("SESSION_COOKIE_SECURE", False)


class TestConfig(BaseConfig):
    ENV_NAME = "test"
    TESTING = True
    SECRET_KEY = "test-only-not-secret"  # noqa: S105 - fixed key for the test suite only
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL", "sqlite://")
    SESSION_COOKIE_SECURE = False
    PORTAL_TODAY = "2022-08-15"
    API_RATE_LIMIT_PER_MINUTE = 120
    API_TOKEN_RATE_LIMIT_PER_MINUTE = 600
    VERIFY_RATE_LIMIT_PER_MINUTE = 10
    MAIL_SERVER = None  # tests start their own SMTP server where they need one
    MAIL_TIMEOUT = 5
    JOBS_RUN = "now"  # tests of the queue itself set "queue" and run a worker


class ProductionConfig(BaseConfig):
    ENV_NAME = "production"
    DEMO_DATA_ALLOWED = False
    # The __Host- prefix makes browsers keep the cookie only if it is Secure, for path / and
    # this host alone: a sibling subdomain cannot plant or overwrite a session.
    SESSION_COOKIE_NAME = "__Host-session"
    SESSION_COOKIE_SECURE = True
    SESSION_COOKIE_PATH = "/"
    SESSION_COOKIE_DOMAIN = None


CONFIGS: dict[str, type[BaseConfig]] = {
    "development": DevelopmentConfig,
    "test": TestConfig,
    "production": ProductionConfig,
}


def config_from_env() -> type[BaseConfig]:
    """Pick the config class named by PORTAL_ENV (production when unset)."""
    name = os.environ.get("PORTAL_ENV", "production")
    try:
        return CONFIGS[name]
    except KeyError:
        raise RuntimeError(f"PORTAL_ENV={name!r} is not one of {', '.join(CONFIGS)}") from None


def deploy_problems(config: dict) -> list[str]:
    """List the settings that make a deployment unsafe (like Django's check --deploy)."""
    problems = []
    key = config.get("SECRET_KEY") or ""
    if not key:
        problems.append("SECRET_KEY is not set")
    elif len(key) < 32:
        problems.append("SECRET_KEY is shorter than 32 characters")
    if config.get("DEBUG"):
        problems.append("DEBUG is on")
    if config.get("TESTING"):
        problems.append("TESTING is on")
    if config.get("DEMO_DATA_ALLOWED"):
        problems.append("demo data is allowed (PORTAL_ENV is not production)")
    if config.get("PORTAL_TODAY"):
        problems.append("PORTAL_TODAY fixes the date: the portal shows a demonstration date")
    if not config.get("SESSION_COOKIE_SECURE"):
        problems.append("SESSION_COOKIE_SECURE is off: session cookies travel over plain HTTP")
    uri = config.get("SQLALCHEMY_DATABASE_URI") or ""
    if uri.startswith("sqlite"):
        problems.append("the database is SQLite: production runs on PostgreSQL (DATABASE_URL)")
    if not config.get("MAIL_SERVER"):
        problems.append("MAIL_SERVER is not set: reminders are written to the log, never sent")
    if not str(config.get("PORTAL_URL") or "").startswith("https://"):
        problems.append("PORTAL_URL is not an https:// address: the links in e-mails use it")
    return problems


def finish_config(app: Flask) -> None:
    """Fill in what the environment left open, and refuse unsafe production settings."""
    instance = Path(app.instance_path)
    env_name = app.config.get("ENV_NAME")
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        instance.mkdir(parents=True, exist_ok=True)
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{instance / 'portal.sqlite'}"
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("postgres://"):  # the old scheme some platforms still hand out
        app.config["SQLALCHEMY_DATABASE_URI"] = uri.replace(
            "postgres://", "postgresql+psycopg://", 1
        )
    elif uri.startswith("postgresql://"):
        app.config["SQLALCHEMY_DATABASE_URI"] = uri.replace(
            "postgresql://", "postgresql+psycopg://", 1
        )
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = _postgres_limits(app.config)
    if not app.config.get("SECRET_KEY") and env_name == "development":
        app.config["SECRET_KEY"] = _instance_secret(instance)
    if app.config.get("PORTAL_TODAY"):
        # Fail at start-up, not on the first page, when the demonstration date is malformed.
        date.fromisoformat(str(app.config["PORTAL_TODAY"]))
    if env_name == "production":
        fatal = [p for p in deploy_problems(app.config) if _is_fatal(p)]
        if fatal:
            raise RuntimeError("refusing to start in production: " + "; ".join(fatal))


def _postgres_limits(config) -> dict:
    """Engine options with time limits, so that no request waits on the database for ever."""
    options = dict(config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    options.setdefault("pool_timeout", 10)
    connect_args = dict(options.get("connect_args") or {})
    connect_args.setdefault("connect_timeout", 5)
    seconds = int(config.get("DATABASE_STATEMENT_TIMEOUT_SECONDS") or 0)
    if seconds > 0 and "options" not in connect_args:
        connect_args["options"] = f"-c statement_timeout={seconds * 1000}"
    options["connect_args"] = connect_args
    return options


def _is_fatal(problem: str) -> bool:
    return problem.startswith(("SECRET_KEY is not set", "DEBUG", "demo data", "PORTAL_TODAY"))


def _instance_secret(instance: Path) -> str:
    """Read the development secret key from instance/, creating it once."""
    path = instance / "secret_key"
    if not path.exists():
        instance.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()
