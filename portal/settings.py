"""Finish the configuration at start-up: database location, secret key, production checks."""

from __future__ import annotations

import secrets
from datetime import date
from pathlib import Path

from flask import Flask

from portal.config import deploy_problems


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
