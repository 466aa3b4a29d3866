"""Render a message in its recipient's language: a subject, a plain-text body, an HTML part.

Messages carry figures and dates, and links to the portal's pages, which ask the person to
sign in as usual: never a password, never a link that signs anyone in by itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from flask import current_app, g, has_request_context, render_template
from flask_babel import force_locale
from flask_babel import gettext as _

KINDS = (
    "catch_up",
    "application_rejected",
    "application_approved",
    "application_draft",
    "review_queue",
    "email_confirmation",
    "classification_changed",
)


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def locale_of(user_locale: str | None) -> str:
    languages = current_app.config["LANGUAGES"]
    if user_locale is not None and user_locale in languages:
        return user_locale
    return current_app.config["BABEL_DEFAULT_LOCALE"]


@contextmanager
def in_locale(locale: str) -> Iterator[None]:
    """Translate in ``locale`` (templates keep the request's catalogue on ``g``: set aside)."""
    kept = g.pop("translations", None)
    try:
        with force_locale(locale):
            yield
    finally:
        g.pop("translations", None)
        if kept is not None:
            g.translations = kept


@contextmanager
def link_context() -> Iterator[None]:
    """Where ``url_for(..., _external=True)`` can build links: a request, or PORTAL_URL."""
    if has_request_context():
        yield
        return
    with current_app.test_request_context(base_url=current_app.config["PORTAL_URL"]):
        yield


def subject_of(kind: str, context: dict[str, Any]) -> str:
    if kind == "catch_up":
        if context.get("lapsed"):
            return _(
                "%(employer)s: the deferral does not apply any more, an amount is due now",
                employer=context["employer_name"],
            )
        if context.get("deferral_2020"):
            if context["is_late"]:
                return _(
                    "%(employer)s: the 2020 deferral's catch-up day has passed, late fees are "
                    "charged",
                    employer=context["employer_name"],
                )
            return _(
                "%(employer)s: %(days)d days left to catch up the 2020 deferral",
                employer=context["employer_name"],
                days=context["days_left"],
            )
        if context["is_late"]:
            return _(
                "%(employer)s: the catch-up deadline has passed, late fees are charged",
                employer=context["employer_name"],
            )
        return _(
            "%(employer)s: %(days)d days left to pay the deferred contributions",
            employer=context["employer_name"],
            days=context["days_left"],
        )
    if kind.startswith("application_") and context.get("application_kind") == "deferral_2020":
        return _deferral_2020_subject(kind, context)
    if kind == "application_rejected":
        return _("%(employer)s: your commitment application was rejected", **_e(context))
    if kind == "application_approved":
        return _("%(employer)s: your commitment application was approved", **_e(context))
    if kind == "application_draft":
        return _("%(employer)s: your commitment application is not signed yet", **_e(context))
    if kind == "review_queue":
        return _(
            "Applications to review: %(tomorrow)d due tomorrow, %(overdue)d overdue",
            tomorrow=len(context["due_tomorrow"]),
            overdue=len(context["overdue"]),
        )
    if kind == "classification_changed":
        return _(
            "%(employer)s: the deferral has ended after a change the agency accepted",
            **_e(context),
        )
    if kind == "email_confirmation":
        return _("Confirm your e-mail address for the deferral portal")
    raise ValueError(kind)


def _deferral_2020_subject(kind: str, context: dict[str, Any]) -> str:
    """The subject of a message about a 2020 deferral by application (not a commitment)."""
    if kind == "application_rejected":
        return _("%(employer)s: your 2020 deferral application was returned", **_e(context))
    if kind == "application_approved":
        return _("%(employer)s: your 2020 deferral application was approved", **_e(context))
    return _("%(employer)s: your 2020 deferral application is not sent yet", **_e(context))


def _e(context: dict[str, Any]) -> dict[str, str]:
    return {"employer": context["employer_name"]}


def render(kind: str, locale: str, context: dict[str, Any]) -> Rendered:
    """The message of ``kind`` for ``context``, in ``locale``."""
    with in_locale(locale), link_context():
        return Rendered(
            subject=subject_of(kind, context),
            text=render_template(f"reminders/mail/{kind}.txt", **context),
            html=render_template(f"reminders/mail/{kind}.html", **context),
        )
