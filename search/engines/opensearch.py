"""The OpenSearch engine: an index behind an alias, searched with the /api/search JSON.

``reindex`` runs the product's own reindex steps (``opensearch_reindex``): incremental by id into
the index behind the alias, or a full rebuild into a new index ``<alias>-<timestamp>`` and the
alias moved in one ``_aliases`` call, the previous index serving until then and after a failure;
the spelling vocabulary is written beside it (``opensearch_spelling``), and the run's state too
(``opensearch_state``). Searchers notice a run by the stamp in the mapping's ``_meta``. Searches
return ``search.query.service.SearchResult`` exactly as ``SearchService`` builds it, corrections
included; a page past ``FROM_LIMIT`` is walked to with ``search_after``. The export
(``export_hits``) streams every hit from one point in time, and the sources page
(``coverage_counts``) comes from aggregations. As on Whoosh, ticked values match whatever their
case and accents (``_canonical``), ``story=`` names a story or else one article (``_story_filter``),
and a search stops at ``PRESSE_SEARCH_TIME_LIMIT`` (the node's ``timeout``) and says its results
are partial; the highlighted fragments become HTML in ``opensearch_highlight``.
"""

from __future__ import annotations

import functools
import time
from dataclasses import replace
from datetime import datetime, timezone
from html import escape
from itertools import islice
from pathlib import Path

from search.engines import opensearch_highlight as hlt
from search.engines import opensearch_index as osi
from search.engines import opensearch_query as osq
from search.engines import opensearch_spelling as spelling
from search.engines import opensearch_state as st
from search.query import language as ql
from search.query import timelimit
from search.query.request import MAX_FACET_VALUES, SearchRequest
from search.query.service import FAR_MORE, MAX_VERSIONS_LISTED, SUGGEST_BELOW, SearchResult
from search.query.snippets import MAX_FRAGMENTS, lead
from search.query.threads import nest
from search.text import fold_key

VERSION_FIELDS = ["id", "title", "outlet", "date", "date_estimated"]
#: Hit fields read from ``_source`` (not the bodies of the comments).
HIT_FIELDS = ["id", "title", "body", "comments", "comments_data", "outlet", "site", "author", "credit",
              "date", "date_precision", "date_estimated", "year", "persons", "url", "comments_count", "story"]
#: Deepest hit a page reaches with ``from``; a page past it is walked to with ``search_after``.
FROM_LIMIT = 10_000
#: The order of a story's versions (first publication first).
VERSION_SORT = [{"date_sort": {"order": "asc", "missing": "_last"}}, {"id": "asc"}]
#: Fields of an export row (``search.query.export.record`` reads them).
EXPORT_FIELDS = ["id", "title", "outlet", "author", "credit", "date", "date_precision", "date_estimated", "url",
                 "persons"]
#: Seconds between two checks of the index behind the alias (a reindex moves it).
VOCABULARY_CHECK = 2.0
#: Hits read per request while exporting.
EXPORT_BATCH = 1_000
#: Facets whose values are matched case- and accent-insensitively, as ``FacetColumn.code_of`` does.
FOLDED_FACETS = ("outlet", "person", "author")
#: Values remembered per index behind the alias by ``_canonical``.
CANONICAL_CACHE = 2_000


def _needs_index(method):
    """Say to run ``presse reindex`` when the alias names no index, as the Whoosh engine says of a missing folder."""
    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except osi.OpenSearchError as exc:
            if exc.status == 404 and "index_not_found" in str(exc):
                raise osi.OpenSearchError(self.no_index(), 404) from None
            raise
    return wrapper


class OpenSearchEngine:
    """presse's search over an OpenSearch cluster (one alias, one index per full reindex)."""

    name = "opensearch"
    capabilities = frozenset({"search", "facets", "timeline", "highlight", "article", "person", "stories",
                              "similar", "export", "sources", "suggestions"})

    def __init__(self, url: str, alias: str = "presse", client: osi.Client | None = None,
                 shards: int = 1, replicas: int = 0):
        self.client = client or osi.Client(url)
        self.alias = alias
        self.shards = shards
        self.replicas = replicas
        self._coverage = None  # (indexes behind the alias, the sources page's counts)
        self._vocab = None  # (when checked, indexes behind the alias, VocabularyReader, Vocabulary)
        self._canon = None  # (indexes behind the alias, {(facet, value): indexed spelling})

    # ------------------------------------------------------------------ reindex

    def reindex(self, source, *, persons: bool = True, progress=None, articles=None, ner_cache=None,
                full: bool = False, index_dir=None, procs: int | None = 1, follow_external_links: bool = False,
                wait: bool = False, notify=None) -> dict:
        """Bring the index behind the alias up to date with ``source`` (``opensearch_reindex``); return a summary.

        Incremental by id when the live index's state allows it, else (or with ``full``) a new index
        and the alias moved. ``index_dir``: this machine's folder for the NER cache and the story
        evidence (``ner_cache``, the older argument, names the cache file in it). ``articles``:
        article dicts to index instead of a source folder (always a full index, without state).
        ``wait``: wait for another run holding the alias's lock instead of refusing (``notify`` says so).
        """
        from search.engines import opensearch_reindex as osr

        progress = progress or (lambda *args, **kwargs: None)
        if index_dir is None and ner_cache is not None:
            index_dir = Path(ner_cache).parent
        if articles is not None:
            cache = ner_cache or (Path(index_dir) / "persons-cache.sqlite" if index_dir else None)
            return osr.reindex_articles(self, articles, persons, progress, ner_cache=cache, wait=wait, notify=notify)
        return osr.reindex_source(self, source, index_dir, full=full, persons=persons, progress=progress,
                                  procs=procs, follow_external_links=follow_external_links, wait=wait, notify=notify)

    def _alias_targets(self) -> list[str]:
        try:
            return sorted(self.client.request("GET", f"/_alias/{self.alias}"))
        except osi.OpenSearchError as exc:
            if exc.status == 404:
                return []
            raise

    # ------------------------------------------------------------------ search

    def _live(self) -> tuple[tuple[str, ...], str | None]:
        """Return the indexes behind the alias and the token of the last run written into it."""
        stamps = st.read_stamps(self.client, self.alias)
        targets = tuple(sorted(stamps))
        return targets, (stamps[targets[0]].get("token") if len(targets) == 1 else None)

    def _vocabulary(self):
        """Return the (VocabularyReader, Vocabulary) of the index behind the alias, or (None, None) without one."""
        now = time.monotonic()
        cached = self._vocab
        if cached is not None and now - cached[0] < VOCABULARY_CHECK:
            return cached[2], cached[3]
        live = self._live()  # an incremental run changes the token, a full one the index
        if cached is not None and cached[1] == live:
            self._vocab = (now, *cached[1:])
            return cached[2], cached[3]
        reader = vocab = None
        (targets, token) = live
        if len(targets) == 1 and self.client.exists(f"/{osi.vocabulary_index(targets[0])}"):
            docs = int(self.client.request("GET", f"/{targets[0]}/_count")["count"])
            reader = spelling.VocabularyReader(self.client, osi.vocabulary_index(targets[0]), docs, token)
            vocab = spelling.OpenSearchVocabulary(reader, self.client, self.alias)
        self._vocab = (now, live, reader, vocab)
        return reader, vocab

    def _translator(self, scope: str) -> osq.Translator:
        reader, vocab = self._vocabulary()
        return osq.Translator(scope, reader, vocab.fuzzy if vocab is not None else None)

    def _query(self, req: SearchRequest, q: str | None = None):
        """Return the parsed query, its translation, the facet filters and the query every facet shares."""
        parsed = ql.parse(req.q if q is None else q)
        tr = self._translator(req.scope).translate(parsed.tree)
        must = [tr.query] if tr.query is not None else [osq.MATCH_ALL]
        shared = osq.global_filters(replace(req, story="")) + ([self._story_filter(req.story)] if req.story else [])
        return parsed, tr, osq.facet_filters(req), {"bool": {"must": must, "filter": shared}}

    def _story_filter(self, story: str) -> dict:
        """Return the clause of ``story=``: that story's articles, else the article of that id (as Whoosh reads it).

        A story keeps its id when its first publication changes, so a link may name an article
        whose story is now called otherwise: that article alone is listed.
        """
        named = {"query": {"term": {"story": story}}, "size": 0, "track_total_hits": 1, "terminate_after": 1}
        if self.client.request("POST", f"/{self.alias}/_search", named)["hits"]["total"]["value"]:
            return {"term": {"story": story}}
        return {"ids": {"values": [story]}}

    def _canonical(self, req: SearchRequest) -> SearchRequest:
        """Return ``req`` with each ticked or excluded outlet, person and author spelled as the index holds it.

        Whoosh matches a value case- and accent-insensitively (``sadio camara`` ticks « Sadio
        Camara »); keyword fields match exactly, so each value is first looked up among the
        indexed spellings of its words. A value the index does not hold is kept as typed.
        """
        wanted = {name: list(dict.fromkeys(getattr(req, name) + getattr(req, f"not_{name}")))
                  for name in FOLDED_FACETS}
        if not any(wanted.values()):
            return req
        self._vocabulary()
        live = self._vocab[1] if self._vocab else None
        cache = self._canon if self._canon and self._canon[0] == live else (live, {})
        self._canon = cache
        missing = [(n, v) for n, values in wanted.items() for v in values if (n, v) not in cache[1]]
        if missing:
            if len(cache[1]) + len(missing) > CANONICAL_CACHE:
                cache[1].clear()
            cache[1].update(self._spellings(missing))
        spelled = {n: [cache[1][(n, v)] for v in getattr(req, n)] for n in FOLDED_FACETS}
        spelled |= {f"not_{n}": [cache[1][(n, v)] for v in getattr(req, f"not_{n}")] for n in FOLDED_FACETS}
        return replace(req, **{k: list(dict.fromkeys(v)) for k, v in spelled.items()})

    def _spellings(self, values: list[tuple[str, str]]) -> dict[tuple[str, str], str]:
        """Return, for each (facet, value), the indexed spelling that folds like it (the value when none)."""
        aggs = {}
        for i, (name, value) in enumerate(values):
            words = {"match": {osq.NAME_FIELDS[name]: {"query": value, "operator": "and"}}}
            aggs[f"v{i}"] = {"filter": {"bool": {"should": [{"term": {osq.FACET_FIELDS[name]: value}}, words]}},
                             "aggs": {"v": {"terms": {"field": osq.FACET_FIELDS[name], "size": MAX_FACET_VALUES}}}}
        answer = self.client.request("POST", f"/{self.alias}/_search", {"size": 0, "aggs": aggs})["aggregations"]
        out = {}
        for i, (name, value) in enumerate(values):
            keys = sorted(b["key"] for b in answer[f"v{i}"]["v"]["buckets"])
            same = [k for k in keys if fold_key(k) == fold_key(value)]
            out[(name, value)] = value if value in keys or not same else same[0]
        return out

    def no_index(self) -> str:
        """Return the message for an alias that names no index."""
        return f"no index behind the alias {self.alias!r}: run `presse reindex` first"

    @_needs_index
    def search(self, req: SearchRequest | None = None) -> SearchResult:
        """Run a search and return hits, facets and timeline as ``SearchService.search`` does."""
        req = self._canonical(req or SearchRequest())
        parsed, tr, filters, query = self._query(req)
        size = MAX_FACET_VALUES
        aggs = osq.facet_aggs(req, filters, size)
        aggs |= self._known_aggs(req)
        offset = (req.page - 1) * req.limit
        # a page past FROM_LIMIT is found with search_after (``_deep_page``), never with a deep ``from``;
        # so are collapsed stories listed newest first at their first publication (collapsing cannot)
        first_copy = req.collapse and req.sort == "relevance" and tr.query is None
        deep = offset + req.limit > FROM_LIMIT or first_copy
        body = {
            "query": query, "post_filter": {"bool": {"filter": osq.others(filters, set())}},
            "aggs": aggs, "track_total_hits": True, "from": 0 if deep else offset, "size": 0 if deep else req.limit,
            "sort": osq.sort_clause(req, tr.query is not None), "_source": HIT_FIELDS,
            "highlight": hlt.request(req.scope, tr.match),
        }
        limit = timelimit.Deadline()
        if limit.seconds:  # PRESSE_SEARCH_TIME_LIMIT, as Whoosh's matching: the node answers with what it found
            body["timeout"] = f"{max(1, int(limit.seconds * 1000))}ms"
        if req.collapse and not deep:
            body["collapse"] = {"field": "story", "inner_hits": {
                "name": "versions", "size": MAX_VERSIONS_LISTED + 1, "_source": VERSION_FIELDS,
                "sort": VERSION_SORT}}
        answer = self.client.request("POST", f"/{self.alias}/_search", body)
        cut = bool(answer.get("timed_out"))
        total = int(answer["hits"]["total"]["value"])
        total_stories = int(answer["aggregations"]["stories"]["n"]["value"])
        listed = total_stories if req.collapse else total
        raw = answer["hits"]["hits"]
        if deep and offset < listed:
            raw = self._deep_page(req, body, offset, first_copy)
        hits = [self._hit(h, req) for h in raw]
        facet_out, totals = osq.facet_rows(req, answer["aggregations"])
        one_year = req.date_from[:4] == req.date_to[:4] != "" and not req.year and not req.month
        by_month = replace(req, year=[req.date_from[:4]]) if one_year else req
        suggestion = None
        _reader, vocab = self._vocabulary() if tr.words and not cut else (None, None)
        if vocab is not None:
            suggestion = spelling.suggest(vocab, lambda text: self._count(req, text), parsed.text, tr.words, total)
            if suggestion and total >= SUGGEST_BELOW and suggestion["total"] < FAR_MORE * total:
                suggestion = None
        if suggestion and total == 0 and req.autocorrect:
            # nothing found, its correction finds articles: show them at once, and offer the query as typed
            fixed = self.search(replace(req, q=suggestion["text"], autocorrect=False))
            return replace(fixed, suggestion=None, corrected_from=req.q)
        interpreted = ql.describe(parsed.tree, tr.notes)
        if parsed.fallback and parsed.tree is not None:
            interpreted = "mots simples : " + interpreted
        # partial results say so in the words of the Whoosh engine
        warnings = list(parsed.warnings) + ([limit.message()] if cut else [])
        return SearchResult(
            query=req.q, interpreted=interpreted, fallback=parsed.fallback, warnings=warnings,
            total=total, page=req.page, limit=req.limit, pages=(listed + req.limit - 1) // req.limit if listed else 0,
            sort=req.sort, scope=req.scope, hits=hits, facets=facet_out, facet_totals=totals, suggestion=suggestion,
            timeline=osq.timeline_rows(by_month, answer["aggregations"]["timeline"]),
            total_stories=total_stories, collapse=req.collapse,
        )

    def _deep_page(self, req: SearchRequest, body: dict, offset: int, first_copy: bool = False) -> list[dict]:
        """Return the raw hits of a page walked to with search_after (past FROM_LIMIT, or ``first_copy``).

        With stories collapsed, a story is listed at its best-ranked copy among the hits: the first
        one walked, as field collapsing lists it, or with ``first_copy`` (no words, relevance order:
        newest first) its first publication, as Whoosh lists it. Only stories of two articles or
        more are remembered.
        """
        walked = {"query": body["query"], "post_filter": body["post_filter"], "sort": body["sort"],
                  "_source": ["story", "story_size"] if req.collapse else False}
        ids, listed, first, skipped = [], set(), {}, 0
        pit = osi.open_pit(self.client, self.alias)
        try:
            # a first page reads a little more than it shows; a deep one reads WALK_BATCH hits a request
            batch = min(osi.WALK_BATCH, max(10, 2 * (offset + req.limit)))
            hits = osi.walk(self.client, self.alias, pit, walked, batch,
                            fields="hits.hits._id,hits.hits._source,hits.hits.sort")
            for chunk in iter(lambda: list(islice(hits, batch)), []):
                if req.collapse and first_copy:
                    self._first_copies(chunk, body, first)
                for h in chunk:
                    src = h.get("_source") or {}
                    story = src.get("story") or h["_id"]
                    if req.collapse and src.get("story_size", 2) > 1:
                        if first_copy:
                            if first.get(story) != h["_id"]:
                                continue
                        elif story in listed:
                            continue
                        else:
                            listed.add(story)  # its other copies come later in the walk
                    if skipped < offset:
                        skipped += 1
                        continue
                    ids.append(h["_id"])
                    if len(ids) == req.limit:
                        break
                if len(ids) == req.limit:
                    break
            if not ids:
                return []
            fetch = {"query": {"bool": {"must": [body["query"]], "filter": [{"ids": {"values": ids}}]}},
                     "size": len(ids), "_source": HIT_FIELDS, "highlight": body["highlight"]}
            found = {h["_id"]: h for h in osi.search_in(self.client, self.alias, pit, fetch)["hits"]["hits"]}
        finally:
            osi.close_pit(self.client, pit)
        raw = [found[i] for i in ids if i in found]
        if req.collapse:
            self._attach_versions(raw, body)
        return raw

    def _first_copies(self, chunk: list[dict], body: dict, first: dict) -> None:
        """Record in ``first`` (story → id) the first publication among the hits of the chunk's stories."""
        stories = sorted({(h.get("_source") or {}).get("story") for h in chunk
                          if (h.get("_source") or {}).get("story_size", 2) > 1} - set(first) - {None})
        if not stories:
            return
        query = {"bool": {"must": [body["query"]], "filter": [body["post_filter"], {"terms": {"story": stories}}]}}
        aggs = {"s": {"terms": {"field": "story", "size": len(stories)}, "aggs": {"first": {"top_hits": {
            "size": 1, "_source": False, "sort": VERSION_SORT}}}}}
        answer = self.client.request("POST", f"/{self.alias}/_search",
                                     {"query": query, "size": 0, "aggs": aggs, "track_total_hits": False})
        for b in answer["aggregations"]["s"]["buckets"]:
            first[b["key"]] = b["first"]["hits"]["hits"][0]["_id"]

    def _attach_versions(self, raw: list[dict], body: dict) -> None:
        """Give each collapsed hit of a deep page the ``versions`` inner hits field collapsing would give it."""
        stories = list(dict.fromkeys((h.get("_source") or {}).get("story") or h["_id"] for h in raw))
        query = {"bool": {"must": [body["query"]], "filter": [body["post_filter"], {"terms": {"story": stories}}]}}
        aggs = {"s": {"terms": {"field": "story", "size": len(stories)}, "aggs": {"top": {"top_hits": {
            "size": MAX_VERSIONS_LISTED + 1, "_source": VERSION_FIELDS, "sort": VERSION_SORT}}}}}
        answer = self.client.request("POST", f"/{self.alias}/_search",
                                     {"query": query, "size": 0, "aggs": aggs, "track_total_hits": False})
        tops = {b["key"]: b["top"]["hits"]["hits"] for b in answer["aggregations"]["s"]["buckets"]}
        for h in raw:
            story = (h.get("_source") or {}).get("story") or h["_id"]
            h["inner_hits"] = {"versions": {"hits": {"hits": tops.get(story, [])}}}

    # ------------------------------------------------------------------ export

    @_needs_index
    def export_hits(self, req: SearchRequest, deadline=None):
        """Return (number of hits, their export fields in the request's order, whether matching ran out of time).

        Every hit, not one per story, as the Whoosh export: the count and the rows come from one
        point in time, the rows streamed ``search_after`` page by page (memory stays flat). The
        deadline bounds the counting (the matching), not the writing.
        """
        req = self._canonical(req)
        _parsed, tr, filters, query = self._query(req)
        query = {"bool": {"must": [query], "filter": osq.others(filters, set())}}
        pit = osi.open_pit(self.client, self.alias)
        counted = {"query": query, "size": 0, "track_total_hits": True}
        seconds = getattr(deadline, "seconds", 0) or 0
        if seconds:
            counted["timeout"] = f"{max(1, int(seconds * 1000))}ms"
        try:
            answer = osi.search_in(self.client, self.alias, pit, counted)
        except Exception:
            osi.close_pit(self.client, pit)
            raise
        cut = bool(answer.get("timed_out")) or (deadline is not None and deadline.expired())
        if cut:
            osi.close_pit(self.client, pit)
            return 0, iter(()), True
        body = {"query": query, "sort": osq.sort_clause(req, tr.query is not None), "_source": EXPORT_FIELDS}
        return int(answer["hits"]["total"]["value"]), self._export_rows(pit, body), False

    def _export_rows(self, pit: str | None, body: dict):
        """Yield the ``_source`` of every hit of ``body``, then release the point in time."""
        try:
            for h in osi.walk(self.client, self.alias, pit, body, batch=EXPORT_BATCH):
                yield h.get("_source") or {}
        finally:
            osi.close_pit(self.client, pit)

    def _count(self, req: SearchRequest, q: str) -> int:
        """Return the number of hits of another query text under ``req``'s filters."""
        _parsed, _tr, filters, query = self._query(req, q)
        body = {"query": {"bool": {"must": [query], "filter": osq.others(filters, set())}}, "size": 0,
                "track_total_hits": True}
        return int(self.client.request("POST", f"/{self.alias}/_search", body)["hits"]["total"]["value"])

    def _known_aggs(self, req) -> dict:
        """Which selected or excluded values the index holds at all (an unknown ticked value counts 0)."""
        aggs = {}
        for name, fieldname in osq.FACET_FIELDS.items():
            values = list(dict.fromkeys(getattr(req, name) + getattr(req, f"not_{name}")))
            if values:
                aggs[f"known_{name}"] = {"global": {}, "aggs": {"v": {"terms": {
                    "field": fieldname, "include": values, "size": len(values)}}}}
        return aggs

    def _hit(self, h: dict, req: SearchRequest) -> dict:
        src = h.get("_source") or {}
        hl = hlt.cleaned(h.get("highlight"))
        title = src.get("title") or ""
        body = src.get("body") or ""
        matched, snippets = [], []

        def frags(name):
            return hl.get(name) or hl.get(f"{name}.exact") or []

        title_frags = frags("title") if req.scope != "comments" else []
        if title_frags:
            matched.append("title")
        if req.scope != "comments" and frags("body"):
            matched.append("body")
            snippets += [{"where": "body", "html": hlt.snippet_html(f, body)} for f in frags("body")]
        comments = src.get("comments_data") or []
        if req.scope != "articles" and frags("comments"):
            matched.append("comments")
            for f in frags("comments"):
                plain = hlt.plain(f)
                i = next((k for k, c in enumerate(comments) if plain in (c.get("text") or "")), None)
                c = comments[i] if i is not None else {}
                snippets.append({"where": "comments", "html": hlt.snippet_html(f, c.get("text") or plain),
                                 "comment_index": i, "comment_id": c.get("id"), "author": c.get("author")})
        if not snippets and req.scope != "comments" and body:
            snippets = [{"where": "body", "html": lead(body)}]
        score = h.get("_score")
        versions = []
        if req.collapse:
            inner = (h.get("inner_hits") or {}).get("versions", {}).get("hits", {}).get("hits", [])
            versions = [self._version_row(v.get("_source") or {}) for v in inner
                        if (v.get("_source") or {}).get("id") != src.get("id")][:MAX_VERSIONS_LISTED]
            versions.sort(key=lambda r: (r["date"] is None, r["date"] or "", r["id"] or ""))
        return {
            "id": src.get("id"), "title": title,
            "title_html": hlt.marked_html(title_frags[0]) if title_frags else escape(title, quote=False),
            "outlet": src.get("outlet") or None, "site": src.get("site") or None,
            "author": src.get("author") or None, "credit": src.get("credit") or None,
            "date": src.get("date") or None, "date_precision": src.get("date_precision") or None,
            "date_estimated": bool(src.get("date_estimated")), "year": src.get("year") or None,
            "persons": list(src.get("persons") or []), "url": src.get("url") or None,
            "score": round(score, 4) if isinstance(score, (int, float)) and req.sort == "relevance" and req.q
            else None,
            "matched_in": matched, "snippets": snippets[:MAX_FRAGMENTS],
            "comments_count": int(src.get("comments_count") or 0), "bodyless": not body.strip(),
            "story": src.get("story") or src.get("id"), "versions": versions,
        }

    @staticmethod
    def _version_row(src: dict) -> dict:
        return {"id": src.get("id"), "title": src.get("title") or "", "outlet": src.get("outlet") or None,
                "date": src.get("date") or None, "date_estimated": bool(src.get("date_estimated"))}

    # ------------------------------------------------------------------ article and person

    @_needs_index
    def article(self, article_id: str, q: str = "") -> dict | None:
        """Return the full article with ``body_html`` (query terms marked) and threaded comments, or None."""
        if not isinstance(article_id, str) or not article_id:
            return None
        parsed = ql.parse(q or "")
        tr = self._translator("all").translate(parsed.tree)
        hl = hlt.request("all", tr.match)
        for spec in hl["fields"].values():
            spec.clear()
            spec["number_of_fragments"] = 0
        body = {"query": {"ids": {"values": [article_id]}}, "size": 1, "highlight": hl}
        answer = self.client.request("POST", f"/{self.alias}/_search", body)
        found = answer["hits"]["hits"]
        if not found:
            return None
        src, marks = found[0]["_source"], hlt.cleaned(found[0].get("highlight"))

        def whole(name, text):
            for f in marks.get(name) or marks.get(f"{name}.exact") or []:
                if hlt.plain(f) == text:
                    return f
            return text

        title, text = src.get("title") or "", src.get("body") or ""
        nodes = []
        for i, c in enumerate(src.get("comments_data") or []):
            ctext = str(c.get("text") or "")
            nodes.append({"id": c.get("id") if c.get("id") is not None else f"c{i}", "index": i,
                          "author": c.get("author"), "date": c.get("date"), "reply_to": c.get("reply_to"),
                          "text": ctext, "html": hlt.paragraphs_html(whole("comments", ctext)), "replies": []})
        persons = list(src.get("persons") or [])
        by_dict = set(src.get("persons_dictionary") or [])
        versions = self._story_rows(src)
        return {
            "id": src.get("id"), "path": src.get("path"), "url": src.get("url") or None, "title": title,
            "title_html": hlt.marked_html(whole("title", title)),
            "outlet": src.get("outlet") or None, "site": src.get("site") or None, "author": src.get("author") or None,
            "credit": src.get("credit") or None,
            "date": src.get("date") or None, "date_precision": src.get("date_precision") or None,
            "date_estimated": bool(src.get("date_estimated")), "year": src.get("year") or None,
            "persons": persons, "person_sources": {p: "dictionary" if p in by_dict else "ner" for p in persons},
            "body": text, "bodyless": not text.strip(), "story": src.get("story") or src.get("id"),
            "versions": versions, "body_html": hlt.paragraphs_html(whole("body", text)),
            "comments": nest(nodes), "comments_count": int(src.get("comments_count") or 0),
            "query": q or "", "interpreted": ql.describe(parsed.tree, tr.notes) if q else "",
        }

    def _story_rows(self, src: dict) -> list[dict]:
        story = src.get("story")
        if not story:
            return []
        body = {"query": {"term": {"story": story}}, "size": MAX_VERSIONS_LISTED, "_source": VERSION_FIELDS}
        docs = [h["_source"] for h in self.client.request("POST", f"/{self.alias}/_search", body)["hits"]["hits"]]
        if len(docs) < 2:
            return []
        rows = sorted((self._version_row(d) for d in docs),
                      key=lambda r: (r["date"] is None, r["date"] or "", r["id"] or ""))
        dated = [r for r in rows if r["date"] and not r["date_estimated"]]
        for r in rows:
            r["first"] = bool(dated) and r is dated[0]
            r["this"] = r["id"] == src.get("id")
        return rows

    def more_like_this(self, article_id: str, limit: int = 5) -> list[dict]:
        """Return up to ``limit`` articles about the same things (OpenSearch's more_like_this; copies left out)."""
        if not isinstance(article_id, str) or not article_id:
            return []
        targets = self._alias_targets()
        if not targets:
            return []
        src = self.client.request("POST", f"/{self.alias}/_search",
                                  {"query": {"ids": {"values": [article_id]}}, "size": 1,
                                   "_source": ["story", "title"]})
        found = src["hits"]["hits"]
        if not found:
            return []
        story = found[0]["_source"].get("story")
        # more than asked: copies under another story id (the same title) are left out after, as Whoosh does
        body = {"size": limit + 10, "_source": VERSION_FIELDS, "query": {"bool": {
            "must": [{"more_like_this": {"fields": ["title", "body"], "like": [{"_index": found[0]["_index"],
                                                                               "_id": found[0]["_id"]}],
                                         "min_term_freq": 1, "max_query_terms": 25, "min_doc_freq": 2}}],
            "must_not": [{"term": {"story": story}}] if story else []}}}
        hits = self.client.request("POST", f"/{self.alias}/_search", body)["hits"]["hits"]
        own = fold_key(found[0]["_source"].get("title") or "")
        rows = [self._version_row(h["_source"]) for h in hits if h["_id"] != found[0]["_id"]]
        return [r for r in rows if fold_key(r["title"]) != own][:limit]

    def coverage_counts(self) -> dict:
        """Return the sources page's counts (outlets, years, totals, when last written), cached per run."""
        live = self._live()
        if not live[0]:
            raise osi.OpenSearchError(self.no_index(), 404)
        cached = self._coverage
        if cached is not None and cached[0] == live:
            return cached[1]
        answer = self.client.request("POST", f"/{self.alias}/_search", {
            "size": 0, "track_total_hits": True, "aggs": osq.coverage_aggs()})
        counts = osq.coverage_counts(int(answer["hits"]["total"]["value"]), answer["aggregations"])
        counts["built"] = self._built(live[0])
        self._coverage = (live, counts)
        return counts

    def _built(self, targets) -> datetime | None:
        """Return when the last run ended (its stamp), else when the index was created (written in one run)."""
        stamps = st.read_stamps(self.client, self.alias)
        ends = [s.get("built") for s in stamps.values() if s.get("built")]
        if ends:
            return max(datetime.fromisoformat(e) for e in ends)
        settings = self.client.request("GET", f"/{self.alias}/_settings/index.creation_date")
        created = [int(v["settings"]["index"]["creation_date"]) for v in settings.values()]
        return datetime.fromtimestamp(max(created) / 1000, timezone.utc) if created else None

    def health(self) -> tuple[bool, str]:
        """Return (True, index name and article count) when the alias answers, else (False, why)."""
        try:
            targets = self._alias_targets()
            if not targets:
                return False, self.no_index()
            count = self.client.request("GET", f"/{self.alias}/_count")["count"]
            return True, f"{targets[0]} ({count} documents)"
        except Exception as exc:  # an unreachable cluster, a red index: the page says 503
            return False, f"{type(exc).__name__}: {exc}"

    @_needs_index
    def person(self, name: str) -> dict | None:
        """Return a person's article count, timeline per year, outlets and co-mentioned persons, or None."""
        if not isinstance(name, str) or not name:
            return None
        name = self._canonical(SearchRequest(person=[name])).person[0]
        est = {"estimated": {"filter": {"term": {"date_estimated": True}}}}
        body = {"query": {"term": {"persons": name}}, "size": 0, "track_total_hits": True, "aggs": {
            "years": {"terms": {"field": "year", "size": MAX_FACET_VALUES}, "aggs": est},
            "outlets": {"terms": {"field": "outlet", "size": MAX_FACET_VALUES}},
            "persons": {"terms": {"field": "persons", "size": MAX_FACET_VALUES}}}}
        answer = self.client.request("POST", f"/{self.alias}/_search", body)
        count = int(answer["hits"]["total"]["value"])
        if not count:
            return None
        aggs = answer["aggregations"]
        timeline = sorted(({"value": b["key"], "label": b["key"], "count": b["doc_count"],
                            "estimated": b["estimated"]["doc_count"]} for b in aggs["years"]["buckets"]),
                          key=lambda r: r["value"])
        outlets = sorted(({"value": b["key"], "count": b["doc_count"]} for b in aggs["outlets"]["buckets"]),
                         key=lambda r: (-r["count"], fold_key(r["value"])))
        co = sorted(({"value": b["key"], "count": b["doc_count"]} for b in aggs["persons"]["buckets"]
                     if b["key"] != name), key=lambda r: (-r["count"], fold_key(r["value"])))[:20]
        return {"name": name, "count": count, "timeline": timeline, "undated": count - sum(r["count"] for r in timeline),
                "outlets": outlets, "co_persons": co}

