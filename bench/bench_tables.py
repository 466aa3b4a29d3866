"""Benchmark the .xlsx and CSV writers (portal/core/tables.py) on the 缓缴清单's shape.

Run from the repository root:

    .venv/bin/python bench/bench_tables.py            # 10,000 and 100,000 rows
    .venv/bin/python bench/bench_tables.py --quick    # 2,000 and 20,000 rows

Each size of each format is written in a fresh process (so that its peak RSS is its own).

.xlsx (``to_xlsx``, the rows in a list as the export builds them). Targets (issue 24): the
large file in under 10 s and under 200 MB peak RSS on this machine, and its time per row at
most 1.5x the small one's (flat, not quadratic: the old writer took 41 s for 2,000 rows and
137 s for 4,000).

CSV (``write_csv``, the rows from a generator, the file to a sink that keeps nothing): its time
per row at most 1.5x the small one's, and its peak RSS growing by at most 1.2x from the small
to the large (the rows and the file are never held: ten times the rows, the same memory).

The figures are ratios measured in the same run, plus the stated ceilings. Exits 1 if a target
is missed.
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
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

MAX_SECONDS = 10.0
MAX_RSS_MB = 200
MAX_PER_ROW_RATIO = 1.5
#: The CSV's peak RSS, large / small: flat (the interpreter and the portal's modules are most of
#: it; ten times the rows held would add some 30 MB to the large one).
MAX_CSV_RSS_RATIO = 1.2


class Sink:
    """A binary file that keeps nothing: the bytes written to it are counted."""

    def __init__(self) -> None:
        self.written = 0

    def write(self, data: bytes) -> int:
        self.written += len(data)
        return len(data)


def tax_list_rows(rows: int):
    from portal.features.reports.tax_list import TaxListRow

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


def write(rows: int, file_format: str) -> dict[str, float]:
    """Write a tax list of ``rows`` rows; its time, size and this process's peak RSS."""
    from portal.core.tables import Table, to_xlsx, write_csv
    from portal.features.reports.tax_list import tax_list_table
    from portal.rules.exchange import tax_list_format

    at = datetime(2022, 8, 15, 2, 0, tzinfo=UTC)
    if file_format == "xlsx":
        table = tax_list_table(list(tax_list_rows(rows)), at)  # made before the clock starts
        started = time.perf_counter()
        size = len(to_xlsx(table))
    else:
        # The list's columns, and its cells made as they are written (their making is in the
        # time; they are never held). Not through ``tax_list_table``, which makes a list of them.
        columns, fmt = tax_list_table([], at).columns, tax_list_format()
        local = at.astimezone(ZoneInfo(fmt.time_zone.value))
        kind, insurance = fmt.deferral_type.value, fmt.insurance_type.value
        cells = (
            [r.credit_code, r.name, kind, r.agency_code, r.unit_number, insurance, r.headcount,
             fmt.month(r.period_start), fmt.month(r.period_end), r.unit_amount, r.deadline, local]
            for r in tax_list_rows(rows)
        )  # fmt: skip
        sink = Sink()
        started = time.perf_counter()
        write_csv(Table("缓缴清单", columns, cells), sink)  # type: ignore[arg-type]
        size = sink.written
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"rows": rows, "seconds": seconds, "bytes": size, "rss_mb": peak}


def measure(sizes: tuple[int, int], file_format: str) -> list[dict[str, float]]:
    figures = []
    for rows in sizes:
        out = subprocess.run(  # noqa: S603 - this script, with a number and a format
            [sys.executable, __file__, "--one", str(rows), "--format", file_format],
            check=True,
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
        figures.append(json.loads(out.stdout))
    for f in figures:
        print(
            f"{file_format:>4} {f['rows']:>8,} rows: {f['seconds']:6.2f} s, "
            f"{f['seconds'] / f['rows'] * 1e6:6.1f} µs/row, {f['bytes'] / 1e6:5.1f} MB file, "
            f"peak RSS {f['rss_mb']:5.0f} MB"
        )
    return figures


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # the child's size
    parser.add_argument("--format", default="xlsx", help=argparse.SUPPRESS)  # the child's
    args = parser.parse_args()
    if args.one:
        print(json.dumps(write(args.one, args.format)))
        return 0
    sizes = (2_000, 20_000) if args.quick else (10_000, 100_000)
    small, large = measure(sizes, "xlsx")
    ratio = (large["seconds"] / large["rows"]) / (small["seconds"] / small["rows"])
    print(f"xlsx time per row, large / small: {ratio:.2f} (target ≤ {MAX_PER_ROW_RATIO})")
    failed = ratio > MAX_PER_ROW_RATIO
    if not args.quick:
        failed |= large["seconds"] > MAX_SECONDS or large["rss_mb"] > MAX_RSS_MB
        seconds, rss = large["seconds"], large["rss_mb"]
        print(f"xlsx large: {seconds:.2f} s (≤ {MAX_SECONDS}), {rss:.0f} MB (≤ {MAX_RSS_MB})")
    small, large = measure(sizes, "csv")
    ratio = (large["seconds"] / large["rows"]) / (small["seconds"] / small["rows"])
    rss_ratio = large["rss_mb"] / small["rss_mb"]
    print(f"csv time per row, large / small: {ratio:.2f} (target ≤ {MAX_PER_ROW_RATIO})")
    print(f"csv peak RSS, large / small: {rss_ratio:.2f} (target ≤ {MAX_CSV_RSS_RATIO})")
    failed |= ratio > MAX_PER_ROW_RATIO or rss_ratio > MAX_CSV_RSS_RATIO
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
