"""The query language's syntax tree (``search.query.language``) translated into OpenSearch's query DSL.

The tree is never re-parsed: each node becomes one clause, with the rules of
``search.query.build``: words through the stemmed fields of the scope, phrases, prefixes and
fuzzy words through the unstemmed ``.exact`` copies, ``personne:``/``media:``/``auteur:`` through
the folded words of the name keywords, ``annee:`` and ``date:`` on the year and day keys. A word
that the product's analyzer drops (a stop word) is ignored, as Whoosh ignores it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from search.index.analysis import analyze_terms
from search.query import dates
from search.query import facets as fc
from search.query import language as ql
from search.query.build import MAX_EXPANSION, SCOPE_FIELDS, fuzzy_distance
from search.text import fold

NAME_FIELDS = {"author": "author.words", "outlet": "outlet.words", "person": "persons.words"}
#: Request facet → indexed keyword field.
FACET_FIELDS = {"outlet": "outlet", "year": "year", "month": "month", "person": "persons", "author": "author"}
MATCH_NONE = {"match_none": {}}
MATCH_ALL = {"match_all": {}}


@dataclass
class Translated:
    """An OpenSearch query for a tree (None = every article), and what it ignored or expanded."""

    query: dict | None
    notes: dict[int, str] = field(default_factory=dict)
    ignored: list[str] = field(default_factory=list)
    words: list[ql.Word] = field(default_factory=list)


class Translator:
    """Translate one parsed tree for one scope."""

    def __init__(self, scope: str = "all"):
        self.scope = scope if scope in SCOPE_FIELDS else "all"
        self.out = Translated(None)

    def translate(self, tree) -> Translated:
        """Return the translated query of ``tree``."""
        self.out.query = None if tree is None else self._node(tree, False)
        return self.out

    def _fields(self, node_field: str | None) -> tuple[str, ...]:
        if node_field in ("title", "body", "comments"):
            return (node_field,)
        return SCOPE_FIELDS[self.scope]

    def _node(self, node, negated: bool) -> dict | None:
        if isinstance(node, ql.Bool):
            return self._bool(node, negated)
        if isinstance(node, ql.Not):
            inner = self._node(node.child, not negated)
            return None if inner is None else {"bool": {"must": [MATCH_ALL], "must_not": [inner]}}
        if isinstance(node, ql.Word):
            return self._word(node, negated)
        if isinstance(node, ql.Phrase):
            return self._phrase(node, negated)
        if isinstance(node, ql.Near):
            return self._near(node, negated)
        if isinstance(node, ql.DateRange):
            bounds = node.bounds()
            if bounds is None:
                return MATCH_NONE
            lo, hi = bounds
            return {"range": {"date_sort": {"gte": lo} | ({"lte": hi} if hi is not None else {})}}
        if isinstance(node, ql.YearIs):
            if node.lo == node.hi:
                return {"term": {"year": node.lo}}
            return {"range": {"year": {"gte": node.lo or "0000", "lte": node.hi or "9999"}}}
        return None

    def _bool(self, node: ql.Bool, negated: bool) -> dict | None:
        pos, neg = ql.translate_children(node, self._node, negated)
        if node.op == "or":
            kids = pos + [{"bool": {"must": [MATCH_ALL], "must_not": [q]}} for q in neg]
            if not kids:
                return None
            return kids[0] if len(kids) == 1 else {"bool": {"should": kids, "minimum_should_match": 1}}
        if not pos and not neg:
            return None
        if len(pos) == 1 and not neg:
            return pos[0]
        return {"bool": {"must": pos or [MATCH_ALL], **({"must_not": neg} if neg else {})}}

    def _word(self, node: ql.Word, negated: bool) -> dict | None:
        if node.mode == "url":
            return self._url(node)
        if node.field in NAME_FIELDS:
            return self._name_word(node, negated)
        fields = self._fields(node.field)
        if node.mode in ("prefix", "fuzzy"):
            return self._expand(node, [f"{f}.exact" for f in fields])
        if not analyze_terms(node.text, "french"):
            self.out.ignored.append(node.text)
            self.out.notes[id(node)] = "mot vide, ignoré"
            return None
        if not negated:
            self.out.words.append(node)
        # a word the analyzer cuts in several ("Mali-Russie") is its parts side by side, as in Whoosh
        subs = [{"match_phrase": {f: {"query": node.text}}} for f in fields]
        return subs[0] if len(subs) == 1 else {"bool": {"should": subs, "minimum_should_match": 1}}

    def _phrase(self, node: ql.Phrase, negated: bool) -> dict | None:
        if node.field in NAME_FIELDS:
            fields = [NAME_FIELDS[node.field]]
        else:
            fields = [f"{f}.exact" for f in self._fields(node.field)]
        if not analyze_terms(node.text, "exact"):
            self.out.ignored.append(node.text)
            return None
        subs = [{"match_phrase": {f: {"query": node.text}}} for f in fields]
        return subs[0] if len(subs) == 1 else {"bool": {"should": subs, "minimum_should_match": 1}}

    def _near(self, node: ql.Near, negated: bool) -> dict | None:
        """Words or phrases at most ``distance`` words apart, in any order, in one field (intervals)."""
        parts = [c for c in node.children if isinstance(c, (ql.Word, ql.Phrase))]
        if len(parts) < 2:
            return self._node(ql.Bool("and", list(node.children)), negated)
        subs = []
        for f in self._fields(None):
            rules = []
            for c in parts:
                if isinstance(c, ql.Phrase):
                    rules.append({"match": {"query": c.text, "ordered": True, "max_gaps": 0,
                                            "use_field": f"{f}.exact"}})
                else:
                    rules.append({"match": {"query": c.text}})
            subs.append({"intervals": {f: {"all_of": {"ordered": False, "max_gaps": node.distance,
                                                      "intervals": rules}}}})
        return subs[0] if len(subs) == 1 else {"bool": {"should": subs, "minimum_should_match": 1}}

    def _name_word(self, node: ql.Word, negated: bool) -> dict | None:
        f = NAME_FIELDS[node.field]
        if node.mode in ("prefix", "fuzzy"):
            return self._expand(node, [f])
        if not fold(node.text).strip():
            self.out.ignored.append(node.text)
            return None
        return {"match_phrase": {f: {"query": node.text}}}

    def _url(self, node: ql.Word) -> dict:
        url = node.text
        variants = {url, url.rstrip("/"), url.rstrip("/") + "/"}
        if url.lower().startswith("www."):
            variants |= {"https://" + url, "http://" + url}
        subs = [{"terms": {"url": sorted(variants)}}]
        subs += [{"match_phrase": {f"{f}.exact": {"query": url}}} for f in self._fields(node.field)]
        return {"bool": {"should": subs, "minimum_should_match": 1}}

    def _expand(self, node: ql.Word, fields: list[str]) -> dict:
        key = fold(node.text).lower().replace("'", "").replace("’", "")
        if not key:
            self.out.notes[id(node)] = "aucune forme connue"
            return MATCH_NONE
        subs = []
        for f in fields:
            if node.mode == "prefix":
                subs.append({"prefix": {f: {"value": key}}})
            else:
                dist = min(node.dist or fuzzy_distance(key), 2, max(1, len(key) // 3))
                subs.append({"fuzzy": {f: {"value": key, "fuzziness": dist, "prefix_length": 1,
                                           "max_expansions": MAX_EXPANSION, "transpositions": True}}})
        return subs[0] if len(subs) == 1 else {"bool": {"should": subs, "minimum_should_match": 1}}


# --------------------------------------------------------------------------- filters and facets


def facet_filters(req) -> dict[str, list[dict]]:
    """Return, per facet, the clauses of its own selection (included and excluded values)."""
    out: dict[str, list[dict]] = {}
    for name, fieldname in FACET_FIELDS.items():
        include = list(dict.fromkeys(getattr(req, name)))
        exclude = list(dict.fromkeys(getattr(req, f"not_{name}")))
        clauses = []
        if include:
            if name in fc.CONJUNCTIVE:  # every ticked person
                clauses += [{"term": {fieldname: v}} for v in include]
            else:
                clauses.append({"terms": {fieldname: include}})
        if exclude:
            clauses.append({"bool": {"must_not": [{"terms": {fieldname: exclude}}]}})
        if clauses:
            out[name] = clauses
    return out


def global_filters(req) -> list[dict]:
    """Return the clauses every facet and the timeline share: dates « du … au », story, comments."""
    out = []
    if req.date_from or req.date_to:
        lo, hi = (dates.day_int(d) if d else None for d in (req.date_from, req.date_to))
        lo, hi = dates.bounds(lo, hi)
        rng_lo = {"gte": max(lo or 0, 1)}
        out.append({"range": {"date_sort": rng_lo}})
        if hi is not None:
            out.append({"range": {"date_end": {"lte": hi}}})
    if req.story:
        out.append({"term": {"story": req.story}})
    if req.with_comments:
        out.append({"term": {"has_comments": True}})
    return out


def others(filters: dict[str, list[dict]], skip: set[str]) -> list[dict]:
    """Return the clauses of every facet but those in ``skip`` (a disjunctive facet's own)."""
    return [c for name, clauses in filters.items() if name not in skip for c in clauses]


def facet_aggs(req, filters: dict[str, list[dict]], size: int) -> dict:
    """Return one filtered terms aggregation per facet, the comments count and the timeline."""
    aggs = {}
    for name, fieldname in FACET_FIELDS.items():
        skip = set() if name in fc.CONJUNCTIVE else {name}
        terms = {"terms": {"field": fieldname, "size": size, "min_doc_count": 1}}
        if name == "year":
            terms["aggs"] = {"estimated": {"filter": {"term": {"date_estimated": True}}}}
        aggs[name] = {"filter": {"bool": {"filter": others(filters, skip)}}, "aggs": {"values": terms}}
    aggs["comments"] = {"filter": {"bool": {"filter": others(filters, set()) + [{"term": {"has_comments": True}}]}}}
    est = {"estimated": {"filter": {"term": {"date_estimated": True}}}}
    aggs["timeline"] = {"filter": {"bool": {"filter": others(filters, {"year", "month"})}},
                        "aggs": {"years": {"terms": {"field": "year", "size": size}, "aggs": est},
                                 "months": {"terms": {"field": "month", "size": size}, "aggs": est}}}
    aggs["stories"] = {"filter": {"bool": {"filter": others(filters, set())}},
                       "aggs": {"n": {"cardinality": {"field": "story", "precision_threshold": 40000}}}}
    return aggs


def sort_clause(req, has_query: bool) -> list:
    """Return the sort: score then id for relevance, date_sort (undated last) then id otherwise."""
    if req.sort == "relevance" and has_query:
        return [{"_score": "desc"}, {"id": "asc"}]
    order = "asc" if req.sort == "oldest" else "desc"
    return [{"date_sort": {"order": order, "missing": "_last"}}, {"id": "asc"}]
