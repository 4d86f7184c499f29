"""The query layer used by the web app and the CLI: one request in, one plain-data result out.

``SearchRequest.from_params`` (search/query/request.py) validates URL/CLI parameters
(``BadParameter`` → HTTP 400);
``SearchService`` keeps one searcher per index generation and answers searches, article
pages, "more like this" and person pages. See docs/ARCHITECTURE.md for the JSON shape.
"""

from __future__ import annotations

import json
import os
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, replace
from html import escape
from pathlib import Path

import numpy as np

from search.query import arrays, zerocopy
from search.query import facets as fc
from search.query import match as fm
from search.query import language as ql
from search.query import dates
from search.query.build import Builder, analyze
from search.query.relevance import Booster
from search.query.request import LIST_FIELDS, MAX_FACET_VALUES, MAX_LIMIT, MORE_FACET_VALUES, SearchRequest
from search.query.similar import SimilarIndex
from search.query.matchcache import MatchCache
from search.query.snippets import MAX_FRAGMENTS, Highlighter, WordAnalyzer, lead
from search.index import storyfile
from search.index.folder import IndexHandle
from search.query.collapse import Stories, rank_key
from search.index.documents import split_persons
from search.query.suggest import Vocabulary, best_combinations
from search.text import fold_key
from search.query.threads import nest
from search.query.timelimit import Deadline

#: Extra hits fetched beyond a page so that score ties can be ordered by id exactly.
TIE_MARGIN = 16
#: Queries expected to match at most this many documents are scored in one pass.
SCORE_ALL_BELOW = 3000
#: Suggestions are looked for when a query finds fewer hits than this.
SUGGEST_BELOW = 20
#: Other versions listed with a hit (a story rarely has more; the story link shows them all).
MAX_VERSIONS_LISTED = 20
#: Above that, a correction is offered only when it finds this many times more articles
#: (« presidant macron » 162, « president macron » 3,738).
FAR_MORE = 5
#: Spellings considered per misspelt word, and combinations tried (one search each) for several
#: misspelt words; suggestions share the search's time limit and are dropped when it runs out.
SUGGEST_CANDIDATES = 3
MAX_SUGGEST_COMBOS = 6
MAX_COMMENTS_SCANNED = 300
#: "More like this" answers cached per generation (key terms and scoring: search/similar.py).
MLT_CACHE_SIZE = 4096
#: Finished results kept per generation and process (Back, reloads, shared links, htmx then full page);
#: ``PRESSE_RESULT_CACHE=0`` turns the cache off (e.g. to measure uncached load).
try:
    RESULT_CACHE_SIZE = max(0, int(os.environ.get("PRESSE_RESULT_CACHE", "256")))
except ValueError:
    RESULT_CACHE_SIZE = 256

MONTHS_FR = ql.MONTHS_FR
zerocopy.install()  # segment files read from the shared map, not copied into every worker


# ---------------------------------------------------------------- result


@dataclass
class SearchResult:
    """Plain, JSON-serialisable search outcome (``to_dict()`` is the /api/search body)."""

    query: str
    interpreted: str
    fallback: bool
    warnings: list[str]
    total: int
    page: int
    limit: int
    pages: int
    sort: str
    scope: str
    hits: list[dict]
    facets: dict[str, list[dict]]
    facet_totals: dict[str, int]
    suggestion: dict | None
    timeline: list[dict]
    #: the query as typed when it found nothing and these are the results of its correction
    corrected_from: str | None = None
    #: stories among the ``total`` articles (one hit per story when ``collapse``)
    total_stories: int = 0
    collapse: bool = True

    def to_dict(self) -> dict:
        """Return the result as plain data (a copy: the caller may change it)."""
        # the fields already hold plain data: copying containers is asdict's result at a tenth of
        # its cost (it deep-copies every string of every hit)
        return {name: _plain(value) for name, value in vars(self).items()}


def _plain(value):
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_plain(v) for v in value)
    return value


class _Generation:
    """Everything cached for one searcher: facet arrays, vocabulary, word analysis."""

    def __init__(self, searcher, generation=None):
        self.searcher = searcher
        # written with the generation and memory-mapped (shared by workers); else built here
        shared = arrays.load(searcher, generation)
        self.facets = shared.facets if shared else fc.FacetData(searcher)
        self.stories = shared.stories if shared else \
            Stories(storyfile.read_groups(generation), self.facets.docnum_by_id, self.facets.n)
        self.vocab = Vocabulary(searcher)
        self.words = WordAnalyzer(searcher.schema)
        self.postings = fm.Postings(searcher, shared.lengths if shared else None)
        self.similar: dict[tuple[str, int], list[dict]] = {}
        self.similar_index = SimilarIndex(searcher, self.postings)
        self.results: OrderedDict[str, str] = OrderedDict()  # request key → result JSON
        self.matches = MatchCache(self.facets.n)  # the words' matches, for other filters and pages
        self.results_lock = threading.Lock()

    def cached_result(self, key: str) -> "SearchResult | None":
        """Return a fresh copy of a cached result, or None."""
        if not RESULT_CACHE_SIZE:
            return None
        with self.results_lock:
            raw = self.results.get(key)
            if raw is None:
                return None
            self.results.move_to_end(key)
        return SearchResult(**json.loads(raw))

    def cache_result(self, key: str, result: "SearchResult") -> None:
        """Keep a finished result (stored as JSON so that callers can never alter the cached copy)."""
        if not RESULT_CACHE_SIZE:
            return
        raw = json.dumps(vars(result), ensure_ascii=False)
        with self.results_lock:
            self.results[key] = raw
            self.results.move_to_end(key)
            while len(self.results) > RESULT_CACHE_SIZE:
                self.results.popitem(last=False)

    def warm(self) -> None:
        """Read the spelling vocabulary before a query needs it (seconds on a large index)."""
        try:
            self.vocab.buckets()
        except Exception:  # the request that needs it meets the same error and handles it
            pass


# ---------------------------------------------------------------- service


class SearchService:
    """Answers searches over one index folder, reusing its searcher until the index changes."""

    def __init__(self, index_dir, check_interval: float = 0.5):
        self.index_dir = Path(index_dir)
        self.handle = IndexHandle(index_dir, check_interval=check_interval)
        self._lock = threading.Lock()
        self._gen: _Generation | None = None

    def _current(self) -> tuple[object, _Generation]:
        searcher = self.handle.searcher()
        gen = self._gen
        if gen is None or gen.searcher is not searcher:
            with self._lock:
                gen = self._gen
                if gen is None or gen.searcher is not searcher:
                    previous, gen = self._gen, _Generation(searcher, self.handle.generation)
                    self._gen = gen
                    if previous is not None:  # a reindex landed: don't stall a request for this
                        threading.Thread(target=gen.warm, name="presse-warm", daemon=True).start()
        return searcher, gen

    def warm(self) -> None:
        """Open the index and build its caches now (before a server worker takes requests)."""
        _searcher, gen = self._current()
        gen.warm()

    @property
    def version(self) -> int:
        """The index handle's version (bumps when a new generation or commit is opened)."""
        return self.handle.version

    # -- matching

    def _match(self, searcher, gen: _Generation, text: str, scope: str, want_scores: bool = False,
               deadline: Deadline | None = None):
        """Return (parsed, built, mask of matching documents, scored hits or None).

        When the query is selective (or the caller needs scores anyway) one scored pass gives
        both the match set and every score, which halves the cost of phrase and prefix queries;
        otherwise the unscored ``all_ids`` path finds the set and a top-k pass ranks the page.
        """
        key = (text, scope, bool(want_scores))
        kept = gen.matches.get(key) if RESULT_CACHE_SIZE else None
        if kept is not None:
            return kept
        parsed = ql.parse(text)
        built = Builder(searcher, scope, fuzzy=gen.vocab.fuzzy).build(parsed.tree)
        data = gen.facets
        scored = None
        if built.query is None:
            base = data.live.copy()
            if scope == "comments":
                base &= data.has_comments
        elif (fast := fm.evaluate(gen.postings, data.live, built.query, deadline)) is not None:
            # numpy over cached posting arrays: every score at the cost of a few array operations
            base = fast.mask.copy()
            scored = fast if want_scores else None
            if scored is not None:
                # relevance order only: exact forms and words side by side rank first
                Booster(gen.postings, scope, deadline).apply(scored, parsed.tree)
        elif want_scores and (built.positional or self._selective(searcher, built.query)):
            scored = list(_run(deadline, searcher, built.query, limit=None, terms=False).top_n)
            base = data.mask_of(d for _s, d in scored)
        else:
            docs = searcher.docs_for_query(built.query)
            base = data.mask_of(deadline.ids(docs) if deadline else docs)
        if RESULT_CACHE_SIZE and (deadline is None or not deadline.hit):  # a partial match is not kept
            gen.matches.put(key, parsed, built, base, scored)
        return parsed, built, base, scored

    @staticmethod
    def _selective(searcher, query) -> bool:
        try:
            return query.estimate_size(searcher.reader()) <= SCORE_ALL_BELOW
        except (AttributeError, NotImplementedError, TypeError, ValueError):
            return False

    def _selection(self, gen: _Generation, req: SearchRequest):
        include = {f: getattr(req, f) for f in LIST_FIELDS if getattr(req, f)}
        exclude = {f: getattr(req, f"not_{f}") for f in LIST_FIELDS if getattr(req, f"not_{f}")}
        sel = fc.select(gen.facets, include, exclude)
        masks = {f: sel.facet_mask(gen.facets, f) for f in fc.FACETS}
        if req.date_from or req.date_to:
            # « du … au »: ANDed with every facet and the timeline (search.query.dates has the rule)
            lo, hi = (dates.day_int(d) if d else None for d in (req.date_from, req.date_to))
            masks["date"] = dates.in_range(gen.facets.date_sort, *dates.bounds(lo, hi))
        if req.story:  # « N autres versions »: the articles of one story
            masks["story"] = gen.stories.mask(req.story, gen.facets.ids)
        if req.with_comments:  # « avec commentaires »
            masks["comments"] = gen.facets.has_comments
        return sel, masks

    def search(self, req: SearchRequest | None = None) -> SearchResult:
        """Run a search and return hits, disjunctive facets, timeline and suggestion."""
        req = req or SearchRequest()
        searcher, gen = self._current()
        key = json.dumps(vars(req), sort_keys=True, ensure_ascii=False)
        cached = gen.cached_result(key)
        if cached is not None:
            return cached
        deadline = Deadline()
        result = self._search(searcher, gen, req, deadline)
        if not deadline.hit and not deadline.skipped:  # partial results are not kept
            gen.cache_result(key, result)
        return result

    def _filtered(self, searcher, gen: _Generation, req: SearchRequest, deadline: Deadline):
        """Return the matching and filtering of a request: what both a page and an export start from."""
        parsed, built, base, scored = self._match(searcher, gen, req.q, req.scope,
                                                  want_scores=req.sort == "relevance", deadline=deadline)
        sel, masks = self._selection(gen, req)
        filt = fc.combine(masks.values())
        final = base if filt is None else base & filt
        return parsed, built, base, scored, sel, masks, filt, final

    def _search(self, searcher, gen: _Generation, req: SearchRequest, deadline: Deadline) -> SearchResult:
        parsed, built, base, scored, sel, masks, filt, final = self._filtered(searcher, gen, req, deadline)
        total = int(final.sum())
        shown = self._one_per_story(gen, req, final, scored) if gen.stories.any else final
        total_stories = int(shown.sum())
        if req.collapse:
            final_page, listed = shown, total_stories
        else:
            final_page, listed = final, total
        offset = (req.page - 1) * req.limit
        page_docs, scores = self._page(searcher, gen, built.query, final_page,
                                       filt is not None or final_page is not base, req, offset, listed,
                                       scored, deadline)
        hl = Highlighter(gen.words, built.highlight)
        hits = [self._hit(searcher, gen, d, scores.get(d), hl, req.scope) for d in page_docs]
        self._add_versions(searcher, gen, hits, page_docs, final if req.collapse else None)
        facet_out, totals = self._facets(gen, req, sel, masks, base)
        suggestion = None
        if built.words and not deadline.hit:
            suggestion = self._suggest(searcher, gen, req, parsed, built, filt, total, deadline.optional())
            if suggestion and total >= SUGGEST_BELOW and suggestion["total"] < FAR_MORE * total:
                suggestion = None
        if suggestion and total == 0 and req.autocorrect and not deadline.hit:
            # nothing found, its correction finds articles: show them at once, and offer the query as typed
            fixed = self._search(searcher, gen, replace(req, q=suggestion["text"], autocorrect=False), deadline)
            return replace(fixed, suggestion=None, corrected_from=req.q)
        pages = (listed + req.limit - 1) // req.limit if listed else 0
        # a « du … au » inside one year holds only that year's articles: the timeline shows its months
        one_year = req.date_from[:4] == req.date_to[:4] != "" and not req.year and not req.month
        by_month = replace(req, year=[req.date_from[:4]]) if one_year else req
        warnings = list(parsed.warnings) + ([deadline.message()] if deadline.hit else [])
        return SearchResult(
            query=req.q, interpreted=self._interpretation(parsed, built), fallback=parsed.fallback,
            warnings=warnings, total=total, page=req.page, limit=req.limit, pages=pages,
            sort=req.sort, scope=req.scope, hits=hits, facets=facet_out, facet_totals=totals,
            suggestion=suggestion, timeline=self._timeline(by_month, facet_out, gen, sel, masks, base),
            total_stories=total_stories, collapse=req.collapse,
        )

    # -- stories

    def _one_per_story(self, gen: _Generation, req: SearchRequest, final, scored):
        """Return ``final`` with the best-ranked copy of each story only."""
        data = gen.facets
        order = data.order(final, newest=req.sort != "oldest") if req.sort != "relevance" else None
        key = rank_key(data.n, scored, order, data.date_sort)
        return gen.stories.representatives(final, key, data.id_rank)

    def _add_versions(self, searcher, gen: _Generation, hits: list[dict], docnums, final) -> None:
        """Give each hit its story id and, when collapsed, the other copies among the results."""
        for hit, doc in zip(hits, docnums):
            hit["story"] = gen.stories.story_of(doc, hit["id"])
            hit["versions"] = [] if final is None else self._version_rows(searcher, gen.stories.versions(doc, final))

    def _story_rows(self, searcher, gen: _Generation, docnum: int) -> list[dict]:
        """Return every copy of an article's story, earliest first, the first publication marked."""
        docs = gen.stories.members(docnum)
        if len(docs) < 2:
            return []
        rows = self._version_rows(searcher, docs)
        dated = [r for r in rows if r["date"] and not r["date_estimated"]]
        for r in rows:
            r["first"] = bool(dated) and r is dated[0]
            r["this"] = r["id"] == gen.facets.ids[docnum]
        return rows

    @staticmethod
    def _version_rows(searcher, docs) -> list[dict]:
        rows = []
        for d in docs[:MAX_VERSIONS_LISTED]:
            f = searcher.stored_fields(int(d))
            rows.append({"id": f.get("id"), "title": f.get("title") or "", "outlet": f.get("outlet") or None,
                         "date": f.get("date") or None, "date_estimated": bool(f.get("date_estimated"))})
        rows.sort(key=lambda r: (r["date"] is None, r["date"] or "", r["id"] or ""))
        return rows

    def _interpretation(self, parsed: ql.Parsed, built) -> str:
        text = ql.describe(parsed.tree, built.notes)
        if parsed.fallback and parsed.tree is not None:
            text = "mots simples : " + text
        return text

    def _page(self, searcher, gen, query, final, filtered: bool, req, offset: int, total: int, scored=None,
              deadline: Deadline | None = None):
        if offset >= total:
            return [], {}
        data = gen.facets
        if req.sort != "relevance" or query is None:
            order = data.order(final, newest=req.sort != "oldest")
            return [int(d) for d in order[offset : offset + req.limit]], {}
        k = offset + req.limit
        rank = data.id_rank
        if isinstance(scored, fm.Scored):
            page = scored.top(final, offset, k, rank)
            return [d for _s, d in page], {d: s for s, d in page}
        if scored is not None:
            items = [(s, d) for s, d in scored if final[d]] if filtered else list(scored)
            items.sort(key=lambda it: (-it[0], rank[it[1]]))
            page = items[offset:k]
            return [int(d) for _s, d in page], {int(d): float(s) for s, d in page}
        allow = set(np.flatnonzero(final).tolist()) if filtered else None
        n = k + TIE_MARGIN
        results = _run(deadline, searcher, query, limit=n, filter=allow, terms=False)
        items = list(results.top_n)
        if len(items) >= n and items[k - 1][0] == items[-1][0]:
            # the tie at the page's end may continue past what was fetched: score everything
            items = list(_run(deadline, searcher, query, limit=None, filter=allow, terms=False).top_n)
        items.sort(key=lambda it: (-it[0], rank[it[1]]))
        page = items[offset:k]
        return [int(d) for _s, d in page], {int(d): float(s) for s, d in page}

    # -- hits

    def _hit(self, searcher, gen, docnum: int, score, hl: Highlighter, scope: str) -> dict:
        f = searcher.stored_fields(docnum)
        title = f.get("title") or ""
        body = f.get("body") or ""
        comments = f.get("comments_data") or []
        matched = []
        title_spans = hl.spans("title", title) if scope != "comments" else []
        if title_spans:
            matched.append("title")
        frags = []
        if scope != "comments":
            for s, start, html in hl.fragments("body", body):
                frags.append((s + 0.001, start, {"where": "body", "html": html}))
            if frags:
                matched.append("body")
        if scope != "articles" and comments:
            found = False
            for i, c in enumerate(comments[:MAX_COMMENTS_SCANNED]):
                text = c.get("text") if isinstance(c, dict) else str(c)
                for s, start, html in hl.fragments("comments", text or "", 2):
                    found = True
                    snippet = {"where": "comments", "html": html, "comment_index": i,
                               "comment_id": c.get("id") if isinstance(c, dict) else None,
                               "author": c.get("author") if isinstance(c, dict) else None}
                    frags.append((s, 1_000_000 + i, snippet))
            if found:
                matched.append("comments")
        frags.sort(key=lambda t: (-t[0], t[1]))
        snippets = [sn for _s, _p, sn in sorted(frags[:MAX_FRAGMENTS], key=lambda t: t[1])]
        if not snippets and scope != "comments" and body:
            snippets = [{"where": "body", "html": lead(body)}]
        persons = split_persons(f.get("persons"))
        return {
            "id": f.get("id"), "title": title, "title_html": hl.mark(title, title_spans),
            "outlet": f.get("outlet") or None, "site": f.get("site") or None, "author": f.get("author") or None,
            "credit": f.get("credit") or None,
            "date": f.get("date") or None, "date_precision": f.get("date_precision") or None,
            "date_estimated": bool(f.get("date_estimated")), "year": f.get("year") or None,
            "persons": persons, "url": f.get("url") or None,
            "score": round(score, 4) if score is not None else None,
            "matched_in": matched, "snippets": snippets,
            "comments_count": int(f.get("comments_count") or 0), "bodyless": not body.strip(),
        }

    # -- facets

    def _facets(self, gen, req, sel, masks, base):
        data = gen.facets
        out: dict[str, list[dict]] = {}
        totals: dict[str, int] = {}
        one_year = self._month_years(req)
        for name in fc.FACETS:
            if name == "month" and not one_year:
                out[name], totals[name] = [], 0
                continue
            others = fc.combine(m for k, m in masks.items() if k != name or name in fc.CONJUNCTIVE)
            mask = base if others is None else base & others
            facet = data.facets[name]
            counts = facet.counts(mask)
            est = facet.counts(mask & data.estimated) if name == "year" else None
            selected = set(sel.include.get(name, []))
            excluded = set(sel.exclude.get(name, []))
            needle = fold_key(req.facet_filter.get(name, ""))
            codes = sorted(set(np.flatnonzero(counts).tolist()) | selected | excluded)
            if name == "month":
                codes = [c for c in codes if facet.values[c][:4] in one_year or c in selected]
            if needle:
                codes = [c for c in codes if needle in fold_key(facet.values[c]) or c in selected or c in excluded]
            if name in ("year", "month"):
                codes.sort(key=lambda c: facet.values[c], reverse=True)
            else:
                codes.sort(key=lambda c: (-int(counts[c]), fold_key(facet.values[c])))
            totals[name] = len(codes)
            limit = (MORE_FACET_VALUES if name == req.more else req.facet_limit) or MAX_FACET_VALUES
            shown = codes[:limit] + [c for c in codes[limit:] if c in selected or c in excluded]
            rows = []
            for c in shown:
                row = {"value": facet.values[c], "count": int(counts[c]),
                       "selected": c in selected, "excluded": c in excluded}
                if name == "year":
                    row["estimated"] = int(est[c])
                if name == "month":
                    row["label"] = _month_label(facet.values[c])
                rows.append(row)
            for value in sel.unknown_include.get(name, []):
                rows.append({"value": value, "count": 0, "selected": True, "excluded": False,
                             **({"estimated": 0} if name == "year" else {})})
            out[name] = rows
        others = fc.combine(m for k, m in masks.items() if k != "comments")
        with_comments = (base if others is None else base & others) & data.has_comments
        out["comments"] = [{"value": "avec commentaires", "count": int(with_comments.sum()),
                            "selected": req.with_comments, "excluded": False}]
        totals["comments"] = 1
        return out, totals

    @staticmethod
    def _month_years(req: SearchRequest) -> set[str]:
        years = set(req.year) | {m[:4] for m in req.month}
        return years if len(years) == 1 else set()

    def _timeline(self, req, facet_out, gen, sel, masks, base) -> list[dict]:
        data = gen.facets
        years = self._month_years(req)
        others = fc.combine(m for k, m in masks.items() if k not in ("year", "month"))
        mask = base if others is None else base & others
        if years:
            (year,) = years
            facet = data.facets["month"]
            ymask = mask & data.facets["year"].mask([c for c in [data.facets["year"].code_of(year)] if c is not None],
                                                    data.n)
            counts = facet.counts(ymask)
            est = facet.counts(ymask & data.estimated)
            rows = []
            for m in range(1, 13):
                value = f"{year}-{m:02d}"
                c = facet.code_of(value)
                rows.append({"value": value, "label": MONTHS_FR[m - 1], "count": int(counts[c]) if c is not None else 0,
                             "estimated": int(est[c]) if c is not None else 0})
            return rows
        facet = data.facets["year"]
        counts = facet.counts(mask)
        est = facet.counts(mask & data.estimated)
        present = {facet.values[c]: c for c in np.flatnonzero(counts).tolist() if facet.values[c].isdigit()}
        if not present:
            return []
        lo, hi = min(int(y) for y in present), max(int(y) for y in present)
        span = [str(y) for y in range(lo, hi + 1)] if hi - lo <= 60 else sorted(present)
        return [{"value": y, "label": y, "count": int(counts[present[y]]) if y in present else 0,
                 "estimated": int(est[present[y]]) if y in present else 0} for y in span]

    # -- suggestions

    def _suggest(self, searcher, gen, req, parsed, built, filt, total, deadline: Deadline) -> dict | None:
        """Return the "did you mean" text finding more articles, or None (also when time runs out)."""
        options: dict[str, list[tuple[str, float]]] = {}
        for word in built.words:
            if word.mode != "word" or word.field not in (None, "title", "body", "comments"):
                continue
            groups = analyze(searcher.schema, "body_exact", word.text)
            if len(groups) != 1 or word.text in options:
                continue
            if deadline.expired():
                return None
            found = gen.vocab.candidates(groups[0][0], SUGGEST_CANDIDATES)
            if found:
                options[word.text] = found
        if not options:
            return None
        corrections = self._best_corrections(searcher, gen, req, parsed, options, filt, deadline)
        if corrections is None:
            return None
        text, html = corrected_text(parsed.text, corrections)
        if text == parsed.text:
            return None
        _p, _b, base, _s = self._match(searcher, gen, text, req.scope, deadline=deadline)
        if deadline.hit:
            return None
        new_total = int((base if filt is None else base & filt).sum())
        if new_total <= total:
            return None
        return {"text": text, "html": html, "total": new_total}

    def _best_corrections(self, searcher, gen, req, parsed, options, filt,
                          deadline: Deadline) -> dict[str, str] | None:
        """Pick one spelling per misspelt word, preferring combinations that find articles together.

        ``cooperasion militere``: each word's candidates are ranked alone (sound, edits,
        frequency); with several misspelt words, the few best combinations are tried and the
        best-ranked one that still finds articles together wins. None when the time limit runs out.
        """
        def finds(text: str) -> bool | None:
            _p, _b, mask, _s = self._match(searcher, gen, text, req.scope, deadline=deadline)
            return None if deadline.hit else bool((mask if filt is None else mask & filt).any())

        corrections = choose_corrections(parsed.text, options, gen.vocab.display, finds)
        return None if corrections is None or deadline.expired() else corrections

    # -- articles and persons

    def _docnum(self, gen, article_id) -> int | None:
        if not isinstance(article_id, str) or not article_id:
            return None
        return gen.facets.docnum_by_id.get(article_id)

    def article(self, article_id: str, q: str = "") -> dict | None:
        """Return the full article with ``body_html`` (query terms marked) and threaded comments, or None."""
        searcher, gen = self._current()
        docnum = self._docnum(gen, article_id)
        if docnum is None:
            return None
        f = dict(searcher.stored_fields(docnum))
        parsed = ql.parse(q or "")
        built = Builder(searcher, "all", fuzzy=gen.vocab.fuzzy).build(parsed.tree)
        hl = Highlighter(gen.words, built.highlight)
        comments = [c if isinstance(c, dict) else {"text": str(c)} for c in (f.get("comments_data") or [])]
        persons = split_persons(f.get("persons"))
        title = f.get("title") or ""
        return {
            "id": f.get("id"), "path": f.get("path"), "url": f.get("url") or None, "title": title,
            "title_html": hl.mark(title, hl.spans("title", title, limit=None)),
            "outlet": f.get("outlet") or None, "site": f.get("site") or None, "author": f.get("author") or None,
            "credit": f.get("credit") or None,
            "date": f.get("date") or None, "date_precision": f.get("date_precision") or None,
            "date_estimated": bool(f.get("date_estimated")), "year": f.get("year") or None,
            "persons": persons, "person_sources": _person_sources(persons, f.get("persons_dictionary")),
            "body": f.get("body") or "", "bodyless": not (f.get("body") or "").strip(),
            "story": gen.stories.story_of(docnum, f.get("id")), "versions": self._story_rows(searcher, gen, docnum),
            "body_html": hl.html_paragraphs("body", f.get("body") or ""),
            "comments": _thread(comments, hl), "comments_count": int(f.get("comments_count") or 0),
            "query": q or "", "interpreted": ql.describe(parsed.tree, built.notes) if q else "",
        }

    def more_like_this(self, article_id: str, limit: int = 5) -> list[dict]:
        """Return up to ``limit`` articles about the same things (duplicates of the article left out)."""
        searcher, gen = self._current()
        docnum = self._docnum(gen, article_id)
        if docnum is None:
            return []
        try:
            limit = max(1, min(int(limit), MAX_LIMIT))
        except (TypeError, ValueError):
            limit = 5
        key = (article_id, limit)
        cached = gen.similar.get(key)
        if cached is not None:
            return [dict(h) for h in cached]
        f = searcher.stored_fields(docnum)
        text = f"{f.get('title') or ''}\n{f.get('title') or ''}\n{(f.get('body') or '')[:20_000]}"
        try:
            results = gen.similar_index.similar(docnum, text, limit + 10)
        except (ValueError, KeyError, ZeroDivisionError):
            return []
        hl = Highlighter(gen.words, {})
        own_title = fold_key(f.get("title") or "")
        out = []
        for score, other in results:
            if other == docnum or fold_key(searcher.stored_fields(other).get("title") or "") == own_title:
                continue
            out.append(self._hit(searcher, gen, other, score, hl, "all"))
            if len(out) >= limit:
                break
        if len(gen.similar) >= MLT_CACHE_SIZE:
            gen.similar.clear()  # crude bound: the cache refills with the articles read now
        gen.similar[key] = [dict(h) for h in out]
        return out

    def person(self, name: str) -> dict | None:
        """Return a person's article count, timeline per year, outlets and co-mentioned persons, or None."""
        searcher, gen = self._current()
        data = gen.facets
        facet = data.facets["person"]
        code = facet.code_of(name or "")
        if code is None:
            return None
        mask = facet.mask([code], data.n) & data.live
        count = int(mask.sum())
        if not count:
            return None
        years = data.facets["year"]
        yc, ye = years.counts(mask), years.counts(mask & data.estimated)
        timeline = sorted(({"value": years.values[c], "label": years.values[c], "count": int(yc[c]),
                            "estimated": int(ye[c])} for c in np.flatnonzero(yc).tolist()), key=lambda r: r["value"])
        outlets = data.facets["outlet"]
        oc = outlets.counts(mask)
        outlet_rows = sorted(({"value": outlets.values[c], "count": int(oc[c])} for c in np.flatnonzero(oc).tolist()),
                             key=lambda r: (-r["count"], fold_key(r["value"])))
        pc = facet.counts(mask)
        pc[code] = 0
        co = sorted(({"value": facet.values[c], "count": int(pc[c])} for c in np.flatnonzero(pc).tolist()),
                    key=lambda r: (-r["count"], fold_key(r["value"])))[:20]
        undated = count - int(yc.sum())
        return {"name": facet.values[code], "count": count, "timeline": timeline, "undated": undated,
                "outlets": outlet_rows, "co_persons": co}

    def iter_docnums(self, req: SearchRequest, deadline: Deadline | None = None):
        """Return (searcher, every hit's document number in the request's order, whether matching was cut short)."""
        # Export (search/query/export.py) reads every hit, not a page: same matching, filters and
        # order as ``search``, with the page set to "all of them" and no facets, snippets or cache.
        searcher, gen = self._current()
        deadline = deadline if deadline is not None else Deadline(0)
        _parsed, built, _base, scored, _sel, _masks, filt, final = self._filtered(searcher, gen, req, deadline)
        total = int(final.sum())
        everything = SearchRequest(sort=req.sort, scope=req.scope, page=1, limit=max(total, 1))
        docs, _scores = self._page(searcher, gen, built.query, final, filt is not None, everything, 0, total,
                                   scored, deadline)
        return searcher, np.asarray(docs, dtype=np.int64), deadline.hit


def _run(deadline: Deadline | None, searcher, query, **kwargs):
    """Return ``searcher.search(query, **kwargs)``, cut short at the deadline when there is one."""
    return deadline.search(searcher, query, **kwargs) if deadline is not None else searcher.search(query, **kwargs)


def _person_sources(persons: list[str], by_dictionary) -> dict[str, str]:
    """Return how each person of an article was found: ``ner`` or ``dictionary``."""
    found = set(split_persons(by_dictionary))
    return {p: "dictionary" if p in found else "ner" for p in persons}


def choose_corrections(text: str, options: dict[str, list[tuple[str, float]]], display,
                       finds) -> dict[str, str] | None:
    """Return one spelling per misspelt word of ``text``: the best-ranked combination of ``options``
    that still finds articles together (``finds(text)``: True, False, or None when time ran out)."""
    words = list(options)
    picks = best_combinations([options[w] for w in words], MAX_SUGGEST_COMBOS)
    best = picks[0]
    if len(words) > 1:
        for pick in picks:
            found = finds(_replace_words(text, {w: options[w][i][0] for w, i in zip(words, pick)}))
            if found is None:
                return None
            if found:
                best = pick
                break
    return {w: display(options[w][i][0]) for w, i in zip(words, best)}


def corrected_text(text: str, corrections: dict[str, str]) -> tuple[str, str]:
    """Return ``text`` with each misspelt word replaced, as plain text and as HTML with the fixes marked."""
    pattern = re.compile(r"(?<!\w)(" + "|".join(re.escape(w) for w in sorted(corrections, key=len, reverse=True))
                         + r")(?!\w)")
    text_parts, html_parts, pos = [], [], 0
    for m in pattern.finditer(text):
        fixed = corrections[m.group(1)]
        text_parts += [text[pos:m.start()], fixed]
        html_parts += [escape(text[pos:m.start()], quote=False), f"<mark>{escape(fixed, quote=False)}</mark>"]
        pos = m.end()
    text_parts.append(text[pos:])
    html_parts.append(escape(text[pos:], quote=False))
    return "".join(text_parts), "".join(html_parts)


def _replace_words(text: str, fixes: dict[str, str]) -> str:
    """Return ``text`` with each whole word of ``fixes`` replaced by its correction."""
    if not fixes:
        return text
    words = "|".join(re.escape(w) for w in sorted(fixes, key=len, reverse=True))
    pattern = re.compile(r"(?<!\w)(" + words + r")(?!\w)")
    return pattern.sub(lambda m: fixes[m.group(1)], text)


def _month_label(value: str) -> str:
    try:
        return f"{MONTHS_FR[int(value[5:7]) - 1]} {value[:4]}"
    except (ValueError, IndexError):
        return value


def _thread(comments: list[dict], hl: Highlighter) -> list[dict]:
    """Nest comments under their parent (``reply_to``); orphans and cycles stay at the top level."""
    nodes = []
    for i, c in enumerate(comments):
        text = str(c.get("text") or "")
        nodes.append({"id": c.get("id") if c.get("id") is not None else f"c{i}", "index": i, "author": c.get("author"),
                      "date": c.get("date"),
                      "reply_to": c.get("reply_to"), "text": text,
                      "html": hl.html_paragraphs("comments", text), "replies": []})
    return nest(nodes)
