"""OpenSearch side of indexing: the HTTP client, French analysis, the mapping, bulk writes, the vocabulary.

It also reads every hit of a search (``walk``: a point in time and ``search_after``, never a deep
``from``) for the export and for pages deep in the results.

The analysis follows ``search.index.analysis`` as closely as OpenSearch's filters allow, with the
same word lists (elisions, stop words, protected words) read from that module:

* ``N'Diaye`` → ``ndiaye`` (a capital after ``N'``/``M'``, or a protected joined word, marks a
  name: never stemmed, and indexed with ``diaye`` at the same position, as Whoosh does), then
  elision of ``l' d' qu' jusqu'``… before ``'`` and ``’``, other apostrophes dropped (``aujourdhui``);
* lower case, stop words (accented, and their folded forms for words typed without accents,
  so ``meme`` is a stop word but ``maïs`` is not), ASCII folding;
* protected words marked as keywords, the accent of ``-ée/-ité/-ière`` restored (the Snowball
  stemmer needs it), the French Snowball stemmer, folded again.

Differences with the Whoosh analyzer: a protected name is recognised after ``n'``/``m'`` only when
typed without accents; only one elision is stripped per word (``qu'aujourd'hui`` → ``aujourdhui``
in both, but ``l'd'x`` differs). Words are cut by ``search.index.analysis``'s own rule, in Java's
syntax (a pattern tokenizer), so that ``grève.Des`` or ``mot_clé`` are two words in both engines,
as Lucene's standard tokenizer would not have them. Index and query analyzers differ
only by the name parts (``presse_french`` / ``presse_french_query``, ``presse_exact`` /
``presse_exact_query``), as Whoosh's index and query modes do.
"""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.request

from search.index import analysis
from search.index import documents
from search.engines import EngineError
from search.engines import opensearch_ranking as ranking
from search.text import APOSTROPHES as _APOSTROPHES

# --------------------------------------------------------------------------- HTTP


class OpenSearchError(EngineError, RuntimeError):
    """An OpenSearch request failed (status and the server's reason in the message)."""

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status


class Client:
    """A minimal JSON-over-HTTP client (urllib only): one base URL, a timeout, retries on 429/5xx."""

    def __init__(self, url: str, timeout: float = 30.0, retries: int = 3):
        self.url = url.rstrip("/")
        self.timeout = timeout
        self.retries = retries

    def request(self, method: str, path: str, body=None, *, ndjson: bool = False, ok=(200, 201)) -> dict:
        """Send one request and return its JSON answer; OpenSearchError on failure."""
        if ndjson:
            data = body.encode("utf-8")
            ctype = "application/x-ndjson"
        else:
            data = None if body is None else json.dumps(body, ensure_ascii=False).encode("utf-8")
            ctype = "application/json"
        delay = 0.5
        for attempt in range(self.retries + 1):
            req = urllib.request.Request(self.url + path, data=data, method=method,
                                         headers={"Content-Type": ctype, "Accept": "application/json"})
            try:
                with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                    raw = resp.read()
                    return json.loads(raw) if raw else {}
            except urllib.error.HTTPError as exc:
                raw = exc.read()
                if exc.code in ok:
                    return json.loads(raw) if raw else {}
                if exc.code in (429, 502, 503, 504) and attempt < self.retries:
                    time.sleep(delay)
                    delay *= 2
                    continue
                raise OpenSearchError(f"{method} {path}: HTTP {exc.code}: {_reason(raw)}", exc.code) from None
            except (urllib.error.URLError, ConnectionError, TimeoutError) as exc:
                if attempt < self.retries:
                    time.sleep(delay)
                    delay *= 2
                    continue
                raise OpenSearchError(f"{method} {path}: {getattr(exc, 'reason', exc)}") from None
        raise OpenSearchError(f"{method} {path}: no answer")

    def exists(self, path: str) -> bool:
        """Return True when HEAD ``path`` answers 200."""
        try:
            self.request("HEAD", path)
            return True
        except OpenSearchError as exc:
            if exc.status == 404:
                return False
            raise


# --------------------------------------------------------------------------- reading every hit

#: How long a point in time stays open between two pages of a walk (renewed by every page).
PIT_KEEP_ALIVE = "2m"
#: Hits per request when walking a whole result list (at most the index's default result window).
WALK_BATCH = 1_000


def open_pit(client: Client, index: str) -> str | None:
    """Open a point in time on ``index`` and return its id, or None when the cluster has none (before 2.4)."""
    try:
        return client.request("POST", f"/{index}/_search/point_in_time?keep_alive={PIT_KEEP_ALIVE}")["pit_id"]
    except OpenSearchError as exc:
        if exc.status in (400, 404, 405):  # then search_after alone, over the unique id tiebreaker
            return None
        raise


def close_pit(client: Client, pit: str | None) -> None:
    """Release a point in time (an expired or absent one is no error)."""
    if pit:
        try:
            client.request("DELETE", "/_search/point_in_time", {"pit_id": [pit]}, ok=(200, 404))
        except OpenSearchError:
            pass  # it expires by itself after PIT_KEEP_ALIVE


def search_in(client: Client, index: str, pit: str | None, body: dict, query: str = "") -> dict:
    """Run one search inside the point in time ``pit`` (or on ``index`` when there is none)."""
    if pit:
        body = dict(body, pit={"id": pit, "keep_alive": PIT_KEEP_ALIVE})
        return client.request("POST", "/_search" + query, body)
    return client.request("POST", f"/{index}/_search" + query, body)


def walk(client: Client, index: str, pit: str | None, body: dict, batch: int | None = None,
         fields: str = "hits.hits._source,hits.hits.sort"):
    """Yield every hit of ``body`` in its sort order, ``batch`` a request, with ``search_after`` (never ``from``).

    ``body["sort"]`` must end with a unique key (the id): that is what makes ``search_after`` exact.
    ``fields`` is the answer's ``filter_path`` (only what the caller reads crosses the network).
    """
    batch = batch or WALK_BATCH
    page = {k: v for k, v in body.items() if k not in ("from", "aggs", "highlight", "collapse")}
    page.update(size=batch, track_total_hits=False)
    after = None
    while True:
        if after is not None:
            page["search_after"] = after
        answer = search_in(client, index, pit, page, f"?filter_path={fields},pit_id")
        pit = answer.get("pit_id", pit)  # a point in time's id may change from one page to the next
        hits = (answer.get("hits") or {}).get("hits") or []
        yield from hits
        if len(hits) < batch:
            return
        after = hits[-1]["sort"]


def _reason(raw: bytes) -> str:
    try:
        err = json.loads(raw).get("error")
        if isinstance(err, dict):
            return f"{err.get('type')}: {err.get('reason')}"
        return str(err)[:300]
    except (ValueError, AttributeError):
        return raw[:300].decode("utf-8", "replace")


# --------------------------------------------------------------------------- analysis

#: Deepest hit a search may page to (``index.max_result_window``).
MAX_WINDOW = 100_000


def _stop_words() -> list[str]:
    # an ASCII word typed without accents is a stop word when its folded form is one (meme);
    # the filter runs before folding, so an accented word is a stop only if listed (maïs ≠ mais)
    return sorted(analysis.STOP_WORDS | {analysis.fold(w) for w in analysis.STOP_WORDS})


#: Marks the apostrophe of a name (``N'Diaye``) so that elision leaves it; a letter (U+A78C
#: saltillo) that the tokenizer keeps inside the word and that presse's texts never hold.
NAME_MARK = "\ua78c"


def _name_char_filters(apos: str) -> dict:
    """Return char filters marking ``N'Diaye``/``M'Bodj``: a capital follows, or the joined word is protected."""
    out = {"presse_name_capital": {"type": "pattern_replace", "pattern": f"\\b([NnMm]){apos}(?=\\p{{Lu}})",
                                   "replacement": f"$1{NAME_MARK}"}}
    for letter in "nm":
        rests = sorted(w[1:] for w in analysis.protected_words() if w[:1] == letter and len(w) > 1)
        if rests:
            out[f"presse_name_{letter}"] = {
                "type": "pattern_replace", "pattern": f"(?i)\\b({letter}){apos}(?=(?:{'|'.join(rests)})\\b)",
                "replacement": f"$1{NAME_MARK}"}
    return out


def analysis_settings() -> dict:
    """Return the ``settings.analysis`` block: presse_french, presse_exact, presse_names (index and query each)."""
    apos = "[" + _APOSTROPHES + "]"
    names = _name_char_filters(apos)
    # presse reads every apostrophe-like sign as one; Lucene's elision knows only ' and ’
    names["presse_apostrophes"] = {"type": "mapping",
                                   "mappings": [f"{a}=>'" for a in _APOSTROPHES if a not in "'’"]}
    chars = ["presse_apostrophes"] + sorted(n for n in names if n != "presse_apostrophes")
    # Whoosh renumbers positions once stop words are gone (« accord de coopération » is two words
    # apart for PROCHE/N); Lucene's stop filter leaves a gap, so the stemmed fields lose their stop
    # words before tokenising. Elided ones (qu'il) are left to the stop filter: a word joined by an
    # apostrophe or a letter (the name mark) is never cut here.
    words = "|".join(re.escape(w) for w in sorted(_stop_words(), key=len, reverse=True))
    names["presse_stop_words"] = {"type": "pattern_replace", "replacement": "",
                                  "pattern": f"(?iu)(?<![\\p{{L}}\\p{{N}}{_APOSTROPHES}])(?:{words})"
                                             f"(?![\\p{{L}}\\p{{N}}{_APOSTROPHES}])"}
    stemmed = chars + ["presse_stop_words"]
    # the length rule on the word as cut (Whoosh skips a longer one before anything else)
    head = ["presse_length", "presse_elision", "lowercase", "presse_name_keyword"]
    tail = ["presse_drop_apostrophes"]
    stem = ["presse_stop", "asciifolding", "presse_protected", "presse_restore_iere",
            "presse_restore_ite", "presse_restore_ee", "presse_stem", "asciifolding"]
    exact = ["asciifolding"]

    def analyzer(filters, char_filter=chars):
        return {"type": "custom", "char_filter": char_filter, "tokenizer": "presse_words", "filter": filters}

    return {
        "tokenizer": {"presse_words": {"type": "pattern", "pattern": analysis.TOKEN_PATTERN_JAVA, "group": 0}},
        "char_filter": names,
        "filter": {
            "presse_elision": {"type": "elision", "articles_case": True,
                               "articles": sorted(analysis.ELISIONS)},
            # a name is never stemmed; at index time its part after the apostrophe is added at the
            # same position, so a lower-case n'guessan (read as an elision: guessan) still finds it
            "presse_name_keyword": {"type": "keyword_marker", "keywords_pattern": f"^[nm]{NAME_MARK}.+$"},
            "presse_name_parts": {"type": "pattern_capture", "preserve_original": True,
                                  "patterns": [f"^[nm]{NAME_MARK}(.+)$"]},
            "presse_drop_apostrophes": {"type": "pattern_replace", "pattern": f"[{_APOSTROPHES}{NAME_MARK}]",
                                        "replacement": ""},
            "presse_stop": {"type": "stop", "stopwords": _stop_words(), "ignore_case": True},
            "presse_protected": {"type": "keyword_marker", "ignore_case": True,
                                 "keywords": sorted(analysis.protected_words()) or ["_"]},
            "presse_restore_iere": {"type": "pattern_replace", "pattern": "^(.{2,})iere(s?)$",
                                    "replacement": "$1ière$2"},
            "presse_restore_ite": {"type": "pattern_replace", "pattern": "^(.{2,})ite(s?)$",
                                   "replacement": "$1ité$2"},
            "presse_restore_ee": {"type": "pattern_replace", "pattern": "^(.{2,})ee(s?)$",
                                  "replacement": "$1ée$2"},
            "presse_stem": {"type": "stemmer", "language": "french"},
            "presse_length": {"type": "length", "max": analysis.MAX_TOKEN},
            # two exact words side by side as one term, as Whoosh's ``*_pairs`` fields hold them
            "presse_shingle": {"type": "shingle", "min_shingle_size": 2, "max_shingle_size": 2,
                             "output_unigrams": False, "token_separator": ranking.PAIR_SEP},
        },
        "analyzer": {
            "presse_french": analyzer(head + ["presse_name_parts"] + tail + stem, stemmed),
            "presse_french_query": analyzer(head + tail + stem, stemmed),
            "presse_exact": analyzer(head + ["presse_name_parts"] + tail + exact),
            "presse_exact_query": analyzer(head + tail + exact),
            "presse_pairs": analyzer(head + ["presse_name_parts"] + tail + exact + ["presse_shingle"]),
            "presse_names": analyzer(head + ["presse_name_parts"] + tail + ["presse_stop"] + exact),
            "presse_names_query": analyzer(head + tail + ["presse_stop"] + exact),
        },
    }


def _text(name: str) -> dict:
    """Return a text field stemmed, with its unstemmed ``.exact`` copy and its word pairs ``.pairs`` (only
    scored, by ``opensearch_ranking``), each scored by presse's BM25 parameters."""
    sims = ranking.similarities()
    return {"type": "text", "analyzer": "presse_french", "search_analyzer": "presse_french_query",
            "similarity": ranking.similarity_name(sims[name]),
            "fields": {"exact": {"type": "text", "analyzer": "presse_exact", "search_analyzer": "presse_exact_query",
                                 "similarity": ranking.similarity_name(sims[f"{name}.exact"])},
                       "pairs": {"type": "text", "analyzer": "presse_pairs", "index_options": "freqs",
                                 "similarity": ranking.similarity_name(sims[f"{name}.pairs"])}}}


def similarity_settings() -> dict:
    """Return the ``settings.index.similarity`` block: one BM25 per distinct parameter set of the text fields."""
    return {ranking.similarity_name(spec): spec for spec in ranking.similarities().values()}


def _keyword_with_words() -> dict:
    return {"type": "keyword", "fields": {"words": {"type": "text", "analyzer": "presse_names",
                                                    "search_analyzer": "presse_names_query"}}}


def mapping() -> dict:
    """Return the index mapping: stemmed text with ``.exact`` copies, names and facets as keywords, salience tokens."""
    kw = {"type": "keyword"}
    return {
        "dynamic": "strict",
        "_meta": {"ranking": ranking.ranking_meta()},
        "properties": {
            "id": kw, "path": kw, "url": kw, "site": kw, "credit": kw, "content_hash": kw,
            "title": _text("title"), "body": _text("body"), "comments": _text("comments"),
            # only filtered on (``opensearch_ranking``): each word's salience level, ``term|level``
            ranking.SALIENCE_FIELD: {"type": "text", "analyzer": "whitespace", "index_options": "docs",
                                     "norms": False},
            "comments_data": {"type": "object", "enabled": False},
            "comments_count": {"type": "integer"}, "has_comments": {"type": "boolean"},
            "title_derived": {"type": "boolean"},
            "outlet": _keyword_with_words(), "author": _keyword_with_words(), "persons": _keyword_with_words(),
            "persons_dictionary": kw,
            "year": kw, "month": kw, "date": kw, "date_precision": kw,
            "date_sort": {"type": "integer"}, "date_end": {"type": "integer"},
            "date_estimated": {"type": "boolean"}, "story": kw, "story_size": {"type": "integer"},
        },
    }


def index_body(shards: int = 1, replicas: int = 0) -> dict:
    """Return the create-index body (settings and mapping)."""
    return {"settings": {"index": {"number_of_shards": shards, "number_of_replicas": replicas,
                                   "max_result_window": MAX_WINDOW, "similarity": similarity_settings()},
                         "analysis": analysis_settings()},
            "mappings": mapping()}


# --------------------------------------------------------------------------- documents


def date_end(date_sort: int) -> int:
    """Return the last day key of a ``date_sort`` period (a month ends at ..99, a year at ..1299)."""
    if not date_sort:
        return 0
    return date_sort + (99 if date_sort % 100 == 0 else 0) + (1200 if date_sort % 10000 == 0 else 0)


def to_source(article: dict, story: str | None = None, story_size: int = 1) -> dict:
    """Return the OpenSearch document of an article dict (ValueError when it cannot be indexed).

    ``story_size``: the number of articles of its story (1 for an article without copies).
    """
    doc = documents.to_document(article)
    comments = doc["comments_data"]
    src = {
        "id": doc["id"], "title": doc["title"], "body": doc["body"],
        "comments": [c["text"] for c in comments], "comments_data": comments,
        "comments_count": doc["comments_count"], "has_comments": bool(doc["comments_count"]),
        "title_derived": doc["title_derived"],
        "persons": documents.split_persons(doc["persons"]),
        "year": doc["year"] or None, "month": doc["month"] or None, "date": doc["date"] or None,
        "date_precision": doc["date_precision"], "date_sort": doc["date_sort"] or None,
        "date_end": date_end(doc["date_sort"]) or None, "date_estimated": doc["date_estimated"],
        "story": story or doc["id"], "story_size": max(1, int(story_size)),
        ranking.SALIENCE_FIELD: ranking.salience_field(doc["title"], doc["body"]),
    }
    for key in ("path", "url", "site", "content_hash", "outlet", "author", "credit"):
        if doc.get(key):
            src[key] = doc[key]
    if doc.get("persons_dictionary"):
        src["persons_dictionary"] = documents.split_persons(doc["persons_dictionary"])
    return src


def bulk(client: Client, index: str, sources: list[dict], retries: int = 3) -> dict[str, str]:
    """Write documents with the bulk API, retrying rejected ones; return id → reason of each failure."""
    return bulk_actions(client, index, [("index", s["id"], s) for s in sources], retries)


def bulk_actions(client: Client, index: str, actions: list[tuple[str, str, dict | None]],
                 retries: int = 3) -> dict[str, str]:
    """Run ``(op, id, body)`` actions (``index``, ``update`` with a partial doc, ``delete``) with the bulk API.

    Rejected items (429, 503) are retried; return id → reason of each item that failed for good.
    Deleting a document that is not there is no failure (a retried run deletes it twice).
    """
    pending = {doc_id: (op, body) for op, doc_id, body in actions}
    failed: dict[str, str] = {}
    delay = 0.5
    for attempt in range(retries + 1):
        if not pending:
            break
        lines = []
        for doc_id, (op, body) in pending.items():
            lines.append(json.dumps({op: {"_index": index, "_id": doc_id}}, ensure_ascii=False))
            if op == "update":
                lines.append(json.dumps({"doc": body}, ensure_ascii=False))
            elif op == "index":
                lines.append(json.dumps(body, ensure_ascii=False))
        answer = client.request("POST", "/_bulk", "\n".join(lines) + "\n", ndjson=True)
        retry = {}
        for item in answer.get("items", []):
            op, res = next(iter(item.items()))
            doc_id, status = res.get("_id"), res.get("status", 500)
            if status < 300 or (op == "delete" and status == 404):
                pending.pop(doc_id, None)
                failed.pop(doc_id, None)
                continue
            err = res.get("error") or {}
            failed[doc_id] = f"{err.get('type')}: {err.get('reason')}" if isinstance(err, dict) else str(err)
            if status in (429, 503) and doc_id in pending:
                retry[doc_id] = pending[doc_id]
        pending = retry
        if pending and attempt < retries:
            time.sleep(delay)
            delay *= 2
    return failed


# --------------------------------------------------------------------------- the spelling vocabulary

#: The vocabulary's fields, named as presse's (``search.query.build``): document key, presse analyzer.
VOCABULARY_FIELDS = {"title_exact": ("title", "exact"), "body_exact": ("body", "exact"),
                     "comments_exact": ("comments", "exact"), "persons_text": ("persons", "keyword"),
                     "outlet_text": ("outlet", "keyword"), "author_text": ("author", "keyword")}
VOCABULARY_SUFFIX = ".vocabulary"
#: The ``_source`` fields the vocabulary is counted from.
VOCABULARY_SOURCE = sorted({key for key, _analyzer in VOCABULARY_FIELDS.values()})


def vocabulary_index(index: str) -> str:
    """Return the name of the vocabulary index written beside the article index ``index``."""
    return index + VOCABULARY_SUFFIX


def vocabulary(sources, df: dict[str, dict[str, int]] | None = None, sign: int = 1) -> dict[str, dict[str, int]]:
    """Return, per field, every term's document frequency, with presse's own analyzers (index mode).

    These are the terms of Whoosh's ``*_exact`` and ``*_text`` fields, so prefixes, fuzzy words
    and corrections choose among the same forms on both engines. Given ``df``, the counts of
    ``sources`` are added to it (``sign=-1``: taken from it, for documents an incremental run replaces).
    """
    if df is None:
        df = {f: {} for f in VOCABULARY_FIELDS}
    for src in sources:
        for field, (key, analyzer) in VOCABULARY_FIELDS.items():
            value = src.get(key) or ""
            text = "\n\n".join(value) if isinstance(value, list) else value
            counts = df[field]
            for term in set(analysis.analyze_terms(text, analyzer, mode="index")):
                counts[term] = counts.get(term, 0) + sign
    return df


def read_vocabulary(client: Client, index: str, token: str | None) -> dict[str, dict[str, int]] | None:
    """Return the counts the vocabulary of ``index`` holds under ``token``, or None when it holds none."""
    name = vocabulary_index(index)
    if not token or not client.exists(f"/{name}"):
        return None
    df: dict[str, dict[str, int]] = {f: {} for f in VOCABULARY_FIELDS}
    found = False
    for hit in walk(client, name, None, {"query": {"term": {"token": token}},
                                         "sort": [{"field": "asc"}, {"letter": "asc"}]}, batch=20):
        src = hit.get("_source") or {}
        if src.get("field") in df:
            df[src["field"]].update(zip(src.get("terms") or [], src.get("dfs") or []))
            found = True
    return df if found else None


def add_counts(df: dict[str, dict[str, int]], delta: dict[str, dict[str, int]]) -> dict[str, dict[str, int]]:
    """Return ``df`` with the signed counts of ``delta`` added (terms that fall to 0 are dropped)."""
    for field, changes in delta.items():
        counts = df.setdefault(field, {})
        for term, n in changes.items():
            total = counts.get(term, 0) + n
            if total > 0:
                counts[term] = total
            else:
                counts.pop(term, None)
    return df


def vocabulary_doc_id(token: str | None, field: str, letter: str) -> str:
    """Return the id of one bucket of the vocabulary (a run's token first, so that runs never overwrite)."""
    return f"{token}:{field}:{letter}" if token else f"{field}:{letter}"


def write_vocabulary(client: Client, index: str, df: dict[str, dict[str, int]], shards: int = 1,
                     replicas: int = 0, token: str | None = None, keep: str | None = None) -> str:
    """Write the vocabulary index of ``index``: one document per field and first letter (sorted terms, counts).

    The buckets of one run carry its ``token``; readers read the token named in the article index's
    ``_meta`` (moved after this), so a reader never sees half of two runs. Buckets of tokens other
    than ``token`` and ``keep`` (the previous run's, still read by searchers that have not looked
    again) are dropped.
    """
    name = vocabulary_index(index)
    kw = {"type": "keyword"}
    stored = {"type": "keyword", "index": False, "doc_values": False}
    if not client.exists(f"/{name}"):
        client.request("PUT", f"/{name}", {
            "settings": {"index": {"number_of_shards": shards, "number_of_replicas": replicas}},
            "mappings": {"dynamic": "strict", "properties": {
                "field": kw, "letter": kw, "token": kw, "terms": stored,
                "dfs": {"type": "integer", "index": False, "doc_values": False}}}})
    lines = []
    for field, counts in df.items():
        buckets: dict[str, list[str]] = {}
        for term in sorted(counts):
            if counts[term] > 0:
                buckets.setdefault(term[0], []).append(term)
        for letter, terms in buckets.items():
            lines.append(json.dumps({"index": {"_index": name, "_id": vocabulary_doc_id(token, field, letter)}},
                                    ensure_ascii=False))
            doc = {"field": field, "letter": letter, "terms": terms, "dfs": [counts[t] for t in terms]}
            if token:
                doc["token"] = token
            lines.append(json.dumps(doc, ensure_ascii=False))
    for start in range(0, len(lines), 100):  # 50 buckets a request: a bucket of a large corpus weighs megabytes
        answer = client.request("POST", "/_bulk", "\n".join(lines[start:start + 100]) + "\n", ndjson=True)
        bad = [i["index"].get("error") for i in answer.get("items", []) if i["index"].get("error")]
        if bad:
            raise OpenSearchError(f"vocabulary not written: {bad[:2]}")
    client.request("POST", f"/{name}/_refresh")
    if token:
        kept = [t for t in (token, keep) if t]
        delete_where(client, name, {"bool": {"must_not": [{"terms": {"token": kept}}]}})
    return name


def delete_where(client: Client, index: str, query: dict) -> None:
    """Delete the documents of a small index that ``query`` matches (by id: ``_delete_by_query`` is a module
    that a cluster may lack)."""
    while True:
        hits = client.request("POST", f"/{index}/_search", {"query": query, "size": WALK_BATCH,
                                                             "_source": False})["hits"]["hits"]
        if not hits:
            return
        failed = bulk_actions(client, index, [("delete", h["_id"], None) for h in hits])
        if failed:
            raise OpenSearchError(f"{index}: {len(failed)} document(s) not deleted: {next(iter(failed.values()))}")
        client.request("POST", f"/{index}/_refresh")
