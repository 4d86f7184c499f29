"""Benchmark (not a test): stories over the shared corpus: counts, time, memory, a threshold sweep, a sample to check.

Usage:
    python bench/bench_stories.py [CORPUS/articles.jsonl.gz] [--raw] [--sample 30] [--sample-out FILE]
        [--workdir DIR]

The records go through the product's extractor (``search.extract.iter_file``, the article dicts
the indexer gets) unless ``--raw`` reads the bulk records as they are. Grouping is timed alone
(one ``StoryIndex.add_many`` + ``assignments``), then saved and loaded back. The sweep relinks the
saved evidence (no body is read again) at each Jaccard threshold, containment and day window
unchanged, and prints how many candidate pairs merge and how many stories remain. The sample
file lists, for hand checking, ids only: the groups merged by a pair nearest the thresholds,
then near-copy and exact-copy groups at random. Two more measures justify parameters: how many
different texts share their first N words (the short-body limit), and how close SimHash would
put the verified pairs (why MinHash). Without the corpus the script says so and exits 0.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

ROOT = Path(__file__).resolve().parent.parent
DEFAULT = ROOT.parent / "shared" / "corpus" / "articles.jsonl.gz"
SWEEP = (0.5, 0.6, 0.65, 0.7, 0.75, 0.8, 0.9)


def read_articles(path: Path, raw: bool) -> list[dict]:
    """Return the corpus as article dicts (through the extractor unless ``raw``)."""
    if raw:
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rt", encoding="utf-8") as fh:
            return [json.loads(line) for line in fh if line.strip()]
    from search.extract import iter_file

    return [a for a in iter_file(path) if isinstance(a, dict)]


def identical_bodies(records: list[dict]) -> tuple[int, int]:
    """Return (records whose body equals an earlier one's byte for byte, the same after normalisation)."""
    from search.stories import MIN_WORDS
    from search.stories.shingles import words

    seen_raw, seen_norm, raw, norm = set(), set(), 0, 0
    for r in records:
        body = r.get("body") or ""
        if body:
            raw += body in seen_raw
            seen_raw.add(body)
        tokens = words(body)
        if len(tokens) >= MIN_WORDS:
            key = " ".join(tokens)
            norm += key in seen_norm
            seen_norm.add(key)
    return raw, norm


def short_bodies(articles: list[dict], lengths=(10, 15, 20, 25, 30, 40)) -> None:
    """Print, per length N, the pairs of articles whose first N words coincide but whose bodies differ."""
    from search.stories import link
    from search.stories.shingles import shingles, words

    print("\nshort bodies: pairs whose first N words coincide, bodies otherwise different (Jaccard < 0.2)")
    tokens = {str(a["id"]): words(a.get("body")) for a in articles}
    for n in lengths:
        heads: dict[str, list[str]] = {}
        for aid, toks in tokens.items():
            if len(toks) > n:
                heads.setdefault(" ".join(toks[:n]), []).append(aid)
        pairs = different = 0
        for ids in heads.values():
            sets = [shingles(tokens[a]) for a in ids[:20]]
            for i in range(len(sets)):
                for j in range(i + 1, len(sets)):
                    pairs += 1
                    different += link.resemblance(sets[i], sets[j])[0] < 0.2
        print(f"  {n:>3} words: {pairs:>6} pairs, {different:>6} of different texts")


def simhash_recall(articles: list[dict], pairs: list, seed: int = 14) -> None:
    """Print how close 64-bit SimHash puts the verified pairs, pairs below the threshold and random pairs."""
    import numpy as np

    from search.stories import Thresholds
    from search.stories.shingles import shingles, words

    bodies = {str(a["id"]): a.get("body") for a in articles}
    bits = np.uint64(1) << np.arange(64, dtype=np.uint64)

    def simhash(aid: str) -> np.ndarray:
        mixed = shingles(words(bodies[aid])).astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
        return ((mixed[:, None] & bits) != 0).sum(axis=0) * 2 > len(mixed)

    base = Thresholds()
    ids = sorted(bodies)
    rng = random.Random(seed)
    kinds = {"verified (J ≥ 0.7 or C ≥ 0.9)": [(a, b) for a, b, j, c, _g in pairs if base.same_story(j, c, None)],
             "candidates 0.4 ≤ J < 0.7": [(a, b) for a, b, j, c, _g in pairs if 0.4 <= j < base.jaccard and c < 0.9],
             "random pairs": [tuple(rng.sample(ids, 2)) for _ in range(500)]}
    print("\nSimHash (64 bits over the same shingles): share of pairs within 3 / 6 / 10 differing bits")
    for name, chosen in kinds.items():
        dist = np.array([int((simhash(a) != simhash(b)).sum()) for a, b in chosen
                         if len(words(bodies[a])) >= 25 and len(words(bodies[b])) >= 25])
        if len(dist):
            print(f"  {name:<32} {len(dist):>5} pairs: {(dist <= 3).mean():.0%} / {(dist <= 6).mean():.0%}"
                  f" / {(dist <= 10).mean():.0%}, median {int(np.median(dist))} bits")


def sweep(folder: Path, pairs: list) -> None:
    """Print, per Jaccard threshold, the merging pairs and the stories left (relinked from the saved evidence)."""
    from search.stories import StoryIndex, Thresholds

    base = Thresholds()
    print(f"\nsweep (containment ≥ {base.containment}, ≤ {base.max_days} days;"
          f" {len(pairs)} candidate pairs of distinct bodies)")
    print(f"{'jaccard':>8} {'J pairs':>8} {'+C only':>8} {'in window':>10} {'stories':>8} {'grouped':>8}")
    for threshold in SWEEP:
        t = Thresholds(jaccard=threshold, containment=base.containment, max_days=base.max_days)
        by_j = sum(1 for *_ab, j, _c, _g in pairs if j >= threshold)
        by_c = sum(1 for *_ab, j, c, _g in pairs if j < threshold and c >= t.containment)
        merged = sum(1 for *_ab, j, c, g in pairs if t.same_story(j, c, g))
        idx = StoryIndex.load(folder, t)
        stories = idx.stories()
        n = len(idx)
        grouped = sum(len(v) for v in stories.values())
        print(f"{threshold:>8.2f} {by_j:>8} {by_c:>8} {merged:>10} {n - grouped + len(stories):>8} {grouped / n:>8.1%}")
    print("gaps (days) of the pairs merged at the default thresholds:",
          _gaps([g for *_ab, j, c, g in pairs if base.same_story(j, c, g)]),
          "| of all pairs with J ≥ 0.7 or C ≥ 0.9:",
          _gaps([g for *_ab, j, c, g in pairs if j >= base.jaccard or c >= base.containment]))


def _gaps(gaps: list) -> str:
    """Return a compact histogram of day gaps."""
    bins = {"0": 0, "1": 0, "2-5": 0, "6-30": 0, ">30": 0, "undated": 0}
    for g in gaps:
        if g is None:
            bins["undated"] += 1
        else:
            bins["0" if g == 0 else "1" if g == 1 else "2-5" if g <= 5 else "6-30" if g <= 30 else ">30"] += 1
    return " ".join(f"{k}:{v}" for k, v in bins.items())


def sample(idx, pairs: list, count: int, seed: int = 14) -> list[dict]:
    """Return ``count`` groups to check: half nearest the thresholds, then near and exact copies at random."""
    from search.stories import CONTAINMENT, JACCARD

    stories = idx.stories()
    closest = {}
    for a, b, j, c, _g in pairs:
        sid = idx.story_of(a)
        if sid == idx.story_of(b) and sid in stories:
            # Distance to the nearer of the two thresholds that merged the pair.
            closest[sid] = min(closest.get(sid, 9.0), abs(j - JACCARD) if j >= JACCARD else abs(c - CONTAINMENT))
    borderline = sorted(closest, key=lambda s: (closest[s], s))[:count // 2]
    rng = random.Random(seed)
    near = sorted(set(closest) - set(borderline))
    rng.shuffle(near)
    near = near[:count // 3]
    exact = sorted(set(stories) - set(closest))
    rng.shuffle(exact)
    exact = exact[:count - len(borderline) - len(near)]
    kinds = [("borderline", borderline), ("near", near), ("exact", exact)]
    return [{"story": sid, "members": stories[sid], "kind": kind} for kind, sids in kinds for sid in sids]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=DEFAULT)
    parser.add_argument("--raw", action="store_true", help="read the bulk records without the extractor")
    parser.add_argument("--sample", type=int, default=30)
    parser.add_argument("--sample-out", type=Path, default=None)
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args(argv)
    if not args.corpus.is_file():
        print(f"corpus absent ({args.corpus}): nothing to measure")
        return 0
    from search.stories import StoryIndex

    t0 = time.perf_counter()
    articles = read_articles(args.corpus, args.raw)
    t_read = time.perf_counter() - t0
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    idx = StoryIndex()
    idx.add_many(articles)
    assignments = idx.assignments()
    t_group = time.perf_counter() - t0
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    st = idx.stats()
    raw_same, norm_same = identical_bodies(articles)
    print(f"records: {len(articles)} ({'raw' if args.raw else 'extracted'}, read in {t_read:.1f} s)")
    print(f"bodies equal to an earlier one: {raw_same} byte for byte, {norm_same} after normalisation")
    print(f"exact-copy groups: {st['exact_groups']} | groups with near copies: {st['near_groups']}"
          f" | groups: {st['groups']} | weak links: {st['weak_links']}")
    print(f"stories: {len(set(assignments.values()))} | articles grouped: {st['grouped']}"
          f" ({st['grouped'] / len(articles):.1%}) | largest group: {st['largest']}")
    print(f"grouping: {t_group:.1f} s, peak RSS {rss_after / 1024:.0f} MB (+{(rss_after - rss_before) / 1024:.0f} MB"
          f" over the loaded articles), evidence {st['evidence_bytes'] / 2**20:.0f} MB")
    with tempfile.TemporaryDirectory(dir=args.workdir) as tmp:
        folder = Path(tmp)
        t0 = time.perf_counter()
        idx.save(folder)
        t_save = time.perf_counter() - t0
        t0 = time.perf_counter()
        loaded = StoryIndex.load(folder)
        t_load = time.perf_counter() - t0
        size = sum(p.stat().st_size for p in folder.iterdir())
        print(f"save {t_save:.2f} s, load {t_load:.2f} s, {size / 2**20:.0f} MB on disk, same stories: "
              f"{loaded.assignments() == assignments}")
        t0 = time.perf_counter()
        probe = articles[len(articles) // 2]
        loaded.remove(str(probe["id"]))
        loaded.add(str(probe["id"]), probe.get("title"), probe.get("body"), probe.get("date"))
        same = loaded.story_of(str(probe["id"])) == assignments[str(probe["id"])]
        print(f"incremental remove + add of one article: {time.perf_counter() - t0:.3f} s, same story: {same}")
        pairs = idx.near_pairs()
        sweep(folder, pairs)
    short_bodies(articles)
    simhash_recall(articles, pairs)
    groups = sample(idx, pairs, args.sample)
    out = args.sample_out or Path(tempfile.gettempdir()) / "stories-sample.json"
    out.write_text(json.dumps(groups, indent=1), encoding="utf-8")
    print(f"\n{len(groups)} groups to check by hand (ids only): {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
