"""A real gunicorn serving the portal, and a small browser that talks HTTP to it.

The test client runs a request inside the test's process; these tests need what only a real
server shows: several worker processes with their own connections, a worker killed under load,
the database going away under them. The browser keeps cookies like a real one and posts forms
with the CSRF token the page handed out. It is the standard library's ``http.client``: nothing
to install, one connection per request (so threads share nothing but the cookie jar).
"""

from __future__ import annotations

import contextlib
import http.client
import io
import os
import re
import shutil
import signal
import socket
import subprocess  # noqa: S404 - runs our own gunicorn
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import stream_encode_multipart

ROOT = Path(__file__).resolve().parent.parent.parent
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"
CSRF_RE = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """``gunicorn wsgi:app`` on a free port of 127.0.0.1, as ``make run`` starts it."""

    def __init__(
        self,
        database_url: str,
        log: Path,
        *,
        workers: int = 3,
        threads: int = 4,
        preload: bool = False,
    ):
        self.port = free_port()
        self.log = log
        self.env = {
            **os.environ,
            "PORTAL_ENV": "development",  # production refuses the fixed demonstration date
            "PORTAL_TODAY": "2022-08-15",
            "DATABASE_URL": database_url,
            "SECRET_KEY": "live-server-test-" * 3,
            "SESSION_COOKIE_SECURE": "0",
            "LOGIN_RATE_LIMIT_PER_MINUTE": "100000",  # every browser here is 127.0.0.1
            "DATABASE_STATEMENT_TIMEOUT_SECONDS": "20",
            # Jobs run in the request that starts them, after its commit: no worker to run
            # beside this server (tests/jobs run the queue's workers themselves).
            "JOBS_RUN": os.environ.get("JOBS_RUN", "now"),
            "PYTHONPATH": str(ROOT),
        }
        self.args = [
            str(GUNICORN),
            "--workers",
            str(workers),
            "--threads",
            str(threads),
            "--bind",
            f"127.0.0.1:{self.port}",
            "--timeout",
            "120",
            "--graceful-timeout",
            "5",
            "--no-control-socket",  # gunicorn's default socket is one per user, in ~/.gunicorn
            *(["--preload"] if preload else []),  # the app built once, not once per worker
            "wsgi:app",
        ]
        self.process: subprocess.Popen | None = None

    def start(self) -> Server:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(  # noqa: S603
                self.args, env=self.env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn stopped at start:\n{self.tail()}")
            try:
                if Browser(self.port).get("/healthz").status == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not answer in 60 s:\n{self.tail()}")

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=15)
        self.process = None

    def worker_pids(self) -> list[int]:
        """The workers' process ids (children of the gunicorn arbiter)."""
        assert self.process is not None
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in children.read_text().split()]

    def kill_a_worker(self) -> int:
        pid = self.worker_pids()[0]
        os.kill(pid, signal.SIGKILL)
        return pid

    def tail(self, lines: int = 60) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    @property
    def location(self) -> str:
        return self.headers.get("location", "")


@dataclass
class Browser:
    """One browser: a cookie jar shared by its tabs (threads), no redirects followed."""

    port: int
    cookies: dict[str, str] = field(default_factory=dict)
    timeout: float = 60.0

    def __post_init__(self) -> None:
        self._lock = threading.Lock()

    def request(
        self, method: str, path: str, body: bytes | None = None, headers: dict | None = None
    ) -> Response:
        headers = dict(headers or {})
        with self._lock:
            if self.cookies:
                headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            data = response.read()
            for name, value in response.getheaders():
                if name.lower() == "set-cookie":
                    key, _, rest = value.partition("=")
                    with self._lock:
                        self.cookies[key] = rest.split(";", 1)[0]
            found = {name.lower(): value for name, value in response.getheaders()}
            return Response(response.status, found, data)
        finally:
            conn.close()

    def get(self, path: str) -> Response:
        return self.request("GET", path)

    def token(self, page: str) -> str:
        response = self.get(page)
        match = CSRF_RE.search(response.text)
        assert match, f"no CSRF token on {page} ({response.status})"
        return match.group(1)

    def post(
        self,
        path: str,
        fields: dict[str, str] | None = None,
        *,
        token: str,
        files: list[tuple[str, str, bytes]] = (),
    ) -> Response:
        """POST a form (multipart when ``files`` are given) with the CSRF token ``token``."""
        data = MultiDict({**(fields or {}), "csrf_token": token})
        if not files:
            body = urlencode(list(data.items(multi=True))).encode()  # as a browser sends it
            content_type = "application/x-www-form-urlencoded"
        else:
            for name, filename, content in files:
                data.add(name, FileStorage(io.BytesIO(content), filename=filename))
            stream, _length, boundary = stream_encode_multipart(data, use_tempfile=False)
            body = stream.read()
            content_type = f"multipart/form-data; boundary={boundary}"
        return self.request("POST", path, body, {"Content-Type": content_type})

    def sign_in(self, username: str, password: str) -> Browser:
        response = self.post(
            "/login", {"username": username, "password": password}, token=self.token("/login")
        )
        assert response.status == 302, f"sign-in of {username}: {response.status}"
        return self


def at_once(n: int, send) -> list[Response]:
    """Call ``send(i)`` in ``n`` threads released together; return their responses in order."""
    ready = threading.Barrier(n)
    answers: list[Response | None] = [None] * n
    failures: list[BaseException] = []

    def run(i: int) -> None:
        try:
            ready.wait(timeout=60)
            answers[i] = send(i)
        except BaseException as error:  # noqa: BLE001 - reported to the test, which fails
            failures.append(error)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not failures, failures
    return answers  # type: ignore[return-value]


class Cluster:
    """A PostgreSQL 15 cluster of the test's own, which it may stop and start under load.

    Like scripts/with-postgres.sh: a Unix socket in its own directory only, run as the postgres
    user when the tests run as root. Unlike the suite's cluster (fsync, synchronous commit and
    full-page writes off, for speed), this one is durable: PostgreSQL's defaults, named here
    so that no configuration file can turn them off. An acknowledged commit is on disk before
    its answer, and survives a crash.
    """

    DURABLE = ("fsync=on", "synchronous_commit=on", "full_page_writes=on")

    PGBIN = Path("/usr/lib/postgresql/15/bin")

    def __init__(self, directory: Path, port: int = 54335):
        self.dir = directory
        self.port = port
        self.run_as = ["runuser", "-u", "postgres", "--"] if os.getuid() == 0 else []
        self.url = f"postgresql+psycopg://postgres@/postgres?host={directory}&port={port}"

    def _run(self, *args: str) -> None:
        subprocess.run(  # noqa: S603
            [*self.run_as, *args], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )

    def create(self) -> Cluster:
        self.dir.mkdir(parents=True, exist_ok=True)
        self.dir.chmod(0o755)
        if self.run_as:
            shutil.chown(self.dir, "postgres", "postgres")
        self._run(
            str(self.PGBIN / "initdb"),
            "-D",
            str(self.dir / "data"),
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
        )
        return self.start()

    def start(self) -> Cluster:
        durable = " ".join(f"-c {setting}" for setting in self.DURABLE)
        options = f"-c listen_addresses='' -k {self.dir} -p {self.port} {durable}"
        self._run(
            str(self.PGBIN / "pg_ctl"),
            "-D",
            str(self.dir / "data"),
            "-w",
            "-l",
            str(self.dir / "log"),
            "-o",
            options,
            "start",
        )
        return self

    def stop(self, mode: str = "immediate") -> None:
        self._run(str(self.PGBIN / "pg_ctl"), "-D", str(self.dir / "data"), "-m", mode, "stop")

    def remove(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)
