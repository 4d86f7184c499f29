"""Relevance on top of BM25F: typed words in the exact form, together, and what the article is about.

Plain words are matched through stems for recall (``coup`` finds « coupe », ``etat`` finds
« Etats »), which is right for the hit set but wrong for the order: a reader who types
``coup d'etat`` wants the articles about « coup d'État » first. So, for the relevance sort only,
each document's BM25F score is adjusted, over the candidates alone:

* an **exact-form** boost: the BM25F score of each typed word (folded, unstemmed) in the
  ``*_exact`` fields, so « coup » beats « coupe » and « État » beats « Etats »;
* a **proximity** boost: for each two words typed next to each other, the score of that word
  pair in the ``*_pairs`` fields (one term lookup), or, for a pair that is not indexed (a rarer
  word), a position check on the candidates that contain both words; stop words typed between
  two words join their link (``prix du petrole`` counts only where both ``prix du`` and
  ``du petrole`` are found); and the whole score is multiplied by up to ``1 + TOGETHER_FACTOR``
  by the share of typed links found;
* a **salience** factor: each required word's salience in the article (title, lead, density)
  multiplies the score, so that an article where a typed word is a passing mention ranks below
  one about every typed word, names (protected words) counting most (see ``NAME_FLOOR``).

The hit set never changes, only the scores of documents already matched.
"""

from __future__ import annotations

import numpy as np

from search.query import language as ql
from search.index.analysis import PAIR_SEP, STOP_WORDS, is_protected, lead_weight
from search.text import fold

#: Weight of the exact-form score relative to the stemmed BM25F score.
EXACT_WEIGHT = 1.0
#: Weight of the score of two typed words found side by side, in order.
PAIR_WEIGHT = 1.0
#: A document where every typed pair is found side by side has its score multiplied by 1 + this.
TOGETHER_FACTOR = 2.0
#: Most candidates whose positions are checked for a pair that is not indexed.
MAX_VERIFY = 4000
#: Longest run of words considered for proximity (longer queries are lists of keywords).
MAX_RUN = 8

#: Salience of a typed word in an article, from 0 to 1: 1 in the title; up to LEAD_SALIENCE
#: when the body names it early (in full within LEAD_FULL words, fading to nothing at LEAD_END);
#: else its density (occurrences per DENSITY_WORDS words, capped at DENSITY_CAP). Each word's
#: salience s turns into a factor floor + (1 - floor) * s, and the score is multiplied by the
#: product of the factors, so that an article where one typed word is a passing mention (Niger
#: attacks that mention Mali once, late, for ``attaque terroriste mali``) ranks below one about
#: every word; SALIENCE_POWER sharpens the product. A name (a protected word: country, town,
#: force, person) is what the article must be about, so its floor is lower than a common word's,
#: which an article may paraphrase.
LEAD_SALIENCE = 0.9
DENSITY_WORDS = 100
DENSITY_CAP = 0.8
FLOOR = 0.35
NAME_FLOOR = 0.1
SALIENCE_POWER = 1.5
#: Without a lead field (an index from before schema 7), most candidates whose lead is read from
#: the body's positions (the best-scored ones; the others: title and density only).
MAX_LEAD_CHECK = 3000
#: The field whose postings' weights say how early a word comes in each body (``LeadTokenizer``).
LEAD_FIELD = "body_lead"

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
            for chain in typed_links(seqs):
                found = np.zeros(n, dtype=bool)
                for field in seqs:
                    if self._expired():
                        return
                    found |= self._chain(field, chain, mask, extra)
                together += found
                pairs_typed += 1
        if pairs_typed:
            # a multiplier, not only an addition: several scattered stem matches must not outweigh
            # the words typed found together, whatever the lengths of the fields
            scored.scores *= np.where(mask, 1.0 + TOGETHER_FACTOR * together / pairs_typed, 1.0)
        scored.scores += np.where(mask, extra, 0.0)
        if self.scope != "comments":
            factor = self._salience(tree, mask, scored.scores)
            if factor is not None:
                scored.scores *= factor

    def _salience(self, tree, mask: np.ndarray, scores: np.ndarray) -> np.ndarray | None:
        """Return the per-document factor that favours articles where every typed word is salient."""
        concepts = concept_words(tree)
        if not concepts or "body" not in self.names or "title" not in self.names:
            return None
        cands = np.flatnonzero(mask)
        if not len(cands):
            return None
        body_len = self.p.lengths("body")[cands]
        # reading positions costs most: beyond MAX_LEAD_CHECK candidates, only the best-scored
        # ones (those that can reach the first pages) have their lead read; the lead field
        # gives every candidate's lead with the postings
        lead = np.ones(len(cands), dtype=bool)
        if len(cands) > MAX_LEAD_CHECK and LEAD_FIELD not in self.names:
            lead[:] = False
            lead[np.argsort(-scores[cands], kind="stable")[:MAX_LEAD_CHECK]] = True
        factor = np.ones(len(cands))
        for words in concepts:
            terms = [t for w in words for t in _exact_terms(self.schema, "body", w.text)]
            if not terms:
                continue  # a stop word: ignored by the matching too
            sal = np.zeros(len(cands))
            for term in terms:
                if self._expired():
                    return None
                sal = np.maximum(sal, self._term_salience(term, cands, body_len, lead))
            floor = self._floor(words)
            factor *= floor + (1.0 - floor) * sal
        out = np.ones(len(mask))
        out[cands] = factor ** SALIENCE_POWER
        return out

    @staticmethod
    def _floor(words: list[ql.Word]) -> float:
        """Return the salience floor of a concept: NAME_FLOOR when every word of it is a name."""
        return NAME_FLOOR if all(is_protected(w.text) for w in words) else FLOOR

    def _term_salience(self, term: str, cands: np.ndarray, body_len: np.ndarray, lead: np.ndarray) -> np.ndarray:
        """Return the salience of one stemmed term in each candidate (title, lead where ``lead``, density)."""
        sal = np.zeros(len(cands))
        has, freq = _lookup(*self.p.frequencies("body", term), cands)
        if has.any():
            sal = density(freq, body_len)
            sal = np.maximum(sal, self._lead(term, cands, has & lead))
        tids, _tf = self.p.frequencies("title", term)
        if len(tids):
            sal[np.isin(cands, tids, assume_unique=True)] = 1.0
        return sal

    def _lead(self, term: str, cands: np.ndarray, check: np.ndarray) -> np.ndarray:
        """Return the lead salience of one stemmed term in each candidate (0 where not ``check``)."""
        out = np.zeros(len(cands))
        if LEAD_FIELD in self.names:
            has, weights = _lookup(*self.p.frequencies(LEAD_FIELD, term), cands)
            return np.where(has & check, weights * LEAD_SALIENCE, 0.0)
        inbody = np.flatnonzero(check)
        first = self.p.first_positions("body", term, cands[inbody])
        # an index from before the lead field: the weight its analyzer would have stored
        out[inbody] = [lead_weight(p) * LEAD_SALIENCE if p >= 0 else 0.0 for p in first.tolist()]
        return out

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

    def _chain(self, field: str, chain: list[tuple[str, str]], mask: np.ndarray, extra: np.ndarray) -> np.ndarray:
        """Add the scores of a chain of typed pairs in one field where all are found; return where."""
        scores = np.zeros(len(mask))
        where = None
        for a, b in chain:
            found = np.zeros(len(mask), dtype=bool)
            self._pair(field, a, b, mask, scores, found)
            where = found if where is None else where & found
        extra[where] += scores[where]
        return where

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


def density(freq, length):
    """Return the salience a word gets from its frequency in a body of ``length`` words (capped)."""
    # also computed at indexing for OpenSearch (``opensearch_ranking.saliences``): one formula
    return np.minimum(DENSITY_CAP, freq * DENSITY_WORDS / np.maximum(length, 1.0))


def _lookup(ids: np.ndarray, values: np.ndarray, cands: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return, for each candidate, whether it is in the sorted ``ids`` and its value there (0 if not)."""
    if not len(ids):
        return np.zeros(len(cands), dtype=bool), np.zeros(len(cands))
    pos = np.searchsorted(ids, cands)
    pos[pos >= len(ids)] = 0
    has = ids[pos] == cands
    return has, np.where(has, values[pos], 0.0)


def typed_links(seqs: dict[str, list[str]]) -> list[list[tuple[str, str]]]:
    """Return the typed links between two words in a row, each the chain of exact pairs joining them.

    Stop words typed between two words belong to their link (``prix du petrole`` is one link,
    ``prix du`` + ``du petrole``), so that a pair with a stop word never counts alone: « prix du
    gaz » does not bring ``prix du petrole`` together.
    """
    links: dict[tuple, list[tuple[str, str]]] = {}
    for seq in seqs.values():
        content = [i for i, t in enumerate(seq) if t not in _STOPS]
        for i, j in zip(content, content[1:]):
            chain = list(zip(seq[i:j], seq[i + 1 : j + 1]))
            links.setdefault(tuple(chain), chain)
    return list(links.values())


def concept_words(tree) -> list[list[ql.Word]]:
    """Return the concepts a query requires: each plain word ANDed at the top, or a group of
    plain words ORed together (any of them will do); other nodes (phrases, prefixes) are left out."""

    def plain(node) -> bool:
        return isinstance(node, ql.Word) and node.mode == "word" and node.field is None

    def concept(node):
        if plain(node):
            return [node]
        if isinstance(node, ql.Bool) and node.op == "or" and all(plain(c) for c in node.children):
            return list(node.children)
        return None

    if isinstance(tree, ql.Bool) and tree.op == "and":
        found = [concept(c) for c in tree.children]
    else:
        found = [concept(tree)]
    return [c for c in found if c]
