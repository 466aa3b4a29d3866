"""Sending e-mail: Flask-Mailman's SMTP backend, configured by the MAIL_* settings.

Flask-Mailman is Django's e-mail code for Flask: correct MIME for Chinese subjects and
addresses, a plain-text message with an HTML alternative, and an explicit connection that a
run opens once for all its messages, so that "the server could not be reached" (the run stops,
its messages wait for the next) is told apart from "the server refused this message" (that
message is tried again later, portal/features/reminders/outbox.py).
Without MAIL_SERVER (development) the messages are written to the log.

A header is one line: a subject made from a name another system wrote (with a CR/LF in it)
is put on one line (``one_line``) rather than refused; Flask-Mailman refuses what is left
(an address with a line break: ``ValueError``), and the outbox fails that message alone.
"""

from __future__ import annotations

import logging
import re
import smtplib

from flask import Flask, current_app
from flask_mailman import EmailMultiAlternatives, Mail
from flask_mailman.backends.base import BaseEmailBackend
from flask_mailman.backends.smtp import EmailBackend as SMTPBackend

log = logging.getLogger("portal.mail")
mail = Mail()
#: What ends a line: str.splitlines()'s separators (CR, LF, VT, FF, FS, GS, RS, NEL, LS, PS).
LINE_BREAKS = re.compile("[\r\n\v\f\x1c-\x1e\x85\u2028\u2029]+")


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


def one_line(text: str) -> str:
    """``text`` on one line: each run of line breaks becomes a space (a subject, a name)."""
    return LINE_BREAKS.sub(" ", text).strip()


def send(backend: BaseEmailBackend, *, to: str, subject: str, text: str, html: str) -> None:
    """Send one message on an open connection (the subject put on one line).

    :raise Unreachable: the connection is lost (the rest of the run cannot be sent either).
    :raise smtplib.SMTPException: the server refused this message.
    :raise ValueError: the message cannot be written (a line break in the address …).
    """
    message = EmailMultiAlternatives(
        subject=one_line(subject),
        body=text,
        from_email=current_app.config["MAIL_FROM"],
        to=[to],
        connection=backend,
    )
    message.attach_alternative(html, "text/html")
    try:
        backend.send_messages([message])
    except (smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError) as error:
        raise Unreachable(f"{type(error).__name__}: {error}") from error
    except smtplib.SMTPException:  # an OSError too: the server answered, and refused
        raise
    except OSError as error:  # refused, reset, timed out, no route: the connection is gone
        raise Unreachable(f"{type(error).__name__}: {error}") from error


def reset(backend: BaseEmailBackend) -> None:
    """Drop the connection (reopened by the next ``send``): after a message failed half-way
    through its SMTP transaction, the next one starts on a clean connection."""
    try:
        backend.close()
    except (OSError, smtplib.SMTPException):
        log.warning("closing the mail connection failed", exc_info=True)
