"""A person's e-mail address and reminders switch: the link that confirms an address
(which never signs anyone in), changing or removing the address, turning reminders off.

Nothing goes to an address before it is confirmed, nor to a person who turned reminders off
(``queries.employer_recipients``). The confirmation link itself is sent through the outbox,
right after the request that asked for it has committed (``outbox.deliver_after_request``).
"""

from __future__ import annotations

import hashlib

from flask import current_app, url_for
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from portal.core import audit
from portal.core.extensions import db
from portal.features.reminders.messages import link_context
from portal.features.reminders.outbox import deliver_after_request, queue_message
from portal.features.reminders.queries import Recipient
from portal.models import OutboxMessage, User
from portal.rules.errors import DomainError
from portal.util import clock

CONFIRMATION_SALT = "portal.email-confirmation"


class ReminderError(DomainError):
    """A refused change: confirmation_invalid, confirmation_expired."""

    kind = "reminders"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=CONFIRMATION_SALT)


def confirmation_token(user: User) -> str:
    return _serializer().dumps([user.id, user.email])


def set_email(user: User, email: str | None, *, actor: User) -> OutboxMessage | None:
    """Give ``user`` a new address (unconfirmed) and queue the link that confirms it.

    The same unconfirmed address again sends a new link; the same confirmed one changes
    nothing; an empty one removes the address. Returns the queued confirmation, if any.
    """
    email = normalise_email(email)
    if email == user.email and user.email_confirmed_at is not None:
        return None
    previous = user.email
    user.email = email
    user.email_confirmed_at = None
    audit.record(
        actor,
        "email.remove" if email is None else "email.change",
        obj=user,
        details={"user_id": user.id, "from": previous, "to": email},
    )
    if email is None:
        return None
    return _queue_confirmation(user, email)


def _queue_confirmation(user: User, email: str) -> OutboxMessage:
    moment = clock.now()
    milestone = hashlib.sha256(f"{user.email}|{moment.isoformat()}".encode()).hexdigest()[:24]
    recipient = Recipient(user.id, user.username, user.display_name, email, user.locale)
    with link_context():
        link = url_for("reminders.confirm", token=confirmation_token(user), _external=True)
    context = {
        "link": link,
        "email": user.email,
        "username": user.username,
        "valid_days": current_app.config["EMAIL_CONFIRMATION_DAYS"],
    }
    message = queue_message("email_confirmation", milestone, context, recipient)
    deliver_after_request(message)
    return message


def normalise_email(email: str | None) -> str | None:
    """Trim; the domain in lower case (the local part is the server's business)."""
    email = (email or "").strip()
    if not email:
        return None
    local, _at, domain = email.rpartition("@")
    return f"{local}@{domain.lower()}"


def confirm_email(token: str) -> User:
    """Confirm the address the token was sent to; it never signs anyone in.

    :raise ReminderError: the token is not one of ours, is too old, or its address is no
        longer the account's.
    """
    max_age = current_app.config["EMAIL_CONFIRMATION_DAYS"] * 86400
    try:
        user_id, email = _serializer().loads(token, max_age=max_age)
    except SignatureExpired:
        raise ReminderError("confirmation_expired", field="token") from None
    except (BadSignature, ValueError, TypeError):
        raise ReminderError("confirmation_invalid", field="token") from None
    user = db.session.get(User, user_id) if isinstance(user_id, int) else None
    if user is None or user.email != email:
        raise ReminderError("confirmation_invalid", field="token")
    if user.email_confirmed_at is None:
        user.email_confirmed_at = clock.now()
        audit.record(user, "email.confirm", obj=user, details={"user_id": user.id, "to": email})
    return user


def set_reminders(user: User, enabled: bool, *, actor: User) -> None:
    """Turn the person's reminders on or off."""
    if user.reminders_enabled == enabled:
        return
    user.reminders_enabled = enabled
    audit.record(
        actor,
        "reminders.turn_on" if enabled else "reminders.turn_off",
        obj=user,
        details={"user_id": user.id},
    )
