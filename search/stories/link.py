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
    # every dated member of one side against every dated member of the other
    la, ha = lo_a[known_a][:, None], hi_a[known_a][:, None]
    lb, hb = lo_b[known_b][None, :], hi_b[known_b][None, :]
    return int(interval_gaps(la, ha, lb, hb).min())


#: A band value shared by more distinct bodies than this is boilerplate, not a copy: it gives no pairs.
MAX_RUN = 500
#: Candidate pairs handed out at a time (16 bytes each): what the search holds, whatever the corpus.
CHUNK_PAIRS = 1 << 18


def interval_gaps(lo_a: np.ndarray, hi_a: np.ndarray, lo_b: np.ndarray, hi_b: np.ndarray) -> np.ndarray:
    """Return the days between day intervals, side by side (0 when they overlap, -1 when a side is undated)."""
    # distance between two day intervals: 0 when they overlap
    lo_a, hi_a, lo_b, hi_b = (np.asarray(v, dtype=np.int64) for v in (lo_a, hi_a, lo_b, hi_b))
    gaps = np.maximum(0, np.maximum(lo_b - hi_a, lo_a - hi_b))
    return np.where((lo_a == UNKNOWN) | (lo_b == UNKNOWN), -1, gaps)


def iter_candidate_pairs(sigs: np.ndarray, is_new: np.ndarray, rows: np.ndarray | None = None):
    """Yield ``(p, 2)`` local index pairs (smaller first) whose signatures agree on a whole band, one side new.

    ``rows``: the rows of ``sigs`` compared (local index ``i`` is ``sigs[rows[i]]``), all when None;
    the signatures are read in place, never copied. Each pair comes once, with the first band that
    gives it, at most ``CHUNK_PAIRS`` at a time: memory holds one chunk, not every pair.
    """
    m = len(sigs) if rows is None else len(rows)
    # Bit ``band`` of a row: its run of that band was too long to give pairs (boilerplate).
    too_long = np.zeros(m, dtype=np.uint64)
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
        starts = np.flatnonzero(np.concatenate(([True], keys[1:] != keys[:-1])))
        sizes = np.diff(np.append(starts, len(keys)))
        long = sizes > MAX_RUN
        if long.any():
            too_long[owner[np.repeat(long, sizes)]] |= np.uint64(1 << band)
        del keys
        for a, b in _run_pairs(owner, starts, sizes, is_new):
            if band:
                # A pair agreeing on an earlier band that gave pairs came with that band.
                fresh = ~_agreed_before(sigs, rows, too_long, a, b, band)
                a, b = a[fresh], b[fresh]
            if len(a):
                yield np.stack((a, b), axis=1)


def _run_pairs(owner: np.ndarray, starts: np.ndarray, sizes: np.ndarray, is_new: np.ndarray):
    """Yield ``(a, b)`` arrays: the pairs within each run of 2 to ``MAX_RUN`` rows, one side new, sorted, in chunks."""
    for size in np.unique(sizes[(sizes > 1) & (sizes <= MAX_RUN)]):
        x, y = np.triu_indices(int(size), 1)
        at = starts[sizes == size]
        step = max(1, CHUNK_PAIRS // len(x))
        for i in range(0, len(at), step):
            base = at[i:i + step, None]
            a, b = owner[base + x].ravel(), owner[base + y].ravel()
            keep = is_new[a] | is_new[b]
            lo, hi = np.minimum(a, b)[keep], np.maximum(a, b)[keep]
            sort = np.lexsort((hi, lo))
            yield lo[sort], hi[sort]


def _agreed_before(sigs, rows, too_long, a, b, band) -> np.ndarray:
    """Return which pairs agree on a whole band before ``band`` whose run gave pairs."""
    ra, rb = (a, b) if rows is None else (rows[a], rows[b])
    out = np.zeros(len(a), dtype=bool)
    cols = band * minhash.ROWS
    step = max(1, (1 << 22) // cols)  # about 16 MB of signature values per side
    bits = np.uint64(1) << np.arange(band, dtype=np.uint64)
    for i in range(0, len(a), step):
        part = slice(i, i + step)
        same = (sigs[ra[part], :cols] == sigs[rb[part], :cols]).reshape(-1, band, minhash.ROWS).all(axis=2)
        # both rows of an agreeing band share its run, so one row's bits tell whether it gave pairs
        gave = (too_long[a[part], None] & bits) == 0
        out[part] = (same & gave).any(axis=1)
    return out


def candidate_pairs(sigs: np.ndarray, is_new: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
    """Return every pair of ``iter_candidate_pairs`` as one sorted ``(p, 2)`` array (small sets, tests)."""
    chunks = list(iter_candidate_pairs(sigs, is_new, rows))
    if not chunks:
        return np.zeros((0, 2), dtype=np.int64)
    pairs = np.concatenate(chunks)
    return pairs[np.lexsort((pairs[:, 1], pairs[:, 0]))]
