"""presse's relevance order (``search.query.relevance``) written into OpenSearch, by the same formulas.

Whoosh ranks the hits of a query by BM25F, then ``relevance.Booster`` adjusts the scores of the
hits only: ``(bm25f * (1 + TOGETHER_FACTOR * links found / links typed) + exact + pairs) *
salience``. Here each part becomes something OpenSearch computes itself, without scripts (a
node may lack the painless module) and without changing the hit set (the translated query stays
the one required clause; everything added only scores):

* **field weights**: Whoosh multiplies a term's frequency in the title by the field boost (3)
  before BM25's saturation, ``(k1 + 1) 3tf / (3tf + k1 L) = (k1 + 1) tf / (tf + k1/3 L)``, so the
  title and its ``.exact`` copy use BM25 with ``k1 / 3`` (``similarities``) and their clauses the
  boost ``(k1 + 1) / (k1/3 + 1)`` (``field_weights``: OpenSearch's BM25 keeps the ``k1 + 1`` of
  its own ``k1``); ``b`` and ``k1`` are Whoosh's, overlapping tokens (``N'Guessan`` and
  ``guessan``) counted in the length as Whoosh counts them;
* **exact forms**: a ``should`` clause per typed word's folded, unstemmed form on each field's
  ``.exact`` copy (``EXACT_WEIGHT``);
* **words side by side**: each field has a ``.pairs`` copy (two exact words side by side as one
  term, only scored), as Whoosh's ``*_pairs`` fields; for each typed link (two words in a row,
  with the stop words typed between them, ``relevance.typed_links``) a ``should`` clause scoring
  its pairs in one field where all are found (``PAIR_WEIGHT``), and a ``function_score``
  multiplying the score by ``1 + TOGETHER_FACTOR`` times the share of links found in some field;
  a pair with a word Whoosh does not pair (in under ``FREQUENT_SHARE`` of the articles) is
  scored as Whoosh scores it, by both words' exact scores where they are side by side. A quoted
  phrase keeps its match and is scored as Whoosh scores it (``phrase``);
* **salience**: what ``Booster._salience`` computes per candidate is a property of a word in an
  article (1 in the title, ``LEAD_SALIENCE`` × its lead weight, its density), so it is computed
  at indexing by presse's own analyzers (``salience_field``) and indexed as one token
  ``term|level`` per stemmed word of the title and body, the level one of ``SALIENCE_STEPS``
  steps of the factor (under 2.5 % apart); a query multiplies the score, for each concept, by
  the factor of the best level of its words (one ``function_score`` per concept, ``max`` of its
  level filters), raised to ``SALIENCE_POWER``;
* **idf**: Whoosh's is ``log(N / (df + 1)) + 1``, Lucene's ``log(1 + (n - df + 0.5) / (df + 0.5))``
  (``n``: articles having the field), which weighs common words far less; each term clause gets
  the boost ``whoosh idf / lucene idf`` (``Stats``): document frequencies of the stemmed words
  and pairs from one ``_termvectors`` request per query (cached per index and run), of the
  exact forms from the vocabulary index.

What is not reproduced: the idf inside a phrase that is not scored through pairs or words
(``Near``, words the analyzer cuts in several: Lucene sums their words' idf); the average field
length over every article (Lucene's is over the articles having the field: it matters for
comments); the frequent words of pairs, counted here over the whole corpus and field by field,
by Whoosh over a 2,000-article sample of title and body; the bound on the candidates whose
positions Whoosh checks for a rarer pair (``MAX_VERIFY``); the salience of a word, rounded to
its level.
"""

from __future__ import annotations

import math
import threading

from whoosh.scoring import BM25F
from whoosh.util.numeric import byte_to_length, length_to_byte

from search.index import analysis
from search.index.analysis import analyze_terms, is_protected
from search.index.schema import build_schema
from search.query import language as ql
from search.query import relevance as rel
from search.query.build import _pair_cover

#: The field of salience tokens (``term|level``).
SALIENCE_FIELD = "salience"
#: Steps of the salience factor, from NAME_FLOOR (level 0, not indexed) to 1 (a word of the title).
SALIENCE_STEPS = 48
_RATIO = (1.0 / rel.NAME_FLOOR) ** (1.0 / SALIENCE_STEPS)
#: The text fields, as Whoosh names them (their copies: ``.exact``, ``.pairs``).
TEXT_FIELDS = ("title", "body", "comments")
#: Between the two words of a ``.pairs`` term.
PAIR_SEP = " "


# --------------------------------------------------------------------------- index side


def _bm25(boost: float) -> dict:
    w = BM25F()  # the weighting SearchService's searchers use (Whoosh's defaults)
    return {"type": "BM25", "k1": round(w.K1 / boost, 6), "b": w.B, "discount_overlaps": False}


def similarities() -> dict[str, dict]:
    """Return the BM25 similarity of each text field and its ``.exact`` and ``.pairs`` copies (Whoosh's boosts)."""
    schema = build_schema()
    out = {}
    for name in TEXT_FIELDS:
        for whoosh_field, key in ((name, name), (f"{name}_exact", f"{name}.exact"), (f"{name}_pairs", f"{name}.pairs")):
            out[key] = _bm25(float(schema[whoosh_field].format.field_boost))
    return out


def field_weights() -> dict[str, float]:
    """Return the query boost of each field whose BM25 ``k1`` differs from Whoosh's (the title and its copies)."""
    k1 = BM25F().K1
    return {f: round((k1 + 1) / (spec["k1"] + 1), 6) for f, spec in similarities().items() if spec["k1"] != k1}


def similarity_name(spec: dict) -> str:
    """Return the name a similarity is declared under in the index settings."""
    return "presse_bm25_k" + str(spec["k1"]).replace(".", "_")


def salience_level(salience: float) -> int:
    """Return the level (0 to SALIENCE_STEPS) nearest to a salience, on the scale of the factor of a name."""
    if salience <= 0:
        return 0
    factor = rel.NAME_FLOOR + (1.0 - rel.NAME_FLOOR) * min(1.0, salience)
    return min(SALIENCE_STEPS, int(round(math.log(factor / rel.NAME_FLOOR) / math.log(_RATIO))))


def level_salience(level: int) -> float:
    """Return the salience a level stands for."""
    return (rel.NAME_FLOOR * _RATIO ** level - rel.NAME_FLOOR) / (1.0 - rel.NAME_FLOOR)


def saliences(title: str, body: str) -> dict[str, float]:
    """Return each stemmed word's salience in an article, as ``relevance.Booster`` computes it."""
    body, memo = body or "", {}  # one analysis of the body for its counts and its lead
    counts = {t: len(ps) for t, ps in analysis.french_analyzer().index_positions(body, memo).items()}
    # Whoosh stores a field's length in one byte: the density is over that length
    length = max(1, byte_to_length(length_to_byte(sum(counts.values())))) if counts else 1
    out = {t: float(rel.density(n, length)) for t, n in counts.items()}
    for term, weight in analysis.lead_analyzer().index_weights(body, memo).items():
        out[term] = max(out.get(term, 0.0), weight * rel.LEAD_SALIENCE)
    for term in analyze_terms(title or "", "french", mode="index"):
        out[term] = 1.0
    return out


def salience_field(title: str, body: str) -> str:
    """Return the ``salience`` field of an article: ``term|level`` for each word of its title and body."""
    levels = ((t, salience_level(s)) for t, s in sorted(saliences(title, body).items()))
    return " ".join(f"{t}|{k}" for t, k in levels if k and t and not any(c.isspace() for c in t))


def ranking_meta() -> dict:
    """Return the ranking parameters the documents are written under (part of the index's fingerprint)."""
    return {"version": 2, "similarities": similarities(), "salience_steps": SALIENCE_STEPS,
            "name_floor": rel.NAME_FLOOR, "lead": [analysis.LEAD_FULL, analysis.LEAD_END, rel.LEAD_SALIENCE],
            "density": [rel.DENSITY_WORDS, rel.DENSITY_CAP]}


# --------------------------------------------------------------------------- query side

#: Most term statistics kept (per process, for every index and run): the cache is emptied beyond.
MAX_CACHED_STATS = 200_000
_CACHE: dict[tuple, int] = {}
_CACHE_LOCK = threading.Lock()


class Stats:
    """Document frequencies of a query's terms, to give each term clause Whoosh's idf (``factor``)."""

    def __init__(self, vocabulary=None, tree=None, scope: str = "all"):
        self.vocabulary = vocabulary
        self.n = vocabulary.doc_count_all() if vocabulary is not None else 0
        self.key = (vocabulary.index, vocabulary.token) if vocabulary is not None else None
        self.doc_counts: dict[str, int] = {}
        if vocabulary is not None and tree is not None and self.n:
            self._read(tree, rel.SCOPE_FIELDS.get(scope, rel.SCOPE_FIELDS["all"]))

    def _read(self, tree, scope_fields) -> None:
        """Read the document frequencies of the stemmed words and the fields' document counts (one request).

        ``_termvectors`` of an artificial document answers with the statistics of one shard: those
        of a large index's shards are alike.
        """
        from search.engines.opensearch_index import VOCABULARY_SUFFIX, OpenSearchError  # (imports this module)

        texts, phrases = {}, {}
        for node, _negated in ql.iter_nodes(tree):
            plain = isinstance(node, ql.Word) and node.mode == "word"
            if (plain or isinstance(node, ql.Phrase)) and node.field in (None, *TEXT_FIELDS):
                for f in (node.field,) if node.field else scope_fields:
                    (texts if plain else phrases).setdefault(f, []).append(node.text)
        fields = sorted(set(texts) | set(phrases) | set(scope_fields))
        wanted = [(f, t) for f, words in texts.items() for w in words for t in analyze_terms(w, "french")]
        wanted += [(f"{f}.pairs", PAIR_SEP.join(p)) for f, words in texts.items()
                   for p in _pairs([t for w in words for t in analyze_terms(w, "exact")])]
        wanted += [(f"{f}.pairs", PAIR_SEP.join(p)) for f, found in phrases.items()
                   for text in found for p in _pairs(analyze_terms(text, "exact"))]
        for f, found in phrases.items():
            texts.setdefault(f, []).extend(found)
        with _CACHE_LOCK:
            known = all((self.key, f) in _CACHE for f in fields) and all((self.key, *w) in _CACHE for w in wanted)
            if known:
                self.doc_counts = {f: _CACHE[(self.key, f)] for f in fields}
                return
        index = self.vocabulary.index[: -len(VOCABULARY_SUFFIX)]
        body = {"doc": {f: "\n\n".join(texts.get(f) or ["_"]) for f in fields},
                "fields": fields + [f"{f}.{sub}" for f in fields for sub in ("exact", "pairs")],
                "term_statistics": True, "field_statistics": True, "positions": False, "offsets": False}
        try:
            answer = self.vocabulary.client.request("POST", f"/{index}/_termvectors", body)
        except OpenSearchError:  # a cluster refusing it ranks with Lucene's idf: never a failed search
            return
        found: dict[tuple, int] = {}
        for f, vec in (answer.get("term_vectors") or {}).items():
            found[(self.key, f)] = int((vec.get("field_statistics") or {}).get("doc_count") or 0)
            for term, info in (vec.get("terms") or {}).items():
                found[(self.key, f, term)] = int(info.get("doc_freq") or 0)
        found.update({(self.key, *w): 0 for w in wanted if (self.key, *w) not in found})
        with _CACHE_LOCK:
            if len(_CACHE) > MAX_CACHED_STATS:
                _CACHE.clear()
            _CACHE.update(found)
        self.doc_counts = {f: found.get((self.key, f), 0) for f in fields}

    def pair_indexed(self, a: str, b: str) -> bool:
        """Whether Whoosh indexes the pair ``a b`` as one term: both words in FREQUENT_SHARE of the articles."""
        if self.key is None:
            return True  # Whoosh without a frequent-word set indexes every pair

        def frequent(word: str) -> bool:
            # Whoosh counts a 2,000-article sample of title + body; here the whole corpus, field by field
            df = max(self.vocabulary.doc_frequency(f, word) for f in ("title_exact", "body_exact"))
            return df >= analysis.FREQUENT_SHARE * self.n

        return frequent(a) and frequent(b)

    def df(self, field: str, term: str) -> int | None:
        """Return a term's document frequency in a field (``title`` or ``title.exact``…), None when unknown."""
        if self.key is None:
            return None
        if field.endswith(".exact"):
            return self.vocabulary.doc_frequency(field.replace(".", "_"), term)
        return _CACHE.get((self.key, field, term))

    def factor(self, field: str, term: str) -> float:
        """Return Whoosh's idf of a term over Lucene's (1.0 when its statistics are unknown)."""
        df = self.df(field, term)
        docs = self.doc_counts.get(field.split(".")[0]) or self.n
        if df is None or not self.n or not docs:
            return 1.0
        # Lucene's counts include deleted documents until their segment merges, as Whoosh's
        # ``doc_count_all`` does: the larger count stands for both
        df = min(df, docs)
        whoosh = math.log(max(self.n, docs) / (df + 1)) + 1
        lucene = math.log(1 + (docs - df + 0.5) / (df + 0.5))
        return round(whoosh / lucene, 6)


def term(field: str, value: str, stats: Stats | None, boost: float = 1.0) -> dict:
    """Return a term clause weighted by Whoosh's idf."""
    boost *= stats.factor(field, value) if stats is not None else 1.0
    return {"term": {field: {"value": value, "boost": round(boost, 6)}}}


def any_of(clauses: list[dict]) -> dict:
    """Return one clause matching where any of ``clauses`` does, scored by the sum of those that match."""
    return clauses[0] if len(clauses) == 1 else {"bool": {"should": clauses, "minimum_should_match": 1}}


def _links(tree, scope: str, stats: Stats | None) -> tuple[list[dict], list[dict]]:
    """Return the exact-form and pair clauses of the typed runs, and one filter per typed link (found somewhere)."""
    extra, links = [], []
    for run in rel.word_runs(tree):
        fields = (run[0].field,) if run[0].field else rel.SCOPE_FIELDS[scope]
        seq = [t for w in run for t in analyze_terms(w.text, "exact")]
        if not seq:
            continue
        for f in fields:
            extra += [term(f"{f}.exact", t, stats, rel.EXACT_WEIGHT)
                      for t in dict.fromkeys(seq) if t not in rel._STOPS]
        for chain in rel.typed_links({f: seq for f in fields}):
            found = []
            for f in fields:
                pairs = [_pair(f, a, b, stats) for a, b in chain]
                extra.append({"bool": {"must": [p for p, _where in pairs], "boost": rel.PAIR_WEIGHT}})
                found.append({"bool": {"filter": [where for _p, where in pairs]}})
            links.append(any_of(found))
    return extra, links


def phrase(field: str, text: str, match: dict, stats: Stats | None) -> dict:
    """Return a phrase's ``match`` clause (on ``field.exact``) scored as Whoosh scores it (same hits).

    Whoosh finds a phrase through its pairs (when every pair is indexed: the cheapest pairs that
    cover it) and scores it by the sum of those pairs' scores, else by the sum of its words'.
    """
    words = analyze_terms(text, "exact")
    exact = f"{field}.exact"
    if len(words) < 2:
        if words and stats is not None:
            match["match_phrase"][exact]["boost"] = stats.factor(exact, words[0])
        return match
    pairs = [a + PAIR_SEP + b for a, b in _pairs(words)]
    if stats is None or all(stats.pair_indexed(a, b) for a, b in _pairs(words)):
        dfs = [(stats.df(f"{field}.pairs", p) if stats is not None else 0) or 0 for p in pairs]
        scored = [term(f"{field}.pairs", pairs[k], stats) for k in _pair_cover(dfs)]
    else:
        scored = [term(exact, w, stats) for w in words]
    return {"bool": {"filter": [match], "should": scored}}


def _pairs(seq: list[str]) -> list[tuple[str, str]]:
    return list(zip(seq, seq[1:]))


def _pair(field: str, a: str, b: str, stats: Stats | None) -> tuple[dict, dict]:
    """Return the scored clause of ``a b`` side by side in a field, and its filter (as ``Booster._pair``)."""
    clause = term(f"{field}.pairs", a + PAIR_SEP + b, stats)
    if stats is None or stats.pair_indexed(a, b):
        return clause, clause
    # a rarer word: Whoosh checks the positions and adds both words' exact scores; ``.pairs`` holds
    # every pair, so the pair's term says where they are side by side (never a phrase query: the
    # highlighter would check its positions in every hit)
    where = {"term": {f"{field}.pairs": a + PAIR_SEP + b}}
    return {"bool": {"filter": [where], "must": [term(f"{field}.exact", a, stats),
                                                  term(f"{field}.exact", b, stats)]}}, where


def _salience(query: dict, words) -> dict | None:
    """Return ``query`` with its score multiplied by a concept's salience factor (None: a stop word)."""
    terms = list(dict.fromkeys(t for w in words for t in analyze_terms(w.text, "french")))
    if not terms:
        return None
    floor = rel.NAME_FLOOR if all(is_protected(w.text) for w in words) else rel.FLOOR
    functions = []
    for k in range(1, SALIENCE_STEPS + 1):
        factor = floor + (1.0 - floor) * level_salience(k)
        functions.append({"filter": {"terms": {SALIENCE_FIELD: [f"{t}|{k}" for t in terms]}},
                          "weight": (factor / floor) ** rel.SALIENCE_POWER})
    # without any level (the word only in comments), the factor of salience 0: the floor
    return {"function_score": {"query": query, "functions": functions, "score_mode": "max",
                               "boost_mode": "multiply", "boost": floor ** rel.SALIENCE_POWER}}


#: Leaf queries whose field object may carry a boost.
_LEAVES = ("term", "match_phrase", "prefix", "fuzzy", "intervals", "match")


def weigh_fields(query, weights: dict[str, float]):
    """Multiply the boost of every clause on a field of ``weights`` in ``query`` (in place); return it."""
    if isinstance(query, list):
        for q in query:
            weigh_fields(q, weights)
        return query
    if not isinstance(query, dict):
        return query
    for kind, body in query.items():
        if kind in _LEAVES and isinstance(body, dict):
            for f, spec in body.items():
                if f in weights and isinstance(spec, dict):
                    spec["boost"] = round(spec.get("boost", 1.0) * weights[f], 6)
        elif kind == "terms" and isinstance(body, dict) and any(f in weights for f in body if f != "boost"):
            f = next(f for f in body if f in weights)
            body["boost"] = round(body.get("boost", 1.0) * weights[f], 6)
        elif isinstance(body, (dict, list)):
            weigh_fields(body, weights)
    return query


def rank(tree, query: dict | None, scope: str, stats: Stats | None = None) -> dict | None:
    """Return ``query`` (the translation of ``tree``) scored as ``relevance.Booster`` scores, same hits."""
    if query is None or tree is None:
        return query
    scope = scope if scope in rel.SCOPE_FIELDS else "all"
    extra, links = _links(tree, scope, stats)
    out = query
    if links:
        share = [{"filter": link, "weight": rel.TOGETHER_FACTOR / len(links)} for link in links]
        out = {"function_score": {"query": out, "functions": [{"weight": 1.0}] + share,
                                  "score_mode": "sum", "boost_mode": "multiply"}}
    if extra:
        out = {"bool": {"must": [out], "should": extra}}
    out = weigh_fields(out, _FIELD_WEIGHTS)
    if scope != "comments":
        for words in rel.concept_words(tree):
            out = _salience(out, words) or out
    return out


_FIELD_WEIGHTS = field_weights()
