"""Memory benchmark (not a test): RSS, PSS and private memory of each gunicorn worker on one index.

Usage:
    python bench/bench_memory.py --index DIR [--workers 3] [--searches 12] [--modes today,mapped,shared]

For each mode, side by side in one run, gunicorn (gunicorn.conf.py, wsgi.py) is started on the
index with ``--workers`` sync workers; searches of every kind (words, phrase, prefix, facets,
a misspelling) are sent from as many clients as workers until each worker has answered
``--searches`` of them (the access log names the worker), then ``/proc/PID/smaps_rollup`` of every
worker is read. Private memory (Private_Clean + Private_Dirty) is what each extra worker costs;
PSS shares the pages mapped by several processes among them.

Modes: ``today`` = Whoosh's own segment files (each sub-file copied into the process) and arrays
built in each worker (``PRESSE_MAPPED_SEGMENTS=0 PRESSE_SHARED_ARRAYS=0``); ``mapped`` = segment
files read from the shared map, arrays built in each worker; ``shared`` = both shared (the
default configuration; the arrays are used only when the generation has them, see
search/query/arrays.py).
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import Counter
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_load import free_port, wait_healthy  # noqa: E402

MODES = {
    "today": {"PRESSE_MAPPED_SEGMENTS": "0", "PRESSE_SHARED_ARRAYS": "0"},
    "mapped": {"PRESSE_MAPPED_SEGMENTS": "1", "PRESSE_SHARED_ARRAYS": "0"},
    "shared": {"PRESSE_MAPPED_SEGMENTS": "1", "PRESSE_SHARED_ARRAYS": "1"},
}
SEARCHES = [
    {"q": "mali"}, {"q": "coopération militaire"}, {"q": '"forces armées"'}, {"q": "terror*"},
    {"q": "sécurité", "year": "2020"}, {"q": "", "sort": "newest"}, {"q": "président", "outlet": "Malijet"},
    {"q": "cooperasion militere"}, {"q": "élection", "page": "2"}, {"q": "santé", "scope": "comments"},
    {"q": "niger OR burkina"}, {"q": "économie -france"},
]
FIELDS = ("Rss", "Pss", "Private_Clean", "Private_Dirty", "Shared_Clean", "Anonymous")


def rollup(pid: int) -> dict[str, int]:
    """Return the smaps_rollup fields of a process in MB."""
    out = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        parts = line.split()
        if len(parts) >= 3 and parts[-1] == "kB":
            out[parts[0].rstrip(":")] = int(parts[1]) / 1024
    return out


def children(pid: int) -> list[int]:
    """Return the child process ids of ``pid``."""
    kids = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        kids += [int(k) for k in text]
    return kids


def warm(base: str, log: Path, workers: int, per_worker: int, limit: int = 2000) -> Counter:
    """Send searches from ``workers`` clients until every worker has answered ``per_worker``; return counts by pid."""
    stop = threading.Event()
    sent = [0]
    lock = threading.Lock()

    def client(k: int):
        i = k
        while not stop.is_set():
            with lock:
                if sent[0] >= limit:
                    return
                sent[0] += 1
            params = SEARCHES[i % len(SEARCHES)]
            i += workers
            try:
                with urllib.request.urlopen(f"{base}/api/search?{urlencode(params)}", timeout=60) as resp:
                    resp.read()
            except OSError:
                pass

    threads = [threading.Thread(target=client, args=(k,)) for k in range(workers)]
    for t in threads:
        t.start()
    counts: Counter = Counter()
    try:
        while any(t.is_alive() for t in threads):
            time.sleep(0.5)
            counts = Counter(re.findall(r"/api/search\S* HTTP/1\.[01]\" 200 .*pid=<?(\d+)", log.read_text()))
            if len(counts) >= workers and min(counts.values()) >= per_worker:
                break
    finally:
        stop.set()
        for t in threads:
            t.join()
    return Counter(re.findall(r"/api/search\S* HTTP/1\.[01]\" 200 .*pid=<?(\d+)", log.read_text()))


def measure(index: Path, mode: str, workers: int, per_worker: int, tmp: Path) -> list[dict]:
    """Start gunicorn in ``mode``, warm every worker, return one row per worker."""
    port = free_port()
    log = tmp / f"access-{mode}.log"
    env = {**os.environ, **MODES[mode], "PRESSE_INDEX_DIR": str(index.resolve()), "PRESSE_BIND": f"127.0.0.1:{port}",
           "PRESSE_WORKERS": str(workers), "PRESSE_THREADS": "1", "PRESSE_ACCESSLOG": str(log)}
    gunicorn = Path(sys.executable).with_name("gunicorn")
    t0 = time.monotonic()
    server = subprocess.Popen([str(gunicorn), "-c", str(ROOT / "gunicorn.conf.py"), "wsgi:app"],
                              cwd=ROOT, env=env, stderr=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
    try:
        wait_healthy(f"http://127.0.0.1:{port}/healthz", timeout=300)
        ready = time.monotonic() - t0
        counts = warm(f"http://127.0.0.1:{port}", log, workers, per_worker)
        time.sleep(1)
        rows = []
        for pid in sorted(children(server.pid)):
            r = rollup(pid)
            rows.append({"mode": mode, "pid": pid, "searches": counts.get(str(pid), 0), "ready_s": ready,
                         "private": r.get("Private_Clean", 0) + r.get("Private_Dirty", 0), **r})
        return rows
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, required=True, help="index folder (read only)")
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--searches", type=int, default=12, help="searches each worker answers before measuring")
    parser.add_argument("--modes", default="today,mapped,shared", help=f"comma-separated, among {', '.join(MODES)}")
    args = parser.parse_args(argv)
    modes = [m for m in args.modes.split(",") if m]
    if unknown := [m for m in modes if m not in MODES]:
        print(f"unknown mode(s): {', '.join(unknown)}", file=sys.stderr)
        return 2
    from search.index import folder as store

    live = store.live_path(args.index)
    if live is None:
        print(f"no index in {args.index}", file=sys.stderr)
        return 2
    has_arrays = (live / "arrays.json").is_file()  # search.query.arrays.POINTER
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-memory-") as tmp:
        for mode in modes:
            rows += measure(args.index, mode, args.workers, args.searches, Path(tmp))
    print(f"\nindex: {live.name} (shared arrays file: {'yes' if has_arrays else 'no'}), "
          f"{args.workers} sync workers, {args.searches}+ searches each; MB\n")
    print("| mode | worker | searches | RSS | PSS | private | shared clean | anonymous |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['mode']} | {r['pid']} | {r['searches']} | {r['Rss']:.0f} | {r['Pss']:.0f} | {r['private']:.0f} | "
              f"{r['Shared_Clean']:.0f} | {r['Anonymous']:.0f} |")
    print("\n| mode | workers up in s | mean RSS | mean PSS | mean private | total PSS |")
    print("|---|---:|---:|---:|---:|---:|")
    for mode in modes:
        mine = [r for r in rows if r["mode"] == mode]
        print(f"| {mode} | {mine[0]['ready_s']:.1f} | {statistics.mean(r['Rss'] for r in mine):.0f} | "
              f"{statistics.mean(r['Pss'] for r in mine):.0f} | {statistics.mean(r['private'] for r in mine):.0f} | "
              f"{sum(r['Pss'] for r in mine):.0f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
