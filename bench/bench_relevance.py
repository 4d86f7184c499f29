"""Relevance and "did you mean" on a real index: the top titles and the suggestion of each query.

Usage: python bench/bench_relevance.py --index DIR [--top 3] [--no-boost] [--query Q ...]

It prints, for each query, the number of hits, the time, the suggestion and the top titles, so
that a person can judge the order (the full corpus is too large to index inside a test).
``--no-boost`` turns off the relevance boosts (search/relevance.py) to compare with plain BM25F.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

#: What a journalist types: phrases without quotes, elisions, names, typos, acronyms.
QUERIES = [
    "coup d'etat", "coup d'état au mali", "mali russie", "wagner mali", "IBK", "goita transition",
    '"premier ministre"', "premier ministre", "elections presidentielles 2020", "attaque terroriste niger",
    "l'armee francaise", "Moussa Faki", "covid afrique", "cedeao sanctions", "president de la republique",
    "forces armees maliennes", "etat d'urgence", "droits de l'homme", "assimi goita", "operation barkhane",
    "union africaine", "nations unies", "securite alimentaire", "accord d'alger", "sahel jihadistes",
    "prix du carburant", "greve des enseignants", "Emmanuel Macron Afrique", "ministre de la defense",
    "france mali", "liberte de la presse", "code electoral",
    # misspellings: the suggestion is what matters
    "cooperasion militere", "Lavrof", "Barkane", "securiter", "Beloussof", "terorisme", "jihadiste",
    "Bamakoo", "presidentielle", "gouvernemnt de transition", "Macorn", "elektion",
]


def main(argv=None) -> int:
    """Run the queries and print hits, time, suggestion and top titles."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--index", required=True, type=Path, help="index folder (presse reindex output)")
    ap.add_argument("--top", type=int, default=3)
    ap.add_argument("--no-boost", action="store_true", help="plain BM25F order, for comparison")
    ap.add_argument("--query", action="append", help="run these queries instead of the built-in list")
    args = ap.parse_args(argv)
    if not args.index.is_dir():
        print(f"index not found: {args.index}", file=sys.stderr)
        return 2
    from search.query import relevance
    from search.query.service import SearchService
    from search.query.request import SearchRequest

    if args.no_boost:
        relevance.Booster.apply = lambda self, scored, tree: None
    svc = SearchService(args.index)
    svc.warm()
    svc.search(SearchRequest.from_params({"q": "mali"}))  # facet columns, first postings
    times = []
    for q in args.query or QUERIES:
        t0 = time.perf_counter()
        res = svc.search(SearchRequest.from_params({"q": q, "limit": str(max(args.top, 1))})).to_dict()
        ms = (time.perf_counter() - t0) * 1000
        times.append(ms)
        sug = res["suggestion"]
        shown = f" → « {sug['text']} » ({sug['total']})" if sug else ""
        print(f"{q!r}: {res['total']} hits, {ms:.0f} ms{shown}")
        for hit in res["hits"][: args.top]:
            print(f"    {hit['score'] if hit['score'] is not None else '-':>8} {hit['title'][:100]}")
    if times:
        times.sort()
        p95 = times[min(len(times) - 1, int(0.95 * len(times)))]
        print(f"\n{len(times)} queries (each run once, cold): p50 {statistics.median(times):.1f} ms, "
              f"p95 {p95:.1f} ms, max {times[-1]:.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
