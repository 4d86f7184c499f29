"""Load benchmark: gunicorn on 127.0.0.1 driven by wrk with a realistic request mix.

Mix: 70% searches with facets, 20% article pages, 10% JSON API. Runs each client count for
a fixed duration, then the same again while a full reindex runs, and prints throughput,
p50/p95/p99 latency and errors as a Markdown table, with whether the index was built with
persons (read from its state file: persons make the person facet and person filters real work).

    python bench/bench_load.py --corpus PATH/articles.jsonl.gz --workdir var/bench-load
    python bench/bench_load.py --index DIR --workdir var/bench-load --no-reindex-phase

Needs `wrk` (Debian package `wrk`). The index is built once in WORKDIR and reused; ``--index``
serves an existing index instead (a scale index from ``bench/gen_scale.py``), without the
reindex phase, which needs the source.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import prepare_source  # noqa: E402

QUERIES = [
    "mali", "Mali Russie", "coopération militaire", "securite", "Barkhane", "coup d'état",
    "élections", "terrorisme", "Macron", '"forces armées"', "coop*", "santé", "covid",
    "Bamako", "jihadistes", "Niger OR Burkina", "armée -France", "Goita", "économie",
    "manifestation", "Wagner", "diplomatie", "pétrole", "Sahel", "transition politique",
]


def free_port() -> int:
    """Return a free TCP port on the loopback interface."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def build_mix(index_dir: Path, size: int, seed: int) -> list[str]:
    """Return request paths in the 70/20/10 search/article/API proportions."""
    from search.query.service import SearchService
    from search.query.request import SearchRequest

    rng = random.Random(seed)
    svc = SearchService(index_dir)
    everything = svc.search(SearchRequest.from_params({"q": "", "limit": "100", "facet_limit": "30"})).to_dict()
    facets = everything["facets"]
    ids = [h["id"] for h in everything["hits"]]
    total_pages = max(1, everything["total"] // 100)
    for _ in range(10):
        page = rng.randint(1, total_pages)
        res = svc.search(SearchRequest.from_params({"q": "", "limit": "100", "page": str(page)})).to_dict()
        ids.extend(h["id"] for h in res["hits"])
    values = {k: [v["value"] for v in facets.get(k, []) if v["value"]] for k in ("outlet", "year", "person")}
    paths = []
    for _ in range(size):
        r = rng.random()
        q = rng.choice(QUERIES)
        if r < 0.70:
            params = [("q", q)]
            for facet in ("outlet", "year", "person"):
                if values[facet] and rng.random() < 0.5:
                    params.append((facet, rng.choice(values[facet])))
            if rng.random() < 0.2:
                params.append(("sort", "newest"))
            if rng.random() < 0.2:
                params.append(("page", str(rng.randint(2, 5))))
            paths.append("/search?" + urlencode(params))
        elif r < 0.90:
            paths.append(f"/article/{urllib.request.quote(rng.choice(ids))}?" + urlencode({"q": q}))
        else:
            paths.append("/api/search?" + urlencode({"q": q, "limit": "20"}))
    return paths


def persons_state(index_dir: Path) -> str:
    """Say whether the index was built with persons (its state file), and how many it names."""
    from search.index import folder as store
    from search.index import reindex as indexer
    from search.query.request import SearchRequest
    from search.query.service import SearchService

    live = store.live_path(index_dir)
    state = indexer.load_state(live) if live else None
    flag = (state or {}).get("meta", {}).get("persons")
    totals = SearchService(index_dir).search(SearchRequest.from_params({"q": "", "limit": "1"})).facet_totals
    word = "unknown" if flag is None else ("on" if flag else "off")
    return f"{word} ({totals.get('person', 0)} persons in the index)"


def wait_healthy(url: str, timeout: float = 60) -> None:
    """Wait until ``url`` answers 200."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"server did not become healthy: {url}")


def health(base: str) -> str | None:
    """Return the index generation ``/healthz`` reports, or None."""
    try:
        with urllib.request.urlopen(base + "/healthz", timeout=5) as resp:
            return json.load(resp).get("index")
    except (OSError, ValueError):
        return None


def run_wrk(base: str, mix_file: Path, clients: int, duration: int) -> dict:
    """Run wrk and return its RESULT numbers."""
    cmd = ["wrk", "-t", "2", "-c", str(clients), "-d", f"{duration}s", "--timeout", "10s",
           "-s", str(ROOT / "bench" / "wrk_mix.lua"), base]
    out = subprocess.run(cmd, env={**os.environ, "MIX_FILE": str(mix_file)}, capture_output=True,
                         text=True, check=True).stdout
    line = next(l for l in out.splitlines() if l.startswith("RESULT "))
    nums = {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", line)}
    nums["errors"] = sum(nums[k] for k in ("connect_err", "read_err", "write_err", "timeout_err", "err5xx"))
    nums["rps"] = nums["requests"] / (nums["duration_us"] / 1e6)
    return nums


def main(argv=None) -> int:
    """Run the benchmark and print the table."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", type=Path, help="articles.jsonl.gz (to build the index)")
    ap.add_argument("--index", type=Path, help="serve this existing index folder instead")
    ap.add_argument("--workdir", type=Path, default=Path("var/bench-load"))
    ap.add_argument("--limit", type=int, default=None, help="only the first N corpus records")
    ap.add_argument("--clients", default="20,50")
    ap.add_argument("--duration", type=int, default=60)
    ap.add_argument("--workers", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--persons", action="store_true", help="extract persons when building the index")
    ap.add_argument("--no-reindex-phase", action="store_true")
    args = ap.parse_args(argv)
    if not shutil.which("wrk"):
        print("wrk not found: apt-get install -y wrk", file=sys.stderr)
        return 2
    from search.index import reindex as indexer
    from search.index import folder as store

    args.workdir.mkdir(parents=True, exist_ok=True)
    if args.index is not None:
        if store.live_path(args.index) is None:
            print(f"no index in {args.index}", file=sys.stderr)
            return 2
        index_dir, source, args.no_reindex_phase = args.index, None, True
    elif args.corpus is None or not args.corpus.exists():
        print(f"corpus not found: {args.corpus}", file=sys.stderr)
        return 2
    else:
        source = prepare_source(args.corpus, args.workdir, args.limit)
        index_dir = args.workdir / "index"
    if store.live_path(index_dir) is None:
        t0 = time.monotonic()
        report = indexer.reindex(source, index_dir, full=True, persons=args.persons)
        print(f"built index in {time.monotonic() - t0:.0f}s: {report.summary().splitlines()[0]}", file=sys.stderr)
    persons_on = persons_state(index_dir)
    mix = build_mix(index_dir, 5000, seed=42)
    mix_file = args.workdir / "mix.txt"
    mix_file.write_text("\n".join(mix) + "\n", encoding="utf-8")

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "PRESSE_INDEX_DIR": str(index_dir.resolve()), "PRESSE_BIND": f"127.0.0.1:{port}",
           "PRESSE_WORKERS": str(args.workers), "PRESSE_THREADS": str(args.threads)}
    gunicorn = Path(sys.executable).with_name("gunicorn")
    server = subprocess.Popen([str(gunicorn), "-c", str(ROOT / "gunicorn.conf.py"), "wsgi:app"],
                              cwd=ROOT, env=env, stderr=subprocess.DEVNULL)
    rows = []
    reindex_info = None
    try:
        wait_healthy(base + "/healthz")
        run_wrk(base, mix_file, 4, 5)  # warm caches in every worker
        clients = [int(c) for c in args.clients.split(",")]
        for n in clients:
            rows.append(("idle", n, run_wrk(base, mix_file, n, args.duration)))
        if not args.no_reindex_phase:
            # one full reindex (a new generation, then the atomic swap) runs under every load level
            before = health(base)
            cmd = [str(Path(sys.executable).with_name("presse")), "reindex", "--full", "--wait",
                   "--source", str(source), "--index", str(index_dir),
                   "--persons" if args.persons else "--no-persons"]
            t0 = time.monotonic()
            reidx = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(2)
            for n in clients:
                res = run_wrk(base, mix_file, n, args.duration)
                res["reindex_still_running"] = reidx.poll() is None
                rows.append(("during full reindex", n, res))
            reidx.wait()
            reindex_info = {"exit": reidx.returncode, "seconds": round(time.monotonic() - t0),
                            "before": before, "after": None}
            time.sleep(1.5)  # workers check the CURRENT pointer at most every 0.5 s
            reindex_info["after"] = [health(base) for _ in range(4)]
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    what = (f"index {index_dir.name}" if args.corpus is None
            else f"{args.corpus.name} ({'all' if args.limit is None else args.limit} records)")
    print(f"\ncorpus: {what}, "
          f"persons {persons_on}, gunicorn {args.workers} workers x {args.threads} threads, "
          f"wrk {args.duration}s per row\n")
    print("| phase | clients | req/s | p50 ms | p95 ms | p99 ms | errors (5xx) |")
    print("|---|---|---|---|---|---|---|")
    for phase, n, r in rows:
        extra = ""
        if "reindex_still_running" in r and not r["reindex_still_running"]:
            extra = " (reindex ended before the run)"
        print(f"| {phase}{extra} | {n} | {r['rps']:.1f} | {r['p50_us'] / 1000:.0f} | {r['p95_us'] / 1000:.0f} | "
              f"{r['p99_us'] / 1000:.0f} | {r['errors']} ({r['err5xx']}) |")
    if reindex_info is not None:
        print(f"\nfull reindex under load: exit {reindex_info['exit']} in {reindex_info['seconds']} s; "
              f"index before: {reindex_info['before']}; after (4 requests): {reindex_info['after']}")
    out = args.workdir / "bench_load.json"
    out.write_text(json.dumps({"rows": [{"phase": p, "clients": n, **r} for p, n, r in rows],
                               "reindex": reindex_info, "persons": persons_on}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
