"""Benchmark (not a test): peak memory and wall time of a reindex with pathological pages.

Usage:
    python bench/bench_ner_memory.py --workdir DIR [--pages 0 1 2] [--procs 2] [--persons on|off|both]

For each ``--pages`` count, a source folder holds the seeds plus that many 1.25 MB pages whose
text is ``'A& é😀' * 250000`` (one spaCy token every 1.25 characters; each page has its own title
line, so that the NER cache cannot answer one from another).  A fresh ``presse reindex --full``
runs in a subprocess; the peak resident memory is that of the largest process of the run
(``presse`` or one of its NER workers), read with ``resource.getrusage(RUSAGE_CHILDREN)`` in a
small wrapper process that runs nothing else, so that runs do not see each other's peak.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
PAGE_TEXT = "A& é😀" * 250_000

# Runs one command and prints its peak RSS (KB on Linux), wall time and exit status as JSON.
_WRAPPER = """
import json, resource, subprocess, sys, time
t0 = time.monotonic()
done = subprocess.run(sys.argv[1:], capture_output=True, text=True)
print(json.dumps({"rc": done.returncode, "seconds": time.monotonic() - t0,
                  "max_rss_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
                  "stdout": done.stdout, "stderr": done.stderr[-2000:]}))
"""


def make_source(workdir: Path, pages: int) -> Path:
    """Return a source folder holding the seeds and ``pages`` pathological pages."""
    source = workdir / f"source-{pages}"
    if source.exists():
        shutil.rmtree(source)
    source.mkdir(parents=True)
    for seed in sorted(SEEDS.glob("*.txt")):
        shutil.copyfile(seed, source / seed.name)
    for i in range(pages):
        (source / f"pathologique-{i}.txt").write_text(f"Page pathologique {i}\n{PAGE_TEXT}", encoding="utf-8")
    return source


def measure(source: Path, index_dir: Path, persons: bool, procs: int) -> dict:
    """Return peak RSS, wall time, exit status and the summary warnings of one full reindex."""
    if index_dir.exists():
        shutil.rmtree(index_dir)
    cmd = [sys.executable, "-m", "search.cli", "reindex", "--source", str(source), "--index",
           str(index_dir), "--full", "--procs", str(procs), "--persons" if persons else "--no-persons"]
    done = subprocess.run([sys.executable, "-c", _WRAPPER, *cmd], cwd=ROOT, capture_output=True,
                          text=True, check=True)
    run = json.loads(done.stdout)
    lines = run["stdout"].splitlines()
    return {"max_rss_mb": round(run["max_rss_kb"] / 1024), "seconds": round(run["seconds"], 1),
            "rc": run["rc"], "timings": next((line.rsplit("(", 1)[-1].rstrip(")") for line in lines
                                              if "docs/s" in line), ""),
            "warnings": [line for line in lines if line.startswith("warning:")],
            "error": run["stderr"].strip().splitlines()[-1:] if run["rc"] else []}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workdir", type=Path, required=True, help="folder for the sources and indexes")
    parser.add_argument("--pages", type=int, nargs="+", default=[0, 1, 2],
                        help="pathological pages beside the seeds, one run per count")
    parser.add_argument("--procs", type=int, default=2, help="presse reindex --procs")
    parser.add_argument("--persons", choices=["on", "off", "both"], default="both")
    args = parser.parse_args(argv)
    modes = {"on": [True], "off": [False], "both": [False, True]}[args.persons]
    print(f"{'pages':>5} {'persons':>7} {'peak RSS':>9} {'wall':>7}  rc  phases")
    for pages in args.pages:
        source = make_source(args.workdir, pages)
        for persons in modes:
            r = measure(source, args.workdir / f"index-{pages}-{'on' if persons else 'off'}", persons,
                        args.procs)
            print(f"{pages:>5} {'on' if persons else 'off':>7} {r['max_rss_mb']:>6} MB {r['seconds']:>5} s"
                  f"  {r['rc']:>2}  {r['timings']}", flush=True)
            for line in r["warnings"] + r["error"]:
                print(f"{'':>14}{line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
