"""Sign-in with lockout, sign-out, activation of employer accounts."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import CursorResult, select, update
from sqlalchemy.exc import IntegrityError

from portal.core import audit
from portal.core.extensions import db
from portal.features.auth.passwords import hash_password, verify_password
from portal.models import ActivationCode, Employer, Membership, User
from portal.models.base import utcnow
from portal.models.users import new_session_nonce
from portal.rules.errors import DomainError

ACTIVATION_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
#: What the bytes that make a code shown on a page are for (``portal.web.submissions.secret``).
ACTIVATION_SEED = "activation-code"


class AuthError(DomainError):
    """A failed activation (activation_invalid, username_taken), with the field it belongs to."""

    kind = "auth"


@dataclass(frozen=True)
class LoginPolicy:
    max_failures: int
    lock_minutes: int


def authenticate(
    username: str, password: str, policy: LoginPolicy, *, action: str = "auth.login"
) -> User | None:
    """Return the user when the password is right and the account is not locked.

    Failures are counted in the database with an atomic update, so the lock holds across
    workers and restarts. Unknown user, wrong password and locked account look the same.
    ``action`` names the success in the audit log (a fresh check before signing is not a
    sign-in, but counts towards the same lock).
    """
    user = db.session.scalar(select(User).where(User.username == username.strip()))
    now = utcnow()
    if user is None:
        verify_password(None, password)  # the same work as for a real account
        audit.record(None, "auth.login_unknown_user", details={"username": username.strip()[:100]})
        return None
    if user.locked_until and user.locked_until > now:
        # Checked anyway, so that a locked account answers in the time a wrong password takes.
        verify_password(user.password_hash, password)
        audit.record(user, "auth.login_refused_locked", obj=user)
        return None
    is_right = verify_password(user.password_hash, password)  # a disabled account too: same time
    if not user.is_enabled or not is_right:
        db.session.execute(
            update(User).where(User.id == user.id).values(failed_logins=User.failed_logins + 1)
        )
        db.session.refresh(user)
        details = {"failed_logins": user.failed_logins}
        if user.failed_logins >= policy.max_failures:
            user.locked_until = now + timedelta(minutes=policy.lock_minutes)
            user.failed_logins = 0
            details["locked_until"] = user.locked_until.isoformat()
        audit.record(user, "auth.login_failed", obj=user, details=details)
        return None
    user.failed_logins = 0
    user.locked_until = None
    audit.record(user, action, obj=user)
    return user


def end_sessions(user: User) -> None:
    """Rotate the session nonce: every cookie issued so far stops working."""
    user.session_nonce = new_session_nonce()
    audit.record(user, "auth.logout", obj=user)


def set_locale(user: User, locale: str) -> None:
    user.locale = locale
    audit.record(user, "user.set_locale", obj=user, details={"locale": locale})


def hash_activation_code(code: str) -> str:
    normalised = code.strip().upper().replace("-", "").replace(" ", "")
    return hashlib.sha256(normalised.encode()).hexdigest()


def activation_code_text(seed: bytes | None = None) -> str:
    """A new code: 16 characters of ``ACTIVATION_ALPHABET`` (80 bits) in groups of four, at
    random, or made from ``seed`` (at least 16 random bytes: the same seed, the same code)."""
    if seed is None:
        raw = "".join(secrets.choice(ACTIVATION_ALPHABET) for _ in range(16))
    else:  # 32 letters: each byte modulo 32 is as likely as any other
        raw = "".join(ACTIVATION_ALPHABET[byte % 32] for byte in seed[:16])
    return "-".join(raw[i : i + 4] for i in range(0, 16, 4))


def issue_activation_code(
    employer: Employer,
    role: str,
    *,
    actor: User,
    valid_days: int,
    email: str | None = None,
    seed: bytes | None = None,
) -> tuple[ActivationCode, str]:
    """Create a one-time code for ``employer`` and ``role``; the plain code is returned once.

    ``seed``: secret random bytes to make the code from (``activation_code_text``), which the
    page that issued it can make again to show the same code to a repeat of its request
    (``portal.web.submissions.secret``); only the code's hash is kept.
    """
    plain = activation_code_text(seed)
    code = ActivationCode(
        employer_id=employer.id,
        role=role,
        code_hash=hash_activation_code(plain),
        issued_by_id=actor.id,
        expires_at=utcnow() + timedelta(days=valid_days),
        email=(email or "").strip() or None,
    )
    db.session.add(code)
    db.session.flush()
    details = {"role": role, **({"email": code.email} if code.email else {})}
    audit.record(actor, "activation.issue", employer_id=employer.id, obj=code, details=details)
    return code, plain


def code_again(
    code_id: int | None, seed: bytes | None, *, employer_id: int
) -> tuple[ActivationCode, str] | None:
    """The code ``issue_activation_code`` made from ``seed`` (row ``code_id``) and its text,
    for a repeat of the page that issued it; None when that seed did not make that code."""
    if code_id is None or seed is None:
        return None
    code = db.session.get(ActivationCode, code_id)
    plain = activation_code_text(seed)
    if code is None or code.employer_id != employer_id:
        return None
    if not hmac.compare_digest(code.code_hash, hash_activation_code(plain)):
        return None
    return code, plain


def activate_account(
    *,
    credit_code: str,
    code: str,
    username: str,
    display_name: str,
    password: str,
    email: str | None = None,
) -> User:
    """Turn a valid activation code into a personal account with the code's role.

    The e-mail address given (else the one the invitation carried) is the account's, waiting
    for confirmation: the link that confirms it is queued at once.
    """
    now = utcnow()
    activation = db.session.scalar(
        select(ActivationCode)
        .join(Employer)
        .where(
            ActivationCode.code_hash == hash_activation_code(code),
            Employer.credit_code == credit_code,
        )
    )
    if activation is None or _expired(activation.expires_at, now):
        raise AuthError("activation_invalid", field="code")
    if activation.used_at:
        return _activated_already(activation, username, password)
    if db.session.scalar(select(User.id).where(User.username == username)):
        raise AuthError("username_taken", field="username")
    try:
        with db.session.begin_nested():
            # Claim the code with a conditional update, so two simultaneous uses make one
            # account; in a savepoint with the new user, so that neither stays without the other.
            claimed = db.session.execute(
                update(ActivationCode)
                .where(ActivationCode.id == activation.id, ActivationCode.used_at.is_(None))
                .values(used_at=now)
            )
            assert isinstance(claimed, CursorResult)  # noqa: S101 - what an UPDATE returns
            if claimed.rowcount != 1:
                raise _Claimed()
            user = User(
                username=username, display_name=display_name, password_hash=hash_password(password)
            )
            db.session.add(user)
    except _Claimed:
        return _activated_already(activation, username, password)
    except IntegrityError:  # another activation took the username at the same moment
        raise AuthError("username_taken", field="username") from None
    activation.used_by_id = user.id
    db.session.add(
        Membership(user_id=user.id, employer_id=activation.employer_id, role=activation.role)
    )
    db.session.flush()
    audit.record(
        user,
        "activation.use",
        employer_id=activation.employer_id,
        obj=activation,
        details={"role": activation.role},
    )
    address = (email or "").strip() or activation.email
    if address:
        from portal.features.reminders.addresses import set_email

        set_email(user, address, actor=user)
    return user


class _Claimed(Exception):
    """Another request claimed the activation code first."""


def _activated_already(activation: ActivationCode, username: str, password: str) -> User:
    """The same activation sent twice (a double click) answers like the first: that account.

    :raise AuthError: the code was used for another username, or with another password.
    """
    db.session.refresh(activation)
    user = db.session.get(User, activation.used_by_id) if activation.used_by_id else None
    is_right = verify_password(user.password_hash if user else None, password)
    if user is None or user.username != username or not is_right:
        raise AuthError("activation_invalid", field="code")
    return user


def _expired(expires_at: datetime, now: datetime) -> bool:
    return expires_at <= now
