"""OpenSearch highlighting turned into presse's HTML: the request's ``highlight`` and its fragments, marked and escaped.

The node marks matches with two sentinels (``PRE``, ``POST``); the fragments are repaired where
the node trimmed them (``balanced``), lose the marks of stop words inside a phrase
(``content_marks``), and are escaped by the product's rule, the sentinels becoming ``<mark>``
(``marked_html``), with « … » where the text goes on (``snippet_html``), as ``search.query.snippets``
shows Whoosh's.
"""

from __future__ import annotations

import re
from html import escape

from search.index.analysis import analyze_terms
from search.query import snippets
from search.query.snippets import FRAGMENT_CHARS, MAX_FRAGMENTS

#: Highlight sentinels: control characters never survive indexing (``documents._text``), so the
#: text can be escaped by the product's rule and the sentinels turned into ``<mark>`` after.
PRE, POST = "\x02", "\x03"
HIGHLIGHTED = ("title", "body", "comments")
_MARKED = re.compile(f"{PRE}([^{POST}]*){POST}")


def request(scope: str, query: dict | None) -> dict:
    """Return a search's ``highlight``: the title whole, fragments of the body and comments, per ``scope``."""
    fields = {}
    for name in HIGHLIGHTED:
        if (name == "comments" and scope == "articles") or (name != "comments" and scope == "comments"):
            continue
        whole = name == "title"
        spec = {"number_of_fragments": 0} if whole else {
            "fragment_size": FRAGMENT_CHARS, "number_of_fragments": MAX_FRAGMENTS if name == "body" else 2,
            "no_match_size": 0}
        fields[name] = spec
        fields[f"{name}.exact"] = dict(spec)
    out = {"pre_tags": [PRE], "post_tags": [POST], "type": "unified", "require_field_match": True,
           "fields": fields}
    if query is not None:
        out["highlight_query"] = query
    return out


def balanced(fragment: str) -> str:
    """Return a fragment with the sentinels the node trimmed at its ends put back.

    The node trims every fragment as Java's ``String.trim`` does, which drops the control
    characters ``PRE`` and ``POST`` too when a match opens or closes the fragment.
    """
    first_post, first_pre = fragment.find(POST), fragment.find(PRE)
    if first_post >= 0 and (first_pre < 0 or first_post < first_pre):
        fragment = PRE + fragment
    if fragment.rfind(PRE) > fragment.rfind(POST):
        fragment += POST
    return fragment


def content_marks(fragments: list[str]) -> list[str]:
    """Return the fragments with the marks of stop words removed, unless only stop words are marked.

    A phrase matches in the ``.exact`` fields, stop words included, where Whoosh marks only the
    phrase's content words (« <mark>président</mark> de la <mark>République</mark> »).
    """
    def content(m) -> bool:
        return bool(analyze_terms(m.group(1), "french"))

    if not any(content(m) for f in fragments for m in _MARKED.finditer(f)):
        return fragments
    return [_MARKED.sub(lambda m: m.group(0) if content(m) else m.group(1), f) for f in fragments]


def cleaned(highlight: dict | None) -> dict:
    """Return a hit's highlight fields ``balanced``, then with ``content_marks`` applied over all of them at once."""
    names = list(highlight or {})
    flat = content_marks([balanced(f) for n in names for f in highlight[n]])
    out, start = {}, 0
    for n in names:
        out[n], start = flat[start:start + len(highlight[n])], start + len(highlight[n])
    return out


def plain(fragment: str) -> str:
    """Return a fragment without its sentinels."""
    return fragment.replace(PRE, "").replace(POST, "")


def marked_html(fragment: str) -> str:
    """Return a highlighted fragment escaped (``&``, ``<``, ``>``) with its matches in ``<mark>``."""
    return escape(fragment, quote=False).replace(PRE, "<mark>").replace(POST, "</mark>")


def snippet_html(fragment: str, text: str) -> str:
    """Return a fragment of ``text`` as ``marked_html``, with « … » where the text goes on, as Whoosh shows it."""
    bare = plain(fragment)
    head = "" if text.lstrip().startswith(bare) else "… "
    return head + marked_html(fragment) + ("" if text.rstrip().endswith(bare) else " …")


def paragraphs_html(text: str) -> str:
    """Return a highlighted text as ``<p>`` paragraphs (``<br>`` for its line breaks), as Whoosh's pages show it."""
    return snippets.paragraphs_html(text, marked_html)
