"""The employer deferral portal: ``create_app`` builds the Flask application."""

from __future__ import annotations

from flask import Flask

from portal.config import REPO_ROOT, BaseConfig, config_from_env


def create_app(config: type[BaseConfig] | dict | None = None) -> Flask:
    """Build the application from a config class (by default the one PORTAL_ENV names)."""
    from portal.web.templating import PortalEnvironment

    app = Flask(
        __name__,
        template_folder=str(REPO_ROOT / "templates"),
        static_folder=str(REPO_ROOT / "static"),
        instance_path=str(REPO_ROOT / "instance"),
    )
    app.jinja_environment = PortalEnvironment  # before anything builds app.jinja_env
    register_config(app, config)
    register_extensions(app)
    register_request_hooks(app)
    register_url_converters(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_commands(app)
    register_template_helpers(app)
    # No view or hook is a coroutine: Flask would otherwise ask of every hook and context
    # processor, on every request, whether it is one (a dozen inspections a request).
    app.ensure_sync = lambda func: func  # type: ignore[method-assign]
    return app


def register_config(app: Flask, config: type[BaseConfig] | dict | None) -> None:
    if config is None:
        config = config_from_env()
    if isinstance(config, dict):
        app.config.from_object(config_from_env())
        app.config.update(config)
    else:
        app.config.from_object(config)
    from portal.config import finish_config

    finish_config(app)


def register_extensions(app: Flask) -> None:
    from portal.core.extensions import babel, csrf, db, login_manager, migrate
    from portal.web.i18n import install_template_gettext, select_locale, select_timezone

    db.init_app(app)
    migrate.init_app(app, db, directory=str(REPO_ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    install_template_gettext(app)
    login_manager.init_app(app)
    from portal.core import mail

    mail.init_app(app)
    from portal.features.auth import session as auth_session

    auth_session.init_login_manager(login_manager)


def register_request_hooks(app: Flask) -> None:
    from portal.web import hooks

    hooks.init_app(app)


def register_url_converters(app: Flask) -> None:
    from portal.web import routing

    routing.init_app(app)


def register_blueprints(app: Flask) -> None:
    from portal.features.admin import bp as admin_bp
    from portal.features.amounts import bp as amounts_bp
    from portal.features.api import bp as api_bp
    from portal.features.applications import bp as applications_bp
    from portal.features.auth import bp as auth_bp
    from portal.features.deferral import bp as deferral_bp
    from portal.features.employer import bp as employer_bp
    from portal.features.hall import bp as hall_bp
    from portal.features.held import bp as held_bp
    from portal.features.imports import bp as imports_bp
    from portal.features.jobs import bp as jobs_bp
    from portal.features.lookup import bp as lookup_bp
    from portal.features.main import bp as main_bp
    from portal.features.payments import bp as payments_bp
    from portal.features.reductions import bp as reductions_bp
    from portal.features.reference import bp as reference_bp
    from portal.features.reminders import bp as reminders_bp
    from portal.features.reports import bp as reports_bp
    from portal.features.returns import bp as returns_bp
    from portal.features.review import bp as review_bp
    from portal.features.staff import bp as staff_bp
    from portal.features.verify import bp as verify_bp
    from portal.web.moved import bp as moved_bp

    for bp in (
        main_bp,
        auth_bp,
        employer_bp,
        deferral_bp,
        reductions_bp,
        amounts_bp,
        lookup_bp,
        api_bp,
        applications_bp,
        review_bp,
        held_bp,
        jobs_bp,
        returns_bp,
        payments_bp,
        verify_bp,
        staff_bp,
        hall_bp,
        admin_bp,
        moved_bp,
        imports_bp,
        reports_bp,
        reminders_bp,
        reference_bp,
    ):
        app.register_blueprint(bp)


def register_errorhandlers(app: Flask) -> None:
    from portal.web import errors

    errors.init_app(app)


def register_commands(app: Flask) -> None:
    from portal.cli import portal_cli
    from portal.cli.rules import rules_cli

    app.cli.add_command(portal_cli)
    app.cli.add_command(rules_cli)


def register_template_helpers(app: Flask) -> None:
    from portal.web import templating

    templating.init_app(app)
