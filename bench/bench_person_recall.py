"""Person-facet recall on a real index: for the most frequent persons, articles tagged ÷ articles
whose text names them in full (accents, case and hyphens ignored), side by side for several indexes.

Usage: python bench/bench_person_recall.py --corpus ARTICLES.jsonl.gz --index AFTER [--before BEFORE]
           [--top 30] [--sample-out FILE --sample 50]

The persons are the ``--top`` most frequent of the ``--index`` index.  "Named in full" reads the
record's title and body as stored in the corpus (the sidebar and related-headline lists of a
page count too, which the product rightly leaves out, so a ratio a little under 1 is expected).
``--sample-out`` writes newly tagged articles (tagged in ``--index``, not in ``--before``) with
the line that names the person, for a reader to check by hand.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from whoosh import index as windex  # noqa: E402

from search.index import folder as store  # noqa: E402
from search.persons import names  # noqa: E402
from search.query.facets import FacetData  # noqa: E402


def _key_text(text: str) -> str:
    return " " + re.sub(r"[^a-z0-9]+", " ", names.name_key(text)) + " "


def tagged_articles(index_dir: Path) -> tuple[dict[str, set[str]], dict[str, int]]:
    """Return ``{person: article ids}`` and article counts per person of an index's facet."""
    ix = windex.open_dir(str(store.live_path(index_dir)))
    try:
        with ix.searcher() as searcher:
            data = FacetData(searcher)
    finally:
        ix.close()
    facet = data.facets["person"]
    out: dict[str, set[str]] = {}
    for doc, code in zip(facet.pdoc.tolist(), facet.pval.tolist()):
        if data.live[doc]:
            out.setdefault(facet.values[code], set()).add(data.ids[doc])
    return out, {p: len(ids) for p, ids in out.items()}


def _stored_texts(index_dir: Path, ids: set[str]) -> dict[str, tuple[str, str]]:
    """Return the indexed title and body of some articles (ids of duplicate records carry a suffix)."""
    ix = windex.open_dir(str(store.live_path(index_dir)))
    try:
        with ix.searcher() as searcher:
            return {i: (d.get("title") or "", d.get("body") or "")
                    for i in ids if (d := searcher.document(id=i)) is not None}
    finally:
        ix.close()


def read_corpus(path: Path) -> dict[str, tuple[str, str]]:
    """Return ``{id: (title, body)}`` of a JSONL(.gz) corpus."""
    opener = gzip.open if path.suffix == ".gz" else open
    out = {}
    with opener(path, "rt", encoding="utf-8") as src:
        for line in src:
            try:
                d = json.loads(line, strict=False)
            except ValueError:
                continue
            out[str(d.get("id"))] = (d.get("title") or "", d.get("body") or "")
    return out


def main(argv=None) -> int:
    """Print recall per person before/after and optionally write a hand-check sample."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", required=True, type=Path)
    ap.add_argument("--index", required=True, type=Path)
    ap.add_argument("--before", type=Path)
    ap.add_argument("--top", type=int, default=30)
    ap.add_argument("--sample-out", type=Path)
    ap.add_argument("--sample", type=int, default=50)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)
    if not args.corpus.exists():
        print(f"no corpus at {args.corpus}: nothing to measure")
        return 0
    after, counts = tagged_articles(args.index)
    before = tagged_articles(args.before)[0] if args.before else {}
    corpus = read_corpus(args.corpus)
    texts = {aid: _key_text(f"{t}\n{b}") for aid, (t, b) in corpus.items()}
    top = sorted(counts, key=lambda p: (-counts[p], p))[: args.top]
    print(f"{'person':32} {'named':>6} {'before':>7} {'after':>7} {'tagged':>7} {'not named':>9}")
    worst = 1.0
    for person in top:
        needle = _key_text(person)
        named = {aid for aid, text in texts.items() if needle in text}
        a = after.get(person, set())
        b = before.get(person, set())
        r_after = len(a & named) / len(named) if named else 1.0
        r_before = len(b & named) / len(named) if named else 1.0
        worst = min(worst, r_after)
        print(f"{person[:32]:32} {len(named):6d} {r_before:7.3f} {r_after:7.3f} {len(a):7d} {len(a - named):9d}")
    print(f"lowest ratio after: {worst:.3f}")
    if args.sample_out and before:
        new = [(p, aid) for p in top for aid in sorted(after.get(p, set()) - before.get(p, set()))]
        random.Random(args.seed).shuffle(new)
        stored = _stored_texts(args.index, {aid for _p, aid in new[: args.sample]})
        with args.sample_out.open("w", encoding="utf-8") as out:
            for person, aid in new[: args.sample]:
                title, body = stored.get(aid, ("", ""))
                out.write(json.dumps({"id": aid, "person": person, "title": title, "body": body},
                                     ensure_ascii=False) + "\n")
        print(f"{min(len(new), args.sample)} of {len(new)} newly tagged articles written to {args.sample_out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
