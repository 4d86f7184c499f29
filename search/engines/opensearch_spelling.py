"""Spelling on OpenSearch: presse's own vocabulary rules over the vocabulary index written at reindex.

Every reindex (full or incremental) writes, beside the article index, one document per field and
first letter holding that letter's sorted folded terms and their document counts
(``opensearch_index.write_vocabulary``, with presse's analyzer: Whoosh's ``*_exact`` and name
terms), under the run's token; the article index's ``_meta`` names the token to read. Here that
index is read as ``search.query.suggest.Vocabulary`` reads a Whoosh index — one letter at a time,
on first use, kept until a run moves the token — so prefixes are capped and listed, fuzzy words
expanded and corrections ranked by the product's code, exactly as on Whoosh.
"""

from __future__ import annotations

import math
import threading
from bisect import bisect_left
from collections.abc import Mapping

import numpy as np
from rapidfuzz.distance import OSA

from search.engines import opensearch_index as osi
from search.engines import opensearch_query as osq
from search.index.analysis import analyze_terms
from search.query.service import SUGGEST_CANDIDATES, choose_corrections, corrected_text
from search.query.suggest import EXACT_FIELDS, Vocabulary

#: presse's field names → the OpenSearch fields their terms are matched in.
MATCHED_IN = {presse: ours for ours, presse in osq.PRESSE_FIELDS.items()}


class _Info:
    """What Whoosh's term info gives the vocabulary: a document frequency."""

    __slots__ = ("df",)

    def __init__(self, df: int):
        self.df = df

    def doc_frequency(self) -> int:
        """Return the number of documents holding the term."""
        return self.df


class VocabularyReader:
    """The vocabulary index read like a Whoosh reader: terms by field and first letter, with counts."""

    def __init__(self, client: osi.Client, index: str, docs: int, token: str | None = None):
        self.client = client
        self.index = index
        self.docs = docs
        self.token = token  # the run whose buckets are read (None: an index written before runs had tokens)
        self._lock = threading.Lock()
        self._buckets: dict[tuple[str, str], tuple[list[str], list[int], dict[str, int]]] = {}
        self._letters: dict[str, list[str]] = {}

    def doc_count_all(self) -> int:
        """Return the number of articles of the index the vocabulary describes."""
        return self.docs

    def letters(self, field: str) -> list[str]:
        """Return the first letters of a field's terms, in order."""
        with self._lock:
            if field not in self._letters:
                match = [{"term": {"field": field}}] + ([{"term": {"token": self.token}}] if self.token else [])
                body = {"query": {"bool": {"filter": match}}, "size": 10_000, "_source": ["letter"]}
                hits = self.client.request("POST", f"/{self.index}/_search", body)["hits"]["hits"]
                self._letters[field] = sorted(h["_source"]["letter"] for h in hits)
            return self._letters[field]

    def bucket(self, field: str, letter: str) -> tuple[list[str], list[int], dict[str, int]]:
        """Return a field's terms starting with ``letter`` (sorted), their counts, and term → count."""
        key = (field, letter)
        with self._lock:
            if key in self._buckets:
                return self._buckets[key]
        ids = [osi.vocabulary_doc_id(self.token, field, letter)]
        found = self.client.request("POST", f"/{self.index}/_mget", {"ids": ids})["docs"][0]
        src = (found.get("_source") or {}) if found.get("found") else {}
        terms, dfs = list(src.get("terms") or []), [int(n) for n in src.get("dfs") or []]
        value = (terms, dfs, dict(zip(terms, dfs)))
        with self._lock:
            self._buckets[key] = value
        return value

    def doc_frequency(self, field: str, term: str) -> int:
        """Return the number of documents holding ``term`` in ``field`` (0 when absent)."""
        return self.bucket(field, term[:1])[2].get(term, 0) if term else 0

    def iter_field(self, field: str):
        """Yield ``(term, info)`` for every term of ``field``, in order."""
        for letter in self.letters(field):
            terms, dfs, _ = self.bucket(field, letter)
            for term, n in zip(terms, dfs):
                yield term, _Info(n)

    def terms_within(self, field: str, term: str, maxdist: int, prefix: int = 1):
        """Yield the terms of ``field`` within ``maxdist`` edits of ``term`` sharing its first ``prefix`` letters."""
        for t in self.bucket(field, term[:1])[0] if term else []:
            if t[:prefix] == term[:prefix] and OSA.distance(term, t) <= maxdist:
                yield t

    def prefix_terms(self, field: str, prefix: str, expansion: int, scan: int) -> list[str]:
        """Return the forms a prefix expands to, as ``search.query.build`` chooses them (commonest first)."""
        if not prefix:
            return []
        terms, _dfs, counts = self.bucket(field, prefix[0])
        lo = bisect_left(terms, prefix)
        scanned = []
        for t in terms[lo:]:
            if not t.startswith(prefix) or len(scanned) >= scan:
                break
            scanned.append(t)
        if len(scanned) <= expansion:
            return scanned
        # the ``expansion`` commonest of the scanned terms, ties in term order (``heapq.nlargest`` is stable)
        return sorted(scanned, key=lambda t: -counts[t])[:expansion]

    def idf(self, field: str, term: str) -> float:
        """Return Whoosh's inverse document frequency of a term (the weight of a fuzzy word's spellings)."""
        return math.log(self.docs / (self.doc_frequency(field, term) + 1)) + 1


class _LazyBuckets(Mapping):
    """First letter → (terms, counts) summed over some fields, read from the index on first use."""

    def __init__(self, reader: VocabularyReader, fields):
        self.reader = reader
        self.fields = list(fields)
        self._cache: dict[str, tuple[list[str], np.ndarray]] = {}

    def __getitem__(self, letter: str) -> tuple[list[str], np.ndarray]:
        if letter not in self._cache:
            merged: dict[str, int] = {}
            for f in self.fields:
                terms, dfs, _ = self.reader.bucket(f, letter)
                for t, n in zip(terms, dfs):
                    if len(t) >= 2 and not t.isdigit():  # as ``suggest.read_vocabulary`` leaves them out
                        merged[t] = merged.get(t, 0) + n
            if not merged:
                raise KeyError(letter)
            terms = sorted(merged)
            self._cache[letter] = (terms, np.array([merged[t] for t in terms], dtype=np.int64))
        return self._cache[letter]

    def __iter__(self):
        return iter(sorted({letter for f in self.fields for letter in self.reader.letters(f)}))

    def __len__(self) -> int:
        return len(list(iter(self)))


class _Hit:
    def __init__(self, src: dict):
        self._src = src

    def fields(self) -> dict:
        return self._src


class _Schema:
    def names(self) -> list[str]:
        return list(MATCHED_IN)


class VocabularySearcher:
    """What ``Vocabulary`` asks of a searcher: its reader, its field names, and the top hits of a few terms."""

    schema = _Schema()

    def __init__(self, reader: VocabularyReader, client: osi.Client, alias: str):
        self._reader = reader
        self.client = client
        self.alias = alias

    def reader(self) -> VocabularyReader:
        """Return the vocabulary reader."""
        return self._reader

    def search(self, query, limit: int = 10) -> list[_Hit]:
        """Return the stored title and body of the best articles for a Term or an Or of Terms."""
        terms = getattr(query, "subqueries", None) or [query]
        should = [{"term": {MATCHED_IN[t.fieldname]: t.text}} for t in terms if t.fieldname in MATCHED_IN]
        body = {"query": {"bool": {"should": should, "minimum_should_match": 1}}, "size": limit,
                "_source": ["title", "body"]}
        return [_Hit(h["_source"]) for h in self.client.request("POST", f"/{self.alias}/_search", body)["hits"]["hits"]]


class OpenSearchVocabulary(Vocabulary):
    """presse's spelling vocabulary (fuzzy words, corrections, display forms) over the vocabulary index."""

    def __init__(self, reader: VocabularyReader, client: osi.Client, alias: str):
        super().__init__(VocabularySearcher(reader, client, alias), fields=EXACT_FIELDS)
        # letters are read on first use, so the merged vocabulary is "ready" at once and never waits
        self._buckets = self._read(self.fields)

    def _read(self, fields) -> Mapping:
        return _LazyBuckets(self.reader, fields)


def suggest(vocabulary: Vocabulary, count, text: str, words, total: int) -> dict | None:
    """Return the « Vouliez-vous dire » of a search, as ``SearchService._suggest`` builds it, or None.

    ``count(text)``: the number of hits of another query text under the same filters; ``words``:
    the query's plain words (``Translated.words``); ``total``: the hits of the query as typed.
    """
    options: dict[str, list[tuple[str, float]]] = {}
    for word in words:
        if word.mode != "word" or word.field not in (None, "title", "body", "comments"):
            continue
        terms = analyze_terms(word.text, "exact")
        if len(terms) != 1 or word.text in options:
            continue
        found = vocabulary.candidates(terms[0], SUGGEST_CANDIDATES)
        if found:
            options[word.text] = found
    if not options:
        return None
    corrections = choose_corrections(text, options, vocabulary.display, lambda t: bool(count(t)))
    fixed_text, html = corrected_text(text, corrections)
    if fixed_text == text:
        return None
    new_total = count(fixed_text)
    if new_total <= total:
        return None
    return {"text": fixed_text, "html": html, "total": new_total}
