"""Benchmark (not a test): time and memory of exporting every hit of a search (``presse export``).

Usage:
    python bench/bench_export.py --index DIR [--query WORDS] [--repeat 3]

Part 1 — time: for each format, the median over ``--repeat`` runs of a whole export (matching,
then every row written to /dev/null), and rows per second.
Part 2 — memory: fresh processes each export the first quarter, half and all of the hits (same
query, same order). Each reports its resident memory before the rows are written (index open,
hits matched), the peak resident memory after, and the peak of Python allocations while the rows
stream (tracemalloc). A constant-memory export shows the same peak for a quarter and for all.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from search.query import export as ex  # noqa: E402
from search.query.request import SearchRequest  # noqa: E402
from search.query.service import SearchService  # noqa: E402


def _status_kb(field: str) -> int:
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def time_exports(index: Path, query: str, repeat: int) -> None:
    """Print the median time of a whole export per format."""
    svc = SearchService(index)
    req = SearchRequest(q=query)
    svc.iter_docnums(req)  # open the index and build its caches once, outside the timings
    print(f"{'format':<7} {'hits':>7} {'median s':>9} {'rows/s':>9}")
    for fmt in ex.FORMATS:
        times, total = [], 0
        for _ in range(repeat):
            t0 = time.perf_counter()
            plan = ex.plan_export(svc, req)
            with open(os.devnull, "wb") as out:
                total = ex.write_export(plan, fmt, out)
            times.append(time.perf_counter() - t0)
        median = statistics.median(times)
        print(f"{fmt:<7} {total:>7} {median:>9.2f} {total / median if median else 0:>9.0f}")


def child(index: Path, query: str, fraction: float, fmt: str) -> None:
    """Export the first ``fraction`` of the hits and print memory figures as JSON (run in a fresh process)."""
    svc = SearchService(index)
    plan = ex.plan_export(svc, SearchRequest(q=query))
    plan.docnums = plan.docnums[: max(1, int(len(plan.docnums) * fraction))]
    rss_before = _status_kb("VmRSS")
    tracemalloc.start()
    with open(os.devnull, "wb") as out:
        rows = ex.write_export(plan, fmt, out)
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(json.dumps({"rows": rows, "rss_before_kb": rss_before, "hwm_kb": _status_kb("VmHWM"),
                      "py_peak_kb": peak // 1024}))


def memory(index: Path, query: str, fmt: str) -> None:
    """Print the memory of exporting a quarter, a half and all of the hits, each in a fresh process."""
    print(f"\nmemory ({fmt}), one fresh process per row")
    print(f"{'rows':>7} {'RSS before MB':>14} {'peak RSS MB':>12} {'stream peak (Python) MB':>24}")
    peaks = []
    for fraction in (0.25, 0.5, 1.0):
        done = subprocess.run([sys.executable, __file__, "--index", str(index), "--query", query,
                               "--child", str(fraction), "--format", fmt], capture_output=True, text=True, check=True)
        m = json.loads(done.stdout.strip().splitlines()[-1])
        peaks.append(m["py_peak_kb"])
        print(f"{m['rows']:>7} {m['rss_before_kb'] / 1024:>14.1f} {m['hwm_kb'] / 1024:>12.1f} "
              f"{m['py_peak_kb'] / 1024:>24.2f}")
    print(f"stream peak, all hits / a quarter: {peaks[-1] / max(peaks[0], 1):.2f}")


def main() -> None:
    """Parse arguments and run both parts (or one child measurement)."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--query", default="", help="query words (default: every article)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--format", default="csv", choices=sorted(ex.FORMATS), help="format of the memory part")
    parser.add_argument("--child", type=float, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        child(args.index, args.query, args.child, args.format)
        return
    time_exports(args.index, args.query, args.repeat)
    memory(args.index, args.query, args.format)


if __name__ == "__main__":
    main()
