"""Benchmark (not a test): "did you mean" on queries of many misspelt words, time and peak memory.

Usage:
    python bench/bench_suggest.py [--corpus PATH/articles.jsonl.gz [--limit N] | --index DIR]
        [--words 12,14,16,30] [--repeat 3] [--timeout 120] [--memory-mb 4096] [--workdir DIR]

Without ``--index`` the corpus (or, without ``--corpus``, the seeds/ folder) is indexed once into
the work folder with ``indexer.reindex(full=True, persons=False)``. The misspelt words are those of
the report that found the problem (``premiereq partagenq …``), then common words of the index with
a letter added, each checked to be absent from the index and to have a correction. Every query
goes through ``SearchService.search`` with the result cache off, in a child process of its own
with an address-space limit (the problem was exponential memory), and the table gives the median
time, the peak resident memory the searches added (Linux: the peak is reset once the index is
open), the peak of Python allocations during one more search (tracemalloc), and the suggestion.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import prepare_source  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
#: The misspelt words of the report (14 words: 8.9 s and 1 GB before the fix).
REPORTED = ("premiereq partagenq ministreq militairq maliennzz francaisq caxacites capaciteq anciennzz "
            "terroristq terroriszz francaiseq continuenq terroristeq").split()


def misspelt_words(index_dir: Path, count: int) -> list[str]:
    """Return ``count`` misspelt words: the reported ones, then common words of the index with a letter added."""
    from search.query.service import SearchService, SUGGEST_CANDIDATES
    from search.text import fold

    svc = SearchService(index_dir, check_interval=3600)
    _searcher, gen = svc._current()
    vocab = gen.vocab
    words = [w for w in REPORTED if not vocab.df(fold(w).lower())][:count]
    common = sorted(((int(n), t) for _k, (terms, dfs) in vocab.buckets().items() for t, n in zip(terms, dfs)
                     if len(t) >= 7 and t.isalpha()), reverse=True)
    for _n, term in common:
        if len(words) >= count:
            break
        typo = term + "q"
        if typo not in words and not vocab.df(typo) and vocab.candidates(typo, SUGGEST_CANDIDATES):
            words.append(typo)
    return words


def child(index_dir: Path, query: str, repeat: int) -> dict:
    """Run one query ``repeat`` times in this process; return times, memory and the suggestion."""
    from search.query.service import SearchService
    from search.query.request import SearchRequest

    svc = SearchService(index_dir, check_interval=3600)
    svc.search(SearchRequest.from_params({"q": "cooperasion militere"}))  # opens the index, reads the vocabulary
    _reset_peak()
    before = _rss_kb()
    times, res = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        res = svc.search(SearchRequest.from_params({"q": query})).to_dict()
        times.append(time.perf_counter() - t0)
    added = max(0, _peak_kb() - before) / 1024
    traced = None
    tracemalloc.start()
    try:
        svc.search(SearchRequest.from_params({"q": query}))
        traced = tracemalloc.get_traced_memory()[1] / 2**20
    except MemoryError:  # tracing costs memory too: the timed runs above still count
        pass
    finally:
        tracemalloc.stop()
    sug = res["suggestion"] if res else None
    return {"median_s": statistics.median(times), "max_s": max(times), "added_mb": added, "traced_mb": traced,
            "suggestion": sug and sug["text"], "suggestion_total": sug and sug["total"], "total": res["total"],
            "time_limit_hit": any("interrompue" in w for w in res["warnings"])}


def _reset_peak() -> None:
    """Reset this process's peak resident memory (Linux ``clear_refs``), so that it counts from now."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass  # elsewhere the peak includes opening the index


def _peak_kb() -> int:
    """Return this process's peak resident memory in kB (since ``_reset_peak`` on Linux)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _rss_kb() -> int:
    """Return the resident memory of this process now, in kB (Linux), else the peak so far."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") // 1024
    except (OSError, ValueError, IndexError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def measure(index_dir: Path, query: str, repeat: int, timeout: float, memory_mb: int) -> dict:
    """Run :func:`child` in a fresh process limited to ``memory_mb`` of address space and ``timeout`` seconds."""
    def limit():
        size = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (size, size))

    env = {**os.environ, "PRESSE_RESULT_CACHE": "0"}
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", "--index", str(index_dir),
           "--repeat", str(repeat), "--query", query]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env, preexec_fn=limit)
    except subprocess.TimeoutExpired:
        return {"error": f"over {timeout:g} s"}
    if proc.returncode:
        last = (proc.stderr.strip().splitlines() or ["exit " + str(proc.returncode)])[-1]
        return {"error": last[:60]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, help="articles.jsonl(.gz) to index (default: seeds/)")
    parser.add_argument("--index", type=Path, help="reuse this index folder instead of building one")
    parser.add_argument("--limit", type=int, default=None, help="index only the first N records of --corpus")
    parser.add_argument("--workdir", type=Path, default=None, help="where to build the index (default: a temp dir)")
    parser.add_argument("--words", default="12,14,16,30", help="numbers of misspelt words, comma-separated")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each query (the median is reported)")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds allowed per query size")
    parser.add_argument("--memory-mb", type=int, default=4096, help="address space allowed per query size")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--query", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child:
        print(json.dumps(child(args.index, args.query, args.repeat)))
        return 0

    from search.index import reindex as indexer

    if args.index is None:
        workdir = args.workdir or Path(tempfile.mkdtemp(prefix="bench-suggest-"))
        if args.corpus is not None:
            if not args.corpus.exists():
                print(f"corpus not found: {args.corpus}", file=sys.stderr)
                return 2
            source = prepare_source(args.corpus, workdir, args.limit)
        else:
            source = ROOT / "seeds"
        index_dir = workdir / f"index-{args.limit or 'all'}" if args.corpus else workdir / "index-seeds"
        t0 = time.monotonic()
        report = indexer.reindex(source, index_dir, full=True, persons=False)
        print(f"indexed {report.total_docs} docs in {time.monotonic() - t0:.1f} s into {index_dir}")
    else:
        index_dir = args.index

    sizes = [int(n) for n in args.words.split(",") if n.strip()]
    words = misspelt_words(index_dir, max(sizes))
    if len(words) < max(sizes):
        print(f"only {len(words)} misspelt words with a correction in this index", file=sys.stderr)
    limit = os.environ.get("PRESSE_SEARCH_TIME_LIMIT", "default")
    print(f"time limit: {limit}; {args.repeat} runs per size; child processes limited to {args.memory_mb} MB")
    print("\n| misspelt words | median s | max s | peak RSS MB added | tracemalloc peak MB | hits "
          "| suggestion (hits) |")
    print("|---:|---:|---:|---:|---:|---:|---|")
    for n in sizes:
        query = " ".join(words[:n])
        r = measure(index_dir, query, args.repeat, args.timeout, args.memory_mb)
        if "error" in r:
            print(f"| {n} | {r['error']} | | | | | |")
            continue
        sug = f"{' '.join(r['suggestion'].split()[:3])} … ({r['suggestion_total']})" if r["suggestion"] else "none"
        cut = " (time limit)" if r["time_limit_hit"] else ""
        traced = f"{r['traced_mb']:.1f}" if r["traced_mb"] is not None else "MemoryError"
        print(f"| {n} | {r['median_s']:.3f} | {r['max_s']:.3f} | {r['added_mb']:.0f} | {traced} | {r['total']}{cut} "
              f"| {sug} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
