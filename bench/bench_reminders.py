"""Benchmark the reminders over 100,000 employers on PostgreSQL: the dry run, and the real run to
a local SMTP sink.

Run from the repository root, against a throwaway cluster:

    bash scripts/with-postgres.sh .venv/bin/python bench/bench_reminders.py                # 100,000
    bash scripts/with-postgres.sh .venv/bin/python bench/bench_reminders.py --employers 20000
    bash scripts/with-postgres.sh .venv/bin/python bench/bench_reminders.py --dry-run-only

The data: listed Liaocheng employers deferred 2022-07..09, each with an owner who has a
confirmed address; half with the agency's assessments, a third paid in full, a hundred
commitment applications waiting for a reviewer.

1. The dry run (issue 13): the real command, ``flask portal reminders send --on 2022-10-01
   --dry-run --json``, run in this process so that every statement it sends to the database
   is counted. The floor is the set-based loader alone (``portal.facts.standing.standings``,
   the monthly report's), timed in the same run (after the command, with the same warm
   caches): the ratio floor / command says what working out reminders adds on top of it.
2. The real run (issue 24): the same command without ``--dry-run``, in a process of its own
   (as cron, the schedule's job or a person runs it; PORTAL_TODAY=2022-10-01), against an
   SMTP sink on 127.0.0.1 (aiosmtpd in a process of its own, bench/smtp_sink.py, counting
   what it accepts). Measured: its time, messages a second, its peak RSS (ru_maxrss), what
   the sink received and the outbox's rows by status afterwards. The floor: the first
   FLOOR_SAMPLE of the very messages it rendered, handed to a fresh sink through the
   portal's own ``mail.send`` on one connection, with no database in between (timed in the
   same run, after it): the ratio real / floor (messages a second) says what the outbox's
   claims, records, commit per message and audit rows cost.
3. A second real run right after: it must send nothing (the outbox holds every message).

Ceilings (exit 1 when one is missed): the dry run a few statements, the same whatever the
number of employers (at most 20), and under 20 s for 100,000 employers; the real run sends
every message due, once (sent = due = received by the sink = the outbox's rows, all
``sent``; none failed, queued or expired), with a peak RSS under 300 MB (issue 24's ceiling
for a worker); the second run sends nothing and changes nothing. Its speed is reported, with
its ratio to the floor, not judged. The load average says how far to trust a figure: the
machine here has two shared cores.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess  # noqa: S404 - runs our own flask commands
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import psycopg
from sqlalchemy import event
from sqlalchemy.engine import make_url

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.smtp_sink import Sink  # noqa: E402 - importable only after the path set-up

FLASK = [str(REPO / ".venv/bin/flask"), "--app", "wsgi"]
ON = date(2022, 10, 1)
MAX_SECONDS, MAX_STATEMENTS = 20.0, 20
MAX_SEND_RSS_MB = 300
FLOOR_SAMPLE = 5_000  # messages the SMTP floor sends

POPULATE = """
INSERT INTO pooling_regions (code, name, province) VALUES ('371500', '聊城市', '山东省');
INSERT INTO fund_reserves (region_id, month, months, created_at, updated_at)
SELECT id, '2022-01', 1420, now(), now() FROM pooling_regions;
INSERT INTO region_rates (region_id, start_month, unit_medical_rate, maternity_rate, created_at,
                          updated_at)
SELECT id, '2020-01', 600, 100, now(), now() FROM pooling_regions;
INSERT INTO agencies (code, name, region_id)
SELECT 'LC01', '聊城市医疗保障服务中心', id FROM pooling_regions;
INSERT INTO employers (credit_code, name, unit_kind, insurance_unit_number, agency_id, industry,
                       size_class, size_source, list_status, contribution_base_amount,
                       is_july_paid, has_arrears, is_deregistering, created_at)
SELECT 'B' || lpad(i::text, 17, '0'), '示例企业' || i || '有限公司', 'enterprise', 'U' || i,
       (SELECT id FROM agencies), 'retail', 'small', 'list', 'listed', 1000000,
       false, false, false, now()
FROM generate_series(1, %(n)s) AS i;
INSERT INTO users (username, display_name, password_hash, locale, is_enabled, failed_logins,
                   session_nonce, created_at, email, email_confirmed_at, reminders_enabled)
SELECT 'owner' || e.id, '店主' || e.id, 'not-a-hash', CASE WHEN e.id % 5 = 0 THEN 'en' END,
       true, 0, md5(e.id::text), now(), 'owner' || e.id || '@example.com', now(), true
FROM employers e;
INSERT INTO memberships (user_id, employer_id, role, created_at)
SELECT u.id, e.id, 'owner', now() FROM employers e JOIN users u ON u.username = 'owner' || e.id;
INSERT INTO assessments (employer_id, month, headcount, contribution_base_amount, unit_amount,
                         personal_amount, imported_at)
SELECT e.id, m.month, 10, 1000000, 70000, 20000, now()
FROM employers e CROSS JOIN (VALUES ('2022-07'), ('2022-08'), ('2022-09')) AS m(month)
WHERE e.id % 2 = 0;
INSERT INTO payments (employer_id, paid_on, amount, settles, source_ref, imported_at)
SELECT e.id, DATE '2022-09-20', 210000, 'deferred 2022-07..09', 'P' || e.id, now()
FROM employers e WHERE e.id % 3 = 0;
UPDATE employers SET list_status = 'not_listed' WHERE id <= 100;
INSERT INTO commitment_applications (employer_id, status, round, program_id, due_on,
                                     created_at, version, reference)
SELECT id, 'submitted', 1, 'liaocheng-2022', DATE '2022-10-02', now(), 1, 'CA-' || id
FROM employers WHERE id <= 100;
INSERT INTO users (username, display_name, password_hash, staff_role, agency_id, is_enabled,
                   failed_logins, session_nonce, created_at, email, email_confirmed_at,
                   reminders_enabled)
SELECT 'reviewer', '审核', 'not-a-hash', 'reviewer', id, true, 0, 'n', now(),
       'reviewer@example.com', now(), true FROM agencies;
ANALYZE;
"""


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--employers", type=int, default=100_000)
    parser.add_argument("--profile", action="store_true", help="cProfile the dry run")
    parser.add_argument(
        "--dry-run-only", action="store_true", help="leave out the real runs (2. and 3.)"
    )
    args = parser.parse_args()
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        print("run under scripts/with-postgres.sh (TEST_DATABASE_URL)", file=sys.stderr)
        return 2
    admin = make_url(base).set(drivername="postgresql")
    url = admin.set(database="bench_reminders")
    dsn = url.render_as_string(hide_password=False)
    with psycopg.connect(admin.render_as_string(hide_password=False), autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS bench_reminders")
        conn.execute("CREATE DATABASE bench_reminders")
    os.environ.pop("TEST_DATABASE_URL", None)
    os.environ.update(
        PORTAL_ENV="development",
        DATABASE_URL=url.set(drivername="postgresql+psycopg").render_as_string(False),
    )
    subprocess.run(  # noqa: S603 - the project's own flask
        [*FLASK, "db", "upgrade"],
        cwd=REPO,
        check=True,
        capture_output=True,
    )
    loads = [os.getloadavg()[0]]
    started = time.perf_counter()
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(POPULATE.replace("%(n)s", str(int(args.employers))))
    print(f"data           {time.perf_counter() - started:7.2f} s to load")

    from portal import create_app
    from portal.core.extensions import db
    from portal.facts.standing import standings

    app = create_app()
    with app.app_context():
        statements: list[str] = []

        def count(_conn, _cursor, statement, *_args) -> None:
            statements.append(statement)

        event.listen(db.engine, "before_cursor_execute", count)
        if args.profile:
            import cProfile
            import pstats

            profile = cProfile.Profile()
            profile.enable()
        started = time.perf_counter()
        result = app.test_cli_runner().invoke(
            args=["portal", "reminders", "send", "--on", ON.isoformat(), "--dry-run", "--json"]
        )
        seconds = time.perf_counter() - started
        if args.profile:
            profile.disable()
            pstats.Stats(profile).sort_stats("cumulative").print_stats(40)
        event.remove(db.engine, "before_cursor_execute", count)
        db.session.rollback()
        from portal.features.reminders.outbox import no_cyclic_gc

        started = time.perf_counter()  # after the command: the same warm caches
        with no_cyclic_gc():  # as the command holds it (see there)
            loaded = standings(ON)
        floor = time.perf_counter() - started
        del loaded
    loads.append(os.getloadavg()[0])
    if result.exit_code != 0:
        print(result.output[-2000:], file=sys.stderr)
        return 1
    report = json.loads(result.output)
    failures: list[str] = []
    print(f"employers      {args.employers:,}")
    print("1. the dry run (in this process: its statements counted)")
    print(
        f"   due            {report['due']:,} messages (would queue; skipped {report['skipped']:,})"
    )
    print(f"   floor (loader) {floor:7.2f} s   standings() alone")
    print(f"   dry run        {seconds:7.2f} s   (ceiling < {MAX_SECONDS:.0f} s)")
    print(f"   ratio          {floor / seconds:7.3f}     floor / dry run")
    print(
        f"   statements     {len(statements):7d}     "
        f"(ceiling <= {MAX_STATEMENTS}, whatever the number)",
        flush=True,
    )
    if seconds >= MAX_SECONDS:
        failures.append(f"dry run {seconds:.1f} s >= {MAX_SECONDS:.0f} s")
    if len(statements) > MAX_STATEMENTS:
        failures.append(f"dry run {len(statements)} statements > {MAX_STATEMENTS}")
    if not args.dry_run_only:
        failures += real_runs(app, dsn, report["due"], loads)
    print(
        f"load           {', '.join(f'{x:.2f}' for x in loads)} (1-minute load average through "
        f"the run, {os.cpu_count()} CPUs)"
    )
    for failure in failures:
        print(f"MISSED: {failure}")
    print("ceilings: " + ("MISSED" if failures else "met"))
    return 1 if failures else 0


# ------------------------------------------------------------------------------ the real run


@dataclass
class Run:
    seconds: float
    rss_mb: float  # the command's peak resident set (ru_maxrss)
    received: int  # messages the SMTP sink accepted
    exit_code: int
    report: dict
    outbox: dict[str, int]  # the outbox's rows by status afterwards


def send_command(dsn: str) -> Run:
    """``flask portal reminders send --on ON --json`` in a process of its own, against a
    fresh SMTP sink (bench/smtp_sink.py)."""
    sink = Sink()
    env = {
        **os.environ,
        "PORTAL_TODAY": ON.isoformat(),  # the run's "today": what it claims, what expires
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(sink.port),
        "MAIL_FROM": "portal@example.com",
    }
    try:
        with tempfile.TemporaryFile() as out:
            started = time.perf_counter()
            process = subprocess.Popen(  # noqa: S603 - the project's own flask
                [*FLASK, "portal", "reminders", "send", "--on", ON.isoformat(), "--json"],
                cwd=REPO,
                env=env,
                stdout=out,
                stderr=subprocess.PIPE,
            )
            assert process.stderr is not None  # noqa: S101 - piped above
            error = process.stderr.read()
            _pid, status, usage = os.wait4(process.pid, 0)
            seconds = time.perf_counter() - started
            process.returncode = os.waitstatus_to_exitcode(status)
            out.seek(0)
            output = out.read()
    finally:
        received = sink.stop()
    if process.returncode not in (0, 1):  # 1: the server unreachable (reported, judged below)
        raise RuntimeError(f"the real run failed: {error.decode(errors='replace')[-2000:]}")
    with psycopg.connect(dsn) as conn:
        outbox = dict(
            conn.execute("SELECT status, count(*) FROM outbox_messages GROUP BY status").fetchall()
        )
    return Run(
        seconds, usage.ru_maxrss / 1024, received, process.returncode, json.loads(output), outbox
    )


def smtp_floor(app, dsn: str, count: int) -> tuple[float, int]:
    """The floor of the real run: the first ``count`` messages of the outbox, as rendered,
    handed to a fresh sink through the portal's own ``mail.send`` on one connection, with no
    database in between (what the run adds: its claims, its records, a commit per message,
    an audit row each). Messages a second, and how many were sent."""
    from portal.core import mail

    with psycopg.connect(dsn) as conn:
        rows = conn.execute(
            "SELECT to_address, subject, body_text, body_html FROM outbox_messages "
            "ORDER BY id LIMIT %s",
            (count,),
        ).fetchall()
    sink = Sink()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=sink.port, MAIL_FROM="portal@example.com")
    try:
        with app.app_context():
            backend = mail.connection()
            mail.open_connection(backend)
            started = time.perf_counter()
            for to, subject, text, html in rows:
                mail.send(backend, to=to, subject=subject, text=text, html=html)
            seconds = time.perf_counter() - started
            mail.reset(backend)
    finally:
        received = sink.stop()
    if received != len(rows):
        raise RuntimeError(f"the floor's sink received {received} of {len(rows)}")
    return len(rows) / seconds, len(rows)


def real_runs(app, dsn: str, due: int, loads: list[float]) -> list[str]:
    """2. the real run to the sink, 3. a second run right after, and the floor of 2.; what
    they missed. Each printed as soon as measured."""
    failures = []
    first = send_command(dsn)
    loads.append(os.getloadavg()[0])
    sent = first.report["sent"]
    rate = sent / first.seconds
    with psycopg.connect(dsn) as conn:
        sending, queueing = conn.execute(
            "SELECT EXTRACT(EPOCH FROM max(sent_at) - min(sent_at)), "
            "EXTRACT(EPOCH FROM min(sent_at) - min(queued_at)) "
            "FROM outbox_messages WHERE status = 'sent'"
        ).fetchone()
    sending, queueing = float(sending or 0), float(queueing or 0)
    states = ", ".join(f"{status} {n:,}" for status, n in sorted(first.outbox.items()))
    print("2. the real run: `flask portal reminders send --on 2022-10-01 --json` (a process")
    print("   of its own) to a local SMTP sink (aiosmtpd, bench/smtp_sink.py)")
    print(
        f"   real run       {first.seconds:7.2f} s   queued {due - first.report['skipped']:,}, "
        f"sent {sent:,}, failed {first.report['failed']:,}, expired "
        f"{first.report['expired']:,}; the sink received {first.received:,}"
    )
    print(f"   rate           {rate:7,.0f} messages/s (queue and send, from the process's start)")
    print(
        f"   of which       {queueing:7.2f} s   from the first queued to the first sent "
        f"(working out, rendering, queueing); {sending:.2f} s sending: "
        f"{sent / max(sending, 1e-9):,.0f} messages/s (first to last sent_at)"
    )
    print(f"   peak RSS       {first.rss_mb:7.0f} MB (ceiling < {MAX_SEND_RSS_MB} MB)")
    print(f"   outbox after   {states}", flush=True)
    if first.exit_code != 0 or first.report["failed"] or first.report["expired"]:
        failures.append(
            f"real run: exit {first.exit_code}, failed {first.report['failed']}, "
            f"expired {first.report['expired']}"
        )
    in_outbox = sum(first.outbox.values())
    if not (sent == first.received == due == first.outbox.get("sent", 0) == in_outbox):
        failures.append(
            f"real run: {due:,} due, {sent:,} sent, {first.received:,} received, outbox {states}"
        )
    if first.rss_mb >= MAX_SEND_RSS_MB:
        failures.append(f"real run peak RSS {first.rss_mb:.0f} MB >= {MAX_SEND_RSS_MB} MB")

    again = send_command(dsn)
    loads.append(os.getloadavg()[0])
    print("3. a second run right after (idempotent: it must send nothing)")
    again_states = ", ".join(f"{status} {n:,}" for status, n in sorted(again.outbox.items()))
    print(
        f"   second run     {again.seconds:7.2f} s   sent {again.report['sent']:,}, skipped "
        f"{again.report['skipped']:,} (already queued); the sink received {again.received:,}; "
        f"peak RSS {again.rss_mb:.0f} MB"
    )
    print(f"   outbox after   {again_states}", flush=True)
    repeated = again.report["sent"] or again.received or again.outbox != first.outbox
    if again.exit_code != 0 or repeated:
        failures.append(
            f"second run: sent {again.report['sent']}, received {again.received}, "
            f"outbox {again_states}"
        )

    floor_rate, sample = smtp_floor(app, dsn, min(FLOOR_SAMPLE, max(first.received, 1)))
    loads.append(os.getloadavg()[0])
    print("   the floor of 2., measured after 3.:")
    print(
        f"   SMTP floor     {floor_rate:7,.0f} messages/s   mail.send alone, {sample:,} of the "
        "rendered messages, no database"
    )
    print(
        f"   ratio          {sent / max(sending, 1e-9) / floor_rate:7.3f}     the run's sending "
        f"/ floor (messages/s); {rate / floor_rate:.3f} for the whole run"
    )
    return failures


if __name__ == "__main__":
    sys.exit(main())
