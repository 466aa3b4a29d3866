"""Benchmark the .xlsx writer (portal/core/tables.py) on the 缓缴清单's shape: flat per row.

Run from the repository root:

    .venv/bin/python bench/bench_tables.py            # 10,000 and 100,000 rows
    .venv/bin/python bench/bench_tables.py --quick    # 2,000 and 20,000 rows

Each size is written in a fresh process (so that its peak RSS is its own). Targets (issue 24):
the large file in under 10 s and under 200 MB peak RSS on this machine, and its time per row at
most 1.5x the small one's (flat, not quadratic: the old writer took 41 s for 2,000 rows and
137 s for 4,000). The figures are ratios measured in the same run, plus the stated ceilings.
Exits 1 if a target is missed.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

MAX_SECONDS = 10.0
MAX_RSS_MB = 200
MAX_PER_ROW_RATIO = 1.5


def write(rows: int) -> dict[str, float]:
    """Write a tax list of ``rows`` rows; its time, size and this process's peak RSS."""
    from portal.core.tables import to_xlsx
    from portal.features.reports.tax_list import TaxListRow, tax_list_table

    def each():
        for n in range(rows):
            yield TaxListRow(
                employer_id=n,
                month="2022-07",
                credit_code=f"91371500MA{n:07d}X",
                name=f"聊城市示例商贸有限公司{n}",
                agency_code="LC01",
                unit_number=f"3715{n:08d}",
                headcount=n % 50 + 1,
                period_start="2022-07",
                period_end="2022-09",
                unit_amount=Decimal(n % 10_000) + Decimal("0.45"),
                deadline=date(2022, 12, 31),
            )

    table = tax_list_table(list(each()), datetime(2022, 8, 15, 2, 0, tzinfo=UTC))
    started = time.perf_counter()
    content = to_xlsx(table)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"rows": rows, "seconds": seconds, "bytes": len(content), "rss_mb": peak}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # the child's size
    args = parser.parse_args()
    if args.one:
        print(json.dumps(write(args.one)))
        return 0
    sizes = (2_000, 20_000) if args.quick else (10_000, 100_000)
    figures = []
    for rows in sizes:
        out = subprocess.run(  # noqa: S603 - this script, with a number
            [sys.executable, __file__, "--one", str(rows)],
            check=True,
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
        figures.append(json.loads(out.stdout))
    small, large = figures
    for f in figures:
        print(
            f"{f['rows']:>8,} rows: {f['seconds']:6.2f} s, "
            f"{f['seconds'] / f['rows'] * 1e6:6.1f} µs/row, {f['bytes'] / 1e6:5.1f} MB file, "
            f"peak RSS {f['rss_mb']:5.0f} MB"
        )
    ratio = (large["seconds"] / large["rows"]) / (small["seconds"] / small["rows"])
    print(f"time per row, large / small: {ratio:.2f} (target ≤ {MAX_PER_ROW_RATIO})")
    failed = ratio > MAX_PER_ROW_RATIO
    if not args.quick:
        failed |= large["seconds"] > MAX_SECONDS or large["rss_mb"] > MAX_RSS_MB
        seconds, rss = large["seconds"], large["rss_mb"]
        print(f"large: {seconds:.2f} s (≤ {MAX_SECONDS}), {rss:.0f} MB (≤ {MAX_RSS_MB})")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
