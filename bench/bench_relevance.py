"""Relevance and "did you mean" on a real index: the top titles and the suggestion of each query.

Usage: python bench/bench_relevance.py --index DIR [--top 3] [--no-boost] [--query Q ...]
       python bench/bench_relevance.py --index DIR --queries QUERIES.tsv --run-file OUT [--top 10]

It prints, for each query, the number of hits, the time, the suggestion and the top titles, so
that a person can judge the order (the full corpus is too large to index inside a test).
``--no-boost`` turns off the relevance boosts (search/query/relevance.py) to compare with plain BM25F.
With ``--run-file``, it ranks the ``qid<TAB>query`` lines of ``--queries`` exactly as a user's
search does (``SearchService.search``, default sort and limits) and writes the top hits as
``qid<TAB>rank<TAB>id<TAB>score`` lines, the run format of a judged set's ``compare.sh``.
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
    ap.add_argument("--top", type=int, help="hits per query (default 3, or 10 with --run-file)")
    ap.add_argument("--no-boost", action="store_true", help="plain BM25F order, for comparison")
    ap.add_argument("--query", action="append", help="run these queries instead of the built-in list")
    ap.add_argument("--queries", type=Path, help="qid<TAB>query lines (a judged set's queries.tsv)")
    ap.add_argument("--run-file", type=Path, help="write the run (qid, rank, id, score) here")
    args = ap.parse_args(argv)
    if args.run_file and not args.queries:
        ap.error("--run-file needs --queries")
    if not args.index.is_dir():
        print(f"index not found: {args.index}", file=sys.stderr)
        return 2
    from search.query import relevance
    from search.query.service import SearchService
    from search.query.request import SearchRequest

    if args.no_boost:
        relevance.Booster.apply = lambda self, scored, tree: None
    args.top = args.top if args.top is not None or args.run_file else 3
    svc = SearchService(args.index)
    svc.warm()
    svc.search(SearchRequest.from_params({"q": "mali"}))  # facet columns, first postings
    if args.run_file:
        return write_run(svc, read_queries(args.queries), args.run_file, args.top or 10)
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


def read_queries(path: Path) -> list[tuple[str, str]]:
    """Return the ``(qid, query)`` pairs of a ``qid<TAB>query`` file (blank and ``#`` lines skipped)."""
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            qid, _tab, q = line.partition("\t")
            out.append((qid.strip(), q.strip()))
    return out


def write_run(svc, queries: list[tuple[str, str]], out: Path, top: int) -> int:
    """Rank each query as a user's search does and write its top hits as a run file."""
    from search.query.request import SearchRequest

    times, lines = [], []
    for qid, q in queries:
        t0 = time.perf_counter()
        res = svc.search(SearchRequest.from_params({"q": q, "limit": str(top)})).to_dict()
        times.append((time.perf_counter() - t0) * 1000)
        for rank, hit in enumerate(res["hits"][:top], 1):
            score = hit["score"] if hit["score"] is not None else 0.0
            lines.append(f"{qid}\t{rank}\t{hit['id']}\t{score}")
    out.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    if times:
        print(f"{len(queries)} queries, {len(lines)} hits → {out}; "
              f"median {statistics.median(times):.1f} ms, max {max(times):.1f} ms", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
