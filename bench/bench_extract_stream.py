"""Benchmark (not a test): peak memory and time of `presse extract` on a large bulk file.

Usage:
    python bench/bench_extract_stream.py [--records 200000] [--persons-records 5000] [--workdir DIR]

Generates a .jsonl.gz of tiny records in a temporary folder, then runs `presse extract` on it
in a subprocess for each output mode (`--json` and the tab-separated lines), without persons
on all the records and with persons on the first ``--persons-records`` of them (spaCy is slow).
Each run reports the child's own peak RSS (``os.wait4``), its wall time, the time to its first
output line (a streaming command prints long before it ends) and the lines it printed.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def write_bulk(path: Path, records: int) -> Path:
    """Write ``records`` tiny article records to a gzipped JSONL file and return its path."""
    with gzip.open(path, "wt", encoding="utf-8", compresslevel=9) as fh:
        for n in range(records):
            fh.write(json.dumps({"id": f"r{n}", "title": "Titre", "body": "Texte."}) + "\n")
    return path


def run_extract(bulk: Path, *options: str) -> dict:
    """Run `presse extract OPTIONS BULK` and return its peak RSS, timings and output line count."""
    cmd = [sys.executable, "-m", "search.cli", "extract", *options, str(bulk)]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    first, lines = None, 0
    for _line in proc.stdout:  # read as it comes: a full pipe would stall the child
        if first is None:
            first = time.monotonic() - t0
        lines += 1
    proc.stdout.close()
    # wait4 gives this child's own peak RSS (RUSAGE_CHILDREN is the maximum over all runs so far)
    _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.monotonic() - t0
    return {"options": " ".join(options), "exit": os.waitstatus_to_exitcode(status),
            "peak_rss_mb": round(usage.ru_maxrss / 1024), "wall_s": round(wall, 1),
            "first_line_s": round(first, 2) if first is not None else None, "lines": lines}


def main(argv=None) -> int:
    """Generate the bulk file, run each configuration and print one JSON line per run."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--records", type=int, default=200_000, help="tiny records in the bulk file")
    ap.add_argument("--persons-records", type=int, default=5_000,
                    help="records of the run with persons (0: no such run)")
    ap.add_argument("--workdir", type=Path, default=None)
    args = ap.parse_args(argv)
    if args.workdir is not None:
        args.workdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="presse-bench-", dir=args.workdir) as tmp:
        bulk = write_bulk(Path(tmp) / "tiny.jsonl.gz", args.records)
        print(json.dumps({"records": args.records, "gz_kb": round(bulk.stat().st_size / 1024)}), flush=True)
        for options in (("--json", "--no-persons"), ("--no-persons",)):
            print(json.dumps(dict(run_extract(bulk, *options), records=args.records)), flush=True)
        if args.persons_records:
            small = write_bulk(Path(tmp) / "small.jsonl.gz", args.persons_records)
            print(json.dumps(dict(run_extract(small, "--json", "--persons"), records=args.persons_records)),
                  flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
