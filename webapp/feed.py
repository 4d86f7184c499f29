"""``/feed?<search parameters>``: an Atom 1.0 feed of a search's 50 newest hits (a saved search as an alert)."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime, timezone
from xml.sax.saxutils import escape, quoteattr

from flask import Blueprint, Response, request, url_for

from search.query.export import search_path
from webapp import service
from webapp.links import article_url
from webapp.search_page import parse_state
from webapp.sources import index_built_at
from webapp.views import marked

bp = Blueprint("feed", __name__)

#: Entries per feed: the newest hits.
FEED_ENTRIES = 50
ATOM_TYPE = "application/atom+xml"
#: Characters XML 1.0 forbids even escaped (a stored text could still hold one).
_NOT_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(value) -> str:
    """Return ``value`` escaped for XML text, without the characters XML cannot carry."""
    return escape(_NOT_XML.sub("", str(value or "")))


def xml_attr(value) -> str:
    """Return ``value`` as a quoted, escaped XML attribute value."""
    return quoteattr(_NOT_XML.sub("", str(value or "")))


def feed_title(q: str) -> str:
    """Return « presse — <query> » (« tous les articles » without words)."""
    return f"presse — {q or 'tous les articles'}"


def atom_date(date: str | None) -> str | None:
    """Return an RFC 3339 timestamp for ``2023-08-02``, ``2023-08`` or ``2023`` (first day), or None."""
    m = re.fullmatch(r"(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?", date or "")
    if not m:
        return None
    year, month, day = m.group(1), m.group(2) or "01", m.group(3) or "01"
    try:
        datetime(int(year), int(month), int(day))
    except ValueError:
        return None
    return f"{year}-{month}-{day}T00:00:00Z"


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _entry(hit: dict, root: str, fallback_updated: str) -> str:
    link = root + article_url(hit["id"])
    dated = atom_date(hit.get("date"))
    # an estimated date (a guess from the text) orders the entry but is never given as published
    published = None if hit.get("date_estimated") else dated
    snippet = " … ".join(str(marked(s.get("html"))) for s in hit.get("snippets") or [])
    parts = [
        "  <entry>",
        f"    <id>{xml_text(link)}</id>",
        f"    <title type=\"text\">{xml_text(hit.get('title') or hit['id'])}</title>",
        f"    <link rel=\"alternate\" type=\"text/html\" href={xml_attr(link)}/>",
    ]
    if hit.get("url"):
        parts.append(f"    <link rel=\"related\" type=\"text/html\" href={xml_attr(hit['url'])}/>")
    if published:
        parts.append(f"    <published>{published}</published>")
    parts.append(f"    <updated>{dated or fallback_updated}</updated>")
    author = hit.get("author") or hit.get("credit") or hit.get("outlet")
    if author:
        parts.append(f"    <author><name>{xml_text(author)}</name></author>")
    if hit.get("outlet"):
        parts.append(f"    <category term={xml_attr(hit['outlet'])} label={xml_attr(hit['outlet'])}/>")
    if snippet:
        # escaped HTML, so that readers show the query's words marked
        parts.append(f"    <summary type=\"html\">{xml_text(snippet)}</summary>")
    parts.append("  </entry>")
    return "\n".join(parts)


def render_feed(result: dict, feed_url: str, search_url: str, root: str, built: str) -> str:
    """Return the Atom document of a search result (hits newest first)."""
    hits = result["hits"]
    dates = [d for d in (atom_date(h.get("date")) for h in hits) if d]
    updated = max(dates) if dates else built
    total = result["total"]
    subtitle = f"{total} article{'s' if total > 1 else ''} · les {FEED_ENTRIES} plus récents dans ce flux"
    head = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="fr">',
        f"  <id>{xml_text(feed_url)}</id>",
        f"  <title type=\"text\">{xml_text(feed_title(result['query']))}</title>",
        f"  <subtitle type=\"text\">{xml_text(subtitle)}</subtitle>",
        f"  <updated>{updated}</updated>",
        f"  <link rel=\"self\" type=\"{ATOM_TYPE}\" href={xml_attr(feed_url)}/>",
        f"  <link rel=\"alternate\" type=\"text/html\" href={xml_attr(search_url)}/>",
        "  <author><name>presse</name></author>",
        "  <generator>presse</generator>",
    ]
    entries = [_entry(h, root, built) for h in hits]
    return "\n".join(head + entries + ["</feed>", ""])


@bp.get("/feed")
def feed():
    """Atom feed of the search in the URL: its 50 newest hits, whatever sort or page the URL asks."""
    state = parse_state()
    req = replace(state.request, sort="newest", page=1, limit=FEED_ENTRIES)
    result = service.call("search", req).to_dict()
    root = request.host_url.rstrip("/")
    path = search_path(state.request, url_for("search.search"))
    feed_url = root + search_path(state.request, url_for("feed.feed"))
    built = _rfc3339(index_built_at(service.get_service()) or datetime.now(timezone.utc))
    body = render_feed(result, feed_url, root + path, root, built)
    return Response(body, content_type=f"{ATOM_TYPE}; charset=utf-8")
