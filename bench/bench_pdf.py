"""Benchmark the commitment-letter PDF: overhead against bare WeasyPrint, and memory growth.

Run from the repository root:

    .venv/bin/python bench/bench_pdf.py            # 5 timing rounds, 20 warm-up + 500 renders
    .venv/bin/python bench/bench_pdf.py --quick    # 3 rounds, 5 warm-up + 40 renders

Targets (issue 17): render_commitment_letter takes at most 1.3x a bare
``weasyprint.HTML(string=..., base_url=...).write_pdf()`` of the same HTML, CSS and fonts (the
letter's stylesheet names the same font files), timed in the same run and interleaved; RSS
grows less than 10 % from after warm-up to after the last of 500 renders.
Exits 1 if a target is missed.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import weasyprint  # noqa: E402 -- after the path set-up, like the next line

from portal.core import pdf  # noqa: E402 -- importable only after the path set-up above
from portal.letters import codes, document  # noqa: E402 -- likewise

MAX_RATIO = 1.3
MAX_RSS_GROWTH = 0.10


def sample_letter(number: int = 0) -> document.CommitmentLetterData:
    """Build a realistic letter; ``number`` varies the values like successive signings do."""
    return document.CommitmentLetterData(
        reference=f"CA-2022-{number:06d}",
        employer_name="聊城市东昌府区示例商贸有限公司",
        credit_code="91371502MA3C4XYZ1K",
        insurance_unit_number=f"3715020{number:05d}",
        program_name="山东省阶段性缓缴职工医保单位缴费（鲁医保发〔2022〕21号）",
        period_label="2022-07 至 2022-09",
        signed_at=datetime(2022, 7, 15, 2, 30, tzinfo=UTC),
        signature_method="online",
        signatory_name="张三",
        verification_code=codes.new_verification_code(),
        verify_url="https://portal.example.cn/verify/",
        issued_on=date(2022, 7, 15),
    )


def rss_kib() -> int:
    """Return this process's resident set size in KiB (Linux /proc)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("VmRSS not found in /proc/self/status")


def bench_overhead(rounds: int) -> float:
    """Time the portal renderer against bare WeasyPrint, interleaved; return the ratio."""
    letter = sample_letter()
    html = pdf.render_html("commitment_letter.html", document.commitment_letter_context(letter))
    portal_times: list[float] = []
    bare_times: list[float] = []
    # One untimed render of each first, so that imports and caches count for neither.
    document.render_commitment_letter(letter)
    weasyprint.HTML(string=html, base_url=pdf.PDF_ASSETS_BASE_URL).write_pdf()
    for round_number in range(rounds):
        order = ("portal", "bare") if round_number % 2 == 0 else ("bare", "portal")
        for which in order:
            start = time.perf_counter()
            if which == "portal":
                document.render_commitment_letter(letter)
                portal_times.append(time.perf_counter() - start)
            else:
                weasyprint.HTML(string=html, base_url=pdf.PDF_ASSETS_BASE_URL).write_pdf()
                bare_times.append(time.perf_counter() - start)
        print(
            f"  round {round_number + 1}/{rounds}: portal {portal_times[-1]:.3f} s, "
            f"bare {bare_times[-1]:.3f} s",
            flush=True,
        )
    portal_median = statistics.median(portal_times)
    bare_median = statistics.median(bare_times)
    ratio = portal_median / bare_median
    print(f"portal render_commitment_letter median: {portal_median:.3f} s")
    print(f"bare weasyprint write_pdf median:       {bare_median:.3f} s")
    print(f"ratio portal/bare: {ratio:.3f} (target <= {MAX_RATIO})")
    return ratio


def bench_memory(warmup: int, renders: int) -> float:
    """Render many letters in this process; return RSS growth after warm-up as a fraction."""
    for number in range(warmup):
        document.render_commitment_letter(sample_letter(number))
    gc.collect()
    rss_after_warmup = rss_kib()
    print(f"RSS after {warmup} warm-up renders: {rss_after_warmup / 1024:.1f} MiB", flush=True)
    start = time.perf_counter()
    step = max(renders // 10, 1)
    for number in range(renders):
        document.render_commitment_letter(sample_letter(warmup + number))
        if (number + 1) % step == 0:
            print(
                f"  {number + 1}/{renders} renders, RSS {rss_kib() / 1024:.1f} MiB, "
                f"{time.perf_counter() - start:.0f} s",
                flush=True,
            )
    gc.collect()
    rss_after = rss_kib()
    growth = (rss_after - rss_after_warmup) / rss_after_warmup
    print(f"RSS after {renders} more renders: {rss_after / 1024:.1f} MiB")
    print(f"RSS growth: {growth * 100:+.1f} % (target < {MAX_RSS_GROWTH * 100:.0f} %)")
    return growth


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds and renders")
    parser.add_argument("--rounds", type=int, help="timing rounds (default 5, quick 3)")
    parser.add_argument("--warmup", type=int, help="warm-up renders (default 20, quick 5)")
    parser.add_argument("--renders", type=int, help="measured renders (default 500, quick 40)")
    args = parser.parse_args(argv)
    rounds = args.rounds or (3 if args.quick else 5)
    warmup = args.warmup or (5 if args.quick else 20)
    renders = args.renders or (40 if args.quick else 500)

    print(f"WeasyPrint {weasyprint.__version__}; rounds={rounds} warmup={warmup} renders={renders}")
    print("1. overhead against bare WeasyPrint (same HTML and CSS, interleaved)", flush=True)
    ratio = bench_overhead(rounds)
    print("2. memory over repeated renders", flush=True)
    growth = bench_memory(warmup, renders)

    failures = []
    if ratio > MAX_RATIO:
        failures.append(f"ratio {ratio:.3f} > {MAX_RATIO}")
    if growth >= MAX_RSS_GROWTH:
        failures.append(f"RSS growth {growth * 100:.1f} % >= {MAX_RSS_GROWTH * 100:.0f} %")
    print("RESULT: " + ("FAIL: " + "; ".join(failures) if failures else "all targets met"))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
