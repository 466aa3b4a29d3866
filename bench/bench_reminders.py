"""Benchmark ``reminders send --dry-run`` over 100,000 employers on PostgreSQL.

Run from the repository root, against a throwaway cluster:

    bash scripts/with-postgres.sh .venv/bin/python bench/bench_reminders.py                # 100,000
    bash scripts/with-postgres.sh .venv/bin/python bench/bench_reminders.py --employers 20000

The data: listed Liaocheng employers deferred 2022-07..09, each with an owner who has a
confirmed address; half with the agency's assessments, a third paid in full, a hundred
commitment applications waiting for a reviewer. The command is the real one,
``flask portal reminders send --on 2022-10-01 --dry-run --json``, run in this process so
that every statement it sends to the database is counted. The floor is the set-based loader
alone (``portal.facts.standing.standings``, the monthly report's), timed in the same run
(after the command, with the same warm caches):
the ratio floor / command says what working out reminders adds on top of it.
Aims (issue 13): a few statements, the same whatever the number of employers (at most 20),
and under 20 s for 100,000 employers. Exits 1 if an aim is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import psycopg
from sqlalchemy import event
from sqlalchemy.engine import make_url

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
ON = date(2022, 10, 1)
MAX_SECONDS, MAX_STATEMENTS = 20.0, 20

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
        "--send",
        action="store_true",
        help="then the real run: queue and send every message to an in-process SMTP server",
    )
    args = parser.parse_args()
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        print("run under scripts/with-postgres.sh (TEST_DATABASE_URL)", file=sys.stderr)
        return 2
    admin = make_url(base).set(drivername="postgresql")
    url = admin.set(database="bench_reminders")
    with psycopg.connect(admin.render_as_string(hide_password=False), autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS bench_reminders")
        conn.execute("CREATE DATABASE bench_reminders")
    os.environ.pop("TEST_DATABASE_URL", None)
    os.environ.update(
        PORTAL_ENV="development",
        DATABASE_URL=url.set(drivername="postgresql+psycopg").render_as_string(False),
    )
    subprocess.run(  # noqa: S603 - the project's own flask
        [str(REPO / ".venv/bin/flask"), "--app", "wsgi", "db", "upgrade"],
        cwd=REPO,
        check=True,
        capture_output=True,
    )
    started = time.perf_counter()
    with psycopg.connect(url.render_as_string(hide_password=False), autocommit=True) as conn:
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
        sent = _send(app) if args.send else None
    if result.exit_code != 0:
        print(result.output[-2000:], file=sys.stderr)
        return 1
    report = json.loads(result.output)
    print(f"employers      {args.employers:,}")
    print(f"due            {report['due']:,} messages (would queue; skipped {report['skipped']:,})")
    print(f"floor (loader) {floor:7.2f} s   standings() alone")
    print(f"dry run        {seconds:7.2f} s   (aim < {MAX_SECONDS:.0f} s)")
    print(f"ratio          {floor / seconds:7.3f}     floor / dry run")
    print(f"statements     {len(statements):7d}     (aim <= {MAX_STATEMENTS}, whatever the number)")
    if sent is not None:
        send_seconds, received, out = sent
        print(
            f"real run       {send_seconds:7.2f} s   queued and sent {out['sent']:,} "
            f"({received:,} received, {out['sent'] / send_seconds:,.0f} messages/s)"
        )
    missed = seconds >= MAX_SECONDS or len(statements) > MAX_STATEMENTS
    print("aims: " + ("MISSED" if missed else "met"))
    return 1 if missed else 0


def _send(app) -> tuple[float, int, dict]:
    """The real run against aiosmtpd in this process (not part of the aims: a first day's run
    over every employer; later days send only what became due)."""
    import socket

    from aiosmtpd.controller import Controller

    class Count:
        received = 0

        async def handle_DATA(self, server, session, envelope):
            Count.received += 1
            return "250 OK"

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Count(), hostname="127.0.0.1", port=port)
    controller.start()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
    try:
        started = time.perf_counter()
        result = app.test_cli_runner().invoke(
            args=["portal", "reminders", "send", "--on", ON.isoformat(), "--json"]
        )
        seconds = time.perf_counter() - started
    finally:
        controller.stop()
    return seconds, Count.received, json.loads(result.output)


if __name__ == "__main__":
    sys.exit(main())
