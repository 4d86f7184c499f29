"""The article page (``/article/<id>``): full text highlighted, metadata, comment threads, similar articles."""

from __future__ import annotations

import re

from flask import Blueprint, abort, render_template, request, url_for

from search.query.request import BadParameter, SearchRequest
from search.query.threads import nest
from webapp import service
from webapp.links import person_url
from webapp.params import SearchState
from webapp.views import paragraphs

bp = Blueprint("article", __name__)

#: Ids are file stems or source ids with any character but control characters, cut at 200 by the
#: indexer (209 with its "~" and 8 hex digits of disambiguation): anything longer is not in the index.
MAX_ID_CHARS = 512
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def comment_anchor(index: int) -> str:
    """Return the anchor of the stored comment number ``index`` (search hits link to it)."""
    return f"c{index + 1}"


def _walk(nodes: list[dict], depth: int, parent: dict | None, counter: list[int]) -> list[dict]:
    out = []
    for c in nodes:
        counter[0] += 1
        # a comment's anchor is its place in the stored list, so that a hit found in it links there
        index = c.get("index", c.get("_i"))
        # (a thread given without positions is numbered in reading order)
        anchor = comment_anchor(index) if isinstance(index, int) and not isinstance(index, bool) else f"c{counter[0]}"
        node = dict(c, anchor=anchor, parent_author=parent.get("author") if parent else None)
        node.pop("_i", None)
        node["replies"] = _walk(c.get("replies") or [], depth + 1, node, counter) if depth < 200 else []
        out.append(node)
    return out


def comment_tree(comments: list[dict]) -> list[dict]:
    """Return comments as a tree: kept as is when already threaded, else nested by ``reply_to``.

    Orphans, self-replies and cycles stay at the top level; every node gets an ``anchor`` and the
    ``parent_author`` it answers.
    """
    comments = [c for c in comments or [] if isinstance(c, dict)]
    if any(c.get("replies") for c in comments):
        return _walk(comments, 0, None, [0])
    comments = [dict(c, _i=i) for i, c in enumerate(comments)]
    roots = nest([dict(c, replies=[]) for c in comments])
    return _walk(roots, 0, None, [0])


def count_comments(nodes: list[dict]) -> int:
    """Return the number of comments in a tree."""
    return sum(1 + count_comments(n.get("replies") or []) for n in nodes)


def _body(art: dict) -> dict:
    """Return the body as highlighted HTML when the query layer gives it, else plain paragraphs."""
    if art.get("body_html"):
        return {"html": art["body_html"]}
    return {"paragraphs": paragraphs(art.get("body"))}


@bp.get("/article/<rest:article_id>", merge_slashes=False)
def article(article_id: str):
    """Article page (the id quoted whole into the path: ``/`` as ``%2F``)."""
    return _page(article_id)


@bp.get("/article")
def article_by_query():
    """Article page for an id given as ``?id=`` (the ids ``.`` and ``..``, which a path cannot carry)."""
    return _page(request.args.get("id", ""))


def _back_label(search: SearchState) -> str:
    """Return the text of the link back to the results."""
    if search.q:
        return f"Retour aux résultats pour « {search.q} »"
    return "Retour aux résultats" if search.has_filters else "Nouvelle recherche"


def _page(article_id: str):
    # The id is only looked up in the index (never a file path), so any string is safe to try.
    if not article_id or len(article_id) > MAX_ID_CHARS or _CONTROL.search(article_id):
        abort(404)
    # The query highlights the article; the whole search comes along for « Retour aux résultats »,
    # but a parameter that cannot be read never makes the article a 400: the way back keeps the query.
    state = SearchState(SearchRequest.from_params({"q": request.args.getlist("q")}))
    q = state.q
    try:
        search = SearchState.from_args(request.args)
    except BadParameter:
        search = state
    art = service.call("article", article_id, q=q)
    if not art:
        abort(404)
    try:
        similar = service.call("more_like_this", article_id, limit=5) or []
    except service.IndexUnavailable:
        raise
    except Exception:  # similar articles are a bonus: never lose the article for them
        similar = []
    sources = art.get("person_sources") or {}
    persons = [{"name": p, "search_url": state.toggle_url("person", p), "page_url": person_url(p),
                "by_dictionary": sources.get(p) == "dictionary"} for p in art.get("persons") or []]
    comments = comment_tree(art.get("comments") or [])
    url = art.get("url") or ""
    return render_template(
        "article.html",
        art=art,
        q=q,
        body=_body(art),
        persons=persons,
        comments=comments,
        comments_shown=count_comments(comments),
        similar=similar,
        original_url=url if url.startswith(("http://", "https://")) else None,
        back_url=search.page_url(search.page) if q or search.has_filters else url_for("search.search"),
        back_label=_back_label(search),
        outlet_url=state.only_url("outlet", art["outlet"]) if art.get("outlet") else None,
        author_url=state.only_url("author", art["author"]) if art.get("author") else None,
    )
