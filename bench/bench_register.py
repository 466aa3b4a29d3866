"""Benchmark a large register on PostgreSQL (issue 24): the whole 缓缴清单 and one agency's monthly
report as jobs, and the pages people use meanwhile.

Run from the repository root, against a throwaway cluster:

    bash scripts/with-postgres.sh .venv/bin/python bench/bench_register.py           # 1,000,000
    bash scripts/with-postgres.sh .venv/bin/python bench/bench_register.py --employers 200000
    bash scripts/with-postgres.sh .venv/bin/python bench/bench_register.py --employers 5000 \\
        --format csv                                                       # a quick look

The register: the demo data (``flask portal demo``: six agencies, each with its region's
2022 deferral program), grown to ``--employers`` employers spread evenly across the six
agencies, built set-based in the database (INSERT … SELECT generate_series, no Python row
by row): listed small, micro and medium enterprises, in the register since 2020, each
assessed for the deferred months assessed by the demo's date (2022-07 and 2022-08; 2022-09
is not assessed on 2022-08-15: the list shows it awaiting). Everything else runs as in
production: gunicorn (``wsgi:app``, 2 workers of 2 threads, PORTAL_TODAY=2022-08-15) and a
real worker process (``flask --app wsgi portal worker``, JOBS_RUN=queue); people sign in with
the demo's password and use the pages.

Measured, one job after the other, the worker idle in between:

1. The whole 缓缴清单 (every agency, ``--format``, .xlsx by default), started by the
   administrator's POST on /reports/tax-list (the job ``reports.tax_list``).
2. The monthly report of one agency (LC01, Liaocheng, a sixth of the register) for the last
   month (2022-07) as a file, started by the POST on /reports/monthly.xlsx (the job
   ``reports.monthly_file``).

For each: the page's answer (a 302 to the job's page), the job's time (started to finished,
from the jobs table) and its wait for the worker, its rows, and the worker's peak RSS during
it (VmHWM of its process, reset before each job through /proc/<pid>/clear_refs). The file is
downloaded afterwards and checked.

Meanwhile, and as the floor: the staff's employer list (/staff/employers, as the Liaocheng
hall's staff) and an employer's home page (/e/<id>/, as owner-a) are requested one after the
other, in turn, from one client; their p50 and p95 before the jobs start (``--samples``
requests each, the floor, same server and data) against the same while the jobs run: the
ratio is meanwhile / before.

Ceilings (exit 1 when one is missed): both jobs done; the worker's peak RSS under 300 MB in
each (issue 24: memory flat whatever the row count); each job within the issue's 缓缴清单
ceiling scaled to its rows (10 s per 100,000 rows -- the 缓缴清单's rows, the agency's
employers -- and 10 s for fewer); the pages meanwhile at their usual speed: p50 at most
1.5x and p95 at most 2x their own before the jobs. The load average and a CPU probe say how
far to trust a figure: this machine has two shared cores.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_jobs import (  # noqa: E402 - importable only after the path set-up
    PASSWORD,
    TODAY,
    JobRow,
    Jobs,
    Worker,
    job_id_of,
    peak_rss_mb,
    postgres_database,
    prepare,
    reset_peak,
    serve,
    wait_for,
)
from bench.bench_pages import cpu_probe  # noqa: E402 - likewise
from tests.hostile.live import Browser  # noqa: E402 - likewise

MAX_RSS_MB = 300
SECONDS_PER_100K = 10.0
MAX_P50_RATIO, MAX_P95_RATIO = 1.5, 2.0
AGENCY = "LC01"
MONTH = "2022-07"  # the monthly report's: the last month on TODAY
AGENCIES = 6  # the demo's (portal/cli/demo.py AGENCIES)

GROW = """
INSERT INTO employers (credit_code, name, unit_kind, insurance_unit_number, agency_id, industry,
                       size_class, size_source, list_status, contribution_base_amount,
                       is_july_paid, has_arrears, is_deregistering, created_at)
SELECT 'R' || lpad(i::text, 17, '0'), '登记册企业' || i || '有限公司', 'enterprise', 'R' || i,
       a.id, 'retail', (ARRAY['small', 'micro', 'medium'])[i % 3 + 1], 'list', 'listed',
       3000000, false, false, false, TIMESTAMPTZ '2020-01-01 00:00+00'
FROM generate_series(1, %(n)s) AS i
JOIN (SELECT id, row_number() OVER (ORDER BY code) - 1 AS k FROM agencies) AS a
  ON a.k = i %% (SELECT count(*) FROM agencies);
INSERT INTO assessments (employer_id, month, headcount, contribution_base_amount, unit_amount,
                         personal_amount, imported_at)
SELECT e.id, m.month, 10, 3000000, 210000, 60000, TIMESTAMPTZ '2022-08-10 00:00+00'
FROM employers e CROSS JOIN (VALUES ('2022-07'), ('2022-08')) AS m(month)
WHERE e.credit_code LIKE 'R%%';
ANALYZE;
"""


# ------------------------------------------------------------------------------ the pages


@dataclass
class Timings:
    """Each page's request times (seconds) and any answer that was not a 200."""

    seconds: dict[str, list[float]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    def add(self, page: str, seconds: float, status: int) -> None:
        self.seconds.setdefault(page, []).append(seconds)
        if status != 200:
            self.errors.append(f"{page}: {status}")


class Pages:
    """The two pages, each with the person who uses it, requested in turn."""

    def __init__(self, port: int, employer_id: int):
        self.pages = [
            (
                "staff list",
                Browser(port, timeout=120).sign_in("hall", PASSWORD),
                "/staff/employers",
            ),
            (
                "employer home",
                Browser(port, timeout=120).sign_in("owner-a", PASSWORD),
                f"/e/{employer_id}/",
            ),
        ]

    def once(self, into: Timings) -> None:
        for name, browser, path in self.pages:
            started = time.perf_counter()
            status = browser.get(path).status
            into.add(name, time.perf_counter() - started, status)

    def before(self, samples: int) -> Timings:
        self.once(Timings())  # warm: each worker's first request builds its caches
        timings = Timings()
        for _ in range(samples):
            self.once(timings)
        return timings

    def meanwhile(self) -> tuple[Timings, threading.Event, threading.Thread]:
        """Request the pages in a thread until the event is set."""
        timings, stop = Timings(), threading.Event()

        def loop() -> None:
            while not stop.is_set():
                self.once(timings)

        thread = threading.Thread(target=loop, daemon=True)
        thread.start()
        return timings, stop, thread


def quantile(values: list[float], q: float) -> float:
    if len(values) < 2:
        return values[0] if values else 0.0
    return statistics.quantiles(values, n=100, method="inclusive")[round(q * 100) - 1]


# ------------------------------------------------------------------------------ the jobs


@dataclass
class JobFigures:
    name: str
    page_seconds: float
    job_id: int
    row: JobRow
    rss: float
    rows: int


def run_job(
    browser: Browser, table: Jobs, worker: Worker, name: str, path: str, fields: dict, rows: int
) -> JobFigures:
    token = browser.token("/jobs/")  # the layout's: a cheap page (the reports' compute)
    reset_peak(worker.pid)
    started = time.perf_counter()
    answer = browser.post(path, fields, token=token)
    page_seconds = time.perf_counter() - started
    if answer.status != 302:
        raise RuntimeError(f"{path} answered {answer.status}: {answer.text[-1500:]}")
    job_id = job_id_of(answer.location)
    row = wait_for(table, job_id, None, [])
    rss = peak_rss_mb(worker.pid)
    return JobFigures(name, page_seconds, job_id, row, rss, rows)


def rss_mb(pid: int) -> float:
    """The process's resident set now (VmRSS)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def count(dsn: str, sql: str) -> int:
    with psycopg.connect(dsn) as conn:
        return int(conn.execute(sql).fetchone()[0])


# ------------------------------------------------------------------------------ main


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--employers", type=int, default=1_000_000, help="the register's size")
    parser.add_argument("--format", default="xlsx", choices=("xlsx", "csv"), help="the list's")
    parser.add_argument("--samples", type=int, default=100, help="requests of each page before")
    args = parser.parse_args()
    if not os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql"):
        print("run under scripts/with-postgres.sh (TEST_DATABASE_URL)", file=sys.stderr)
        return 2
    os.environ.pop("JOBS_RUN", None)
    folder = Path(tempfile.mkdtemp(prefix="portal-bench-register-"))
    try:
        code = measure(args, folder)
    except BaseException:
        print(f"the logs are kept in {folder}", file=sys.stderr)
        raise
    shutil.rmtree(folder, ignore_errors=True)
    return code


def measure(args: argparse.Namespace, folder: Path) -> int:
    probes, loads = [cpu_probe()], [os.getloadavg()[0]]
    url, dsn = postgres_database("bench_register")
    env = prepare(url)
    started = time.perf_counter()
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(GROW.replace("%(n)s", str(int(args.employers))).replace("%%", "%"))
    build = time.perf_counter() - started
    employers = count(dsn, "SELECT count(*) FROM employers")
    assessments = count(dsn, "SELECT count(*) FROM assessments")
    in_agency = count(
        dsn,
        "SELECT count(*) FROM employers e JOIN agencies a ON a.id = e.agency_id "
        f"WHERE a.code = '{AGENCY}'",
    )
    employer_id = count(
        dsn,
        "SELECT m.employer_id FROM memberships m JOIN users u ON u.id = m.user_id "
        "WHERE u.username = 'owner-a'",
    )
    loads.append(os.getloadavg()[0])

    worker = Worker({**env, "JOBS_RUN": "queue"}, folder / "worker.log")
    server = None
    try:
        server = serve(env, folder, "queue")
        admin = Browser(server.port, timeout=300).sign_in("admin", PASSWORD)
        pages = Pages(server.port, employer_id)
        table = Jobs(url)
        probes.append(cpu_probe())
        before = pages.before(args.samples)
        idle = rss_mb(worker.pid)
        loads.append(os.getloadavg()[0])
        meanwhile, stop, thread = pages.meanwhile()
        try:
            tax_list = run_job(
                admin,
                table,
                worker,
                "缓缴清单, every agency",
                "/reports/tax-list",
                {"on": TODAY, "agency": "", "file_format": args.format},
                0,
            )
            loads.append(os.getloadavg()[0])
            monthly = run_job(
                admin,
                table,
                worker,
                f"monthly report, {AGENCY}",
                "/reports/monthly.xlsx",
                {"month": MONTH, "agency": AGENCY},
                in_agency,
            )
            loads.append(os.getloadavg()[0])
        finally:
            stop.set()
            thread.join(timeout=300)
        probes.append(cpu_probe())
        with psycopg.connect(dsn) as conn:
            result = conn.execute(
                "SELECT result FROM jobs WHERE id = %s", (tax_list.job_id,)
            ).fetchone()[0]
        tax_list.rows = int((result or {}).get("rows", 0))
        sizes = {}
        for job in (tax_list, monthly):
            if job.row.status == "done":
                file = admin.get(f"/jobs/{job.job_id}/file")
                if file.status != 200 or not file.body:
                    raise RuntimeError(f"{job.name}: its file answered {file.status}")
                sizes[job.job_id] = len(file.body)
    finally:
        worker.stop()
        if server is not None:
            server.stop()
    return report(
        args, employers, assessments, in_agency, build, [tax_list, monthly], sizes,
        idle, before, meanwhile, loads, probes,
    )  # fmt: skip


def report(
    args: argparse.Namespace,
    employers: int,
    assessments: int,
    in_agency: int,
    build: float,
    jobs: list[JobFigures],
    sizes: dict[int, int],
    idle: float,
    before: Timings,
    meanwhile: Timings,
    loads: list[float],
    probes: list[float],
) -> int:
    failures: list[str] = []
    print(
        f"register       {employers:,} employers ({args.employers:,} grown across "
        f"{AGENCIES} agencies; {in_agency:,} in {AGENCY}), {assessments:,} assessments"
    )
    print(
        f"               built in {build:.1f} s ({args.employers / max(build, 1e-9):,.0f} "
        "employers/s with their assessments, INSERT … SELECT generate_series)"
    )
    print("1.-2. the jobs, one after the other: gunicorn + `flask portal worker` (JOBS_RUN=queue)")
    for job in jobs:
        seconds = job.row.seconds or 0.0
        ceiling = SECONDS_PER_100K * max(job.rows, 100_000) / 100_000
        size = sizes.get(job.job_id)
        print(f"   {job.name}")
        print(
            f"     page {job.page_seconds:.2f} s; job {seconds:7.1f} s "
            f"(ceiling < {ceiling:.1f} s), "
            f"waited {job.row.waited or 0:.2f} s for the worker, {job.row.status}"
            + (f" ({job.row.error})" if job.row.error else "")
        )
        print(
            f"     rows {job.rows:,}  {seconds / max(job.rows, 1) * 1e6:7.1f} µs/row; "
            f"file {size / 1e6 if size else 0:.1f} MB; "
            f"worker peak RSS {job.rss:5.0f} MB (ceiling < {MAX_RSS_MB} MB)"
        )
        if job.row.status != "done":
            failures.append(f"{job.name}: {job.row.status} {job.row.error or ''}".strip())
        if seconds >= ceiling:
            failures.append(f"{job.name}: {seconds:.1f} s >= {ceiling:.1f} s")
        if job.rss >= MAX_RSS_MB:
            failures.append(f"{job.name}: worker peak RSS {job.rss:.0f} MB >= {MAX_RSS_MB} MB")
    print(f"   worker         {idle:.0f} MB resident before the jobs (idle)")
    print(
        "3. the pages, one client in turn: before the jobs (the floor) and while they ran "
        "(ms; ratio meanwhile / before)"
    )
    for page, times in before.seconds.items():
        during = meanwhile.seconds.get(page, [])
        b50, b95 = quantile(times, 0.5) * 1000, quantile(times, 0.95) * 1000
        m50, m95 = quantile(during, 0.5) * 1000, quantile(during, 0.95) * 1000
        r50, r95 = m50 / max(b50, 1e-9), m95 / max(b95, 1e-9)
        print(
            f"   {page:<14} before p50 {b50:6.0f} p95 {b95:6.0f} ({len(times)}); meanwhile "
            f"p50 {m50:6.0f} p95 {m95:6.0f} ({len(during)}); ratio p50 {r50:.2f} "
            f"(ceiling <= {MAX_P50_RATIO}) p95 {r95:.2f} (ceiling <= {MAX_P95_RATIO}); "
            f"slowest {max(during, default=0) * 1000:.0f}"
        )
        if not during:
            failures.append(f"{page}: no request answered while the jobs ran")
        if r50 > MAX_P50_RATIO:
            failures.append(f"{page}: p50 {r50:.2f}x before > {MAX_P50_RATIO}")
        if r95 > MAX_P95_RATIO:
            failures.append(f"{page}: p95 {r95:.2f}x before > {MAX_P95_RATIO}")
    for errors, when in ((before.errors, "before"), (meanwhile.errors, "meanwhile")):
        if errors:
            failures.append(f"{len(errors)} answers not 200 {when}: {errors[0]}")
    print(
        f"load           {', '.join(f'{x:.2f}' for x in loads)} (1-minute load average through "
        f"the run, {os.cpu_count()} CPUs); CPU probe "
        f"{', '.join(f'{p * 1000:.0f}' for p in probes)} ms"
    )
    for failure in failures:
        print(f"MISSED: {failure}")
    print("ceilings: " + ("MISSED" if failures else "met"))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
