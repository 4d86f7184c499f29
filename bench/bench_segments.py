"""Benchmark (not a test): index size, segments, deleted documents and query latency over many
incremental reindexes, with the project's merge policy or Whoosh's default one.

Usage:
    python bench/bench_segments.py --workdir DIR [--corpus PATH/articles.jsonl.gz] [--limit 3000]
        [--runs 16] [--change 0.05] [--policy both|presse|whoosh] [--repeat 3]

The first ``--limit`` records of ``--corpus`` (without it: the seeds, duplicated with changes
up to ``--limit`` articles) are written as JSONL files of 100 records into a source folder and
indexed once (``indexer.reindex``, persons off).  Each of the ``--runs`` runs then rewrites
``--change`` of the articles, chosen at random with a fixed seed (a sentence appended to the
body), and runs an incremental reindex.  After each run one JSON line gives the size of the
live generation, its segment count, its deleted documents, the time to open a fresh searcher
(first query) and the median latency of warm queries through ``SearchService.search``.
``--policy whoosh`` commits with Whoosh's MERGE_SMALL (the behaviour before the merge policy).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("PRESSE_RESULT_CACHE", "0")  # measure searches, not the result cache
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_query import QUERIES  # noqa: E402
from search.index import folder as store  # noqa: E402
from search.extract import files as extract
from search.index import reindex as indexer  # noqa: E402
from search.index import writer as writing_step  # noqa: E402
from search.query.service import SearchService  # noqa: E402
from search.query.request import SearchRequest

ROOT = Path(__file__).resolve().parent.parent
PER_FILE = 100


def load_articles(corpus: Path | None, limit: int) -> list[dict]:
    """Return ``limit`` article records from the corpus, or made from the seeds."""
    if corpus is not None:
        out = []
        opener = gzip.open if corpus.suffix == ".gz" else open
        with opener(corpus, "rt", encoding="utf-8") as fh:
            for line in fh:
                rec = json.loads(line)
                out.append({k: rec.get(k) for k in ("id", "outlet", "url", "title", "date", "author", "body")})
                if len(out) >= limit:
                    break
        return out
    seeds = [a for p in sorted((ROOT / "seeds").glob("*.txt")) for a in extract.load_file(p)]
    rng = random.Random(7)
    out = []
    for n in range(limit):  # each copy: the paragraphs of a seed shuffled, and a numbered sentence
        seed = seeds[n % len(seeds)]
        paras = seed["body"].split("\n\n")
        rng.shuffle(paras)
        out.append({"id": f"seed-{n}", "title": f"{seed['title']} ({n})", "outlet": seed.get("outlet"),
                    "date": seed.get("date"), "body": "\n\n".join(paras) + f"\n\nDépêche numéro {n}."})
    return out


def write_source(source: Path, articles: list[dict], files: set[int] | None = None) -> None:
    """Write the articles as JSONL files of PER_FILE records (only the files in ``files`` when given)."""
    source.mkdir(parents=True, exist_ok=True)
    for f in range(0, len(articles), PER_FILE):
        if files is not None and f // PER_FILE not in files:
            continue
        tmp = source / f".lot{f // PER_FILE:04d}.tmp"
        with open(tmp, "w", encoding="utf-8") as fh:
            for art in articles[f:f + PER_FILE]:
                fh.write(json.dumps(art, ensure_ascii=False) + "\n")
        tmp.replace(source / f"lot{f // PER_FILE:04d}.jsonl")


def measure(index_dir: Path, repeat: int) -> dict:
    """Return the live generation's size, segments, deleted documents and query latencies."""
    from whoosh import index as windex

    live = store.live_path(index_dir)
    ix = windex.open_dir(str(live))
    try:
        segments = ix._segments()
        deleted = sum(s.deleted_count() for s in segments)
        docs = ix.doc_count()
    finally:
        ix.close()
    size = sum(p.stat().st_size for p in live.iterdir() if p.is_file())
    svc = SearchService(index_dir, check_interval=3600)
    try:
        t0 = time.perf_counter()
        svc.search(SearchRequest.from_params({"q": ""}))
        open_ms = (time.perf_counter() - t0) * 1000
        queries = [q for kind in ("single-term", "two-term", "phrase", "prefix") for q in QUERIES[kind]]
        times = []
        for q in queries:
            req = SearchRequest.from_params({"q": q})
            svc.search(req)  # warm, as a running server would be
            for _ in range(repeat):
                t0 = time.perf_counter()
                svc.search(SearchRequest.from_params({"q": q}))
                times.append((time.perf_counter() - t0) * 1000)
    finally:
        svc.handle.close()
    return {"size_mb": round(size / 1e6, 1), "segments": len(segments), "docs": docs, "deleted": deleted,
            "open_ms": round(open_ms), "query_median_ms": round(statistics.median(times), 2),
            "query_mean_ms": round(statistics.fmean(times), 2)}


def run_policy(policy: str, articles: list[dict], workdir: Path, runs: int, change: float, repeat: int) -> list[dict]:
    """Index, then run ``runs`` incremental reindexes changing ``change`` of the articles each."""
    from whoosh import writing

    if policy == "whoosh":
        writing_step.merge_policy = writing.MERGE_SMALL
    articles = [dict(a) for a in articles]
    source, index_dir = workdir / f"src-{policy}", workdir / f"index-{policy}"
    write_source(source, articles)
    t0 = time.monotonic()
    indexer.reindex(source, index_dir, persons=False, procs=1)
    rows = [{"policy": policy, "run": 0, "reindex_s": round(time.monotonic() - t0, 1), **measure(index_dir, repeat)}]
    print(json.dumps(rows[-1]), flush=True)
    rng = random.Random(11)  # the same changes for both policies
    for run in range(1, runs + 1):
        picked = rng.sample(range(len(articles)), max(1, int(len(articles) * change)))
        for n in picked:
            articles[n]["body"] = (articles[n].get("body") or "") + f"\n\nMise à jour {run} : précisions."
        write_source(source, articles, {n // PER_FILE for n in picked})
        t0 = time.monotonic()
        report = indexer.reindex(source, index_dir, persons=False, procs=1)
        rows.append({"policy": policy, "run": run, "updated": report.updated,
                     "reindex_s": round(time.monotonic() - t0, 1), **measure(index_dir, repeat)})
        print(json.dumps(rows[-1]), flush=True)
    return rows


def main(argv=None) -> int:
    """Run the benchmark for one or both policies and print one JSON line per run."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--workdir", type=Path, required=True, help="folder for the sources and indexes")
    ap.add_argument("--corpus", type=Path, default=None, help="articles.jsonl(.gz); default: the seeds")
    ap.add_argument("--limit", type=int, default=3000, help="articles to index")
    ap.add_argument("--runs", type=int, default=16, help="incremental runs")
    ap.add_argument("--change", type=float, default=0.05, help="share of the articles changed per run")
    ap.add_argument("--policy", choices=["both", "presse", "whoosh"], default="both")
    ap.add_argument("--repeat", type=int, default=3, help="timed runs of each query")
    args = ap.parse_args(argv)
    if args.corpus is not None and not args.corpus.is_file():
        print(f"corpus not found: {args.corpus}", file=sys.stderr)
        return 1
    args.workdir.mkdir(parents=True, exist_ok=True)
    articles = load_articles(args.corpus, args.limit)
    policies = ["whoosh", "presse"] if args.policy == "both" else [args.policy]
    summary = []
    for policy in policies:
        tmp = Path(tempfile.mkdtemp(prefix=f"presse-bench-segments-{policy}-", dir=args.workdir))
        real = writing_step.merge_policy
        try:
            rows = run_policy(policy, articles, tmp, args.runs, args.change, args.repeat)
        finally:
            writing_step.merge_policy = real
            shutil.rmtree(tmp, ignore_errors=True)
        last = rows[-1]
        summary.append({"policy": policy, "runs": args.runs, "first_size_mb": rows[0]["size_mb"],
                        "last_size_mb": last["size_mb"], "max_segments": max(r["segments"] for r in rows),
                        "last_segments": last["segments"], "last_deleted": last["deleted"],
                        "first_query_median_ms": rows[0]["query_median_ms"],
                        "last_query_median_ms": last["query_median_ms"],
                        "median_reindex_s": statistics.median(r["reindex_s"] for r in rows[1:]) if rows[1:] else None})
    for row in summary:
        print(json.dumps({"summary": row}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
