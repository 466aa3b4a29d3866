"""Template globals and filters: money, dates, permissions, the demonstration date."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Flask, current_app, has_request_context, request, url_for
from flask.templating import Environment
from flask_babel import get_locale
from flask_login import current_user
from jinja2 import pass_context
from jinja2.runtime import Context

from portal import labels
from portal.util import clock
from portal.util.formatting import (
    DEFAULT_LOCALE,
    _day,
    account_number,
    day,
    masked_account,
    moment,
    money,
    number,
)
from portal.web.access import may_see_refund_account
from portal.web.forms import csrf_token
from portal.web.permissions import can
from portal.web.submissions import key_input


class PortalEnvironment(Environment):
    """Flask's Jinja environment, with each template's globals one plain dict.

    Jinja overlays a template's own globals on the environment's with a ``ChainMap``. Every
    render copies those globals into the template's context, and every ``{% from … import %}``
    compares them with the macro template's, key by key through the ``ChainMap``: about forty
    globals here, some fifty microseconds for each import and each context, a twentieth of a
    page (bench/profile_pages.py). A plain dict does both at C speed. The only difference:
    globals added to the environment after a template was loaded do not reach it, which Jinja
    already tells us to avoid (``Environment.make_globals``); the portal sets its globals while
    the application is built, before any template is loaded.
    """

    def make_globals(self, d):
        return {**self.globals, **(d or {})}


@pass_context
def template_day(context: Context, value: date | None) -> str:
    """``|day`` in templates: :func:`day`, in the language the page's context already names
    (``current_locale``, from the context processor below) rather than asking Flask-Babel for
    it once a date: a queue or a schedule shows dozens."""
    locale = context.get("current_locale")
    if value is None or locale is None:
        return day(value)
    return _day(value, locale)


# An id no row has: the URL is built once with it, and each row's id takes its place.
_ID_MARK = 9_876_543_210_123


def id_url(endpoint: str, key: str, **values: Any) -> str:
    """``url_for(endpoint, key=id)`` for the many ids of a table, built once, not once a row:
    a ``%d`` pattern, which a template fills in with ``pattern % id``.

    An ``<int:…>`` URL argument is the id's digits (Werkzeug's IntegerConverter), so filling
    them into the URL built for a mark gives what ``url_for`` gives; a fifty-row table saves a
    hundred URL builds. Jinja writes ``%`` inline, where a function would cost a call through
    the template context for every row (bench/profile_pages.py). ``tests/test_templating.py``
    checks the two agree.
    """
    mark: dict[str, Any] = {key: _ID_MARK}
    head, tail = url_for(endpoint, **values, **mark).split(str(_ID_MARK))
    return head.replace("%", "%%") + "%d" + tail.replace("%", "%%")


#: URLs built by templates, per worker: at most this many, then built afresh.
BUILT_MAX = 20_000
_built: dict[tuple, str] = {}


def built_url(endpoint: str, **values: Any) -> str:
    """``url_for`` in templates, each URL built once per worker rather than on every page.

    A page's header, footer and links are the same URLs on every request (a dozen or more a
    page, each a Werkzeug build: about a twentieth of a page's time, bench/profile_pages.py).
    A URL relative to the site depends only on the endpoint, its values and where the site is
    mounted (``SCRIPT_NAME``, and the host for a rule bound to one), which are the key here.
    Built by ``url_for`` as before when that is not all: outside a request (an e-mail's
    external links), a blueprint-relative endpoint, ``_external``/``_anchor``/``_scheme``, or
    a value that is not hashable. ``init_app`` installs it only while the application has no
    ``url_defaults`` callback (which could add values from elsewhere).
    """
    if not has_request_context() or endpoint[:1] == "." or any(k[:1] == "_" for k in values):
        return url_for(endpoint, **values)
    environ = request.environ
    key = (
        endpoint,
        environ.get("SCRIPT_NAME"),
        environ.get("HTTP_HOST"),
        *[(name, type(value), value) for name, value in values.items()],
    )
    try:
        return _built[key]
    except KeyError:
        pass
    except TypeError:  # an unhashable value (a list of query values)
        return url_for(endpoint, **values)
    if len(_built) >= BUILT_MAX:
        _built.clear()
    url = _built[key] = url_for(endpoint, **values)
    return url


def refund_account(employer: Any) -> str:
    """The employer's refund account as the signed-in user may see it: whole for the staff of
    its agency and administrators, else its last four digits; "" when there is none."""
    account = employer.refund_account
    if not account:
        return ""
    if may_see_refund_account(current_user, employer):
        return account_number(account)
    return masked_account(account)


def init_app(app: Flask) -> None:
    app.jinja_env.filters["number"] = number
    app.jinja_env.filters.update(labels.template_filters())
    app.jinja_env.filters["money"] = money
    app.jinja_env.filters["day"] = template_day
    app.jinja_env.filters["moment"] = moment

    @app.context_processor
    def inject() -> dict:
        return {
            "can": lambda name, role=None: can(current_user, name, role),
            "portal_today": clock.today(),
            "is_demo_date": clock.is_demo_date(),
            "current_locale": str(get_locale() or DEFAULT_LOCALE),
            "languages": current_app.config["LANGUAGES"],
            # Flask-WTF's, signed once per session; it puts its own in the context as well
            # as in the globals, and this processor runs after it.
            "csrf_token": csrf_token,
        }

    app.jinja_env.globals.update(labels.template_globals())
    app.jinja_env.globals["id_url"] = id_url
    app.jinja_env.globals["refund_account"] = refund_account
    app.jinja_env.globals["csrf_token"] = csrf_token
    app.jinja_env.globals["form_key"] = key_input  # beside csrf_token() in a hand-written form
    if not any(app.url_default_functions.values()):
        app.jinja_env.globals["url_for"] = built_url
