"""Person extraction benchmark: precision/recall on the annotated sample, and NER throughput.

Usage:
    python bench/bench_ner.py --corpus PATH/TO/corpus [--docs 1000] [--procs 1 2] [--skip-speed]

The gold sample is tests/data/persons_gold.jsonl (article ids and expected persons only); the
texts are read from the corpus's articles.jsonl.gz.  Throughput is measured on the first
``--docs`` articles that have a body (model loading excluded, no cache).
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from search.persons import ner  # noqa: E402
from search.persons import names  # noqa: E402
from search.persons.resolve import resolve  # noqa: E402
from search.persons.nertext import ner_chunks, ner_text  # noqa: E402
from search.text import nfc  # noqa: E402

GOLD = ROOT / "tests" / "data" / "persons_gold.jsonl"


def corpus_article(rec: dict) -> dict:
    """Return an article dict from a corpus record (bodies may be NFKD-decomposed)."""
    return {
        "id": rec["id"],
        "title": nfc(rec.get("title") or ""),
        "body": nfc(rec.get("body") or ""),
        "author": rec.get("author"),
        "content_hash": None,
    }


def read_corpus(corpus: Path, ids: set[str] | None = None, limit: int | None = None) -> list[dict]:
    """Return articles of the corpus, those in ``ids`` or the first ``limit`` with a body."""
    out = []
    with gzip.open(corpus / "articles.jsonl.gz", "rt", encoding="utf-8") as fh:
        for line in fh:
            rec = json.loads(line)
            if ids is not None:
                if rec["id"] in ids:
                    out.append(corpus_article(rec))
                    if len(out) == len(ids):
                        break
            elif rec.get("body"):
                out.append(corpus_article(rec))
                if limit and len(out) >= limit:
                    break
    return out


def load_gold(path: Path = GOLD) -> dict[str, list[str]]:
    """Return the gold persons by article id."""
    gold = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            rec = json.loads(line)
            gold[rec["id"]] = rec["persons"]
    return gold


def score(gold: dict[str, list[str]], predicted: dict[str, list[str]]):
    """Return (precision, recall, false positives, false negatives), names compared by key."""
    tp = fp = fn = 0
    fps, fns = [], []
    for art_id, expected in gold.items():
        want = {names.name_key(n) for n in expected}
        got = {names.name_key(n): n for n in predicted.get(art_id, [])}
        tp += len(want & got.keys())
        for key in got.keys() - want:
            fp += 1
            fps.append((art_id, got[key]))
        for name in expected:
            if names.name_key(name) not in got:
                fn += 1
                fns.append((art_id, name))
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    return precision, recall, fps, fns


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, required=True, help="folder holding articles.jsonl.gz")
    parser.add_argument("--docs", type=int, default=1000, help="articles for the throughput run")
    parser.add_argument("--procs", type=int, nargs="+", default=[1, 2], help="n_process values to time")
    parser.add_argument("--skip-speed", action="store_true", help="only precision and recall")
    args = parser.parse_args(argv)
    if not (args.corpus / "articles.jsonl.gz").is_file():
        print(f"no articles.jsonl.gz in {args.corpus}: nothing to measure")
        return 0

    gold = load_gold()
    sample = read_corpus(args.corpus, ids=set(gold))
    t0 = time.perf_counter()
    ner.load_nlp()
    print(f"model loaded in {time.perf_counter() - t0:.1f} s")
    res = resolve(ner.raw_mentions(sample))
    precision, recall, fps, fns = score(gold, res.by_article)
    print(f"sample: {len(sample)} articles, {sum(len(v) for v in gold.values())} gold persons")
    print(f"precision {precision:.3f}  recall {recall:.3f}")
    for art_id, name in fps:
        print(f"  false positive  {art_id}: {name}")
    for art_id, name in fns:
        print(f"  missed          {art_id}: {name}")

    if args.skip_speed:
        return 0
    docs = read_corpus(args.corpus, limit=args.docs)
    texts = [ner_text(a) for a in docs]
    words = sum(len(t.split()) for t in texts)
    several = sum(len(ner_chunks(t)) > 1 for t in texts)
    print(f"throughput on {len(texts)} articles, {words} words (NER input), "
          f"{several} read in several chunks")
    for procs in args.procs:
        errors: dict[int, str] = {}
        t0 = time.perf_counter()
        ner.tag_spans(texts, n_process=procs, errors=errors)
        elapsed = time.perf_counter() - t0
        print(f"  n_process={procs}: {elapsed:.1f} s, {words / elapsed:,.0f} words/s, "
              f"{len(texts) / elapsed:.1f} docs/s" + (f", NER failed on {len(errors)}" if errors else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
