"""Copies on the first page: search the titles of articles whose body another article repeats, and
count the first pages that show two copies of one body, with stories collapsed and without.

Usage: python bench/bench_story_pages.py --corpus ARTICLES.jsonl.gz --index DIR [--n 20] [--seed 1]

Copies are found here independently of the product's grouping: records whose whitespace- and
case-normalised bodies are equal (at least 25 words).  The product's own page (``/api/search``'s
function, default settings) is read for each title, first with one hit per story (the default),
then with ``collapse=0``.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import re
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from search.query.request import SearchRequest  # noqa: E402
from search.query.service import SearchService  # noqa: E402


def copy_groups(corpus: Path) -> list[list[dict]]:
    """Return groups of records whose normalised bodies are equal."""
    groups: dict[str, list[dict]] = defaultdict(list)
    opener = gzip.open if corpus.suffix == ".gz" else open
    with opener(corpus, "rt", encoding="utf-8") as src:
        for line in src:
            try:
                d = json.loads(line, strict=False)
            except ValueError:
                continue
            body = " ".join(re.findall(r"\w+", (d.get("body") or "").lower()))
            if len(body.split()) >= 25 and d.get("title"):
                groups[body].append(d)
    return [g for g in groups.values() if len(g) > 1]


def _copies_on_page(hits: list[dict], bodies: dict[str, str]) -> bool:
    seen = [bodies.get(h["id"].split("~")[0]) for h in hits]
    seen = [s for s in seen if s]
    return len(seen) != len(set(seen))


def main(argv=None) -> int:
    """Print, for each sampled title, whether its first page shows two copies of one body."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", required=True, type=Path)
    ap.add_argument("--index", required=True, type=Path)
    ap.add_argument("--n", type=int, default=20)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)
    if not args.corpus.exists():
        print(f"no corpus at {args.corpus}: nothing to measure")
        return 0
    groups = copy_groups(args.corpus)
    bodies = {d["id"]: str(i) for i, g in enumerate(groups) for d in g}
    sample = random.Random(args.seed).sample(groups, min(args.n, len(groups)))
    svc = SearchService(args.index)
    pages = {"collapsed": 0, "collapse=0": 0}
    for group in sample:
        title = group[0]["title"]
        for mode, collapse in (("collapsed", True), ("collapse=0", False)):
            res = svc.search(SearchRequest(q=title, collapse=collapse))
            pages[mode] += _copies_on_page(res.hits, bodies)
        print(f"{len(group)} copies  {title[:70]}")
    print(f"{len(groups)} groups of copies in the corpus; first pages with two copies of one body, "
          f"out of {len(sample)}: collapsed {pages['collapsed']}, collapse=0 {pages['collapse=0']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
