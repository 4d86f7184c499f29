"""Benchmark (not a test): the memory of a whole ``presse reindex``, its worker processes included, step by step.

Usage:
    python bench/bench_reindex_memory.py --source DIR --index IX [--interval 0.5] -- [reindex options]

e.g. ``-- --full --persons --procs 2``. It runs ``presse reindex --source DIR --index IX`` with
those options, reads its progress lines to know the step, and samples the process tree (the
indexer and every process it started: NER workers, analysis workers) from
``/proc/PID/smaps_rollup`` every ``--interval`` seconds. It prints, per step and for the run:
its seconds, the indexer's peak RSS, the peak of the tree's summed RSS (which counts the pages
forked workers share with the indexer once per process), the peak of the tree's summed PSS
(each shared page divided among the processes that share it: the memory the run takes from the
machine), and the peak of the tree's anonymous memory (RSS without the file pages, which the
kernel can drop).
Linux only. Sampling misses peaks shorter than the interval.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_memory import children, rollup  # noqa: E402

_STEP = re.compile(r"presse reindex: (\S+(?: \S+)*?)\s{2,}")


def _rollup(pid: int) -> dict[str, float]:
    """Return ``bench_memory.rollup`` of a process, {} once it is gone (workers come and go)."""
    try:
        return rollup(pid)
    except OSError:
        return {}


def descendants(pid: int) -> list[int]:
    """Return the processes started by ``pid``, at any depth (those still there)."""
    try:
        kids = children(pid)
    except OSError:
        return []
    return kids + [g for k in kids for g in descendants(k)]


def sample(pid: int) -> dict[str, float]:
    """Return one sample of the tree of ``pid`` in MB: indexer RSS, tree RSS, PSS and anonymous sums."""
    main = _rollup(pid)
    tree = [main] + [_rollup(k) for k in descendants(pid)]
    total = {f: sum(p.get(f, 0) for p in tree) for f in ("Rss", "Pss", "Anonymous")}
    return {"indexer_rss": main.get("Rss", 0), "tree_rss": total["Rss"], "tree_pss": total["Pss"],
            "tree_anon": total["Anonymous"], "processes": len(tree)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--source", required=True, type=Path)
    ap.add_argument("--index", required=True, type=Path)
    ap.add_argument("--interval", type=float, default=0.5)
    ap.add_argument("--log", type=Path, help="also write the reindex's own output here")
    ap.add_argument("options", nargs=argparse.REMAINDER, help="after --: options of presse reindex")
    args = ap.parse_args(argv)
    options = [o for o in args.options if o != "--"]
    presse = shutil.which("presse") or str(Path(sys.executable).with_name("presse"))
    cmd = [presse, "reindex", "--source", str(args.source), "--index", str(args.index), *options]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1)
    step = ["start"]
    lines: list[str] = []

    def read_output():
        log = open(args.log, "w", encoding="utf-8") if args.log else None
        for line in proc.stdout:
            lines.append(line)
            if log:
                log.write(line)
                log.flush()
            m = _STEP.search(line)
            if m:
                step[0] = m.group(1)
        if log:
            log.close()

    reader = threading.Thread(target=read_output, daemon=True)
    reader.start()
    peaks: dict[str, dict[str, float]] = {}
    order: list[str] = []
    t0 = time.monotonic()
    while proc.poll() is None:
        row = sample(proc.pid)
        if row["indexer_rss"]:
            for key in (step[0], "run"):
                if key not in peaks:
                    peaks[key] = {"first": time.monotonic()}
                    order.append(key)
                peaks[key]["last"] = time.monotonic()
                for k, v in row.items():
                    peaks[key][k] = max(peaks[key].get(k, 0), v)
        time.sleep(args.interval)
    reader.join(timeout=10)
    wall = time.monotonic() - t0
    print("".join(lines[-6:]), end="")
    print(f"\n{' '.join(cmd[1:])}: exit {proc.returncode}, {wall:.0f} s")
    print(f"{'step':<24}{'seconds':>8}{'indexer RSS':>12}{'tree RSS':>10}{'tree PSS':>10}{'tree anon':>11}"
          f"{'procs':>7}  (peaks, MB)")
    steps = [k for k in order if k != "run"]
    for i, key in enumerate(steps + ["run"]):
        p = peaks[key]
        # a step lasts from its first sample to the next step's first (the run: its whole sampling)
        end = peaks[steps[i + 1]]["first"] if i + 1 < len(steps) else p["last"]
        print(f"{key:<24}{end - p['first']:>8.0f}{p['indexer_rss']:>12.0f}{p['tree_rss']:>10.0f}"
              f"{p['tree_pss']:>10.0f}{p['tree_anon']:>11.0f}{p['processes']:>7.0f}")
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main())
