"""Locale selection: the signed-in user's choice, else the session's, else Simplified Chinese."""

from __future__ import annotations

from babel.support import NullTranslations, Translations
from flask import Flask, current_app, g, session
from flask_babel import get_translations
from flask_login import current_user


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    chosen = session.get("locale")
    if chosen in languages:
        return chosen
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def select_timezone() -> str:
    return current_app.config["BABEL_DEFAULT_TIMEZONE"]


def request_translations() -> Translations | NullTranslations:
    """The active catalogue, looked up once per request and kept on ``g``.

    Flask-Babel's own template callables look the catalogue up again for every message (about a
    tenth of a page's time); a page's messages all come from the one catalogue.
    """
    translations = g.get("translations")
    if translations is None:
        translations = g.translations = get_translations()
    return translations


def install_template_gettext(app: Flask) -> None:
    """Templates translate through :func:`request_translations` (``{% trans %}`` and ``_()``)."""
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: request_translations().ugettext(s),
        ngettext=lambda s, p, n: request_translations().ungettext(s, p, n),
        pgettext=lambda c, s: request_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: request_translations().unpgettext(c, s, p, n),
        newstyle=True,
    )
