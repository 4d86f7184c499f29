"""When two articles are one story: the thresholds, measured on the shared corpus, and the pair tests.

Two bodies of at least ``MIN_WORDS`` words with the same words (``shingles.exact_key``) are copies
whatever their dates. Two other bodies are near copies when their shingle sets are close —
Jaccard ≥ ``JACCARD``, or the smaller set contained at ≥ ``CONTAINMENT`` in the larger (a short
version of a longer dispatch) — **and** they were published at most ``MAX_DAYS`` days apart
(undated articles are not kept apart by their dates). The numbers come from
``bench/bench_stories.py`` and a hand check of the pairs around them; the reasons are in the
comments below.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass

import numpy as np

from search.stories import minhash

#: A body of fewer words is no evidence: it stays a story of its own. Measured on the shared
#: corpus (bench/bench_stories.py, "short bodies"): the first 20 words of two bodies coincide in
#: 753 pairs of otherwise different texts (official openings, « Le président de la Transition, Son
#: Excellence le Colonel … »), the first 25 words in 30, mostly the fixed opening of a daily
#: series (« Coronavirus : le point sur la pandémie ») or two versions of one dispatch.
MIN_WORDS = 25
#: Near copies from here. Hand check of the candidate pairs of the shared corpus published at
#: most ``MAX_DAYS`` apart: of the 65 pairs at 0.5–0.6, about 8 are two different stories
#: (« Coronavirus : le point sur la pandémie » of consecutive days at 0.55–0.59, the strike
#: traffic of Thursday and of Friday, two articles drawn from one interview); of the 41 at
#: 0.6–0.7, one (two undated « Personnalité sportive africaine de l'année » nominees, 0.62);
#: none of the 131 pairs merged from 0.7. 0.7 keeps a margin of 0.1 over the daily templates
#: for 41 missed pairs (0.1 % of the articles).
JACCARD = 0.7
#: A short version wholly inside a longer one (truncated copy, or a dispatch that grew): the
#: daily roundups of consecutive days reach 0.86–0.89, the 17 pairs merged by containment alone
#: (Jaccard < 0.7) are all versions of one dispatch.
CONTAINMENT = 0.9
#: Copies are published within days: of the 131 merged pairs, 101 share their day, 21 are one day
#: apart, 9 two to five (an explainer republished). The 16 pairs over the thresholds but further
#: apart are templates or sequels (two « Fort Boyard » episodes 14 and 28 days apart share their
#: whole introduction; the nominees and the winner of a prize, 59 days), and under a week a
#: weekly report can never join last week's.
MAX_DAYS = 5
#: How a verified pair links. A weak link (one body inside the other, little else in common) is
#: dropped when the containing article holds versions of two stories or more (a digest, a live
#: page), or when the contained text is found inside two stories or more (shared boilerplate: a
#: raw Malijet page whose body is only its « À lire aussi » block sits inside 16 other pages).
NONE, WEAK, STRONG = 0, 1, 2
#: Day number of an unknown date (real ones start at 1).
UNKNOWN = 0


@dataclass(frozen=True)
class Thresholds:
    """The verified-pair thresholds one index was linked with."""

    jaccard: float = JACCARD
    containment: float = CONTAINMENT
    max_days: int = MAX_DAYS

    def kind(self, jaccard: float, containment: float, gap: int | None) -> int:
        """Return how a candidate pair links: ``STRONG`` (similar), ``WEAK`` (containment only) or ``NONE``."""
        if gap is not None and gap > self.max_days:
            return NONE
        if jaccard >= self.jaccard:
            return STRONG
        return WEAK if containment >= self.containment else NONE

    def same_story(self, jaccard: float, containment: float, gap: int | None) -> bool:
        """Return True when a candidate pair's measures link it (strongly or weakly)."""
        return self.kind(jaccard, containment, gap) != NONE


def day_span(date: str | None) -> tuple[int, int]:
    """Return the first and last day (proleptic ordinals) a ``YYYY[-MM[-DD]]`` date covers, (0, 0) when unknown."""
    if not date or not isinstance(date, str):
        return UNKNOWN, UNKNOWN
    parts = date.strip()[:10].split("-")
    try:
        numbers = [int(p) for p in parts]
        if len(numbers) >= 3:
            day = _dt.date(numbers[0], numbers[1], numbers[2]).toordinal()
            return day, day
        if len(numbers) == 2:
            first = _dt.date(numbers[0], numbers[1], 1)
            following = _dt.date(numbers[0] + numbers[1] // 12, numbers[1] % 12 + 1, 1)
            return first.toordinal(), following.toordinal() - 1
        return _dt.date(numbers[0], 1, 1).toordinal(), _dt.date(numbers[0], 12, 31).toordinal()
    except ValueError:
        return UNKNOWN, UNKNOWN


def resemblance(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """Return the Jaccard index of two sorted shingle sets and the containment of the smaller in the larger."""
    if not len(a) or not len(b):
        return 0.0, 0.0
    common = len(np.intersect1d(a, b, assume_unique=True))
    return common / (len(a) + len(b) - common), common / min(len(a), len(b))


def day_gap(lo_a: np.ndarray, hi_a: np.ndarray, lo_b: np.ndarray, hi_b: np.ndarray) -> int | None:
    """Return the fewest days between a dated member of one side and one of the other, None if a side has no date."""
    known_a, known_b = lo_a != UNKNOWN, lo_b != UNKNOWN
    if not known_a.any() or not known_b.any():
        return None
    la, ha = lo_a[known_a][:, None].astype(np.int64), hi_a[known_a][:, None].astype(np.int64)
    lb, hb = lo_b[known_b][None, :].astype(np.int64), hi_b[known_b][None, :].astype(np.int64)
    # Distance between two day intervals: 0 when they overlap.
    return int(np.maximum(0, np.maximum(lb - ha, la - hb)).min())


#: A band value shared by more distinct bodies than this is boilerplate, not a copy: it gives no pairs.
MAX_RUN = 500
#: Pairs found before they are first merged into the distinct ones (then: once they outnumber them).
MERGE_PAIRS = 1 << 22


def candidate_pairs(sigs: np.ndarray, is_new: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
    """Return the ``(p, 2)`` sorted local index pairs whose signatures agree on a whole band, one side new.

    ``rows``: the rows of ``sigs`` compared (local index ``i`` is ``sigs[rows[i]]``), all when None;
    the signatures are read in place, never copied.
    """
    m = len(sigs) if rows is None else len(rows)
    unique = np.zeros(0, dtype=np.int64)
    found: list[np.ndarray] = []  # pairs of the bands not merged into ``unique`` yet
    held = 0
    # One band at a time: the temporary arrays stay the size of one column. The pairs found are
    # merged into the distinct ones every few bands, once they outnumber them: a pair agreeing
    # on many bands is not held once per band, and the merges stay few (amortised).
    for band in range(minhash.BANDS):
        keys = minhash.band_key(sigs, band)
        if rows is not None:
            keys = keys[rows]
        owner = np.arange(m, dtype=np.int64)
        if not is_new.all():
            keep = np.isin(keys, keys[is_new])
            keys, owner = keys[keep], owner[keep]
        order = np.argsort(keys, kind="stable")
        keys, owner = keys[order], owner[order]
        cuts = np.flatnonzero(keys[1:] != keys[:-1]) + 1
        starts = np.concatenate(([0], cuts))
        ends = np.concatenate((cuts, [len(keys)]))
        codes = []
        for start, end in zip(starts[ends - starts > 1], ends[ends - starts > 1]):
            if end - start > MAX_RUN:
                continue
            members = owner[start:end]
            x, y = np.triu_indices(len(members), 1)
            a, b = members[x], members[y]
            keep = is_new[a] | is_new[b]
            codes.append(np.minimum(a, b)[keep] * m + np.maximum(a, b)[keep])
        if codes:
            found.append(np.concatenate(codes))
            held += len(found[-1])
        if held > max(len(unique), MERGE_PAIRS):
            unique, found, held = np.unique(np.concatenate([unique, *found])), [], 0
    if found:
        unique = np.unique(np.concatenate([unique, *found]))
    return np.stack((unique // m, unique % m), axis=1)
