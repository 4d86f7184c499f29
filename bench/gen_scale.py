"""Scale corpus generator (not a test): N articles recombined from the paragraphs of a real corpus.

Usage:
    python bench/gen_scale.py --corpus PATH/articles.jsonl.gz --n 150000 --seed 1 --out DIR
        [--per-file 10000] [--pool 200000] [--copies 0.08]

One pass over the source corpus keeps bounded, seeded reservoir samples: article templates
(outlet, site, author, date, paragraph count, comment count), paragraphs, titles and comments.
Each generated article takes a template's outlet, byline and length, and real paragraphs and a
real title drawn at random, with a day drawn over the source's years; a share (``--copies``) is
followed by syndicated copies (another outlet of the corpus, the same text, a day later at most)
so that stories exist. Ids are new (``scale-SEED-NNNNNNN``). Output: JSONL files of
``--per-file`` records that ``presse reindex --source DIR`` reads, written one record at a time
(memory does not grow with N). The same seed and corpus give the same files.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import json
import random
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path

#: Samples kept from the source corpus (memory is bounded by these, not by N).
TEMPLATES = 20_000
TITLES = 50_000
COMMENTS = 50_000
_SENTENCE = re.compile(r"(?<=[.!?…])\s+(?=[A-ZÀ-Ý«\"])")


@dataclass
class Template:
    """What a generated article borrows from one source article besides its words."""

    outlet: str | None
    site: str | None
    author: str | None
    year: int | None
    paragraphs: int
    comments: int


class Reservoir:
    """A fixed-size uniform sample of a stream (Algorithm R) drawn from a seeded generator."""

    def __init__(self, size: int, rng: random.Random):
        self.size, self.rng, self.seen, self.items = size, rng, 0, []

    def add(self, item) -> None:
        """Offer one item of the stream."""
        self.seen += 1
        if len(self.items) < self.size:
            self.items.append(item)
        else:
            j = self.rng.randrange(self.seen)
            if j < self.size:
                self.items[j] = item


def paragraphs(body: str) -> list[str]:
    """Return a body's paragraphs: blank-line blocks, else lines, else runs of three sentences."""
    body = (body or "").strip()
    if not body:
        return []
    if "\n\n" in body:
        parts = body.split("\n\n")
    elif "\n" in body:
        parts = body.split("\n")
    else:
        sentences = _SENTENCE.split(body)
        parts = [" ".join(sentences[i:i + 3]) for i in range(0, len(sentences), 3)]
    return [p.strip() for p in parts if len(p.strip()) >= 40]


def _year(date) -> int | None:
    m = re.match(r"(\d{4})", str(date or ""))
    return int(m.group(1)) if m and 1990 <= int(m.group(1)) <= 2100 else None


def read_samples(corpus: Path, rng: random.Random, pool: int):
    """Return (templates, paragraphs, titles, comments, outlets, (first year, last year)) sampled from ``corpus``."""
    temps, paras = Reservoir(TEMPLATES, rng), Reservoir(pool, rng)
    titles, comments = Reservoir(TITLES, rng), Reservoir(COMMENTS, rng)
    outlets: dict[str, str | None] = {}
    years = []
    opener = gzip.open if corpus.suffix == ".gz" else open
    with opener(corpus, "rt", encoding="utf-8") as fh:
        for line in fh:
            try:
                rec = json.loads(line)
            except ValueError:
                continue
            if not isinstance(rec, dict):
                continue
            parts = paragraphs(rec.get("body") or "")
            coms = [c for c in rec.get("comments") or [] if isinstance(c, dict) and c.get("text")]
            if not parts:
                continue
            year = _year(rec.get("date"))
            if year:
                years.append(year)
            outlet = rec.get("outlet") or None
            if outlet and outlet not in outlets:
                outlets[outlet] = rec.get("site") or None
            temps.add(Template(outlet, rec.get("site") or None, rec.get("author") or None, year,
                               len(parts), len(coms)))
            for p in parts:
                paras.add(p)
            if rec.get("title"):
                titles.add(str(rec["title"]))
            for c in coms:
                comments.add({"author": c.get("author"), "text": str(c["text"])})
    if not temps.items:
        raise SystemExit(f"no article with a body in {corpus}")
    span = (min(years), max(years)) if years else (2015, 2025)
    return temps.items, paras.items, titles.items, comments.items, sorted(outlets.items()), span


def generate(corpus: Path, n: int, seed: int, pool: int = 200_000, copies: float = 0.08):
    """Yield ``n`` generated article records, reproducible from ``seed``."""
    rng = random.Random(seed)
    temps, paras, titles, comments, outlets, (y0, y1) = read_samples(corpus, rng, pool)
    first = dt.date(y0, 1, 1).toordinal()
    days = dt.date(y1, 12, 31).toordinal() - first + 1
    made = 0
    while made < n:
        t = rng.choice(temps)
        day = dt.date.fromordinal(first + rng.randrange(days))
        body = "\n\n".join(rng.choice(paras) for _ in range(max(1, min(t.paragraphs, 60))))
        threads = [{"id": f"C{k:03d}", **rng.choice(comments)} for k in range(min(t.comments, 30))] \
            if comments else []
        rec = {"id": f"scale-{seed}-{made:07d}", "outlet": t.outlet, "site": t.site,
               "url": None, "title": rng.choice(titles), "date": day.isoformat(),
               "author": t.author, "body": body, "comments": threads}
        yield rec
        made += 1
        if made < n and outlets and rng.random() < copies:
            # a syndicated dispatch: the same text under other outlets, the same day or the next
            for _ in range(rng.choice((1, 1, 2))):
                if made >= n:
                    break
                outlet, site = rng.choice(outlets)
                copy_day = day + dt.timedelta(days=rng.choice((0, 0, 1)))
                yield {**rec, "id": f"scale-{seed}-{made:07d}", "outlet": outlet, "site": site,
                       "date": copy_day.isoformat(), "comments": []}
                made += 1


def write(records, out: Path, per_file: int = 10_000) -> tuple[int, int]:
    """Write records as ``part-NNNNN.jsonl`` files of ``per_file`` lines; return (records, files)."""
    out.mkdir(parents=True, exist_ok=True)
    count, files, fh, tmp = 0, 0, None, None

    def close():
        if fh is not None:
            fh.close()
            tmp.rename(tmp.with_suffix(""))

    try:
        for rec in records:
            if count % per_file == 0:
                close()
                tmp = out / f"part-{files:05d}.jsonl.tmp"
                fh = open(tmp, "w", encoding="utf-8")
                files += 1
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
            count += 1
    finally:
        close()
    return count, files


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, required=True, help="articles.jsonl(.gz) to recombine")
    parser.add_argument("--n", type=int, required=True, help="articles to generate")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, required=True, help="folder of JSONL files (created)")
    parser.add_argument("--per-file", type=int, default=10_000, help="records per JSONL file")
    parser.add_argument("--pool", type=int, default=200_000, help="source paragraphs kept")
    parser.add_argument("--copies", type=float, default=0.08, help="share of articles followed by copies")
    args = parser.parse_args(argv)
    if not args.corpus.exists():
        print(f"no corpus at {args.corpus}", file=sys.stderr)
        return 2
    if args.out.exists() and any(args.out.glob("part-*.jsonl")):
        print(f"{args.out} already holds part-*.jsonl files: give an empty folder", file=sys.stderr)
        return 2
    t0 = time.monotonic()
    count, files = write(generate(args.corpus, args.n, args.seed, args.pool, args.copies), args.out, args.per_file)
    print(f"{count} articles in {files} files under {args.out} in {time.monotonic() - t0:.1f} s (seed {args.seed})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
