"""The search page (``/`` and ``/search``): full page, or the results fragment for htmx."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request

from webapp import service
from webapp.article import comment_anchor
from webapp.links import article_url
from webapp.facets import build_chips, build_facets
from webapp.params import SearchState
from webapp.timeline import build_timeline
from webapp.views import is_htmx

bp = Blueprint("search", __name__)

SORT_LABELS = {"relevance": "pertinence", "newest": "plus récents d’abord", "oldest": "plus anciens d’abord"}
SCOPE_LABELS = {"all": "tout", "articles": "articles", "comments": "commentaires"}
PAGE_WINDOW = 2


def parse_state() -> SearchState:
    """Parse this request's URL arguments with the query layer's parser (BadParameter → French 400)."""
    return SearchState.from_args(request.args, default_limit=current_app.config["HITS_PER_PAGE"])


def run_search(state: SearchState) -> dict:
    """Run the search for ``state`` through the query layer and return its JSON-shaped dict."""
    return service.call("search", state.request).to_dict()


def pagination(state: SearchState, page: int, pages: int) -> list[dict]:
    """Return page links: first, last, and a window around the current page, with gaps as None."""
    if pages <= 1:
        return []
    wanted = {1, pages} | set(range(max(1, page - PAGE_WINDOW), min(pages, page + PAGE_WINDOW) + 1))
    items, previous = [], 0
    for n in sorted(wanted):
        if n - previous > 1:
            items.append(None)
        items.append({"n": n, "url": state.page_url(n), "current": n == page})
        previous = n
    return items


def article_href(state: SearchState, article_id: str, anchor: str | None = None) -> str:
    """Return an article's URL carrying the whole search (« Retour aux résultats » goes back to it)."""
    params: dict[str, list[str]] = {}
    for key, value in state.pairs(page=state.page):
        params.setdefault(key, []).append(value)
    return article_url(article_id, **params) + (f"#{anchor}" if anchor else "")


def _versions_note(hit: dict, state: SearchState) -> dict | None:
    """Return « N autres versions : Maliweb, Malijet … » and the URL listing every copy, or None."""
    versions = hit.get("versions") or []
    if not versions:
        return None
    outlets = list(dict.fromkeys(v.get("outlet") or "média inconnu" for v in versions))
    shown = ", ".join(outlets[:4]) + (" …" if len(outlets) > 4 else "")
    n = len(versions)
    return {"label": f"{n} autre{'s' if n > 1 else ''} version{'s' if n > 1 else ''}", "outlets": shown,
            "url": state.url(story=hit.get("story") or "", collapse=False)}


def _comment_anchor(hit: dict) -> str | None:
    """Return the anchor of the comment a hit was found in, when its title and text do not match."""
    if "comments" not in (hit.get("matched_in") or []) or {"title", "body"} & set(hit.get("matched_in") or []):
        return None
    for s in hit.get("snippets") or []:
        if s.get("where") == "comments" and isinstance(s.get("comment_index"), int):
            return comment_anchor(s["comment_index"])
    return None


def page_context(state: SearchState, result: dict) -> dict:
    """Return everything the search templates need, computed here rather than in Jinja."""
    page = result["page"]
    pages = result["pages"]
    suggestion = result["suggestion"]
    if suggestion:
        suggestion = dict(suggestion, url=state.url(q=suggestion["text"]))
    corrected = None
    if result.get("corrected_from"):
        # the typed query found nothing: these are its correction's results, the typed one a click away
        corrected = {"text": result["query"], "url": state.url(q=result["query"]),
                     "original": result["corrected_from"],
                     "original_url": state.url(q=result["corrected_from"], autocorrect=False)}
    hits = []
    for hit in result["hits"]:
        hit = dict(hit)
        hit["person_links"] = [{"name": p, "url": state.toggle_url("person", p),
                                "selected": p in state.selected["person"]} for p in hit.get("persons") or []]
        hit["outlet_url"] = state.toggle_url("outlet", hit["outlet"]) if hit.get("outlet") else None
        hit["anchor"] = _comment_anchor(hit)
        hit["href"] = article_href(state, hit["id"], hit["anchor"])
        hit["versions_note"] = _versions_note(hit, state)
        hit["author_url"] = state.toggle_url("author", hit["author"]) if hit.get("author") else None
        hits.append(hit)
    return {
        "state": state,
        "result": result,
        "hits": hits,
        "total": result["total"],
        "page": page,
        "pages": pages,
        "facets": build_facets(result, state),
        "chips": build_chips(state),
        "clear_url": state.clear_url() if state.has_filters else None,
        "timeline": build_timeline(result["timeline"], state, undated=_undated(result, state)),
        "suggestion": suggestion,
        "corrected": corrected,
        "pagination": pagination(state, page, pages),
        "prev_url": state.page_url(page - 1) if page > 1 else None,
        "next_url": state.page_url(page + 1) if page < pages else None,
        "first_url": state.page_url(1),
        "sorts": [{"value": s, "label": SORT_LABELS[s], "selected": s == state.sort} for s in SORT_LABELS],
        "collapse": state.request.collapse,
        "story_filter": state.request.story,
        "scopes": [{"value": s, "label": label, "selected": s == state.scope} for s, label in SCOPE_LABELS.items()],
        "hidden": hidden_inputs(state),
    }


def _undated(result: dict, state: SearchState) -> int:
    """Return how many hits have no date (only when the timeline covers every year)."""
    if state.selected["year"] or state.selected["month"]:
        return 0
    drawn = sum(r["count"] for r in result["timeline"])
    return max(result["total"] - drawn, 0)


def hidden_inputs(state: SearchState) -> list[tuple[str, str]]:
    """Return the state the visible form controls do not carry (exclusions, months, list lengths)."""
    return [(k, v) for k, v in state.pairs()
            if k.startswith("-") or k in ("month", "facet_limit", "limit", "more", "story")]


@bp.get("/")
@bp.get("/search")
def search():
    """Search page: the whole page, or only ``_results.html`` for an htmx request."""
    state = parse_state()
    ctx = page_context(state, run_search(state))
    if is_htmx():
        return render_template("_results.html", oob=True, **ctx)
    return render_template("search.html", oob=False, **ctx)
