"""Benchmark (not a test): query latency p50/p95 by query kind, through the full query layer.

Usage:
    python bench/bench_query.py --corpus PATH/articles.jsonl.gz [--limit N] [--index DIR]
        [--persons] [--repeat 5] [--workdir DIR]

Without ``--index`` the corpus (first ``--limit`` records) is indexed once into the work folder
with ``indexer.reindex(full=True, persons=False)`` (persons extraction is left out for speed
unless ``--persons``); with ``--index`` an existing index folder is reused. Every query goes
through ``SearchService.search`` exactly as the web app calls it: parsing, matching, disjunctive
counts of all five facets, 20 hits with snippets, suggestion check. ``--per-query`` also prints
each query's median. The table reports, per kind, percentiles over all runs of all its queries.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import percentile, prepare_source  # noqa: E402
from search import indexer  # noqa: E402
from search import suggest  # noqa: E402
from search.index import folder as store
from search.query.service import SearchService  # noqa: E402
from search.query.request import SearchRequest

QUERIES = {
    "single-term": ["mali", "sécurité", "coronavirus", "election", "président", "économie", "police",
                    "santé", "football", "terrorisme", "niger", "vaccin"],
    "two-term": ["coopération militaire", "forces armées", "réforme retraites", "attaque terroriste",
                 "president macron", "crise sanitaire", "mali barkhane", "élection présidentielle",
                 "prix pétrole", "match nul"],
    "phrase": ['"forces armées"', '"premier ministre"', '"état d\'urgence"', '"coupe du monde"',
               '"gilets jaunes"', '"président de la république"', '"union européenne"',
               '"opération barkhane"', '"covid-19"', '"coopération militaire"'],
    "prefix": ["coop*", "terror*", "élect*", "vaccin*", "manif*", "djihad*", "sécu*", "économ*"],
}
#: Faceted queries: a query plus three active facets (outlet, year, author), all facets counted.
FACETED = [
    ("", {"outlet": ["Orange Actu"], "year": ["2020"], "author": ["AFP"]}),
    ("mali", {"outlet": ["Orange Actu"], "year": ["2019", "2020"], "author": ["AFP"]}),
    ("sécurité", {"outlet": ["Orange Actu", "Malijet"], "year": ["2018"], "not_author": ["6Medias"]}),
    ("coronavirus", {"outlet": ["Orange Actu"], "year": ["2020"], "author": ["Orange avec AFP"]}),
    ("président", {"outlet": ["Orange Actu"], "not_year": ["2020"], "author": ["AFP", "Orange avec AFP"]}),
    ("élection", {"outlet": ["Orange Actu"], "year": ["2017"], "author": ["AFP"]}),
]


def timed(svc: SearchService, params: dict) -> tuple[float, int]:
    """Return (milliseconds, total hits) for one search."""
    req = SearchRequest.from_params(params)
    t0 = time.perf_counter()
    res = svc.search(req)
    return (time.perf_counter() - t0) * 1000, res.total


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, help="articles.jsonl(.gz) to index (ignored with --index)")
    parser.add_argument("--index", type=Path, help="reuse this index folder instead of building one")
    parser.add_argument("--limit", type=int, default=None, help="index only the first N records")
    parser.add_argument("--persons", action="store_true", help="run persons extraction while indexing (slow)")
    parser.add_argument("--repeat", type=int, default=5, help="runs of each query")
    parser.add_argument("--workdir", type=Path, default=None, help="where to build the index (default: a temp dir)")
    parser.add_argument("--per-query", action="store_true", help="print each query's median latency")
    args = parser.parse_args(argv)

    if args.index is None:
        if args.corpus is None or not args.corpus.exists():
            print("give --corpus PATH (articles.jsonl.gz) or --index DIR", file=sys.stderr)
            return 2
        workdir = args.workdir or Path(tempfile.mkdtemp(prefix="bench-query-"))
        source = prepare_source(args.corpus, workdir, args.limit)
        index_dir = workdir / f"index-{args.limit or 'all'}-{'persons' if args.persons else 'nopersons'}"
        t0 = time.monotonic()
        report = indexer.reindex(source, index_dir, full=True, persons=args.persons)
        print(f"indexed {report.total_docs} docs in {time.monotonic() - t0:.1f} s into {index_dir}")
    else:
        index_dir = args.index

    svc = SearchService(index_dir, check_interval=3600)
    t0 = time.perf_counter()
    first_ms, total_docs = timed(svc, {"q": ""})
    print(f"corpus: {total_docs} articles; first search (opens the index, reads facet columns): {first_ms:.0f} ms")
    live = store.live_path(index_dir)
    t0 = time.perf_counter()
    saved = suggest.load_vocabulary(live / suggest.VOCAB_FILE) if live else None
    if saved is not None:
        terms = sum(len(t) for t, _d in saved[0].values())
        print(f"spelling vocabulary: {terms} terms loaded from {suggest.VOCAB_FILE} in "
              f"{(time.perf_counter() - t0) * 1000:.0f} ms")
    else:
        print(f"spelling vocabulary: no {suggest.VOCAB_FILE} (index built before it existed): read in the background")
    t0 = time.perf_counter()
    _ms, _n = timed(svc, {"q": "cooperasion militere"})
    print(f"first misspelt query: {(time.perf_counter() - t0) * 1000:.0f} ms")

    rows = []
    kinds = list(QUERIES.items()) + [("faceted (3 facets)", FACETED)]
    for kind, queries in kinds:
        lat, hits = [], []
        for item in queries:
            params = {"q": item} if isinstance(item, str) else {"q": item[0], **item[1]}
            timed(svc, params)  # warm the per-word caches once, as a running server would be
            mine = []
            for _ in range(args.repeat):
                ms, total = timed(svc, params)
                mine.append(ms)
            lat.extend(mine)
            hits.append(total)
            if args.per_query:
                print(f"  {kind:18} {params['q'] or '(all)':32} {statistics.median(mine):7.1f} ms  {total} hits")
        rows.append((kind, len(queries), percentile(lat, 50), percentile(lat, 95), max(lat),
                     int(sum(hits) / len(hits))))

    print(f"\n| query kind | queries | p50 ms | p95 ms | max ms | mean hits |  ({total_docs} articles)")
    print("|---|---:|---:|---:|---:|---:|")
    for kind, n, p50, p95, mx, mean_hits in rows:
        print(f"| {kind} | {n} | {p50:.1f} | {p95:.1f} | {mx:.1f} | {mean_hits} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
