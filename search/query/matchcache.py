"""The words' matches of recent searches, kept so that narrowing, sorting or paging them is cheap.

A reader types words, then ticks outlets, years and persons, changes the sort and turns pages:
every one of those requests matches and scores the same words again, which at 500,000 articles
is most of a search's time. The match (the documents and their scores, the parsed query) depends
only on the words, the scope and whether scores are wanted, so it is kept per index generation,
compactly (the matching documents' numbers and scores, not arrays over the whole index), within
``PRESSE_MATCH_CACHE_MB`` (default 48 MB per process; 0 turns it off). The result cache's switch
``PRESSE_RESULT_CACHE=0`` turns this one off too: both are caches of searches.

Entries are rebuilt into fresh arrays on every hit, so no caller can alter what is kept.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict

import numpy as np

from search.query import match as fm


def _budget() -> int:
    try:
        return max(0, int(float(os.environ.get("PRESSE_MATCH_CACHE_MB", "48")) * 1024 * 1024))
    except ValueError:
        return 48 * 1024 * 1024


#: Bytes of kept matches per process (``PRESSE_MATCH_CACHE_MB``).
BUDGET = _budget()
#: Bytes counted for an entry beyond its arrays (the parsed query, the key).
OVERHEAD = 4096


class _Entry:
    __slots__ = ("parsed", "built", "base", "ids", "scores", "ranked", "size")

    def __init__(self, parsed, built, base: np.ndarray, scored):
        self.parsed, self.built = parsed, built
        self.base = np.flatnonzero(base).astype(np.int32)
        self.ids = self.scores = self.ranked = None
        if isinstance(scored, fm.Scored):
            # scores are 0 outside the mask (the evaluator and the booster keep them so)
            self.ids = np.flatnonzero(scored.mask).astype(np.int32)
            self.scores = scored.scores[self.ids].copy()
        elif scored is not None:
            self.ranked = tuple(scored)  # Whoosh's (score, docnum) pairs
        self.size = (OVERHEAD + self.base.nbytes + (self.ids.nbytes + self.scores.nbytes if self.ids is not None else 0)
                     + 16 * len(self.ranked or ()))

    def unpack(self, n: int):
        base = np.zeros(n, dtype=bool)
        base[self.base] = True
        scored = None
        if self.ids is not None:
            mask = np.zeros(n, dtype=bool)
            mask[self.ids] = True
            scores = np.zeros(n)
            scores[self.ids] = self.scores
            scored = fm.Scored(mask, scores)
        elif self.ranked is not None:
            scored = list(self.ranked)
        return self.parsed, self.built, base, scored


class MatchCache:
    """A bounded LRU of ``(parsed, built, base, scored)`` matches for one index generation."""

    def __init__(self, n: int, budget: int | None = None):
        self.n = n
        self.budget = BUDGET if budget is None else budget
        self._entries: OrderedDict[tuple, _Entry] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def get(self, key: tuple):
        """Return a fresh copy of the match kept for ``key``, or None."""
        if not self.budget:
            return None
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            self._entries.move_to_end(key)
        return entry.unpack(self.n)

    def put(self, key: tuple, parsed, built, base: np.ndarray, scored) -> None:
        """Keep a complete match (never one cut short by the time limit: the caller checks)."""
        if not self.budget:
            return
        entry = _Entry(parsed, built, base, scored)
        if entry.size > self.budget // 4:
            return  # one huge match must not flush every other
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._size -= old.size
            self._entries[key] = entry
            self._size += entry.size
            while self._size > self.budget and self._entries:
                _k, dropped = self._entries.popitem(last=False)
                self._size -= dropped.size
