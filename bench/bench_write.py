"""Benchmark (not a test): the write phase of a full reindex, today's code against the last commit's.

Usage:
    python bench/bench_write.py --corpus PATH/articles.jsonl.gz [--limit 5000] [--runs 3]
        [--base HEAD] [--procs 2] [--pool-mb MB] [--profile] [--workdir DIR]

The first ``--limit`` records of the corpus are copied into one JSONL source folder; the code
of ``--base`` is taken from git (``git archive``, the work tree is not touched) into the work
folder.  Each run is one fresh process doing ``reindex(full=True, persons=False, procs=P)``
(``--procs``, the reindex default of 2 unless given: the writer may hand the text analysis to
``P - 1`` worker processes), alternately with the base code and with the work tree's, on the
same source; it reports the ``write`` phase of the summary (documents added, commit, vocabulary,
state), its wall time, the CPU time of the writer and of its workers, the peak RSS and the index
size, and the commit alone (the fusion of the pool's sorted runs into posting blocks: its wall
and CPU time).  ``--pool-mb`` sets the writer's posting pool for both codes (256 MB by default,
as a reindex): with a small pool a few thousand articles spill as many sorted runs as a large
corpus does (500,000 articles make 243), so that the fusion's cost at scale can be measured side
by side.  The medians of ``--runs`` runs and their ratios are printed last.  The writer's CPU time
is the fair figure of one process's work on a shared machine; the wall time is what a user
waits, and it needs the spare core free.  ``--profile`` prints the top functions of one
cProfile'd run of today's code in one process.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import prepare_source  # noqa: E402

#: What one run does, in a fresh interpreter whose ``search`` package is the one under test.
RUN = r"""
import cProfile, json, pstats, resource, sys, time
from search.index import reindex as indexer
from search.index import folder
try:
    from search.index import writer as writer_module
except ImportError:  # code from before the writer had a module: no pool setting, no commit timing
    writer_module = None

source, index_dir, profile, procs = sys.argv[1], sys.argv[2], sys.argv[3] == "1", int(sys.argv[4])
pool_mb = int(sys.argv[5])
phase = {}
real_write = indexer._write


def open_writer(ix, progress=None, limitmb=256):
    return real_open(ix, progress, limitmb=pool_mb)


def timed_commit(self, *args, **kwargs):
    phase["runs"] = len(self.pool.runs)
    cpu0, t0 = time.process_time(), time.monotonic()
    try:
        return real_commit(self, *args, **kwargs)
    finally:
        phase["commit_cpu"] = time.process_time() - cpu0
        phase["commit_s"] = time.monotonic() - t0


if writer_module is not None and hasattr(writer_module, "PresseWriter"):
    real_open, real_commit = writer_module.open_writer, writer_module.PresseWriter.commit
    writer_module.open_writer = open_writer
    writer_module.PresseWriter.commit = timed_commit
elif pool_mb != 256:
    sys.exit("this code has no posting pool setting: run it without --pool-mb")


def timed_write(run):
    kids0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu0, t0 = time.process_time(), time.monotonic()
    prof = cProfile.Profile() if profile else None
    if prof:
        prof.enable()
    try:
        return real_write(run)
    finally:
        if prof:
            prof.disable()
            pstats.Stats(prof, stream=sys.stderr).sort_stats("tottime").print_stats(25)
        kids = resource.getrusage(resource.RUSAGE_CHILDREN)
        phase["write_cpu"] = time.process_time() - cpu0  # this process (the writer)
        phase["workers_cpu"] = (kids.ru_utime + kids.ru_stime) - (kids0.ru_utime + kids0.ru_stime)
        phase["write_s"] = time.monotonic() - t0


indexer._write = timed_write
report = indexer.reindex(source, index_dir, full=True, persons=False, procs=procs)
live = folder.live_path(index_dir)
size = sum(p.stat().st_size for p in live.rglob("*") if p.is_file())
print(json.dumps(dict(phase, docs=report.total_docs, total_s=report.seconds,
                      rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                      index_mb=size / 1e6)))
"""


def base_tree(rev: str, workdir: Path) -> Path:
    """Return a folder holding the ``search`` package of git revision ``rev`` (read with git archive)."""
    target = workdir / f"base-{rev.replace('/', '_')}"
    if not (target / "search").is_dir():
        target.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev, "search"],
                                 check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    return target


def one_run(code_root: Path, source: Path, index_dir: Path, profile: bool = False, procs: int = 2,
            pool_mb: int = 256) -> dict:
    """Return the measures of one reindex in a fresh process importing ``search`` from ``code_root``."""
    env = dict(os.environ, PYTHONPATH=str(code_root))
    done = subprocess.run([sys.executable, "-c", RUN, str(source), str(index_dir), "1" if profile else "0", str(procs),
                           str(pool_mb)],
                          env=env, capture_output=True, text=True, cwd=str(code_root))
    if done.returncode != 0:
        raise SystemExit(f"run failed ({code_root}):\n{done.stderr[-3000:]}")
    if profile:
        print(done.stderr, file=sys.stderr)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    """Run the side-by-side benchmark and print one JSON line per run, then the medians and ratios."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", type=Path, required=True, help="articles.jsonl.gz (or .jsonl)")
    ap.add_argument("--limit", type=int, default=5000, help="records to index")
    ap.add_argument("--runs", type=int, default=3, help="runs of each code (medians)")
    ap.add_argument("--base", default="HEAD", help="git revision to compare with")
    ap.add_argument("--profile", action="store_true", help="also profile one run of today's code")
    ap.add_argument("--workdir", type=Path, default=None)
    ap.add_argument("--procs", type=int, default=2, help="reindex --procs for both codes (analysis workers = procs - 1)")
    ap.add_argument("--pool-mb", type=int, default=256, help="the writer's posting pool (small: many sorted runs)")
    args = ap.parse_args(argv)
    if not args.corpus.is_file():
        print(f"corpus not found: {args.corpus}", file=sys.stderr)
        return 1
    if args.workdir is not None:
        args.workdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="presse-bench-write-", dir=args.workdir) as tmp:
        workdir = Path(tmp)
        source = prepare_source(args.corpus, workdir, args.limit)
        codes = {"base": base_tree(args.base, workdir), "today": ROOT}
        if args.profile:
            one_run(ROOT, source, workdir / "profile", profile=True, procs=1, pool_mb=args.pool_mb)
        rows: dict[str, list[dict]] = {name: [] for name in codes}
        for n in range(args.runs):
            for name, root in codes.items():  # alternated: a slow spell of the machine hits both
                row = one_run(root, source, workdir / f"ix-{name}-{n}", procs=args.procs, pool_mb=args.pool_mb)
                rows[name].append(row)
                print(json.dumps({"code": name, "run": n + 1, **{k: round(v, 2) for k, v in row.items()}}),
                      flush=True)
        med = {name: {k: statistics.median(r[k] for r in runs) for k in runs[0]} for name, runs in rows.items()}
        for name in codes:
            print(json.dumps({"code": name, "median": {k: round(v, 2) for k, v in med[name].items()}}))
        print(json.dumps({
            "docs": med["today"]["docs"], "runs": args.runs, "base": args.base,
            "write_cpu_ratio": round(med["base"]["write_cpu"] / med["today"]["write_cpu"], 2),
            "write_wall_ratio": round(med["base"]["write_s"] / med["today"]["write_s"], 2),
            **({"commit_cpu_ratio": round(med["base"]["commit_cpu"] / med["today"]["commit_cpu"], 2),
                "commit_wall_ratio": round(med["base"]["commit_s"] / med["today"]["commit_s"], 2)}
               if "commit_s" in med["base"] else {}),
            "index_size_ratio": round(med["today"]["index_mb"] / med["base"]["index_mb"], 3)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
