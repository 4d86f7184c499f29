"""``StoryIndex``: articles grouped into stories, kept up to date one article at a time.

Each article keeps its evidence (exact-copy key, day span, MinHash signature, shingle set), so
adding or removing one never re-reads other bodies. Exact copies and similar pairs (strong links)
are joined in a union-find; containment-only pairs (weak links) are kept aside and join two
groups only when neither the container is a digest of several stories nor the contained text is
found inside several stories (``_grouping``). A removal relinks only the members of the story
it left (everything, from the stored evidence, when a weak link is involved: rare). A story's id
is the id of its first publication (earliest date, then smallest id), so that a change renames
only the stories it joins or splits.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable

import numpy as np

from search.stories import link, minhash, shingles, store
from search.stories.sets import ShingleSets
from search.stories.link import Thresholds

#: Exact-copy key of a body too short to be evidence.
NO_KEY = 0
#: A pair's day gap not computed side by side: one of its classes holds several articles.
_CLASS_GAP = -2
#: Sorts undated articles after dated ones when the first publication is chosen.
_LATEST = np.iinfo(np.int64).max


class StoryIndex:
    """Articles grouped into stories: ``add``/``remove`` articles, ask ``story_of``/``members``, ``save``/``load``."""

    def __init__(self, thresholds: Thresholds | None = None, spill_dir=None):
        self.thresholds = thresholds or Thresholds()
        self._ids: list[str] = []
        self._row: dict[str, int] = {}
        self._key = np.zeros(0, dtype=np.uint64)
        self._lo = np.zeros(0, dtype=np.int32)
        self._hi = np.zeros(0, dtype=np.int32)
        self._alive = np.zeros(0, dtype=bool)
        self._parent = np.zeros(0, dtype=np.int64)
        self._sig = np.zeros((0, minhash.PERMUTATIONS), dtype=np.uint32)
        # Shingle sets by slot, mostly on disk (in ``spill_dir``, a temporary folder when None);
        # ``_slot`` gives each row's slot.
        self._sets = ShingleSets(spill_dir)
        self._slot = np.zeros(0, dtype=np.int64)
        # Article id → slot of its shingles, in the order added; the exact key and day span of
        # slot ``_pending_base + i`` are item ``i`` of the arrays (a few bytes an article, not objects).
        self._pending: dict[str, int] = {}
        self._pending_base = 0
        self._pending_cols = (array("Q"), array("i"), array("i"))
        # Weak links (containment only) as (container, contained) rows of exact-class representatives; applied
        # over the strong groups of the union-find when questions are asked (see ``_grouping``).
        self._weak: set[tuple[int, int]] = set()
        self._labels: dict[int, str] | None = None
        self._final: np.ndarray | None = None

    # -- changes ---------------------------------------------------------------------------

    def add(self, article_id: str, title: str | None, body: str | None, date: str | None) -> None:
        """Add (or replace) one article; it is grouped at the next question, with every article added meanwhile."""
        # The title is not evidence: copies are the same dispatch under other headlines.
        del title
        if article_id in self._row or article_id in self._pending:
            self.remove(article_id)
        tokens = shingles.words(body)
        evident = len(tokens) >= link.MIN_WORDS
        key = (shingles.exact_key(tokens) or 1) if evident else NO_KEY
        sets = shingles.shingles(tokens) if evident else np.zeros(0, dtype=np.uint32)
        lo, hi = link.day_span(date)
        self._pending[article_id] = self._sets.append(sets)
        for column, value in zip(self._pending_cols, (key, lo, hi)):
            column.append(value)
        self._labels = self._final = None

    def add_many(self, articles: Iterable[dict]) -> None:
        """Add article dicts (``id``, ``title``, ``body``, ``date``), grouped together at the next question."""
        for article in articles:
            self.add(str(article["id"]), article.get("title"), article.get("body"), article.get("date"))

    def remove(self, article_id: str) -> bool:
        """Remove one article (False when unknown); the rest of its story is regrouped without it."""
        if self._pending.pop(article_id, None) is not None:
            return True
        row = self._row.pop(article_id, None)
        if row is None:
            return False
        self._flush()
        roots = self._roots()
        members = np.flatnonzero((roots == roots[row]) & self._alive)
        self._alive[row] = False  # a tombstone until the next save, which writes live rows only
        self._labels = self._final = None
        if any(a in members or b in members for a, b in self._weak_rows()):
            # A weak link leaves the strong group: only a full relink from the stored evidence
            # is sure to give what a rebuild would (rare: a few dozen weak links per corpus).
            self._relink_all()
            return True
        self._parent[row] = row
        members = members[members != row]
        self._parent[members] = members
        self._link(members, members)
        return True

    # -- questions -------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._row) + len(self._pending)

    def __contains__(self, article_id: object) -> bool:
        self._flush()
        return article_id in self._row

    def story_of(self, article_id: str) -> str | None:
        """Return the story id of an article (its own id when it has no copy), None when unknown."""
        self._flush()
        row = self._row.get(article_id)
        if row is None:
            return None
        labels = self._story_labels()
        return labels.get(int(self._grouping()[row]), article_id)

    def members(self, story_id: str) -> list[str]:
        """Return the ids of a story's articles, first publication first ([] for an unknown story)."""
        self._flush()
        row = self._row.get(story_id)
        if row is None or self.story_of(story_id) != story_id:
            return []
        roots = self._grouping()
        rows = np.flatnonzero((roots == roots[row]) & self._alive)
        return [self._ids[r] for r in self._first_order(rows)]

    def assignments(self) -> dict[str, str]:
        """Return every article's story id."""
        self._flush()
        roots = self._grouping()
        labels = self._story_labels()
        return {aid: labels.get(int(roots[row]), aid) for aid, row in self._row.items()}

    def stories(self) -> dict[str, list[str]]:
        """Return the stories of two articles or more: story id → member ids, first publication first."""
        self._flush()
        roots = self._grouping()
        alive = np.flatnonzero(self._alive)
        order = alive[np.argsort(roots[alive], kind="stable")]
        cuts = np.flatnonzero(np.diff(roots[order])) + 1
        out = {}
        for rows in np.split(order, cuts):
            if len(rows) > 1:
                ids = [self._ids[r] for r in self._first_order(rows)]
                out[ids[0]] = ids
        return out

    def exact_groups(self) -> int:
        """Return how many sets of two articles or more share one body (after normalisation)."""
        self._flush()
        keys = self._key[self._alive & (self._key != NO_KEY)]
        _values, counts = np.unique(keys, return_counts=True)
        return int((counts > 1).sum())

    def stats(self) -> dict:
        """Return report counts: articles, evidence, exact and near-copy groups, stories, evidence bytes."""
        stories = self.stories()
        near = sum(1 for ids in stories.values() if len({int(self._key[self._row[a]]) for a in ids}) > 1)
        grouped = sum(len(ids) for ids in stories.values())
        alive = np.flatnonzero(self._alive)
        return {"articles": len(alive), "evidence": int((self._key[alive] != NO_KEY).sum()),
                "exact_groups": self.exact_groups(), "near_groups": near, "groups": len(stories),
                "grouped": grouped, "stories": len(alive) - grouped + len(stories),
                "largest": max((len(ids) for ids in stories.values()), default=0), "weak_links": len(self._weak),
                "evidence_bytes": int(self._sig[alive].nbytes + 4 * self._sets.sizes(self._slot[alive]).sum())}

    def near_pairs(self) -> list[tuple[str, str, float, float, int | None]]:
        """Return every candidate pair of distinct bodies with its Jaccard, containment and day gap (for measures)."""
        self._flush()
        rows = np.flatnonzero(self._alive)
        order, starts = self._classes(rows)
        reps = order[starts]
        out = []
        for a, b, jac, cont, gap in self._measured(reps, order, starts, np.ones(len(reps), dtype=bool)):
            out.append((self._ids[reps[a]], self._ids[reps[b]], jac, cont, gap))
        return sorted(out, key=lambda pair: pair[:2])

    def save(self, folder) -> None:
        """Write the index into ``folder`` as plain files (see ``search.stories.store``)."""
        store.save(self, folder)

    @classmethod
    def load(cls, folder, thresholds: Thresholds | None = None, spill_dir=None) -> StoryIndex:
        """Return the index saved in ``folder``, relinked from its stored evidence if ``thresholds`` changed."""
        return store.load(cls, folder, thresholds, spill_dir)

    # -- grouping --------------------------------------------------------------------------

    def _flush(self) -> None:
        """Append the pending articles to the arrays and link them to the others."""
        if not self._pending:
            return
        pending, self._pending = self._pending, {}
        (keys, los, his), self._pending_cols = self._pending_cols, (array("Q"), array("i"), array("i"))
        base, self._pending_base = self._pending_base, len(self._sets)
        start = len(self._ids)
        for offset, article_id in enumerate(pending):
            self._ids.append(article_id)
            self._row[article_id] = start + offset
        slots = np.fromiter(pending.values(), dtype=np.int64, count=len(pending))
        at = slots - base
        self._slot = np.concatenate((self._slot, slots))
        self._key = np.concatenate((self._key, np.frombuffer(keys, dtype=np.uint64)[at]))
        self._lo = np.concatenate((self._lo, np.frombuffer(los, dtype=np.int32)[at]))
        self._hi = np.concatenate((self._hi, np.frombuffer(his, dtype=np.int32)[at]))
        del keys, los, his
        self._alive = np.concatenate((self._alive, np.ones(len(pending), dtype=bool)))
        new_rows = np.arange(start, start + len(pending), dtype=np.int64)
        self._parent = np.concatenate((self._parent, new_rows))
        sigs = self._sets.take_signatures(slots)
        # a first flush (a full run: every article at once) takes the signatures as they are
        self._sig = np.concatenate((self._sig, sigs)) if len(self._sig) else sigs
        self._link(new_rows, np.flatnonzero(self._alive))

    def _classes(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Return the exact-copy classes of the evidence rows among ``rows``: rows by class, class starts."""
        rows = rows[self._key[rows] != NO_KEY]
        order = rows[np.lexsort((rows, self._key[rows]))]
        if not len(order):
            return order, np.zeros(0, dtype=np.int64)
        return order, np.flatnonzero(np.concatenate(([True], self._key[order][1:] != self._key[order][:-1])))

    def _link(self, new_rows: np.ndarray, universe: np.ndarray) -> None:
        """Union the new rows with the copies and near copies found among ``universe``."""
        order, starts = self._classes(universe)
        if not len(order):
            return
        new = np.zeros(len(self._ids), dtype=bool)
        new[new_rows] = True
        class_of = np.cumsum(np.isin(np.arange(len(order)), starts)) - 1
        rep_new = np.zeros(len(starts), dtype=bool)
        rep_new[class_of[new[order]]] = True
        ends = np.append(starts[1:], len(order))
        for c in np.flatnonzero(rep_new & (ends - starts > 1)):
            for row in order[starts[c] + 1:ends[c]]:
                self._union(order[starts[c]], row)
        reps = order[starts]
        for a, b, jac, cont, gap in self._measured(reps, order, starts, rep_new, far=False):
            kind = self.thresholds.kind(jac, cont, gap)
            if kind == link.STRONG:
                self._union(reps[a], reps[b])
            elif kind == link.WEAK:
                # (container, contained): the larger shingle set holds the smaller.
                pair = sorted((int(reps[a]), int(reps[b])), key=lambda r: (-self._size(r), r))
                self._weak.add((pair[0], pair[1]))

    def _measured(self, reps, order, starts, rep_new, far=True):
        """Yield candidate class pairs (local indices) with their Jaccard, containment and day gap.

        ``far=False`` leaves out, unread, the pairs dated too far apart to link whatever their texts.
        """
        ends = np.append(starts[1:], len(order))
        single = ends - starts == 1
        lo, hi = self._lo[reps], self._hi[reps]
        for pairs in link.iter_candidate_pairs(self._sig, rep_new, reps):
            a, b = pairs[:, 0], pairs[:, 1]
            # a class of one article has one day span: its gaps are computed side by side
            # (-1: a side undated); a larger class's gap is computed pair by pair (_CLASS_GAP)
            gaps = np.where(single[a] & single[b], link.interval_gaps(lo[a], hi[a], lo[b], hi[b]), _CLASS_GAP)
            if not far:
                keep = gaps <= self.thresholds.max_days
                a, b, gaps = a[keep], b[keep], gaps[keep]
            held = (-1, None)  # pairs come sorted by their first side: its set is read once
            for x, y, gap in zip(a.tolist(), b.tolist(), gaps.tolist()):
                if gap == _CLASS_GAP:
                    ca, cb = order[starts[x]:ends[x]], order[starts[y]:ends[y]]
                    gap = link.day_gap(self._lo[ca], self._hi[ca], self._lo[cb], self._hi[cb])
                    if not far and gap is not None and gap > self.thresholds.max_days:
                        continue
                if held[0] != x:
                    held = (x, self.shingle_set(reps[x]))
                jac, cont = link.resemblance(held[1], self.shingle_set(reps[y]))
                yield x, y, jac, cont, None if gap == -1 else gap

    def shingle_set(self, row: int) -> np.ndarray:
        """Return the shingle set of a row (read from disk when it is no longer in memory)."""
        return self._sets[self._slot[row]]

    def _size(self, row: int) -> int:
        """Return how many shingles a row has."""
        return self._sets.size(int(self._slot[row]))

    def _relink_all(self) -> None:
        """Group every live article again from its stored evidence."""
        rows = np.flatnonzero(self._alive)
        self._parent = np.arange(len(self._ids), dtype=np.int64)
        self._weak = set()
        self._link(rows, rows)
        self._labels = self._final = None

    def _weak_rows(self) -> list[tuple[int, int]]:
        """Return the weak links, in a fixed order."""
        return sorted(self._weak)

    def _grouping(self) -> np.ndarray:
        """Return each row's group root: strong groups joined by the weak links of non-digest articles (cached)."""
        if self._final is None:
            final = self._roots().copy()
            contained: dict[int, set[int]] = {}
            for outer, inner in self._weak_rows():
                if final[outer] != final[inner]:
                    contained.setdefault(outer, set()).add(int(final[inner]))
            # An article that holds versions of two stories or more is a digest: its weak links do not count.
            digests = {row for row, groups in contained.items() if len(groups) > 1}
            links = [(o, i) for o, i in self._weak_rows() if o not in digests and final[o] != final[i]]
            # A text found inside two stories or more is shared boilerplate (a « À lire aussi » block
            # alone): it joins none of them.
            holders: dict[int, set[int]] = {}
            for outer, inner in links:
                holders.setdefault(inner, set()).add(int(final[outer]))
            joins = [(int(final[o]), int(final[i])) for o, i in links if len(holders[i]) == 1]
            if joins:
                final = _join(final, joins)
            self._final = final
        return self._final

    def _find(self, row: int) -> int:
        """Return the root of a row, compressing the path."""
        parent = self._parent
        root = row
        while parent[root] != root:
            root = parent[root]
        while parent[row] != root:
            parent[row], row = root, parent[row]
        return int(root)

    def _union(self, a: int, b: int) -> None:
        """Join the groups of two rows under the smaller root (deterministic)."""
        ra, rb = self._find(int(a)), self._find(int(b))
        if ra != rb:
            self._parent[max(ra, rb)] = min(ra, rb)

    def _roots(self) -> np.ndarray:
        """Return every row's root (compressing the whole forest)."""
        parent = self._parent
        while True:
            grand = parent[parent]
            if np.array_equal(grand, parent):
                return parent
            parent[:] = grand

    def _first_order(self, rows: np.ndarray) -> np.ndarray:
        """Return ``rows`` sorted first publication first: dated before undated, earliest day, then id."""
        lo = np.where(self._lo[rows] == link.UNKNOWN, _LATEST, self._lo[rows].astype(np.int64))
        ids = np.array([self._ids[r] for r in rows])
        return rows[np.lexsort((ids, lo))]

    def _story_labels(self) -> dict[int, str]:
        """Return root row → story id for the groups of two articles or more (cached until a change)."""
        if self._labels is None:
            roots = self._grouping()
            labels = {}
            for story_id, ids in self.stories().items():
                labels[int(roots[self._row[story_id]])] = story_id
            self._labels = labels
        return self._labels


def _join(roots: np.ndarray, joins: list[tuple[int, int]]) -> np.ndarray:
    """Return ``roots`` with the groups of each pair joined under the smaller root."""
    parent: dict[int, int] = {}

    def find(x: int) -> int:
        while parent.get(x, x) != x:
            x = parent[x]
        return x

    for a, b in joins:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    mapping = {r: find(r) for r in parent}
    return np.array([mapping.get(int(r), int(r)) for r in roots], dtype=np.int64) if mapping else roots


def group(articles: Iterable[dict], thresholds: Thresholds | None = None) -> dict[str, str]:
    """Return article id → story id for article dicts with ``id``, ``title``, ``body``, ``date``."""
    index = StoryIndex(thresholds)
    index.add_many(articles)
    return index.assignments()
