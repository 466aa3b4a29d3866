"""Benchmark the list import on PostgreSQL against a plain COPY of the same file.

Run from the repository root, against a throwaway cluster:

    bash scripts/with-postgres.sh .venv/bin/python bench/bench_import.py            # 1,000,000 rows
    bash scripts/with-postgres.sh .venv/bin/python bench/bench_import.py --rows 100000

The floor is ``COPY bare FROM STDIN (FORMAT csv, HEADER)`` of the same CSV into a table with
the same columns and no checks, timed in the same run. The import is the real command,
``flask --app wsgi portal import list FILE --json``, in its own process: every row checked
(credit code, agency, size, yes/no), compared with what is stored, written, committed.
Figures: rows/s, the ratio floor time / import time, the import's peak RSS.
Aims (issue 12): ratio >= 0.3, peak RSS < 300 MB, 1,000,000 rows in under 30 s. Exits 1 if an
aim is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.factories import credit_code  # noqa: E402 - after the path set-up

HEADER = "统一社会信用代码,单位名称,医保单位编号,医保经办机构代码,企业划型,是否纳入缓缴名单"
MIN_RATIO, MAX_RSS_MB, MAX_SECONDS_PER_MILLION = 0.3, 300, 30.0


def write_file(path: Path, rows: int) -> None:
    sizes = ("中型", "小型", "微型")
    with path.open("w", encoding="utf-8") as file:
        file.write(HEADER + "\n")
        for i in range(rows):
            file.write(
                f"{credit_code(serial=i + 1)},示例企业{i}有限公司,U{i:08d},LC01,"
                f"{sizes[i % 3]},{'是' if i % 7 else '否'}\n"
            )


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        print("run under scripts/with-postgres.sh (TEST_DATABASE_URL)", file=sys.stderr)
        return 2
    admin = make_url(base).set(drivername="postgresql")
    url = admin.set(database="bench_import")
    with psycopg.connect(admin.render_as_string(hide_password=False), autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS bench_import")
        conn.execute("CREATE DATABASE bench_import")
    dsn = url.render_as_string(hide_password=False)
    env = {
        **os.environ,
        "PORTAL_ENV": "development",
        "DATABASE_URL": url.set(drivername="postgresql+psycopg").render_as_string(False),
    }
    env.pop("TEST_DATABASE_URL", None)
    flask = [str(REPO / ".venv/bin/flask"), "--app", "wsgi"]
    subprocess.run(
        [*flask, "db", "upgrade"],
        cwd=REPO,
        env=env,
        check=True,  # noqa: S603
        capture_output=True,
    )
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO pooling_regions (code, name, province, program_id) "
            "VALUES ('R', '聊城', '山东省', 'liaocheng-2022')"
        )
        conn.execute(
            "INSERT INTO agencies (code, name, region_id) "
            "SELECT 'LC01', '聊城市医疗保障服务中心', id FROM pooling_regions"
        )
        conn.execute(
            "CREATE TABLE bare (credit_code text, name text, unit_number text, "
            "agency_code text, size_class text, on_list text)"
        )
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "list.csv"
        write_file(path, args.rows)
        with psycopg.connect(dsn) as conn:
            started = time.perf_counter()
            with (
                conn.cursor() as cursor,
                cursor.copy("COPY bare FROM STDIN (FORMAT csv, HEADER)") as copy,
                path.open("rb") as source,
            ):
                while chunk := source.read(1 << 20):
                    copy.write(chunk)
            conn.commit()
            floor = time.perf_counter() - started
        load = os.getloadavg()[0]
        started = time.perf_counter()
        done = subprocess.run(
            [*flask, "portal", "import", "list", str(path), "--json"],  # noqa: S603
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
        )
        seconds = time.perf_counter() - started
        # The same file again, as next month's list mostly is: every row compared with the
        # register (the first import went into an empty one, an agency's first list).
        started = time.perf_counter()
        again = subprocess.run(
            [*flask, "portal", "import", "list", str(path), "--json"],  # noqa: S603
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
        )
        again_seconds = time.perf_counter() - started
        rss_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # of both
    for run in (done, again):
        if run.returncode != 0:
            print(run.stdout[-2000:], run.stderr[-2000:], file=sys.stderr)
            return 1
    result = json.loads(done.stdout)
    unchanged = json.loads(again.stdout)["unchanged"]
    ratio = floor / seconds
    per_million = seconds * 1_000_000 / args.rows
    print(f"rows           {args.rows:,} (created {result['created']:,})")
    print(f"floor (COPY)   {floor:7.2f} s   {args.rows / floor:10,.0f} rows/s")
    print(f"import         {seconds:7.2f} s   {args.rows / seconds:10,.0f} rows/s")
    print(f"ratio          {ratio:7.3f}     (aim >= {MIN_RATIO})")
    print(
        f"re-import      {again_seconds:7.2f} s   {args.rows / again_seconds:10,.0f} rows/s "
        f"(the same file into the filled register: {unchanged:,} unchanged)"
    )
    print(f"peak RSS       {rss_mb:7.0f} MB  (aim < {MAX_RSS_MB} MB; the larger import)")
    print(f"per million    {per_million:7.1f} s   (aim < {MAX_SECONDS_PER_MILLION:.0f} s)")
    # The machine is shared: its load when the import started says how far to trust a figure.
    print(f"load           {load:7.2f}     (1-minute load average, {os.cpu_count()} CPUs)")
    missed = ratio < MIN_RATIO or rss_mb >= MAX_RSS_MB or per_million >= MAX_SECONDS_PER_MILLION
    print("aims: " + ("MISSED" if missed else "met"))
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
