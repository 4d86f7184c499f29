"""Benchmark (not a test): an unchanged incremental reindex over many tiny files in one folder.

Usage:
    python bench/bench_scan.py --workdir DIR [--sizes 5000,10000,20000] [--repeat 3]

For each size a folder of that many tiny ``.txt`` pages (one in ten with a ``.json`` sidecar)
is written under ``--workdir``, indexed once with the real ``indexer.reindex`` (persons off),
then re-indexed ``--repeat`` times with nothing changed.  Each size runs in its own child
process so that its peak RSS is its own; one JSON line per size gives the median and every
time of the unchanged runs, the time of the first (full) build and the peak RSS.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from search.index import reindex as indexer  # noqa: E402

PAGE = "Titre {n}\n\nLa sécurité au Mali, note numéro {n}.\n"


def make_source(folder: Path, count: int) -> None:
    """Write ``count`` tiny pages into ``folder`` (every tenth with a sidecar)."""
    folder.mkdir(parents=True, exist_ok=True)
    for n in range(count):
        (folder / f"p{n:06d}.txt").write_text(PAGE.format(n=n), "utf-8")
        if n % 10 == 0:
            (folder / f"p{n:06d}.json").write_text(json.dumps({"url": f"https://example.org/{n}"}), "utf-8")


def run_one(workdir: Path, count: int, repeat: int) -> dict:
    """Build an index of ``count`` tiny files, then time ``repeat`` unchanged incremental runs."""
    source, index_dir = workdir / f"src-{count}", workdir / f"index-{count}"
    make_source(source, count)
    t0 = time.monotonic()
    first = indexer.reindex(source, index_dir, persons=False, procs=1)
    full_s = time.monotonic() - t0
    times = []
    for _ in range(repeat):
        t0 = time.monotonic()
        report = indexer.reindex(source, index_dir, persons=False, procs=1)
        times.append(time.monotonic() - t0)
        assert not report.changed, report.summary()
    return {"files": count, "articles": first.total_docs, "full_s": round(full_s, 2),
            "unchanged_median_s": round(statistics.median(times), 3),
            "unchanged_s": [round(t, 3) for t in times],
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}


def main(argv=None) -> int:
    """Run the benchmark and print one JSON line per size."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--workdir", type=Path, required=True, help="folder for the sources and indexes")
    ap.add_argument("--sizes", default="5000,10000,20000", help="comma-separated file counts")
    ap.add_argument("--repeat", type=int, default=3, help="unchanged runs per size")
    ap.add_argument("--one", type=int, default=None, help=argparse.SUPPRESS)  # the child's size
    args = ap.parse_args(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)
    if args.one is not None:
        print(json.dumps(run_one(args.workdir, args.one, args.repeat)), flush=True)
        return 0
    for count in (int(s) for s in args.sizes.split(",")):
        tmp = Path(tempfile.mkdtemp(prefix="presse-bench-scan-", dir=args.workdir))
        try:
            done = subprocess.run([sys.executable, __file__, "--workdir", str(tmp), "--one", str(count),
                                   "--repeat", str(args.repeat)], capture_output=True, text=True)
            if done.returncode != 0:
                print(done.stderr, file=sys.stderr)
                return done.returncode
            print(done.stdout.strip(), flush=True)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
