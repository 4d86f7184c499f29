"""Benchmark (not a test): memory and time of merging a segment's sorted runs, by chunk bound.

Usage:
    python bench/bench_merge.py --corpus PATH/articles.jsonl.gz [--limit 5000] [--pool-mb 4]
        [--workdir DIR]

A full reindex spills its posting pool (``search.index.codec.TermPool``) to sorted runs on disk
when it is full, and merges every run at the commit, holding one chunk of each run at a time; a
large corpus makes hundreds of runs (243 for 500,000 articles).  The first ``--limit`` records
are analysed as the writer does and pooled with a small ``--pool-mb``, so that a few thousand
articles make as many runs as a large corpus; each run is then written twice, with the chunks
of 4,096 terms (as before) and of ``RUN_CHUNK_BYTES`` of estimated memory (now), and each
copy is merged in a fresh process that reports its peak memory (RSS), wall time and the count of
postings merged.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

MERGE = r"""
import json, resource, sys, time
from search.index.codec import TermPool
pool = TermPool(sys.argv[1])
pool.runs = sorted(str(p) for p in __import__("pathlib").Path(sys.argv[1]).glob("*.run"))
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t0, n = time.monotonic(), 0
for _field, _term, postings in pool.iter_terms():
    n += len(postings)
print(json.dumps({"runs": len(pool.runs), "postings": n, "seconds": round(time.monotonic() - t0, 1),
                  "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
                  "start_rss_mb": round(base / 1024, 1)}))
"""


def make_runs(corpus: Path, limit: int, pool_mb: int, folder: Path, chunk_bytes: int) -> int:
    """Pool the postings of ``limit`` records into runs in ``folder``; return the number of runs."""
    from search.extract import SkippedRecord, iter_file
    from search.index import analysis, codec, documents, pipeline
    from search.index.schema import build_schema

    articles = []
    for art in iter_file(str(corpus)):
        if not isinstance(art, SkippedRecord):
            articles.append(art)
        if len(articles) >= limit:
            break
    schema = build_schema(analysis.frequent_words(f"{a.get('title') or ''}\n{a.get('body') or ''}"
                                                  for a in articles[: analysis.FREQUENT_SAMPLE]))
    codec.RUN_CHUNK_BYTES = chunk_bytes
    pool = codec.TermPool(str(folder), limitmb=pool_mb)
    for docnum, art in enumerate(articles):
        doc = documents.to_document(art)
        for name, items in pipeline.analyse(schema, doc).items():
            pool.add_field(name, docnum, items, 1.0, True)
    pool.save()
    return len(pool.runs)


def merge(folder: Path) -> dict:
    """Merge the runs of ``folder`` in a fresh process; return its measures."""
    done = subprocess.run([sys.executable, "-c", MERGE, str(folder)], capture_output=True, text=True,
                          cwd=str(ROOT), env=dict(os.environ, PYTHONPATH=str(ROOT)))
    if done.returncode != 0:
        raise SystemExit(done.stderr[-2000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    """Make the runs with each chunk bound, merge each, print one JSON line per bound."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", type=Path, required=True)
    ap.add_argument("--limit", type=int, default=5000)
    ap.add_argument("--pool-mb", type=int, default=4)
    ap.add_argument("--workdir", type=Path, default=None)
    args = ap.parse_args(argv)
    if not args.corpus.is_file():
        print(f"corpus not found: {args.corpus}", file=sys.stderr)
        return 1
    from search.index import codec

    # 4,096 terms a chunk, as before, in the estimate's bytes (each term with its postings counted
    # at least once: runs of few articles, where terms have one or two postings)
    before = 4096 * (codec.TermPool.TERM_BYTES + codec.TermPool.POSTING_BYTES)
    bounds = {"before": (before, "about 4,096 terms"), "now": (codec.RUN_CHUNK_BYTES, "estimated bytes")}
    with tempfile.TemporaryDirectory(prefix="presse-bench-merge-", dir=args.workdir) as tmp:
        for name, (bound, label) in bounds.items():
            folder = Path(tmp) / name
            folder.mkdir()
            runs = make_runs(args.corpus, args.limit, args.pool_mb, folder, bound)
            print(json.dumps({"code": name, "chunks bounded by": label, "made runs": runs, **merge(folder)}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
