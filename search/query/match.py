"""Matching and BM25 scoring of whole queries with numpy arrays over cached posting lists.

Whoosh walks a query one document at a time through a tree of Python matchers: an OR of the
90 terms of a prefix (30 forms in 3 fields) costs hundreds of milliseconds over 5,000 hits.
Here each term's posting list is decoded once per generation into arrays (document numbers and
BM25 scores), and AND/OR/NOT become element-wise operations over dense per-document arrays.
Scores follow Whoosh's BM25F exactly (same idf, field lengths, field boosts), so rankings do
not change. A phrase intersects its terms' arrays first, then checks positions on those
candidates only (``Postings.verify``), reading each posting's positions straight from its block.
"""

from __future__ import annotations

import itertools
import os
import threading
from collections import OrderedDict
from pickle import loads

import numpy as np
from whoosh import query as wq
from whoosh.formats import Positions
from whoosh.query import SpanNear2
from whoosh.scoring import BM25F
from whoosh.util.numeric import byte_to_length

def _cache_postings() -> int:
    """Return the bound on cached postings, from ``PRESSE_POSTINGS_CACHE_MB`` (default 128 MB)."""
    try:
        mb = float(os.environ.get("PRESSE_POSTINGS_CACHE_MB", "128"))
    except ValueError:
        mb = 128.0
    return max(100_000, int(mb * 1024 * 1024 / 24))


#: Upper bound on cached postings (document entries summed over cached terms) per generation and
#: process, 24 bytes each (id, score, weight).  A search of a common word at 500,000 articles
#: reads about a million postings: with a bound of 2 million (48 MB), the 25 queries of the load
#: mix evicted each other and the p95 at 20 clients was 745 ms (``bench/bench_load.py``).
CACHE_POSTINGS = _cache_postings()
#: Terms read for one query before giving up and letting Whoosh answer (absurd expansions:
#: the query language bounds each prefix or fuzzy word to 30 forms in each of 3 fields).
MAX_TERMS = 5000

_LENGTH_TABLE = np.array([byte_to_length(i) if i else 0 for i in range(256)], dtype=np.float64)


class Unsupported(Exception):
    """The query has a node this engine does not evaluate; Whoosh answers it instead."""


class _Expired(Exception):
    """The search's time limit ran out while posting lists were being read."""


class Scored:
    """The documents a query matches (``mask``) and their scores (0 where not matching)."""

    __slots__ = ("mask", "scores")

    def __init__(self, mask: np.ndarray, scores: np.ndarray):
        self.mask = mask
        self.scores = scores

    def top(self, final: np.ndarray, offset: int, k: int, rank: np.ndarray) -> list[tuple[float, int]]:
        """Return ``(score, docnum)`` of hits ``offset:k`` among ``final``, best first, ties by id."""
        docs = np.flatnonzero(final & self.mask)
        if not len(docs):
            return []
        s = self.scores[docs]
        if len(docs) > 4 * k + 64:
            # only the documents scoring at least the k-th best can be on the page (ties kept)
            kth = np.partition(s, len(s) - k)[len(s) - k]
            keep = s >= kth
            docs, s = docs[keep], s[keep]
        order = np.lexsort((rank[docs], -s))[offset:k]
        return [(float(s[i]), int(docs[i])) for i in order]


class Postings:
    """Per-generation cache of term posting arrays and field lengths (thread-safe)."""

    def __init__(self, searcher, lengths: dict[str, np.ndarray] | None = None):
        """Cache over ``searcher``; ``lengths`` are field lengths read already (memory-mapped arrays)."""
        self.searcher = searcher
        self.reader = searcher.reader()
        self.schema = searcher.schema
        self.n = self.reader.doc_count_all()
        self.weighting = searcher.weighting
        self._lock = threading.Lock()
        # Whoosh's posting readers seek a shared file: one decoding thread at a time
        self._read_lock = threading.Lock()
        self._terms: OrderedDict[tuple[str, str], tuple[np.ndarray, np.ndarray, np.ndarray]] = OrderedDict()
        self._size = 0
        self._lengths: dict[str, np.ndarray] = dict(lengths or {})

    def usable(self) -> bool:
        """True when the searcher scores with plain BM25F (the only model reproduced here)."""
        return type(self.weighting) is BM25F and not self.weighting._field_B

    def lengths(self, fieldname: str) -> np.ndarray:
        """Return the field length of every document (as Whoosh stores it, one byte each)."""
        with self._lock:
            arr = self._lengths.get(fieldname)
        if arr is not None:
            return arr
        with self._read_lock:
            parts = self._read_lengths(fieldname)
        arr = np.concatenate(parts) if parts else np.zeros(0)
        arr[arr == 0] = 1  # Whoosh's scorer asks for the length with a default of 1
        with self._lock:
            self._lengths[fieldname] = arr
        return arr

    def _read_lengths(self, fieldname: str) -> list[np.ndarray]:
        parts = []
        for leaf, _offset in self.reader.leaf_readers():
            count = leaf.doc_count_all()
            raw = None
            try:
                perdoc = leaf._perdoc
                col = perdoc._cached_reader(f"_{fieldname}_len", _lengths_column())
                if col is not None:
                    raw = _raw_lengths(col, count)
            except (AttributeError, KeyError, OSError, ValueError, IndexError):
                raw = None
            parts.append(_LENGTH_TABLE[raw] if raw is not None else np.ones(count))
        return parts

    def term(self, fieldname: str, text: str) -> tuple[np.ndarray, np.ndarray]:
        """Return (docnums, BM25 scores) of one term, from the cache or decoded now."""
        ids, scores, _weights = self._entry(fieldname, text)
        return ids, scores

    def frequencies(self, fieldname: str, text: str) -> tuple[np.ndarray, np.ndarray]:
        """Return (docnums, stored weights) of one term: its frequency in each document, times the field boost."""
        ids, _scores, weights = self._entry(fieldname, text)
        return ids, weights

    def _entry(self, fieldname: str, text: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        key = (fieldname, text)
        with self._lock:
            hit = self._terms.get(key)
            if hit is not None:
                self._terms.move_to_end(key)
                return hit
        with self._read_lock:
            ids, weights = self._read(fieldname, text)
        scores = self._score(fieldname, text, weights, ids)
        entry = (ids, scores, weights)
        with self._lock:
            if key not in self._terms:
                self._terms[key] = entry
                self._size += len(ids) + 16
                while self._size > CACHE_POSTINGS and len(self._terms) > 1:
                    _k, (old, _s, _w) = self._terms.popitem(last=False)
                    self._size -= len(old) + 16
        return entry

    def _read(self, fieldname: str, text: str) -> tuple[np.ndarray, np.ndarray]:
        id_parts, w_parts = [], []
        for leaf, offset in self.reader.leaf_readers():
            try:
                m = leaf.postings(fieldname, text)
            except Exception:  # TermNotFound and friends: the term is not in this segment
                continue
            m = getattr(m, "child", m) if type(m).__name__ == "FilterMatcher" else m
            ids, weights = decode_postings(m)
            if len(ids):
                id_parts.append(ids + offset)
                w_parts.append(weights)
        if not id_parts:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        return np.concatenate(id_parts), np.concatenate(w_parts)

    def verify(self, chain: list[tuple[str, str, int]], candidates: np.ndarray, deadline=None) -> np.ndarray:
        """Return the candidates where every chain term sits at its offset from the first one.

        Each term's positions become sorted ``doc << 32 | position`` keys, so the check is one
        array membership per term; each term is read only in the documents still possible.
        Past the deadline (if any) nothing is returned: partial results, which the deadline records.
        """
        if not len(candidates):
            return candidates
        candidates = np.unique(candidates)
        base = chain[0][2]
        starts = None  # keys of the first term's positions that every term read so far continues
        decoded: dict[tuple[str, str], np.ndarray] = {}  # "de la … de la": read once
        with self._read_lock:
            for fieldname, text, off in chain:
                if deadline is not None and deadline.expired():
                    return np.zeros(0, dtype=np.int64)
                keys = decoded.get((fieldname, text))
                if keys is None:
                    keys = decoded[(fieldname, text)] = self._positions(fieldname, text, candidates)
                if starts is None:  # the first term: offset 0
                    starts = keys
                else:
                    starts = starts[_member(starts + (off - base), keys)]
                if not len(starts):
                    return np.zeros(0, dtype=np.int64)
                candidates = np.unique(starts >> _DOC_SHIFT)
        return candidates

    def _positions(self, fieldname: str, text: str, candidates: np.ndarray) -> np.ndarray:
        """Return the sorted keys ``doc << 32 | position`` of a term in the candidates (lock held)."""
        parts: list[np.ndarray] = []
        for leaf, offset in self.reader.leaf_readers():
            lo, hi = offset, offset + leaf.doc_count_all()
            local = candidates[(candidates >= lo) & (candidates < hi)]
            if not len(local):
                continue
            try:
                m = leaf.postings(fieldname, text)
            except Exception:  # the term is not in this segment
                continue
            m = getattr(m, "child", m) if type(m).__name__ == "FilterMatcher" else m
            _position_keys(m, local, offset, parts)
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)

    def first_positions(self, fieldname: str, text: str, candidates: np.ndarray) -> np.ndarray:
        """Return the first position of a term in each candidate document (-1 where it is absent)."""
        out = np.full(len(candidates), -1, dtype=np.int64)
        if not len(candidates):
            return out
        with self._read_lock:
            keys = self._positions(fieldname, text, np.unique(candidates))
        docs, first = np.unique(keys >> _DOC_SHIFT, return_index=True)  # keys sorted: first is smallest
        found = _member(candidates, docs)
        out[found] = keys[first[np.searchsorted(docs, candidates[found])]] & _POSITION_MASK
        return out

    def _score(self, fieldname: str, text: str, weights: np.ndarray, ids: np.ndarray) -> np.ndarray:
        if not len(ids):
            return weights
        field = self.schema[fieldname]
        if not field.scorable:
            return weights  # Whoosh's WeightScorer: the stored weight itself
        w = self.weighting
        idf = self.searcher.idf(fieldname, text)
        avgfl = self.searcher.avg_field_length(fieldname) or 1
        fl = self.lengths(fieldname)[ids]
        k1, b = w.K1, w.B
        return idf * ((weights * (k1 + 1)) / (weights + k1 * ((1 - b) + b * fl / avgfl)))


def _chain(q) -> list[tuple[str, str, int]] | None:
    """Return a phrase as ``(field, term, offset)`` (each term at its offset from the first), or None.

    ``Phrase(slop=1)`` puts word ``i`` at offset ``i``; ``SpanNear2(slop=g, mindist=g)`` chains
    (built by querybuild for pairs two apart) put each part exactly ``g`` after the previous one.
    Other shapes (a looser slop, unordered spans) are left to Whoosh.
    """
    if isinstance(q, wq.Phrase):
        if q.slop != 1 or not q.words:
            return None
        return [(q.fieldname, w, i) for i, w in enumerate(q.words)]
    if isinstance(q, SpanNear2):
        if not q.ordered or q.slop != q.mindist or q.slop < 1 or not q.qs:
            return None
        out: list[tuple[str, str, int]] = []
        for child in q.qs:
            if isinstance(child, wq.Term) and child.boost == 1:
                part = [(child.fieldname, child.text, 0)]
            else:
                part = _chain(child) if isinstance(child, SpanNear2) else None
            if part is None:
                return None
            # the combined span so far ends at its last part; the next one starts ``slop`` after
            base = out[-1][2] + q.slop if out else 0
            out += [(f, t, base + off) for f, t, off in part]
        return out
    return None


#: A position key is ``doc << _DOC_SHIFT | position``: sorted by document, then position.
_DOC_SHIFT = 32
_POSITION_MASK = (1 << _DOC_SHIFT) - 1


def _member(values: np.ndarray, sorted_keys: np.ndarray) -> np.ndarray:
    """Return which ``values`` are in ``sorted_keys`` (a binary search each)."""
    if not len(sorted_keys):
        return np.zeros(len(values), dtype=bool)
    at = np.minimum(np.searchsorted(sorted_keys, values), len(sorted_keys) - 1)
    return sorted_keys[at] == values


def _position_keys(m, wanted: np.ndarray, offset: int, parts: list) -> None:
    """Append to ``parts`` the position keys of the postings of ``m`` whose docnum is in ``wanted``."""
    if type(m).__name__ == "W3LeafMatcher":
        plain = type(m.format) is Positions
        while m.is_active():
            m._read_data()
            ids = np.asarray(m._data[0], dtype=np.int64)
            if not m._byteids:
                ids = np.cumsum(ids)
            hit = np.flatnonzero(_member(ids + offset, wanted))  # wanted is sorted: no sort per block
            if len(hit):
                m._read_values()
                values = [m._values[i] for i in hit.tolist()]
                lists = [_pickled_deltas(v) for v in values] if plain else \
                    [np.diff(m.format.decode_positions(v), prepend=0).tolist() for v in values]
                parts.append(_keys(ids[hit] + offset, lists))
            m._next_block()
        return
    wanted_set = set((wanted - offset).tolist())
    docs, lists = [], []
    while m.is_active():
        if m.id() in wanted_set:
            docs.append(m.id() + offset)
            lists.append(np.diff(m.value_as("positions"), prepend=0).tolist())
        m.next()
    if docs:
        parts.append(_keys(np.asarray(docs, dtype=np.int64), lists))


def _pickled_deltas(value: bytes) -> list[int]:
    """Return the position gaps of one posting in Whoosh's ``Positions`` format (a count, then a pickle)."""
    return loads(value[4:] if value.endswith(b".") else value[4:] + b".")


def _keys(docs: np.ndarray, deltas: list[list[int]]) -> np.ndarray:
    """Return the sorted position keys of ``docs``, each with its list of position gaps."""
    counts = np.fromiter(map(len, deltas), dtype=np.int64, count=len(deltas))
    flat = np.fromiter(itertools.chain.from_iterable(deltas), dtype=np.int64, count=int(counts.sum()))
    positions = np.cumsum(flat)
    ends = np.cumsum(counts)
    before = np.concatenate(([0], positions[ends[:-1] - 1])) if len(ends) else ends
    positions -= np.repeat(before, counts)  # each document's gaps add up from 0
    return (np.repeat(docs, counts) << _DOC_SHIFT) | positions


def _raw_lengths(col, count: int) -> np.ndarray:
    """Return a lengths column's bytes: one read of the whole column when it is the usual kind."""
    try:
        if col._fixedlen == 1:
            n = min(col._count, count)
            raw = np.zeros(count, dtype=np.uint8)
            raw[:n] = np.frombuffer(bytes(col._dbfile.get(col._basepos, n)), dtype=np.uint8)
            return raw
    except (AttributeError, TypeError, ValueError):
        pass
    return np.fromiter((col[i] or 0 for i in range(count)), dtype=np.uint8, count=count)


def _lengths_column():
    from whoosh.codec.whoosh3 import LENGTHS_COLUMN

    return LENGTHS_COLUMN


def decode_postings(m) -> tuple[np.ndarray, np.ndarray]:
    """Return all (ids, weights) of a leaf matcher, a block at a time when it is Whoosh 3's."""
    if type(m).__name__ == "W3LeafMatcher":
        id_parts, w_parts = [], []
        while m.is_active():
            m._read_data()
            data = m._data
            n = m._blocklength
            ids = np.asarray(data[0], dtype=np.int64)
            if not m._byteids:
                ids = np.cumsum(ids)
            weights = data[1]
            if weights is None:
                w = np.ones(n)
            elif isinstance(weights, float):
                w = np.full(n, weights)
            else:
                w = np.asarray(weights, dtype=np.float64)
            id_parts.append(ids)
            w_parts.append(w)
            m._next_block()
        if not id_parts:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        return np.concatenate(id_parts), np.concatenate(w_parts)
    ids, weights = [], []
    while m.is_active():
        ids.append(m.id())
        weights.append(m.weight())
        m.next()
    return np.asarray(ids, dtype=np.int64), np.asarray(weights, dtype=np.float64)


class Evaluator:
    """Evaluate one Whoosh query tree into a ``Scored`` over all documents."""

    def __init__(self, postings: Postings, live: np.ndarray, deadline=None):
        self.p = postings
        self.live = live
        self.n = len(live)
        self.deadline = deadline
        self.terms_read = 0

    def run(self, q) -> Scored:
        """Return the matching documents and their scores; raise Unsupported when it cannot."""
        mask, scores = self._node(q)
        mask &= self.live
        scores = np.where(mask, scores, 0.0)
        return Scored(mask, scores)

    def _empty(self):
        return np.zeros(self.n, dtype=bool), np.zeros(self.n)

    def _term_arrays(self, fieldname: str, text: str) -> tuple[np.ndarray, np.ndarray]:
        self.terms_read += 1
        if self.terms_read > MAX_TERMS:
            raise Unsupported("too many terms")
        # reading thousands of posting lists (many prefixes) is where a query spends its time
        if self.deadline is not None and self.deadline.expired():
            raise _Expired
        if fieldname not in self.p.schema.names():
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        return self.p.term(fieldname, text)

    def _term(self, fieldname: str, text: str, boost: float = 1.0):
        ids, s = self._term_arrays(fieldname, text)
        mask, scores = self._empty()
        mask[ids] = True
        scores[ids] = s * boost if boost != 1 else s
        return mask, scores

    def _node(self, q):
        if isinstance(q, wq.Term):
            return self._term(q.fieldname, q.text, q.boost)
        if q is wq.NullQuery or isinstance(q, type(wq.NullQuery)):
            return self._empty()
        if isinstance(q, wq.Every):
            return self.live.copy(), np.full(self.n, float(q.boost))
        if isinstance(q, wq.AndNot):
            mask, scores = self._node(q.a)
            neg, _s = self._node(q.b)
            mask = mask & ~neg
            # no score where excluded: inside an OR, an excluded document must add nothing
            return mask, np.where(mask, scores, 0.0)
        if isinstance(q, wq.Not):
            inner, _s = self._node(q.query)
            return self.live & ~inner, np.zeros(self.n)
        if isinstance(q, wq.And) and type(q) is wq.And:
            mask, scores = None, np.zeros(self.n)
            for child in q.subqueries:
                m, s = self._node(child)
                mask = m if mask is None else mask & m
                scores += s
                if not mask.any():
                    break
            if mask is None:
                return self._empty()
            # scores only where every part matches: inside an OR, a partial AND adds nothing
            return mask, np.where(mask, scores, 0.0)
        if isinstance(q, wq.Or) and type(q) is wq.Or:
            if q.minmatch or q.scale:
                raise Unsupported("weighted or")
            mask, scores = self._empty()
            for child in q.subqueries:
                if type(child) is wq.Term:
                    # a prefix's 90 terms: added in place, without two dense arrays per term
                    ids, s = self._term_arrays(child.fieldname, child.text)
                    mask[ids] = True
                    scores[ids] += s * child.boost if child.boost != 1 else s
                    continue
                m, s = self._node(child)
                mask |= m
                scores += s
            return mask, scores
        if isinstance(q, (wq.Phrase, SpanNear2)):
            return self._phrase(q)
        if isinstance(q, (wq.NumericRange, wq.TermRange)):
            return self._filter(q)
        raise Unsupported(type(q).__name__)

    def _phrase(self, q):
        """Intersect the words' arrays, then let Whoosh check positions on those candidates only."""
        mask, scores = None, np.zeros(self.n)
        if isinstance(q, SpanNear2) and not all(isinstance(t, wq.Term) and t.boost == 1 for t in _span_leaves(q)):
            raise Unsupported("span of non-terms")
        terms = [(q.fieldname, w) for w in q.words] if isinstance(q, wq.Phrase) else \
            [(t.fieldname, t.text) for t in _span_leaves(q)]
        for fieldname, word in terms:
            m, s = self._term(fieldname, word)
            mask = m if mask is None else mask & m
            scores += s
            if not mask.any():
                return self._empty()
        if mask is None:
            return self._empty()
        verified = np.zeros(self.n, dtype=bool)
        chain = _chain(q)
        if chain is not None:
            found = self.p.verify(chain, np.flatnonzero(mask & self.live), self.deadline)
        else:
            # Whoosh intersects the same words, so it checks positions of these candidates only
            docs = self.p.searcher.docs_for_query(q)
            if self.deadline is not None:
                docs = self.deadline.ids(docs)
            found = np.fromiter(docs, dtype=np.int64)
        if len(found):
            verified[found] = True
        verified &= mask
        scores = np.where(verified, scores, 0.0)
        boost = getattr(q, "boost", 1.0)
        return verified, scores * boost if boost != 1 else scores

    def _filter(self, q):
        """Ranges are filters: documents from Whoosh, a constant score like Whoosh's."""
        mask = np.zeros(self.n, dtype=bool)
        found = np.fromiter(self.p.searcher.docs_for_query(q), dtype=np.int64)
        if len(found):
            mask[found] = True
        return mask, np.where(mask, float(getattr(q, "boost", 1.0)), 0.0)


def _span_leaves(q) -> list:
    """Return the leaf queries of nested ``SpanNear2`` queries, in order, duplicates kept."""
    if isinstance(q, SpanNear2):
        return [leaf for child in q.qs for leaf in _span_leaves(child)]
    return [q]


def evaluate(postings: Postings, live: np.ndarray, q, deadline=None) -> Scored | None:
    """Return the ``Scored`` result of ``q``, or None when Whoosh must answer it instead."""
    if q is None or not postings.usable():
        return None
    try:
        return Evaluator(postings, live, deadline).run(q)
    except Unsupported:
        return None
    except _Expired:
        # out of time part-way: no hits rather than a guess (leaving out a NOT's terms would add
        # hits); the deadline has recorded that the results are partial
        return Scored(np.zeros(len(live), dtype=bool), np.zeros(len(live)))
