"""Load test: 20 users for 60 seconds, pages + submits + PDFs, on SQLite or PostgreSQL.

Run from the repository root (``make bench`` runs both):

    .venv/bin/python bench/bench_load.py                                   # SQLite
    bash scripts/with-postgres.sh .venv/bin/python bench/bench_load.py --postgres
    .venv/bin/python bench/bench_load.py --seconds 10                      # a short look

It migrates an empty database, loads the demo data, adds 400 employers not yet on the list
(20 for each employer user) and 4 reviewers, serves the app with gunicorn (2 workers, as
``make run``) on 127.0.0.1, and starts 20 users signed in with their passwords, without pauses:

- 16 employer owners, each applying for its employers one after the other: the start page,
  begin, particulars, industry, figures, the size page, an evidence upload (a PNG, re-encoded
  by the portal), the signing page, sign (WeasyPrint renders the letter), check, submit, the
  application's page, the signed letter's PDF, the amounts page;
- 4 reviewers approving what the owners sent (approval renders the letter again): the queue,
  the detail page, approve, the approved letter's PDF; with nothing to approve, the queue.

Every step must answer what it does for a person (a 302 to the next step, a page, a PDF):
anything else is an error, and an error ends that employer's application. Prints requests,
requests a second and the 95th-percentile latency of pages, submits, renders and PDF downloads.
Target (issue 16): 0 errors; exits 1 otherwise. The p95 is reported, not judged: the two cores
are shared, and 20 users without pauses keep both workers busy, so it measures queueing.

The load comes from Python threads (the standard library's http.client), not wrk or locust:
every step's answer is checked (a sign that re-renders the form with a message is a 200 to wrk,
an error here), each user keeps its own session, CSRF token and employers, and uploads are
multipart; locust would add gevent and pins of its own to the lock file for the same result.
"""

from __future__ import annotations

import argparse
import os
import queue
import re
import statistics
import subprocess  # noqa: S404 - runs our own flask commands
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_pages import cpu_probe  # noqa: E402 - importable only after the path set-up
from tests import files  # noqa: E402 - likewise
from tests.hostile.live import CSRF_RE, Browser, Server  # noqa: E402 - likewise

BIN = ROOT / ".venv" / "bin"
OWNERS = 16
REVIEWERS = 4
EMPLOYERS_EACH = 25
PASSWORD = "load-test-password"  # noqa: S105 - the load test's own accounts
PNG = files.png()
LETTER_RE = re.compile(r'href="(/e/\d+/applications/letters/\d+)"')
REVIEW_LETTER_RE = re.compile(r'href="(/review/\d+/letters/\d+)"')


def database(args) -> str:
    if not args.postgres:
        return f"sqlite:///{Path(tempfile.mkdtemp(prefix='portal-load-')) / 'load.sqlite'}"
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    base = os.environ.get("TEST_DATABASE_URL", "")
    if not base.startswith("postgresql"):
        raise SystemExit("--postgres needs TEST_DATABASE_URL (run it in scripts/with-postgres.sh)")
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text('DROP DATABASE IF EXISTS "portal_load"'))
        conn.execute(text('CREATE DATABASE "portal_load"'))
    admin.dispose()
    return make_url(base).set(database="portal_load").render_as_string(hide_password=False)


def prepare(url: str) -> dict[str, list]:
    """Schema, demo data, the users and their employers: {"owners": [...], "reviewers": [...]}."""
    env = {**os.environ, "PORTAL_ENV": "development", "DATABASE_URL": url, "SECRET_KEY": "x" * 40}
    flask = [str(BIN / "flask"), "--app", "wsgi"]
    for command in (["db", "upgrade"], ["portal", "demo"]):
        subprocess.run([*flask, *command], env=env, cwd=ROOT, check=True, capture_output=True)  # noqa: S603

    from portal import create_app
    from portal.config import DevelopmentConfig
    from portal.core.extensions import db
    from portal.features.auth.passwords import hash_password
    from portal.models import Agency, Employer, Membership, PoolingRegion, User
    from tests.factories import credit_code

    class Config(DevelopmentConfig):
        SQLALCHEMY_DATABASE_URI = url
        SECRET_KEY = "x" * 40

    app = create_app(Config)
    with app.app_context():
        agency = db.session.scalar(
            db.select(Agency)
            .join(PoolingRegion, Agency.region_id == PoolingRegion.id)
            .where(PoolingRegion.program_id == "liaocheng-2022")
            .order_by(Agency.id)
        )
        secret = hash_password(PASSWORD)
        owners, reviewers = [], []
        for n in range(OWNERS):
            user = User(
                username=f"load-owner-{n}", display_name=f"压测法人{n}", password_hash=secret
            )
            db.session.add(user)
            db.session.flush()
            employers = []
            for k in range(EMPLOYERS_EACH):
                employer = Employer(
                    credit_code=credit_code("91", 700000 + n * 1000 + k),
                    name=f"压测申请企业{n:02d}-{k:02d}有限公司",
                    unit_kind="enterprise",
                    insurance_unit_number=f"L{n:02d}{k:04d}",
                    agency_id=agency.id,
                    list_status="not_listed",
                    size_class=None,
                    size_source=None,
                    industry=None,
                )
                db.session.add(employer)
                db.session.flush()
                db.session.add(Membership(user_id=user.id, employer_id=employer.id, role="owner"))
                employers.append(employer.id)
            owners.append((user.username, user.display_name, employers))
        for n in range(REVIEWERS):
            user = User(
                username=f"load-reviewer-{n}",
                display_name=f"压测审核员{n}",
                password_hash=secret,
                staff_role="reviewer",
                agency_id=agency.id,
            )
            db.session.add(user)
            reviewers.append(user.username)
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return {"owners": owners, "reviewers": reviewers}


class Load:
    """What the users did: latencies by kind, and the errors."""

    def __init__(self, port: int, users: int) -> None:
        self.port = port
        self.stop_at = 0.0
        self.signed_in = threading.Barrier(users + 1)  # the users, and the clock
        self.go = threading.Event()
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.errors: list[str] = []
        self.lock = threading.Lock()
        self.submitted: queue.Queue[int] = queue.Queue()
        self.applications = 0
        self.approvals = 0

    def sign_in(self, username: str) -> Browser:
        """Sign in (scrypt: a third of a second of a worker), then wait for the clock."""
        browser = Browser(self.port).sign_in(username, PASSWORD)
        self.signed_in.wait(timeout=300)
        self.go.wait(timeout=300)
        return browser

    def start(self, seconds: float) -> float:
        """When every user has signed in: start the clock; return when it started."""
        self.signed_in.wait(timeout=300)
        started = time.monotonic()
        self.stop_at = started + seconds
        self.go.set()
        return started

    def running(self) -> bool:
        return time.monotonic() < self.stop_at

    def step(
        self,
        kind: str,
        browser: Browser,
        path: str,
        expect: int,
        *,
        token: str | None = None,
        fields: dict | None = None,
        files: list | None = None,
        contains: str = "",
    ):
        """GET ``path`` (POST when a token is given); time it; None if it did not do its job."""
        started = time.perf_counter()
        try:
            if token is None:
                response = browser.get(path)
            else:
                response = browser.post(path, fields, token=token, files=files or ())
        except Exception as error:  # noqa: BLE001 - a broken connection is an error, counted
            self.error(f"{path}: {error.__class__.__name__}: {error}")
            return None
        elapsed = time.perf_counter() - started
        with self.lock:
            self.latencies[kind].append(elapsed)
        if response.status != expect or contains.encode() not in response.body:
            self.error(f"{path}: {response.status} (expected {expect}) {response.location}")
            return None
        return response

    def error(self, message: str) -> None:
        with self.lock:
            self.errors.append(message)

    def owner(self, username: str, display_name: str, employers: list[int]) -> None:
        browser = self.sign_in(username)
        for employer_id in employers:
            if not self.running():
                return
            if self.apply(browser, employer_id, display_name):
                with self.lock:
                    self.applications += 1
        while self.running():  # every employer applied: the pages only
            self.step("page", browser, "/dashboard", 200)

    def apply(self, browser: Browser, employer_id: int, display_name: str) -> bool:
        url = f"/e/{employer_id}/applications"
        home = self.step("page", browser, f"/e/{employer_id}/", 200)
        start = home and self.step("page", browser, f"{url}/", 200)
        if not start:
            return False
        token = CSRF_RE.search(start.text)[1]
        signature = {"signatory_name": display_name, "statement": "y", "password": PASSWORD}
        steps = [
            ("submit", "begin", {}, 302),
            ("submit", "particulars", {"unit_kind": "enterprise"}, 302),
            ("submit", "industry", {"industry": "retail"}, 302),
            ("submit", "figures", {"employees": "45", "revenue": "850.5"}, 302),
            ("page", "size", None, 200),
            ("upload", "evidence", {}, 302),
            ("page", "sign", None, 200),
            ("render", "sign", signature, 302),
            ("page", "check", None, 200),
            ("submit", "submit", {}, 302),
        ]
        answer = None
        for kind, name, fields, expect in steps:
            if not self.running():
                return False
            answer = self.step(
                kind,
                browser,
                f"{url}/{name}",
                expect,
                token=None if fields is None else token,
                fields=fields,
                files=[("files", "营业执照.png", PNG)] if kind == "upload" else None,
            )
            if answer is None:
                return False
        status_page = answer.location
        application_id = int(status_page.rstrip("/").rsplit("/", 1)[1])
        shown = self.step("page", browser, status_page, 200)
        letter = shown and LETTER_RE.search(shown.text)
        if not letter:
            self.error(f"{status_page}: no link to the signed letter")
            return False
        self.submitted.put(application_id)
        pdf = self.step("pdf", browser, letter[1], 200, contains="%PDF")
        return bool(pdf and self.step("page", browser, f"/e/{employer_id}/amounts/", 200))

    def reviewer(self, username: str) -> None:
        browser = self.sign_in(username)
        while self.running():
            if self.step("page", browser, "/review/", 200) is None:
                continue
            try:
                application_id = self.submitted.get(timeout=0.05)
            except queue.Empty:
                continue
            self.review(browser, f"/review/{application_id}")

    def review(self, browser: Browser, detail: str) -> None:
        shown = self.step("page", browser, detail, 200)
        if not shown:
            return
        token = CSRF_RE.search(shown.text)[1]
        if self.step("render", browser, f"{detail}/approve", 302, token=token, fields={}) is None:
            return
        with self.lock:
            self.approvals += 1
        shown = self.step("page", browser, detail, 200)
        letters = REVIEW_LETTER_RE.findall(shown.text) if shown else []
        if not letters:
            self.error(f"{detail}: no link to the approved letter")
            return
        self.step("pdf", browser, letters[-1], 200, contains="%PDF")


def p95(values: list[float]) -> float:
    if len(values) < 2:
        return (values[0] if values else 0.0) * 1000
    return statistics.quantiles(values, n=20)[18] * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", action="store_true", help="on TEST_DATABASE_URL's server")
    parser.add_argument("--seconds", type=float, default=60.0)
    args = parser.parse_args()
    url = database(args)
    users = prepare(url)
    log = Path(tempfile.mkdtemp(prefix="portal-load-log-")) / "gunicorn.log"
    server = Server(url, log, workers=2, threads=1).start()
    probes = [cpu_probe()]
    try:
        load = Load(server.port, OWNERS + REVIEWERS)
        threads = [threading.Thread(target=load.owner, args=owner) for owner in users["owners"]] + [
            threading.Thread(target=load.reviewer, args=(name,)) for name in users["reviewers"]
        ]
        for thread in threads:
            thread.start()
        started = load.start(args.seconds)
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
        probes.append(cpu_probe())
    finally:
        server.stop()
    everything = [x for values in load.latencies.values() for x in values]
    name = "PostgreSQL 15" if args.postgres else "SQLite"
    print(
        f"load test on {name}: {OWNERS + REVIEWERS} users ({OWNERS} owners applying, "
        f"{REVIEWERS} reviewers approving), {elapsed:.0f} s, gunicorn 2 workers"
    )
    print(
        f"requests: {len(everything)} ({len(everything) / elapsed:.1f}/s), applications sent: "
        f"{load.applications}, approved: {load.approvals}, errors: {len(load.errors)}"
    )
    labels = {
        "page": "pages",
        "submit": "form submits",
        "upload": "evidence uploads",
        "render": "sign/approve (renders the PDF)",
        "pdf": "PDF downloads",
    }
    for kind, label in labels.items():
        values = load.latencies.get(kind, [])
        print(f"  {label:<32} {len(values):6d}  p95 {p95(values):7.0f} ms")
    print(f"  {'all':<32} {len(everything):6d}  p95 {p95(everything):7.0f} ms")
    print(
        f"CPU probe (a fixed Python loop, before and after; the machine is shared): "
        f"{probes[0] * 1000:.0f} and {probes[1] * 1000:.0f} ms"
    )
    for message in load.errors[:10]:
        print(f"  error: {message}")
    if load.errors:
        print(server.tail(30))
    print(f"target: 0 errors: {'met' if not load.errors else 'MISSED'}")
    return 0 if not load.errors else 1


if __name__ == "__main__":
    sys.exit(main())
