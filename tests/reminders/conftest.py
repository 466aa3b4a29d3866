"""A real SMTP server in the test process (aiosmtpd), a clock the test moves, and an employer
that is due reminders."""

from __future__ import annotations

import email
import socket
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from email.policy import default
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Inbox:
    """What the server received; addresses in ``refuse`` are refused (550) at RCPT."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.refuse: set[str] = set()
        #: Called with each message received, before the server answers it.
        self.on_message: Callable[[email.message.EmailMessage], None] | None = None

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=default)
        self.messages.append(message)
        if self.on_message is not None:
            self.on_message(message)
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[email.message.EmailMessage]:
        return [m for m in self.messages if m["To"] == address]

    @staticmethod
    def text(message) -> str:
        return message.get_body(("plain",)).get_content()

    @staticmethod
    def html(message) -> str:
        return message.get_body(("html",)).get_content()


class SMTPServer:
    def __init__(self, app) -> None:
        self.app = app
        self.port = free_port()
        self.inbox = Inbox()
        self.controller: Controller | None = None
        app.config.update(
            MAIL_SERVER="127.0.0.1", MAIL_PORT=self.port, MAIL_FROM="portal@example.com"
        )

    def start(self) -> None:
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp(app):
    server = SMTPServer(app)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def smtp_down(app):
    """The settings point at a port where no server listens (yet)."""
    server = SMTPServer(app)
    yield server
    server.stop()


class Clock:
    """The portal's clock (``portal.util.clock``), set by the test: no PORTAL_TODAY, and "now"
    a moment the test chooses and moves."""

    def __init__(self, app, monkeypatch) -> None:
        from portal.util import clock

        self.zone = ZoneInfo(app.config["BABEL_DEFAULT_TIMEZONE"])
        self.moment = datetime(2022, 8, 15, 1, 0, tzinfo=UTC)
        self.apply(app)
        monkeypatch.setattr(clock, "_utcnow", lambda: self.moment)

    @staticmethod
    def apply(app) -> None:
        """Make ``app`` read this clock (another app than the test's, too)."""
        app.config["PORTAL_TODAY"] = None

    def at(self, day: date, hour: int = 9) -> date:
        """Set the clock to ``hour`` o'clock on ``day`` in China; returns ``day``."""
        self.moment = datetime.combine(day, time(hour), self.zone).astimezone(UTC)
        return day

    def set(self, moment: datetime) -> None:
        self.moment = moment

    def advance(self, **delta: float) -> None:
        self.moment += timedelta(**delta)


@pytest.fixture
def clock(app, monkeypatch) -> Clock:
    return Clock(app, monkeypatch)


def confirmed(make, **kw):
    """A person with a confirmed address and reminders on."""
    n = kw.pop("n", "")
    kw.setdefault("email", f"person{n}{id(kw)}@example.com")
    kw.setdefault("email_confirmed_at", datetime(2022, 7, 1, tzinfo=UTC))
    return make.user(**kw)


@pytest.fixture
def deferred(make):
    """A listed Liaocheng employer deferred 2022-07..09 (deadline 2022-10-31), ¥700 a month,
    with an owner and a finance member who have confirmed addresses."""
    region = make.region(
        "liaocheng-2022", unit_medical_rate=Decimal("0.06"), maternity_rate=Decimal("0.01")
    )
    agency = make.agency(region)
    employer = make.employer(agency, contribution_base_amount=Decimal("10000"))
    owner = make.user(
        employer=employer,
        role="owner",
        email="owner@example.com",
        email_confirmed_at=datetime(2022, 7, 1, tzinfo=UTC),
    )
    finance = make.user(
        employer=employer,
        role="finance",
        email="finance@example.com",
        email_confirmed_at=datetime(2022, 7, 1, tzinfo=UTC),
        locale="en",
    )
    make.commit()
    return {"employer": employer, "owner": owner, "finance": finance, "agency": agency}
