""""More like this": an article's key terms scored over their posting lists with numpy.

Whoosh's ``more_like`` runs an OR query of the key terms through its Python matcher tree, which
cost ~200 ms per article page on 37,000 articles. Here each key term's posting list is read once
and BM25 (Whoosh's defaults, so the ranking stays close) is summed in numpy arrays: ~10 ms.
Words found in more than ``MAX_DF`` of the articles are left out, like Lucene's MoreLikeThis
``maxDocFreq``: they say little about the subject and have the longest posting lists.
"""

from __future__ import annotations

import math
import threading

import numpy as np

from search.query.match import Postings

FIELD = "body"
#: Key terms searched, and how many candidates are drawn to find them after the df cut.
TERMS = 20
#: A word in more than this share of the articles is left out (never below MIN_DF_CAP articles).
MAX_DF = 0.02
MIN_DF_CAP = 50
#: BM25 parameters: Whoosh's defaults.
K1, B = 1.2, 0.75


class SimilarIndex:
    """Per-generation data for similar articles: the search's posting cache and field lengths."""

    def __init__(self, searcher, postings: Postings | None = None):
        self.searcher = searcher
        self.reader = searcher.reader()
        self.n = self.reader.doc_count_all()
        # the search's cache: its lengths are the generation's shared arrays, and a key term read
        # for one article page is not decoded again for the next
        self.postings = postings or Postings(searcher)
        self._dead: list[int] | None = None
        self._lock = threading.Lock()

    def lengths(self) -> np.ndarray:
        """Return the body length (in terms, as Whoosh stores it) of every document."""
        # an empty body reads as 1, not 0: only documents holding a key term are ever scored
        return self.postings.lengths(FIELD)

    def dead(self) -> list[int]:
        """Return the deleted documents (read once per generation)."""
        with self._lock:
            if self._dead is None:
                self._dead = ([d for d in range(self.n) if self.reader.is_deleted(d)]
                              if self.reader.has_deletions() else [])
            return self._dead

    def key_terms(self, text: str) -> list[tuple[str, float]]:
        """Return up to TERMS ``(term, weight)`` pairs characterising ``text``."""
        max_df = max(MIN_DF_CAP, int(self.searcher.doc_count() * MAX_DF))
        found = self.searcher.key_terms_from_text(FIELD, text, numterms=2 * TERMS, normalize=True)
        return [(w, s) for w, s in found if self.reader.doc_frequency(FIELD, w) <= max_df][:TERMS]

    def similar(self, docnum: int, text: str, top: int) -> list[tuple[float, int]]:
        """Return up to ``top`` ``(score, docnum)`` of other live documents, best first."""
        terms = self.key_terms(text)
        if not terms or self.n == 0:
            return []
        lengths = self.lengths()
        # as Whoosh: exact total length over live documents (per-document lengths are quantised)
        avg = self.reader.field_length(FIELD) / (self.reader.doc_count() or 1) or 1.0
        norm = K1 * (1 - B + B * lengths / avg)
        scores = np.zeros(self.n, dtype=np.float64)
        for term, weight in terms:
            ids, tfs = self._postings(term)
            if not len(ids):
                continue
            idf = math.log(self.n / (len(ids) + 1)) + 1.0
            scores[ids] += weight * idf * tfs * (K1 + 1) / (tfs + norm[ids])
        scores[docnum] = 0
        dead = self.dead()
        if dead:
            scores[dead] = 0
        cand = np.flatnonzero(scores > 0)
        if len(cand) > top > 0:
            # keep every document tied with the last place, then order ties by docnum like Whoosh
            kth = np.partition(scores[cand], len(cand) - top)[len(cand) - top]
            cand = cand[scores[cand] >= kth]
        best = sorted(cand.tolist(), key=lambda d: (-scores[d], d))[:max(top, 0)]
        return [(float(scores[d]), int(d)) for d in best]

    def _postings(self, term: str) -> tuple[np.ndarray, np.ndarray]:
        # (docnums, frequencies); an unknown term gives empty arrays
        return self.postings.frequencies(FIELD, term)
