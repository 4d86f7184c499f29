"""Spelling: the unstemmed, accent-folded vocabulary of the ``*_exact`` fields, per generation.

It serves fuzzy words (``Beloussof~``) and "did you mean" (``cooperasion militere`` →
« coopération militaire »). Suggestions are displayed in the most common accented spelling
found in the stored text, since the vocabulary itself is folded.
"""

from __future__ import annotations

import re
import threading
from collections import Counter

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import OSA
from whoosh import query as wq

from search.text import fold

EXACT_FIELDS = ("title_exact", "body_exact", "comments_exact")
#: A word seen in fewer documents than this may be a typo worth correcting.
RARE_DF = 3
#: A correction must be this many times more frequent than a rare typed word.
RARE_RATIO = 20

_CHUNK = re.compile(r"\w+", re.U)


class Vocabulary:
    """Folded terms of the exact fields with document frequencies, bucketed by first letter."""

    def __init__(self, searcher, fields=EXACT_FIELDS):
        self.searcher = searcher
        self.reader = searcher.reader()
        self.fields = [f for f in fields if f in searcher.schema.names()]
        self._lock = threading.Lock()
        self._buckets: dict[str, tuple[list[str], np.ndarray]] | None = None
        self._field_buckets: dict[str, dict[str, tuple[list[str], np.ndarray]]] = {}
        self._display: dict[str, str] = {}

    def _read(self, fields) -> dict[str, tuple[list[str], np.ndarray]]:
        df: Counter = Counter()
        for f in fields:
            for btext, info in self.reader.iter_field(f):
                text = btext.decode("utf-8", "replace") if isinstance(btext, bytes) else btext
                if len(text) < 2 or text.isdigit():
                    continue
                df[text] += info.doc_frequency()
        grouped: dict[str, list[tuple[str, int]]] = {}
        for term, n in df.items():
            grouped.setdefault(term[0], []).append((term, n))
        return {k: ([t for t, _ in v], np.array([n for _, n in v], dtype=np.int64)) for k, v in grouped.items()}

    def buckets(self, fieldname: str | None = None):
        """Return the first-letter buckets of the merged exact vocabulary (or of one field)."""
        with self._lock:
            if fieldname is None or fieldname in EXACT_FIELDS:
                if self._buckets is None:
                    self._buckets = self._read(self.fields)
                return self._buckets
            if fieldname not in self._field_buckets:
                self._field_buckets[fieldname] = self._read([fieldname])
            return self._field_buckets[fieldname]

    def df(self, term: str) -> int:
        """Return the number of documents containing a folded term in any exact field."""
        return sum(self.reader.doc_frequency(f, term) for f in self.fields)

    def near(self, term: str, maxdist: int, fieldname: str | None = None, limit: int = 40):
        """Return ``(candidate, distance, df)`` within ``maxdist`` edits, closest and commonest first."""
        if not term:
            return []
        bucket = self.buckets(fieldname).get(term[0])
        if not bucket:
            return []
        terms, dfs = bucket
        found = process.extract(term, terms, scorer=OSA.distance, score_cutoff=maxdist, limit=None)
        out = [(cand, int(dist), int(dfs[idx])) for cand, dist, idx in found if cand != term]
        out.sort(key=lambda c: (c[1], -c[2], c[0]))
        return out[:limit]

    def fuzzy(self, fieldname: str, term: str, maxdist: int) -> list[str]:
        """Return the terms of one field within ``maxdist`` edits of ``term`` (itself included)."""
        key = None if fieldname in EXACT_FIELDS else fieldname
        out = []
        if self.reader.doc_frequency(fieldname, term):
            out.append(term)
        for cand, _dist, _df in self.near(term, maxdist, key):
            if key is not None or self.reader.doc_frequency(fieldname, cand):
                out.append(cand)
        return out

    def correction(self, term: str) -> str | None:
        """Return a better-attested spelling for a folded word, or None."""
        if len(term) < 3 or term.isdigit():
            return None
        df = self.df(term)
        if df >= RARE_DF:
            return None
        maxdist = 1 if len(term) <= 5 else 2
        for cand, _dist, cand_df in self.near(term, maxdist):
            if df == 0 and cand_df >= 1 or cand_df >= RARE_RATIO * max(df, 1):
                return cand
            break
        return None

    def display(self, term: str) -> str:
        """Return the most common spelling (accents, capitals) of a folded term in the stored text."""
        with self._lock:
            if term in self._display:
                return self._display[term]
        forms: Counter = Counter()
        try:
            q = wq.Or([wq.Term(f, term) for f in self.fields])
            for hit in self.searcher.search(q, limit=8):
                fields = hit.fields()
                text = " ".join(str(fields.get(k) or "")[:20_000] for k in ("title", "body"))
                for m in _CHUNK.finditer(text):
                    word = m.group(0)
                    if len(word) == len(term) or len(fold(word)) == len(term):
                        if fold(word).lower() == term:
                            forms[word] += 1
        except (KeyError, ValueError, OSError):
            pass
        if forms:
            groups: Counter = Counter()
            for word, n in forms.items():
                groups[word.lower()] += n
            spelling = groups.most_common(1)[0][0]
            variants = {w: n for w, n in forms.items() if w.lower() == spelling}
            # a common word seen capitalised at sentence starts keeps its lower-case form
            best = spelling if spelling in variants else max(variants.items(), key=lambda kv: kv[1])[0]
        else:
            best = term
        with self._lock:
            self._display[term] = best
        return best
