"""Benchmark (not a test): uncached query latency p50/p95 by query kind, through the full query layer.

Usage:
    python bench/bench_query.py --corpus PATH/articles.jsonl.gz [--limit N] [--index DIR]
        [--persons] [--repeat 5] [--workdir DIR] [--per-query]

Without ``--index`` the corpus (first ``--limit`` records) is indexed once into the work folder
with ``reindex(full=True, persons=False)`` (persons extraction is left out for speed unless
``--persons``); with ``--index`` an existing index folder is reused. Every query goes through
``SearchService.search`` exactly as the web app calls it: parsing, matching, disjunctive counts
of all five facets, 20 hits with snippets, suggestion check.

The per-kind rows are measured with the result cache off (``RESULT_CACHE_SIZE = 0``, what
``PRESSE_RESULT_CACHE=0`` does; it turns the match cache off too), after one warm-up run of each
query, so that each repetition really matches, counts and highlights, as a server does for a
request it has not seen (its per-word and posting caches warm). Three more rows, side by side in
the same run: the first run of each query (cold per-word caches), repetitions answered from the
result cache (hits), and other pages of the same words (new requests whose match is kept).
``--per-query`` also prints each query's uncached median.
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
from search.index import folder as store  # noqa: E402
from search.index.reindex import reindex  # noqa: E402
from search.query import service as service_module  # noqa: E402
from search.query import suggest  # noqa: E402
from search.query.request import SearchRequest  # noqa: E402
from search.query.service import SearchService  # noqa: E402

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
        report = reindex(source, index_dir, full=True, persons=args.persons)
        print(f"indexed {report.total_docs} docs in {time.monotonic() - t0:.1f} s into {index_dir}")
    else:
        index_dir = args.index

    svc = SearchService(index_dir, check_interval=3600)
    first_ms, total_docs = timed(svc, {"q": ""})
    print(f"corpus: {total_docs} articles; first search (opens the index, builds or maps its arrays): {first_ms:.0f} ms")
    live = store.live_path(index_dir)
    t0 = time.perf_counter()
    saved = suggest.load_vocabulary(live / suggest.VOCAB_FILE) if live else None
    if saved is not None:
        terms = sum(len(t) for t, _d in saved[0].values())
        print(f"spelling vocabulary: {terms} terms loaded from {suggest.VOCAB_FILE} in "
              f"{(time.perf_counter() - t0) * 1000:.0f} ms")
    else:
        print(f"spelling vocabulary: no {suggest.VOCAB_FILE}: read in the background")
    _ms, _n = timed(svc, {"q": "cooperasion militere"})
    print(f"first misspelt query: {_ms:.0f} ms")

    rows, firsts, hits_ms, kept_ms = [], [], [], []
    kinds = list(QUERIES.items()) + [("faceted (3 facets)", FACETED)]
    cache_size = service_module.RESULT_CACHE_SIZE
    for kind, queries in kinds:
        lat, hits = [], []
        for item in queries:
            params = {"q": item} if isinstance(item, str) else {"q": item[0], **item[1]}
            service_module.RESULT_CACHE_SIZE = 0
            ms, _total = timed(svc, params)  # cold per-word caches: its own row
            firsts.append(ms)
            mine = []
            for _ in range(args.repeat):
                ms, total = timed(svc, params)
                mine.append(ms)
            service_module.RESULT_CACHE_SIZE = max(1, cache_size)
            timed(svc, params)  # fills the result cache
            hits_ms.extend(timed(svc, params)[0] for _ in range(args.repeat))
            # another page of the same words: a request not seen, whose match is kept (its
            # snippets' words analysed beforehand, with the caches off, as for the other rows)
            for k in range(args.repeat):
                other = {**params, "page": str(2 + k)}
                service_module.RESULT_CACHE_SIZE = 0
                timed(svc, other)
                service_module.RESULT_CACHE_SIZE = max(1, cache_size)
                kept_ms.append(timed(svc, other)[0])
            lat.extend(mine)
            hits.append(total)
            if args.per_query:
                print(f"  {kind:18} {params['q'] or '(all)':32} {statistics.median(mine):7.1f} ms  {total} hits")
        rows.append((kind, len(queries), lat, int(sum(hits) / len(hits))))
    service_module.RESULT_CACHE_SIZE = cache_size
    n_all = sum(r[1] for r in rows)
    rows.append(("first run of each query (cold word caches)", n_all, firsts, None))
    rows.append(("result cache hits (repeated request)", n_all, hits_ms, None))
    rows.append(("kept match (same words, another page)", n_all, kept_ms, None))

    print(f"\n| query kind (uncached unless said) | queries | p50 ms | p95 ms | max ms | mean hits |  ({total_docs} articles)")
    print("|---|---:|---:|---:|---:|---:|")
    for kind, n, lat, mean_hits in rows:
        print(f"| {kind} | {n} | {percentile(lat, 50):.1f} | {percentile(lat, 95):.1f} | {max(lat):.1f} | "
              f"{'' if mean_hits is None else mean_hits} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
