"""The query language's syntax tree (``search.query.language``) translated into OpenSearch's query DSL.

The tree is never re-parsed: each node becomes one clause, with the rules of
``search.query.build``: words through the stemmed fields of the scope, phrases, prefixes and
fuzzy words through the unstemmed ``.exact`` copies, ``personne:``/``media:``/``auteur:`` through
the folded words of the name keywords, ``annee:`` and ``date:`` on the year and day keys. A word
that the product's analyzer drops (a stop word) is ignored, as Whoosh ignores it.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

from rapidfuzz.distance import OSA

from search.engines import opensearch_ranking as ranking
from search.index.analysis import analyze_terms
from search.query import dates
from search.query import facets as fc
from search.query import language as ql
from search.query.build import (FUZZY_EDIT_WEIGHT, MAX_EXPANSION, MAX_PREFIX_SCAN, MAX_QUERY_EXPANSION,
                                 MAX_QUERY_SCAN, MIN_EXPANSION, MIN_PREFIX_SCAN, SCOPE_FIELDS, fuzzy_distance,
                                 plausible_spelling)
from search.query.request import MAX_FACET_VALUES, MORE_FACET_VALUES
from search.query.service import MONTHS_FR, _month_label
from search.text import fold, fold_key

NAME_FIELDS = {"author": "author.words", "outlet": "outlet.words", "person": "persons.words"}
#: OpenSearch fields → the presse (Whoosh) fields whose vocabulary they share.
PRESSE_FIELDS = {"title.exact": "title_exact", "body.exact": "body_exact", "comments.exact": "comments_exact",
                 "persons.words": "persons_text", "outlet.words": "outlet_text", "author.words": "author_text"}
#: Request facet → indexed keyword field.
FACET_FIELDS = {"outlet": "outlet", "year": "year", "month": "month", "person": "persons", "author": "author"}
MATCH_NONE = {"match_none": {}}
MATCH_ALL = {"match_all": {}}


@dataclass
class Translated:
    """An OpenSearch query for a tree (None = every article), and what it ignored or expanded.

    ``query`` is scored as presse ranks (``opensearch_ranking``); ``match`` is the same query
    without the clauses that only score: the same hits, cheaper to highlight with.
    """

    query: dict | None
    match: dict | None = None
    notes: dict[int, str] = field(default_factory=dict)
    ignored: list[str] = field(default_factory=list)
    words: list[ql.Word] = field(default_factory=list)


class Translator:
    """Translate one parsed tree for one scope.

    ``vocabulary``: the index's ``VocabularyReader`` (``opensearch_spelling``) and ``fuzzy`` its
    ``Vocabulary.fuzzy``: prefixes and fuzzy words then expand to the forms Whoosh would choose,
    capped and listed in the interpretation. Without them (an index written before the vocabulary
    existed) OpenSearch expands them itself.
    """

    def __init__(self, scope: str = "all", vocabulary=None, fuzzy=None):
        self.scope = scope if scope in SCOPE_FIELDS else "all"
        self.out = Translated(None)
        self.vocabulary = vocabulary
        self.fuzzy = fuzzy
        self.expansion, self.scan = MAX_EXPANSION, MAX_PREFIX_SCAN
        self.stats = ranking.Stats()

    def translate(self, tree) -> Translated:
        """Return the translated query of ``tree``, scored as presse's relevance order scores it."""
        self._share(tree)
        self.stats = ranking.Stats(self.vocabulary, tree, self.scope)
        self.out.match = None if tree is None else self._node(tree, False)
        self.out.query = None if tree is None else ranking.rank(tree, copy.deepcopy(self.out.match), self.scope,
                                                                  self.stats)
        return self.out

    def _share(self, tree) -> None:
        """Split the expansion budgets between the query's prefix and fuzzy words, as Whoosh's builder does."""
        n = sum(1 if node.field in NAME_FIELDS else len(self._fields(node.field))
                for node, _negated in ql.iter_nodes(tree)
                if isinstance(node, ql.Word) and node.mode in ("prefix", "fuzzy")) if tree is not None else 0
        if n:
            self.expansion = max(MIN_EXPANSION, min(MAX_EXPANSION, MAX_QUERY_EXPANSION // n))
            self.scan = max(MIN_PREFIX_SCAN, min(MAX_PREFIX_SCAN, MAX_QUERY_SCAN // n))

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
        # a word the analyzer cuts in several ("Mali-Russie") is its parts side by side, as in Whoosh;
        # one term is weighted by Whoosh's idf (a phrase keeps Lucene's, the sum of its words')
        terms = analyze_terms(node.text, "french")
        subs = [{"match_phrase": {f: {"query": node.text} | (
            {"boost": self.stats.factor(f, terms[0])} if len(terms) == 1 else {})}} for f in fields]
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
        if node.field not in NAME_FIELDS:
            subs = [ranking.phrase(f.removesuffix(".exact"), node.text, sub, self.stats)
                    for f, sub in zip(fields, subs)]
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

    def _forms(self, node: ql.Word, fields: list[str]) -> dict:
        """Return a prefix or fuzzy word as the forms presse's vocabulary gives it, noted as Whoosh notes them."""
        analyzer = "keyword" if node.field in NAME_FIELDS else "exact"
        terms = analyze_terms(node.text, analyzer)
        if node.mode == "fuzzy":
            key = "".join(terms) if terms else fold(node.text).lower()
        else:
            key = terms[0] if len(terms) == 1 else fold(node.text).lower()
        subs, forms = [], []
        for f in fields:
            presse_field = PRESSE_FIELDS[f]
            if node.mode == "prefix":
                found = self.vocabulary.prefix_terms(presse_field, key, self.expansion, self.scan) if key else []
            else:
                maxdist = min(node.dist or fuzzy_distance(key), 3)
                found = [t for t in (self.fuzzy(presse_field, key, maxdist) if key else [])
                         if plausible_spelling(key, t, maxdist)][: self.expansion]
            if found:
                # each form scored, as Whoosh's Or of terms scores them (a ``terms`` query scores 1)
                subs.append(_fuzzy_or(self.vocabulary, presse_field, f, key, found, self.stats) if node.mode == "fuzzy"
                            else ranking.any_of([ranking.term(f, t, self.stats) for t in found]))
                forms.extend(t for t in found if t not in forms)
        shown = ", ".join(forms[:5]) + (", …" if len(forms) > 5 else "")
        if node.mode == "prefix":
            self.out.notes[id(node)] = f"{len(forms)} forme(s) : {shown}" if forms else "aucune forme connue"
        else:
            self.out.notes[id(node)] = f"≈ {shown}" if forms else "aucun mot proche"
        if not subs:
            return MATCH_NONE
        return subs[0] if len(subs) == 1 else {"bool": {"should": subs, "minimum_should_match": 1}}

    def _url(self, node: ql.Word) -> dict:
        url = node.text
        variants = {url, url.rstrip("/"), url.rstrip("/") + "/"}
        if url.lower().startswith("www."):
            variants |= {"https://" + url, "http://" + url}
        subs = [{"terms": {"url": sorted(variants)}}]
        subs += [{"match_phrase": {f"{f}.exact": {"query": url}}} for f in self._fields(node.field)]
        return {"bool": {"should": subs, "minimum_should_match": 1}}

    def _expand(self, node: ql.Word, fields: list[str]) -> dict:
        if self.vocabulary is not None:
            return self._forms(node, fields)
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


# --------------------------------------------------------------------------- facet and timeline rows


def facet_rows(req, aggs: dict):
    """Return the facets and their value counts from a search's aggregations, as ``SearchService`` lists them."""
    out, totals = {}, {}
    years = set(req.year) | {m[:4] for m in req.month}
    one_year = years if len(years) == 1 else set()
    for name in fc.FACETS:
        if name == "month" and not one_year:
            out[name], totals[name] = [], 0
            continue
        buckets = aggs[name]["values"]["buckets"]
        counts = {b["key"]: b["doc_count"] for b in buckets}
        est = {b["key"]: b["estimated"]["doc_count"] for b in buckets} if name == "year" else {}
        known = {b["key"] for b in aggs.get(f"known_{name}", {}).get("v", {}).get("buckets", [])}
        selected = [v for v in dict.fromkeys(getattr(req, name)) if v in known]
        excluded = {v for v in getattr(req, f"not_{name}") if v in known}
        unknown = [v for v in dict.fromkeys(getattr(req, name)) if v not in known]
        values = sorted(set(counts) | set(selected) | excluded)
        if name == "month":
            values = [v for v in values if v[:4] in one_year or v in selected]
        needle = fold_key(req.facet_filter.get(name, ""))
        if needle:
            values = [v for v in values if needle in fold_key(v) or v in selected or v in excluded]
        if name in ("year", "month"):
            values.sort(reverse=True)
        else:
            values.sort(key=lambda v: (-counts.get(v, 0), fold_key(v)))
        totals[name] = len(values)
        limit = (MORE_FACET_VALUES if name == req.more else req.facet_limit) or MAX_FACET_VALUES
        shown = values[:limit] + [v for v in values[limit:] if v in selected or v in excluded]
        rows = []
        for v in shown:
            row = {"value": v, "count": counts.get(v, 0), "selected": v in selected, "excluded": v in excluded}
            if name == "year":
                row["estimated"] = est.get(v, 0)
            if name == "month":
                row["label"] = _month_label(v)
            rows.append(row)
        for v in unknown:
            rows.append({"value": v, "count": 0, "selected": True, "excluded": False,
                         **({"estimated": 0} if name == "year" else {})})
        out[name] = rows
    out["comments"] = [{"value": "avec commentaires", "count": int(aggs["comments"]["doc_count"]),
                        "selected": req.with_comments, "excluded": False}]
    totals["comments"] = 1
    return out, totals


def timeline_rows(req, agg: dict) -> list[dict]:
    """Return the timeline (months of one year, else years with their gaps) from its aggregation."""
    years = set(req.year) | {m[:4] for m in req.month}
    if len(years) == 1:
        (year,) = years
        months = {b["key"]: b for b in agg["months"]["buckets"]}
        rows = []
        for m in range(1, 13):
            value = f"{year}-{m:02d}"
            b = months.get(value)
            rows.append({"value": value, "label": MONTHS_FR[m - 1], "count": b["doc_count"] if b else 0,
                         "estimated": b["estimated"]["doc_count"] if b else 0})
        return rows
    present = {b["key"]: b for b in agg["years"]["buckets"] if str(b["key"]).isdigit() and b["doc_count"]}
    if not present:
        return []
    lo, hi = min(int(y) for y in present), max(int(y) for y in present)
    span = [str(y) for y in range(lo, hi + 1)] if hi - lo <= 60 else sorted(present)
    return [{"value": y, "label": y, "count": present[y]["doc_count"] if y in present else 0,
             "estimated": present[y]["estimated"]["doc_count"] if y in present else 0} for y in span]


# --------------------------------------------------------------------------- the sources page

#: Most outlets the sources page lists (one terms bucket each).
MAX_OUTLETS = 50_000


def coverage_aggs() -> dict:
    """Return the aggregations of the sources page: per outlet its count and published date span, per year."""
    # estimated dates are guesses from the text: they do not bound what an outlet published
    published = {"bool": {"filter": [{"range": {"date_sort": {"gt": 0}}}],
                          "must_not": [{"term": {"date_estimated": True}}]}}
    estimated = {"filter": {"term": {"date_estimated": True}}}
    return {
        "outlets": {"terms": {"field": "outlet", "size": MAX_OUTLETS}, "aggs": {"published": {
            "filter": published, "aggs": {"first": {"min": {"field": "date_sort"}},
                                          "last": {"max": {"field": "date_sort"}}}}}},
        "no_outlet": {"missing": {"field": "outlet"}},
        "years": {"terms": {"field": "year", "size": MAX_OUTLETS}, "aggs": {"estimated": estimated}},
        "estimated": estimated,
    }


def coverage_counts(total: int, aggs: dict) -> dict:
    """Return the sources page's counts from ``coverage_aggs``' answer, outlets merged as the facets merge them.

    Spellings of one outlet that differ only by case or accents (« Maliweb », « maliweb ») are one
    outlet, shown with its commonest spelling.
    """
    merged: dict[str, list] = {}
    for b in aggs["outlets"]["buckets"]:
        pub = b["published"]
        first, last = (int(pub[k]["value"] or 0) if pub["doc_count"] else 0 for k in ("first", "last"))
        row = merged.setdefault(fold_key(b["key"]), [b["key"], 0, 0, 0, b["doc_count"]])
        if b["doc_count"] > row[4]:
            row[0], row[4] = b["key"], b["doc_count"]
        row[1] += b["doc_count"]
        if last:
            row[2] = min(row[2], first) if row[2] else first
            row[3] = max(row[3], last)
    years = {int(b["key"]): (b["doc_count"], b["estimated"]["doc_count"]) for b in aggs["years"]["buckets"]
             if str(b["key"]).isdigit() and b["doc_count"]}
    return {"total": total, "outlets": [tuple(r[:4]) for r in merged.values()],
            "no_outlet": int(aggs["no_outlet"]["doc_count"]), "years": years,
            "undated": total - sum(n for n, _e in years.values()), "estimated": int(aggs["estimated"]["doc_count"])}


def _fuzzy_or(vocabulary, presse_field: str, field: str, word: str, terms: list[str], stats=None) -> dict:
    """Return a fuzzy word's spellings, each weighted by its closeness to the word typed (as ``build._fuzzy_or``)."""
    idfs = {t: vocabulary.idf(presse_field, t) for t in terms}
    common = min(idfs.values())
    subs = []
    for t in terms:
        edits = OSA.distance(word, t)
        boost = 1.0 if not edits else FUZZY_EDIT_WEIGHT ** edits * common / idfs[t]
        subs.append(ranking.term(field, t, stats, boost))
    return subs[0] if len(subs) == 1 else {"bool": {"should": subs, "minimum_should_match": 1}}
