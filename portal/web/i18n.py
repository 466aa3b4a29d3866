"""Locale selection: the signed-in user's choice, else the session's, else Simplified Chinese."""

from __future__ import annotations

from typing import Any

from babel.support import NullTranslations, Translations
from flask import Flask, current_app, g, has_request_context, session
from flask_babel import get_translations
from flask_login import current_user
from jinja2 import pass_eval_context
from jinja2.nodes import EvalContext
from markupsafe import Markup


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # a command: the default language (zh)
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    chosen = session.get("locale")
    if isinstance(chosen, str) and chosen in languages:
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


@pass_eval_context
def template_gettext(eval_ctx: EvalContext, string: str, **variables: Any) -> str:
    """``_()`` and ``{% trans %}`` in templates: Jinja's "newstyle" gettext, to the letter.

    Jinja's own wrapper asks for the whole template context, and Jinja then copies that context
    on every call made inside a loop or after a ``{% set %}`` (dozens per page); the message
    needs only the autoescape setting.
    """
    rv = request_translations().ugettext(string)
    if not variables and "%" not in rv:  # nothing to format: what ``rv % {}`` would give
        return Markup(rv) if eval_ctx.autoescape else rv  # noqa: S704 - as below
    if eval_ctx.autoescape:
        rv = Markup(rv)  # noqa: S704 - our own catalogue, as Jinja trusts it; variables escape
    return rv % variables  # always a format string, as in Jinja: "%%" is a percent sign


@pass_eval_context
def template_ngettext(
    eval_ctx: EvalContext, singular: str, plural: str, num: int, **variables: Any
) -> str:
    """``{% trans count=n %}…{% pluralize %}…{% endtrans %}``, as :func:`template_gettext`."""
    variables.setdefault("num", num)
    rv = request_translations().ungettext(singular, plural, num)
    if eval_ctx.autoescape:
        rv = Markup(rv)  # noqa: S704 - our own catalogue, as Jinja trusts it; variables escape
    return rv % variables


def install_template_gettext(app: Flask) -> None:
    """Templates translate through :func:`request_translations` (``{% trans %}`` and ``_()``).

    Flask-Babel has already installed Jinja's i18n extension in newstyle mode; this replaces its
    message functions, which look the catalogue up and take the whole context on every call.
    """
    # The rules template_gettext follows; the i18n extension sets the attribute (Jinja's
    # Environment declares none).
    assert getattr(app.jinja_env, "newstyle_gettext", False)  # noqa: S101
    app.jinja_env.globals.update(
        _=template_gettext, gettext=template_gettext, ngettext=template_ngettext
    )
