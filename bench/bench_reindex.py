"""Benchmark (not a test): full and no-change reindex throughput, index size, analyzer speed.

Usage:
    python bench/bench_reindex.py --corpus PATH/articles.jsonl.gz [--limit 3000]
        [--procs 1,2] [--persons both|on|off] [--analysis] [--workdir DIR]

The corpus is copied once into a temporary JSONL source folder (``prepare_source``); each
configuration then builds a fresh index with ``indexer.reindex(full=True)`` and re-runs an
incremental reindex with nothing changed.  ``--analysis`` also times the fused French
analyzer against the equivalent chain of stock Whoosh filters over the same bodies.
"""

from __future__ import annotations

import argparse
import gzip
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import prepare_source  # noqa: E402
from search.index import folder as store  # noqa: E402
from search.index import analysis
from search.index import reindex as indexer


def _cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def _size_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1e6


def bench_reindex(source: Path, workdir: Path, procs: int, persons: bool) -> dict:
    """Return timings of a full build and a no-change rerun for one configuration."""
    index_dir = workdir / f"index-p{procs}-{'persons' if persons else 'nopersons'}"
    cpu0 = _cpu()
    t0 = time.monotonic()
    report = indexer.reindex(source, index_dir, full=True, persons=persons, procs=procs)
    full_s = time.monotonic() - t0
    cpu_s = _cpu() - cpu0
    t0 = time.monotonic()
    again = indexer.reindex(source, index_dir, persons=persons, procs=procs)
    rerun_s = time.monotonic() - t0
    live = store.live_path(index_dir)
    return {"procs": procs, "writer_procs": report.procs, "persons": persons,
            "docs": report.total_docs, "full_s": round(full_s, 1),
            "docs_per_s": round(report.total_docs / full_s, 1),
            # CPU seconds of this process and its workers: on a shared machine the wall time
            # depends on the neighbours, the CPU time does not
            "cpu_s": round(cpu_s, 1), "cpu_ms_per_doc": round(1000 * cpu_s / max(1, report.total_docs), 1),
            "rerun_s": round(rerun_s, 2),
            # peak resident memory of the process so far (the largest configuration dominates)
            "max_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024), "rerun_changed": again.changed,
            "index_mb": round(_size_mb(live), 1), "skipped": len(report.skipped),
            "timings": {k: round(v, 1) for k, v in report.timings.items()}, "warnings": report.warnings}


def _bodies(corpus: Path, limit: int) -> list[str]:
    opener = gzip.open if corpus.suffix == ".gz" else open
    out = []
    with opener(corpus, "rt", encoding="utf-8") as fh:
        for line in fh:
            rec = json.loads(line)
            out.append((rec.get("title") or "") + "\n\n" + (rec.get("body") or ""))
            if len(out) >= limit:
                break
    return out


def bench_analysis(corpus: Path, limit: int) -> list[dict]:
    """Return tokens/s of the fused analyzer and of a stock Whoosh filter chain."""
    from whoosh.analysis import CharsetFilter, LanguageAnalyzer
    from whoosh.support.charset import accent_map

    texts = _bodies(corpus, limit)
    chain = LanguageAnalyzer("fr", cachesize=50000) | CharsetFilter(accent_map)
    rows = []
    for name, analyzer in (("fused FrenchTokenizer", analysis.french_analyzer()),
                           ("whoosh chain (tokenize|lower|stop|stem|fold)", chain)):
        for text in texts[:50]:  # warm the caches as a long reindex would
            for _ in analyzer(text, positions=True):
                pass
        t0 = time.monotonic()
        n = 0
        for text in texts:
            for _ in analyzer(text, positions=True, chars=True):
                n += 1
        dt = time.monotonic() - t0
        rows.append({"analyzer": name, "tokens": n, "seconds": round(dt, 2),
                     "tokens_per_s": round(n / dt)})
    return rows


def main(argv=None) -> int:
    """Run the benchmark and print one JSON line per measurement."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", type=Path, required=True, help="articles.jsonl.gz (or .jsonl)")
    ap.add_argument("--limit", type=int, default=3000, help="records to index (0: all)")
    ap.add_argument("--procs", default="1,2", help="comma-separated writer process counts")
    ap.add_argument("--persons", choices=["both", "on", "off"], default="both")
    ap.add_argument("--analysis", action="store_true", help="also time the analyzers")
    ap.add_argument("--workdir", type=Path, default=None)
    args = ap.parse_args(argv)
    if not args.corpus.is_file():
        print(f"corpus not found: {args.corpus}", file=sys.stderr)
        return 1
    limit = args.limit or None
    if args.workdir is not None:
        args.workdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="presse-bench-", dir=args.workdir) as tmp:
        workdir = Path(tmp)
        source = prepare_source(args.corpus, workdir, limit)
        print(json.dumps({"corpus": str(args.corpus), "limit": limit,
                          "source_mb": round(_size_mb(source), 1)}))
        if args.analysis:
            for row in bench_analysis(args.corpus, limit or 10**9):
                print(json.dumps(row, ensure_ascii=False), flush=True)
        persons_modes = {"both": [False, True], "on": [True], "off": [False]}[args.persons]
        for persons in persons_modes:
            for procs in (int(p) for p in args.procs.split(",")):
                print(json.dumps(bench_reindex(source, workdir, procs, persons),
                                 ensure_ascii=False), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
