"""Sending e-mail: Flask-Mailman's SMTP backend, configured by the MAIL_* settings.

Flask-Mailman is Django's e-mail code for Flask: correct MIME for Chinese subjects and
addresses, a plain-text message with an HTML alternative, and an explicit connection that a
run opens once for all its messages, so that "the server could not be reached" (the run fails)
is told apart from "the server refused this message" (that message is retried next run).
Without MAIL_SERVER (development) the messages are written to the log.
"""

from __future__ import annotations

import logging
import smtplib

from flask import Flask, current_app
from flask_mailman import EmailMultiAlternatives, Mail
from flask_mailman.backends.base import BaseEmailBackend
from flask_mailman.backends.smtp import EmailBackend as SMTPBackend

log = logging.getLogger("portal.mail")
mail = Mail()


class Unreachable(Exception):
    """The mail server could not be reached (or dropped the connection)."""


class LogBackend(BaseEmailBackend):
    """Write each message to the log (development: no MAIL_SERVER)."""

    def send_messages(self, email_messages) -> int:
        for message in email_messages:
            log.warning(
                "e-mail (not sent: MAIL_SERVER is not set)\n%s", message.message().as_string()
            )
        return len(email_messages)


def init_app(app: Flask) -> None:
    app.config.setdefault("MAIL_DEFAULT_SENDER", app.config.get("MAIL_FROM"))
    mail.init_app(app)


def connection() -> BaseEmailBackend:
    """A connection from the current settings (read each time: tests point them elsewhere)."""
    config = current_app.config
    if not config.get("MAIL_SERVER"):
        return LogBackend(mailman=mail_state())
    return SMTPBackend(
        host=config["MAIL_SERVER"],
        port=config["MAIL_PORT"],
        username=config.get("MAIL_USERNAME") or "",
        password=config.get("MAIL_PASSWORD") or "",
        use_tls=bool(config.get("MAIL_USE_TLS")),
        use_ssl=False,
        timeout=config.get("MAIL_TIMEOUT"),
        mailman=mail_state(),
    )


def mail_state():
    return current_app.extensions["mailman"]


def open_connection(backend: BaseEmailBackend) -> None:
    """:raise Unreachable: when the server does not answer."""
    try:
        backend.open()
    except (OSError, smtplib.SMTPException) as error:
        raise Unreachable(f"{type(error).__name__}: {error}") from error


def send(backend: BaseEmailBackend, *, to: str, subject: str, text: str, html: str) -> None:
    """Send one message on an open connection.

    :raise Unreachable: the connection is lost (the rest of the run cannot be sent either).
    :raise smtplib.SMTPException: the server refused this message.
    """
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=current_app.config["MAIL_FROM"],
        to=[to],
        connection=backend,
    )
    message.attach_alternative(html, "text/html")
    try:
        backend.send_messages([message])
    except (smtplib.SMTPServerDisconnected, ConnectionError, TimeoutError) as error:
        raise Unreachable(f"{type(error).__name__}: {error}") from error
