"""Both engines side by side in one run: uncached latency by query kind, the relevance run of each,
and how much their top 10 overlap.

Usage:
    python bench/bench_engines.py --index DIR --opensearch URL [--alias presse ...] [--repeat 5]
        [--queries ../shared/relevance/queries.tsv --run-prefix OUT] [--no-latency]

``--index`` is a Whoosh index folder and ``--opensearch`` a cluster holding the same articles
(``PRESSE_ENGINE=opensearch presse reindex --source …``).  Each query goes through the engine's
``search`` as the web app calls it (facets, 20 hits, snippets), the Whoosh result cache off, the
two engines alternating query by query so that a noisy machine weighs on both alike.  With
``--queries`` it writes ``OUT-whoosh.run`` and ``OUT-opensearch.run`` for ``compare.sh``. It also prints
the queries whose hit counts differ between the engines. Several
``--alias`` (indexes of one corpus written under two versions of the mapping, say) are measured in
the same run, each as ``opensearch-ALIAS``, each one's top 10 compared with Whoosh's.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import search.query.service as service_module  # noqa: E402
from bench.bench_query import FACETED, QUERIES  # noqa: E402
from search.engines.opensearch import OpenSearchEngine  # noqa: E402
from search.query.request import SearchRequest  # noqa: E402
from search.query.service import SearchService  # noqa: E402


def _kinds() -> dict[str, list[dict]]:
    kinds = {kind: [{"q": q} for q in qs] for kind, qs in QUERIES.items()}
    kinds["faceted"] = [{"q": q, **facets} for q, facets in FACETED]
    return kinds


def _time(engine, params: dict) -> float:
    start = time.perf_counter()
    engine.search(SearchRequest.from_params(params))
    return (time.perf_counter() - start) * 1000


def _pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p * (len(values) - 1))))]


def latency(engines: dict, repeat: int) -> None:
    """Print p50/p95 per query kind for each engine, measured alternately."""
    print(f"{'kind':12} " + " ".join(f"{name + ' p50':>16} {name + ' p95':>16}" for name in engines))
    for kind, queries in _kinds().items():
        times = {name: [] for name in engines}
        for params in queries:
            for engine in engines.values():
                engine.search(SearchRequest.from_params(params))  # warm-up, as a server's first request
            for _ in range(repeat):
                for name, engine in engines.items():
                    times[name].append(_time(engine, params))
        print(f"{kind:12} " + " ".join(f"{_pct(t, 0.5):14.1f}ms {_pct(t, 0.95):14.1f}ms" for t in times.values()))


def runs(engines: dict, queries: Path, prefix: str) -> None:
    """Write each engine's top 10 for the judged queries and print the mean top-10 overlap."""
    tops: dict[str, dict[str, list[str]]] = {name: {} for name in engines}
    totals: dict[str, dict[str, int]] = {name: {} for name in engines}
    for line in queries.read_text(encoding="utf-8").splitlines():
        qid, _, q = line.partition("\t")
        if not q or qid == "qid":
            continue
        for name, engine in engines.items():
            res = engine.search(SearchRequest.from_params({"q": q, "limit": "10"}))
            tops[name][qid] = [h["id"] for h in res.hits]
            totals[name][q] = res.total
    for params in (p for kind in _kinds().values() for p in kind):  # the latency queries too
        label = " ".join(f"{k}={v}" for k, v in params.items())
        for name, engine in engines.items():
            totals[name][label] = engine.search(SearchRequest.from_params(params)).total
    for name, top in tops.items():
        with open(f"{prefix}-{name}.run", "w", encoding="utf-8") as out:
            for qid, ids in top.items():
                out.writelines(f"{qid}\t{i}\t{aid}\t{10 - i}\n" for i, aid in enumerate(ids, 1))
    names = list(tops)
    a = tops[names[0]]
    for other in names[1:]:
        b = tops[other]
        overlaps = [len(set(a[q]) & set(b[q])) / max(1, min(len(a[q]), len(b[q]), 10)) for q in a if a[q] or b[q]]
        print(f"top-10 overlap {names[0]}/{other}, mean over {len(overlaps)} queries: {statistics.mean(overlaps):.2f}")
        differ = [(q, totals[names[0]][q], totals[other][q]) for q in totals[names[0]]
                  if totals[names[0]][q] != totals[other][q]]
        print(f"hit counts {names[0]}/{other}: equal for {len(totals[names[0]]) - len(differ)} of "
              f"{len(totals[names[0]])} queries")
        for q, x, y in differ:
            print(f"  {q!r}: {x} / {y}")


def main(argv=None) -> int:
    """Measure both engines side by side."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--index", required=True, type=Path)
    ap.add_argument("--opensearch", required=True)
    ap.add_argument("--alias", action="append", help="the alias searched (repeatable; default presse)")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--queries", type=Path)
    ap.add_argument("--run-prefix", default="engines")
    ap.add_argument("--no-latency", action="store_true", help="only the relevance runs and the overlap")
    args = ap.parse_args(argv)
    service_module.RESULT_CACHE_SIZE = 0  # uncached, as for a request a server has not seen
    aliases = args.alias or ["presse"]
    engines = {"whoosh": SearchService(args.index)}
    for alias in aliases:
        name = "opensearch" if len(aliases) == 1 else f"opensearch-{alias}"
        engines[name] = OpenSearchEngine(args.opensearch, alias=alias)
    if not args.no_latency:
        latency(engines, args.repeat)
    if args.queries:
        runs(engines, args.queries, args.run_prefix)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
