"""A local SMTP sink for the benchmarks: takes every message, keeps none, counts them.

    .venv/bin/python bench/smtp_sink.py             # prints "port N" once it listens

aiosmtpd (requirements.lock; tests/reminders/conftest.py runs the same server in the tests'
process) in a process of its own, so that the sender measured shares no interpreter with it.
SIGTERM (or SIGINT) stops it; it then prints "received N" (messages whose DATA it accepted)
and "recipients N". ``Sink`` starts and stops one from a benchmark.
"""

from __future__ import annotations

import signal
import socket
import subprocess  # noqa: S404 - runs this file
import sys
import threading
from pathlib import Path


class Count:
    """aiosmtpd's handler: accept everything, count the messages and their recipients."""

    def __init__(self) -> None:
        self.received = 0
        self.recipients = 0

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook
        self.received += 1
        self.recipients += len(envelope.rcpt_tos)
        return "250 OK"


def serve() -> None:
    from aiosmtpd.controller import Controller

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    count = Count()
    controller = Controller(count, hostname="127.0.0.1", port=port)
    controller.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    print(f"port {port}", flush=True)
    stop.wait()
    controller.stop()
    print(f"received {count.received}", flush=True)
    print(f"recipients {count.recipients}", flush=True)


class Sink:
    """This file's server in a child process: ``port`` while it runs, ``stop()`` -> the number
    of messages received."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(  # noqa: S603
            [sys.executable, str(Path(__file__).resolve())],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None  # noqa: S101 - piped above
        line = self.process.stdout.readline()
        if not line.startswith("port "):
            self.process.kill()
            raise RuntimeError(f"the SMTP sink did not start: {line!r}")
        self.port = int(line.split()[1])

    def stop(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        out, _err = self.process.communicate(timeout=30)
        counts = dict(line.split() for line in out.splitlines() if line.strip())
        return int(counts["received"])


if __name__ == "__main__":
    serve()
