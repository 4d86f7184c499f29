"""Syntax tree → Whoosh query, analysed exactly as the index was (with the index's own analyzers).

Each word is searched through the stemmed fields of the scope (title, body, comments), phrases
through the unstemmed ``*_exact`` copies, prefixes and fuzzy words are expanded over the exact
vocabulary with a bound. The builder also records, for snippets, which indexed terms each field
should highlight, and short French notes (expansions, ignored words) for the interpretation.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from itertools import islice

from rapidfuzz.distance import OSA
from whoosh import query as wq
from whoosh.query import SpanNear2

from search.query import language as ql
from search.index.analysis import STOP_WORDS, pair_terms
from search.text import fold

SCOPE_FIELDS = {
    "all": ("title", "body", "comments"),
    "articles": ("title", "body"),
    "comments": ("comments",),
}
EXACT = {"title": "title_exact", "body": "body_exact", "comments": "comments_exact"}
#: Exact field → its word-pair field (indexes built before schema 3 have none).
PAIRS = {"title_exact": "title_pairs", "body_exact": "body_pairs", "comments_exact": "comments_pairs"}
NAME_FIELDS = {"author": "author_text", "outlet": "outlet_text", "person": "persons_text"}

#: Most indexed terms a prefix (coop*) or a fuzzy word (Beloussof~) expands to, in each field.
MAX_EXPANSION = 30
#: Most terms read from the lexicon to expand one prefix in one field (bounds `a*`-style prefixes).
MAX_PREFIX_SCAN = 20_000
#: Most expanded terms, and lexicon terms read, for a whole query: a query of many prefixes or
#: fuzzy words shares these (each keeping at least the minimum), so its cost stays bounded however
#: many it has, while a query of a few keeps ``MAX_EXPANSION`` and ``MAX_PREFIX_SCAN`` for each.
MAX_QUERY_EXPANSION = 600
MIN_EXPANSION = 5
MAX_QUERY_SCAN = 120_000
MIN_PREFIX_SCAN = 1_000
#: A fuzzy word's other spellings score this much of an exact match per edit (``Goïta~`` finds
#: « Goïta » first and « Goïtta » after it), every spelling with the idf of the commonest one,
#: so that a rare neighbour never outranks the word typed because it is rare.
FUZZY_EDIT_WEIGHT = 0.3


@dataclass
class Built:
    """A compiled query: the Whoosh query (None = every article) and what it looks for."""

    query: object | None
    highlight: dict[str, set[str]] = field(default_factory=dict)
    notes: dict[int, str] = field(default_factory=dict)
    words: list[ql.Word] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    empty: bool = False  # a term with no possible match (e.g. prefix with no expansion)
    positional: bool = False  # has a phrase: matching costs more than scoring, so do it once


def analyze(schema, fieldname: str, text: str, mode: str = "query") -> list[list[str]]:
    """Return the indexed terms of ``text`` for a field, grouped by position."""
    try:
        analyzer = schema[fieldname].analyzer
    except (KeyError, AttributeError):
        return []
    groups: dict[int, list[str]] = {}
    for tok in analyzer(text, mode=mode, positions=True):
        if tok.text:
            groups.setdefault(tok.pos, [])
            if tok.text not in groups[tok.pos]:
                groups[tok.pos].append(tok.text)
    return [groups[pos] for pos in sorted(groups)]


def _pair_cover(dfs: list[int]) -> list[int]:
    """Return the cheapest pairs (by document frequency) that still cover every word of a phrase.

    Pair ``k`` covers words ``k`` and ``k+1``: the first and last pairs are needed, and two chosen
    pairs are at most two apart. A dynamic programme over the pairs picks the smallest total.
    """
    best: list[tuple[int, list[int]]] = []
    for k, df in enumerate(dfs):
        options = [best[j] for j in (k - 1, k - 2) if j >= 0]
        cost, path = min(options, key=lambda o: o[0]) if options else (0, [])
        best.append((cost + df, path + [k]))
    return best[-1][1] if best else []


def _positions_slop(schema, fieldname: str, text: str) -> int:
    try:
        positions = sorted({t.pos for t in schema[fieldname].analyzer(text, mode="query", positions=True)})
    except (KeyError, AttributeError):
        return 1
    gaps = [b - a for a, b in zip(positions, positions[1:])]
    return max(gaps, default=1)


def _without_stop_words(schema, fieldname: str, text: str):
    """Return (groups, slop) of a phrase's content words when it has stop words between them."""
    try:
        toks = [(t.pos, t.text) for t in schema[fieldname].analyzer(text, mode="query", positions=True)]
    except (KeyError, AttributeError):
        return None
    content = [(p, w) for p, w in toks if w not in STOP_WORDS]
    if len(content) < 2 or len(content) == len(toks):
        return None
    gaps = [b[0] - a[0] for a, b in zip(content, content[1:])]
    return [[w] for _p, w in content], max(gaps)


class Builder:
    """Compile one parsed query against one searcher."""

    def __init__(self, searcher, scope: str = "all", fuzzy=None):
        self.searcher = searcher
        self.schema = searcher.schema
        self.reader = searcher.reader()
        self.scope = scope if scope in SCOPE_FIELDS else "all"
        self.fuzzy = fuzzy  # callable(fieldname, folded word, maxdist) -> list of terms
        self.built = Built(None)
        self.expansion = MAX_EXPANSION  # terms per expanded word and field (see ``_share``)
        self.scan = MAX_PREFIX_SCAN

    # -- public

    def build(self, tree) -> Built:
        """Return the Whoosh query for ``tree`` with its highlight terms and notes."""
        self._share(tree)
        self.built.query = self._node(tree, False) if tree is not None else None
        return self.built

    def _share(self, tree) -> None:
        """Split the query's expansion budgets between its prefix and fuzzy words (per field)."""
        expansions = 0
        for node, _negated in ql.iter_nodes(tree):
            if isinstance(node, ql.Word) and node.mode in ("prefix", "fuzzy"):
                expansions += 1 if node.field in NAME_FIELDS else len(self._text_fields(node.field))
        if expansions:
            self.expansion = max(MIN_EXPANSION, min(MAX_EXPANSION, MAX_QUERY_EXPANSION // expansions))
            self.scan = max(MIN_PREFIX_SCAN, min(MAX_PREFIX_SCAN, MAX_QUERY_SCAN // expansions))

    # -- helpers

    def _mark(self, fieldname: str, terms) -> None:
        self.built.highlight.setdefault(fieldname, set()).update(terms)

    def _text_fields(self, node_field: str | None) -> tuple[str, ...]:
        if node_field in ("title", "body", "comments"):
            return (node_field,)
        return SCOPE_FIELDS[self.scope]

    def _has(self, fieldname: str) -> bool:
        return fieldname in self.schema.names()

    def _term_query(self, fieldname: str, groups: list[list[str]], slop: int = 1):
        if not groups:
            return None
        if len(groups) == 1:
            terms = [wq.Term(fieldname, t) for t in groups[0]]
            return terms[0] if len(terms) == 1 else wq.Or(terms)
        if all(len(g) == 1 for g in groups):
            self.built.positional = True
            return wq.Phrase(fieldname, [g[0] for g in groups], slop=slop)
        return wq.And([wq.Or([wq.Term(fieldname, t) for t in g]) for g in groups])

    # -- nodes

    def _node(self, node, negated: bool):
        if isinstance(node, ql.Bool):
            return self._bool(node, negated)
        if isinstance(node, ql.Not):
            inner = self._node(node.child, not negated)
            return None if inner is None else wq.AndNot(wq.Every(), inner)
        if isinstance(node, ql.Word):
            return self._word(node, negated)
        if isinstance(node, ql.Phrase):
            return self._phrase(node, negated)
        if isinstance(node, ql.Near):
            return self._near(node, negated)
        if isinstance(node, ql.DateRange):
            bounds = node.bounds()  # date:0000, ..0000: undated articles are never in a range
            return wq.NullQuery if bounds is None else wq.NumericRange("date_sort", *bounds)
        if isinstance(node, ql.YearIs):
            if node.lo == node.hi:
                return wq.Term("year", node.lo)
            return wq.TermRange("year", node.lo or "0000", node.hi or "9999")
        return None

    def _bool(self, node: ql.Bool, negated: bool):
        if node.op == "or":
            kids = []
            for child in node.children:
                if isinstance(child, ql.Not):
                    inner = self._node(child.child, not negated)
                    if inner is not None:
                        kids.append(wq.Not(inner))
                else:
                    q = self._node(child, negated)
                    if q is not None:
                        kids.append(q)
            if not kids:
                return None
            return kids[0] if len(kids) == 1 else wq.Or(kids)
        pos, neg = ql.translate_children(node, self._node, negated)
        if not pos and not neg:
            return None
        base = (pos[0] if len(pos) == 1 else wq.And(pos)) if pos else wq.Every()
        if neg:
            base = wq.AndNot(base, neg[0] if len(neg) == 1 else wq.Or(neg))
        return base

    def _word(self, node: ql.Word, negated: bool):
        if node.mode == "url":
            return self._url(node, negated)
        if node.field in NAME_FIELDS:
            return self._name_word(node, negated)
        fields = self._text_fields(node.field)
        if node.mode == "prefix":
            return self._expand(node, [EXACT[f] for f in fields], negated, self._prefix_terms)
        if node.mode == "fuzzy":
            return self._expand(node, [EXACT[f] for f in fields], negated, self._fuzzy_terms)
        subs = []
        for f in fields:
            groups = analyze(self.schema, f, node.text)
            q = self._term_query(f, groups, _positions_slop(self.schema, f, node.text))
            if q is not None:
                subs.append(q)
                if not negated:
                    self._mark(f, {t for g in groups for t in g})
        if not subs:
            self.built.ignored.append(node.text)
            self.built.notes[id(node)] = "mot vide, ignoré"
            return None
        if not negated:
            self.built.words.append(node)
        return subs[0] if len(subs) == 1 else wq.Or(subs)

    def _phrase(self, node: ql.Phrase, negated: bool):
        if node.field in NAME_FIELDS:
            fields = [NAME_FIELDS[node.field]]
        else:
            fields = [EXACT[f] for f in self._text_fields(node.field)]
        subs = []
        for f in fields:
            groups = analyze(self.schema, f, node.text)
            q = self._pair_query(f, groups)
            if q is None and self._has(PAIRS.get(f, "")) and len(groups) > 1 and all(len(g) == 1 for g in groups):
                # a rarer word keeps the candidates few: every word checked in place, stop words too
                q = self._term_query(f, groups, 1)
            kept = _without_stop_words(self.schema, f, node.text)
            if q is not None:
                marked = kept[0] if kept is not None else groups
            else:
                slop = _positions_slop(self.schema, f, node.text)
                if kept is not None:
                    # "président de la république": checking the positions of "de" and "la" in
                    # every candidate costs ten times more than the rest; the content words, in
                    # order and at the same distance, give the same hits in practice
                    groups, slop = kept
                q = self._term_query(f, groups, slop)
                marked = groups
            if q is not None:
                subs.append(q)
                if not negated:
                    # stop words inside a phrase are not marked everywhere in the snippets
                    self._mark(f, {t for g in marked for t in g})
        if not subs:
            self.built.ignored.append(node.text)
            return None
        return subs[0] if len(subs) == 1 else wq.Or(subs)

    def _near(self, node: ql.Near, negated: bool):
        """``barkhane PROCHE/10 macron``: the parts at most ``distance`` words apart in one field."""
        fields = set.intersection(*(set(self._text_fields(c.field)) for c in node.children))
        subs = []
        for f in sorted(fields):
            parts = [self._span_part(f, c) for c in node.children]
            if any(p is None for p in parts):
                continue
            self.built.positional = True
            subs.append(SpanNear2(parts, slop=node.distance, ordered=False, mindist=1))
            if not negated:
                for c in node.children:
                    self._mark(f, {t for g in analyze(self.schema, f, c.text) for t in g})
        if not negated:
            self.built.words.extend(c for c in node.children if isinstance(c, ql.Word))
        if not subs:
            self.built.ignored.append(ql.describe(node))
            return None
        return subs[0] if len(subs) == 1 else wq.Or(subs)

    def _span_part(self, fieldname: str, child):
        """Return one part of a proximity query as a span query (a word, or a phrase in order)."""
        groups = [g for g in analyze(self.schema, fieldname, child.text) if g]
        if not groups:
            return None
        terms = [wq.Term(fieldname, g[0]) if len(g) == 1 else wq.Or([wq.Term(fieldname, t) for t in g])
                 for g in groups]
        if len(terms) == 1:
            return terms[0]
        return SpanNear2(terms, slop=1, ordered=True)

    def _pair_query(self, fieldname: str, groups: list[list[str]]):
        """Return the phrase as word pairs (one term for two words), or None without a pair field."""
        pairs_field = PAIRS.get(fieldname)
        if len(groups) < 2 or not pairs_field or not self._has(pairs_field):
            return None
        if any(len(g) != 1 for g in groups):
            return None
        words = [g[0] for g in groups]
        analyzer = getattr(self.schema[pairs_field], "analyzer", None)
        has_pair = getattr(analyzer, "has_pair", None)
        if has_pair is not None and not all(has_pair(a, b) for a, b in zip(words, words[1:])):
            return None  # a rarer word: its pairs are not indexed, and its positions are few
        pairs = pair_terms(words)
        if len(pairs) == 1:
            return wq.Term(pairs_field, pairs[0])
        # pairs at consecutive positions are exactly the words in order, and the pairs' posting
        # lists are far shorter than the words', so fewer candidates get their positions checked
        self.built.positional = True
        chosen = _pair_cover([self.reader.doc_frequency(pairs_field, p) for p in pairs])
        if len(chosen) == len(pairs):
            return wq.Phrase(pairs_field, pairs, slop=1)
        # pairs two apart still pin every word ("president de" + "la republique"), and leaving
        # out a pair like "de la", found many times in most documents, saves most position checks
        q = wq.Term(pairs_field, pairs[chosen[0]])
        for prev, k in zip(chosen, chosen[1:]):
            gap = k - prev
            q = SpanNear2([q, wq.Term(pairs_field, pairs[k])], slop=gap, mindist=gap, ordered=True)
        return q

    def _name_word(self, node: ql.Word, negated: bool):
        f = NAME_FIELDS[node.field]
        if node.mode == "prefix":
            return self._expand(node, [f], negated, self._prefix_terms)
        if node.mode == "fuzzy":
            return self._expand(node, [f], negated, self._fuzzy_terms)
        groups = analyze(self.schema, f, node.text)
        q = self._term_query(f, groups, 1)
        if q is None:
            self.built.ignored.append(node.text)
            return None
        if not negated:
            self._mark(f, {t for g in groups for t in g})
        return q

    def _url(self, node: ql.Word, negated: bool):
        url = node.text
        variants = {url, url.rstrip("/"), url.rstrip("/") + "/"}
        if url.lower().startswith("www."):
            variants |= {"https://" + url, "http://" + url}
        subs = [wq.Term("url", v) for v in sorted(variants)]
        fields = [EXACT[f] for f in self._text_fields(node.field)]
        for f in fields:
            groups = analyze(self.schema, f, url)
            q = self._pair_query(f, groups) or self._term_query(f, groups, 1)
            if q is not None:
                subs.append(q)
        return wq.Or(subs)

    def _expand(self, node: ql.Word, fields, negated: bool, expander):
        groups = analyze(self.schema, fields[0], node.text)
        key = "".join(groups[0]) if len(groups) == 1 else fold(node.text).lower()
        if node.mode == "fuzzy":
            key = "".join(g[0] for g in groups) if groups else fold(node.text).lower()
        subs, forms = [], []
        for f in fields:
            terms = expander(f, key, node)
            if terms:
                subs.append(self._fuzzy_or(f, key, terms) if node.mode == "fuzzy" else
                            wq.Or([wq.Term(f, t) for t in terms]))
                forms.extend(t for t in terms if t not in forms)
                if not negated:
                    self._mark(f, terms)
        if node.mode == "prefix":
            shown = ", ".join(forms[:5]) + (", …" if len(forms) > 5 else "")
            self.built.notes[id(node)] = f"{len(forms)} forme(s) : {shown}" if forms else "aucune forme connue"
        else:
            shown = ", ".join(forms[:5]) + (", …" if len(forms) > 5 else "")
            self.built.notes[id(node)] = f"≈ {shown}" if forms else "aucun mot proche"
        if not subs:
            self.built.empty = True
            return wq.NullQuery
        return subs[0] if len(subs) == 1 else wq.Or(subs)

    def _prefix_terms(self, fieldname: str, prefix: str, node) -> list[str]:
        if not prefix or not self._has(fieldname):
            return []
        # each segment's lexicon gives its terms with their document counts in one sequential
        # read, where looking every scanned term up again costs a second per 75,000 terms
        dfs: dict[str, int] = {}
        try:
            for leaf, _offset in self.reader.leaf_readers():
                for btext, info in islice(leaf.iter_prefix(fieldname, prefix), self.scan):
                    text = btext.decode("utf-8") if isinstance(btext, bytes) else btext
                    dfs[text] = dfs.get(text, 0) + info.doc_frequency()
        except (KeyError, ValueError):
            return []
        scanned = sorted(dfs)[: self.scan]
        if len(scanned) <= self.expansion:
            return scanned
        best = heapq.nlargest(self.expansion, scanned, key=dfs.__getitem__)
        return sorted(best, key=lambda t: -dfs[t])

    def _fuzzy_terms(self, fieldname: str, word: str, node) -> list[str]:
        if not word or not self._has(fieldname):
            return []
        maxdist = min(node.dist or fuzzy_distance(word), 3)
        if self.fuzzy is not None:
            found = self.fuzzy(fieldname, word, maxdist)
        else:
            # without a vocabulary cache: Whoosh's own bounded scan (shared first letter)
            found = sorted(islice(self.reader.terms_within(fieldname, word, maxdist, prefix=1), 200))
        return [t for t in found if plausible_spelling(word, t, maxdist)][: self.expansion]

    def _fuzzy_or(self, fieldname: str, word: str, terms: list[str]):
        """Return the spellings of a fuzzy word, each weighted by its closeness to the word typed."""
        idfs = {t: self.searcher.idf(fieldname, t) for t in terms}
        common = min(idfs.values())
        subs = []
        for t in terms:
            edits = OSA.distance(word, t)
            boost = 1.0 if not edits else FUZZY_EDIT_WEIGHT ** edits * common / idfs[t]
            subs.append(wq.Term(fieldname, t, boost=boost))
        return subs[0] if len(subs) == 1 else wq.Or(subs)


def fuzzy_distance(word: str) -> int:
    """Return the edits a fuzzy word allows by default: one up to five letters, two beyond."""
    return 1 if len(word) <= 5 else 2


def plausible_spelling(word: str, candidate: str, maxdist: int) -> bool:
    """True when ``candidate`` is a plausible spelling of ``word``: within ``maxdist`` edits, and
    never more than one edit per three letters of the shorter of the two (``goita`` is not ``gta``)."""
    edits = OSA.distance(word, candidate)
    return edits <= min(maxdist, max(1, min(len(word), len(candidate)) // 3))
