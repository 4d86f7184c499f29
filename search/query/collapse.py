"""One hit per story: the best-ranked copy of each story stands for it, the others are its versions.

The groups come from the index generation (``search.index.storyfile``).  For a search, among
the documents that match, each story keeps the copy that ranks first in the order asked
(relevance: the best score; date: the newest or the oldest) and the others become its
« versions ».  Counts by outlet, year and person still count articles: every outlet's copy is
its own article.  When a relevance order has no score for every document (a broad query ranked
page by page), the first publication stands for its story.
"""

from __future__ import annotations

import numpy as np


class Stories:
    """Per-generation story codes by document number (-1: an article without copies)."""

    def __init__(self, groups: dict[str, list[str]], docnum_by_id: dict[str, int], n: int):
        self.code = np.full(n, -1, dtype=np.int32)
        self.ids: list[str] = []
        self.by_id: dict[str, int] = {}
        for story, members in groups.items():
            docs = [docnum_by_id[m] for m in members if m in docnum_by_id]
            if len(docs) < 2:
                continue
            self.by_id[story] = len(self.ids)
            self.code[docs] = len(self.ids)
            self.ids.append(story)

    @property
    def any(self) -> bool:
        """True when the generation has at least one story of two articles or more."""
        return bool(self.ids)

    def story_of(self, docnum: int, article_id: str) -> str:
        """Return the story id of a document (its own id when it has no copy)."""
        code = int(self.code[docnum]) if 0 <= docnum < len(self.code) else -1
        return self.ids[code] if code >= 0 else article_id

    def mask(self, story: str, ids: list[str]) -> np.ndarray:
        """Return the documents of one story (an article without copies is its own story)."""
        out = np.zeros(len(self.code), dtype=bool)
        code = self.by_id.get(story)
        if code is not None:
            out[self.code == code] = True
        elif story in ids:
            out[ids.index(story)] = True
        return out

    def representatives(self, final: np.ndarray, key: np.ndarray, tie: np.ndarray) -> np.ndarray:
        """Return ``final`` with one document per story: the lowest ``key``, then the lowest ``tie``."""
        grouped = np.flatnonzero(final & (self.code >= 0))
        keep = final & (self.code < 0)
        if grouped.size:
            codes = self.code[grouped]
            order = np.lexsort((tie[grouped], key[grouped], codes))
            sorted_codes = codes[order]
            first = order[np.r_[True, sorted_codes[1:] != sorted_codes[:-1]]]
            keep[grouped[first]] = True
        return keep

    def versions(self, docnum: int, final: np.ndarray) -> np.ndarray:
        """Return the other documents of ``docnum``'s story among ``final``."""
        code = int(self.code[docnum])
        if code < 0:
            return np.zeros(0, dtype=np.int64)
        docs = np.flatnonzero((self.code == code) & final)
        return docs[docs != docnum]

    def members(self, docnum: int) -> np.ndarray:
        """Return every document of ``docnum``'s story, itself included."""
        code = int(self.code[docnum])
        if code < 0:
            return np.array([docnum], dtype=np.int64)
        return np.flatnonzero(self.code == code)


def rank_key(n: int, scored, order: np.ndarray | None, dates: np.ndarray) -> np.ndarray:
    """Return a per-document key, lower ranks first: minus the score, else the date order's position.

    ``scored`` is a ``match.Scored`` (scores of every document), a list of ``(score, docnum)``,
    or None; ``order`` the documents in the asked date order, or None for relevance.
    """
    if order is not None:
        key = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
        key[order] = np.arange(len(order))
        return key
    scores = getattr(scored, "scores", None)
    if scores is not None:
        return -np.asarray(scores, dtype=np.float64)
    if scored is not None:
        key = np.zeros(n, dtype=np.float64)
        for score, doc in scored:
            key[int(doc)] = -float(score)
        return key
    # no score for every document: the first publication (undated copies last)
    return np.where(dates > 0, dates, np.iinfo(np.int64).max).astype(np.int64)
