"""Relevance boosts on top of BM25F: words found together and in the exact form typed rank first.

Plain words are matched through stems for recall (``coup`` finds « coupe », ``etat`` finds
« Etats »), which is right for the hit set but wrong for the order: a reader who types
``coup d'etat`` wants the articles about « coup d'État » first. So, for the relevance sort only,
each document's BM25F score gets two additions, computed over the candidates alone:

* an **exact-form** boost: the BM25F score of each typed word (folded, unstemmed) in the
  ``*_exact`` fields, so « coup » beats « coupe » and « État » beats « Etats »;
* a **proximity** boost: for each two words typed next to each other, the score of that word
  pair in the ``*_pairs`` fields (one term lookup), or, for a pair that is not indexed (a rarer
  word), a position check on the candidates that contain both words; and the whole score is
  multiplied by up to ``1 + TOGETHER_FACTOR`` by the share of typed pairs found side by side.

The hit set never changes, only the scores of documents already matched.
"""

from __future__ import annotations

import numpy as np

from search.query import language as ql
from search.index.analysis import PAIR_SEP, STOP_WORDS
from search.text import fold

#: Weight of the exact-form score relative to the stemmed BM25F score.
EXACT_WEIGHT = 1.0
#: Weight of the score of two typed words found side by side, in order.
PAIR_WEIGHT = 3.0
#: A document where every typed pair is found side by side has its score multiplied by 1 + this.
TOGETHER_FACTOR = 1.0
#: Most candidates whose positions are checked for a pair that is not indexed.
MAX_VERIFY = 4000
#: Longest run of words considered for proximity (longer queries are lists of keywords).
MAX_RUN = 8

EXACT = {"title": "title_exact", "body": "body_exact", "comments": "comments_exact"}
PAIRS = {"title": "title_pairs", "body": "body_pairs", "comments": "comments_pairs"}
SCOPE_FIELDS = {"all": ("title", "body", "comments"), "articles": ("title", "body"), "comments": ("comments",)}

_STOPS = frozenset(fold(w).lower() for w in STOP_WORDS)


def word_runs(tree) -> list[list[ql.Word]]:
    """Return the runs of plain words typed next to each other (same field, not negated).

    A negation, a phrase, a prefix or any other node breaks a run; each side of an OR is its own
    run, since the words of an alternative are not meant to appear together.
    """
    runs: list[list[ql.Word]] = []

    def plain(node) -> bool:
        return isinstance(node, ql.Word) and node.mode == "word" and node.field in (None, "title", "body", "comments")

    def walk(node) -> None:
        if plain(node):
            runs.append([node])
        elif isinstance(node, ql.Bool):
            if node.op != "and":
                for child in node.children:
                    walk(child)
                return
            run: list[ql.Word] = []
            for child in node.children:
                if plain(child) and (not run or run[-1].field == child.field):
                    run.append(child)
                    continue
                if run:
                    runs.append(run)
                run = [child] if plain(child) else []
                if not plain(child):
                    walk(child)
            if run:
                runs.append(run)
        # Not: negated words never boost; phrases already match in the exact form

    walk(tree)
    return [r[:MAX_RUN] for r in runs]


def _exact_terms(schema, fieldname: str, text: str) -> list[str]:
    try:
        analyzer = schema[fieldname].analyzer
    except (KeyError, AttributeError):
        return []
    return [t.text for t in analyzer(text, mode="query") if t.text]


class Booster:
    """Add exact-form and proximity scores to a ``fastmatch.Scored`` result in place."""

    def __init__(self, postings, scope: str = "all", deadline=None):
        self.p = postings
        self.schema = postings.schema
        self.names = set(self.schema.names())
        self.scope = scope if scope in SCOPE_FIELDS else "all"
        self.deadline = deadline

    def _expired(self) -> bool:
        return self.deadline is not None and self.deadline.expired()

    def _fields(self, word: ql.Word) -> tuple[str, ...]:
        return (word.field,) if word.field else SCOPE_FIELDS[self.scope]

    def apply(self, scored, tree) -> None:
        """Raise the scores of matched documents where typed words appear exactly and together."""
        if scored is None or tree is None:
            return
        n = len(scored.scores)
        mask = scored.mask
        extra = np.zeros(n)
        together = np.zeros(n)  # share of the typed pairs found side by side, per document
        pairs_typed = 0
        for run in word_runs(tree):
            seqs = {}
            for field in self._fields(run[0]):
                if self._expired():
                    return
                seq = self._exact_run(run, field, mask, extra)
                if seq:
                    seqs[field] = seq
            wanted = {pair for seq in seqs.values() for pair in zip(seq, seq[1:])
                      if not (pair[0] in _STOPS and pair[1] in _STOPS)}
            for a, b in wanted:
                found = np.zeros(n, dtype=bool)
                for field, seq in seqs.items():
                    if self._expired():
                        return
                    self._pair(field, a, b, mask, extra, found)
                together += found
                pairs_typed += 1
        if pairs_typed:
            # a multiplier, not only an addition: several scattered stem matches must not outweigh
            # the words typed found together, whatever the lengths of the fields
            scored.scores *= np.where(mask, 1.0 + TOGETHER_FACTOR * together / pairs_typed, 1.0)
        scored.scores += np.where(mask, extra, 0.0)

    def _add(self, extra: np.ndarray, mask: np.ndarray, ids: np.ndarray, scores: np.ndarray, weight: float) -> None:
        if not len(ids):
            return
        keep = mask[ids]
        extra[ids[keep]] += weight * scores[keep]

    def _exact_run(self, run: list[ql.Word], field: str, mask: np.ndarray, extra: np.ndarray) -> list[str]:
        """Add the exact-form scores of a run's words in one field; return their exact terms in order."""
        exact = EXACT[field]
        if exact not in self.names:
            return []
        seq: list[str] = []
        for word in run:
            seq.extend(_exact_terms(self.schema, exact, word.text))
        for term in dict.fromkeys(seq):
            if term not in _STOPS:
                ids, s = self.p.term(exact, term)
                self._add(extra, mask, ids, s, EXACT_WEIGHT)
        return seq

    def _pair(self, field: str, a: str, b: str, mask: np.ndarray, extra: np.ndarray, found: np.ndarray) -> None:
        """Add the score of ``a b`` side by side in one field, and mark the documents where it is."""
        exact, pairs = EXACT[field], PAIRS[field]
        has_pairs = pairs in self.names
        has_pair = getattr(getattr(self.schema[pairs], "analyzer", None), "has_pair", None) if has_pairs else None
        if has_pairs and (has_pair is None or has_pair(a, b)):
            ids, s = self.p.term(pairs, a + PAIR_SEP + b)
            self._add(extra, mask, ids, s, PAIR_WEIGHT)
            found[ids] = True
        else:
            self._verified_pair(exact, a, b, mask, extra, found)

    def _verified_pair(self, exact: str, a: str, b: str, mask: np.ndarray, extra: np.ndarray,
                       found_out: np.ndarray) -> None:
        """Score a pair that has no pair term by checking positions on the candidates with both words."""
        ids_a, s_a = self.p.term(exact, a)
        ids_b, s_b = self.p.term(exact, b)
        if not len(ids_a) or not len(ids_b):
            return
        both = np.zeros(len(mask), dtype=bool)
        both[ids_a] = True
        has_b = np.zeros(len(mask), dtype=bool)
        has_b[ids_b] = True
        cands = np.flatnonzero(both & has_b & mask)
        if not len(cands) or len(cands) > MAX_VERIFY:
            return  # both words common (their pair would be indexed), or too many to check cheaply
        found = self.p.verify([(exact, a, 0), (exact, b, 1)], cands, self.deadline)
        if not len(found):
            return
        pair_score = np.zeros(len(mask))
        pair_score[ids_a] += s_a
        pair_score[ids_b] += s_b
        extra[found] += PAIR_WEIGHT * pair_score[found]
        found_out[found] = True
