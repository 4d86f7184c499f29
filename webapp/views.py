"""Template helpers shared by every page: highlighted HTML, dates, labels, htmx detection."""

from __future__ import annotations

import re

from flask import Flask, request
from markupsafe import Markup, escape

from webapp.dates import display_date

_MARK_SPLIT = re.compile(r"(</?mark>)")
_BLOCK_SPLIT = re.compile(r"(</?mark>|</?p>|<br>)")
_ENTITY = re.compile(r"&(#\d{1,7}|#x[0-9a-fA-F]{1,6}|[a-zA-Z][a-zA-Z0-9]{1,31});")

WHERE_LABELS = {"title": "titre", "body": "article", "comments": "commentaires", "comment": "commentaires"}


def _escape_keeping_entities(text: str) -> str:
    pieces, last = [], 0
    for m in _ENTITY.finditer(text):
        pieces.append(str(escape(text[last:m.start()])))
        pieces.append(m.group(0))
        last = m.end()
    pieces.append(str(escape(text[last:])))
    return "".join(pieces)


def _sanitize(html: str | None, splitter: re.Pattern) -> Markup:
    if not html:
        return Markup("")
    out, depth = [], 0
    for part in splitter.split(str(html)):
        if part == "<mark>":
            if depth == 0:
                out.append(part)
            depth += 1
        elif part == "</mark>":
            if depth == 1:
                out.append(part)
            depth = max(depth - 1, 0)
        elif part in ("<p>", "</p>", "<br>") and splitter is _BLOCK_SPLIT:
            if depth > 0:  # a mark never spans blocks
                out.append("</mark>")
                depth = 0
            out.append(part)
        else:
            # Keep the entities the query layer wrote; escape every other markup character.
            out.append(_escape_keeping_entities(part))
    if depth > 0:
        out.append("</mark>")
    return Markup("".join(out))


def marked(html: str | None) -> Markup:
    """Return highlighted text from the query layer as Markup, allowing only balanced <mark> tags.

    The query layer already escapes text and adds <mark>; anything else that looks like a tag is
    escaped again here, so that a bug upstream can never become an injection.
    """
    return _sanitize(html, _MARK_SPLIT)


def marked_blocks(html: str | None) -> Markup:
    """Like ``marked`` for a whole text, also allowing bare <p>, </p> and <br>."""
    return _sanitize(html, _BLOCK_SPLIT)


def paragraphs(text: str | None) -> list[str]:
    """Split text on blank lines into paragraphs (plain strings, escaped by the template)."""
    return [p.strip() for p in re.split(r"\n\s*\n", text or "") if p.strip()]


def is_htmx() -> bool:
    """True for an htmx request that wants a fragment (not a history restore, which wants the page)."""
    return (request.headers.get("HX-Request") == "true"
            and request.headers.get("HX-History-Restore-Request") != "true")


def plural(n: int, singular: str, plural_form: str | None = None) -> str:
    """Return « 1 article » / « 3 articles » with a French thin-space thousands separator."""
    if n == 0 and singular == "résultat":
        return "Aucun résultat"
    word = singular if abs(n) < 2 else (plural_form or singular + "s")
    return f"{n:,}".replace(",", "\u202f") + f" {word}"


def register(app: Flask) -> None:
    """Install the template filters and globals."""
    from webapp import CDN_ORIGIN, HTMX_CDN_URL, HTMX_SRI, HTMX_VERSION

    app.jinja_env.filters["marked"] = marked
    app.jinja_env.filters["marked_blocks"] = marked_blocks
    app.jinja_env.filters["paragraphs"] = paragraphs
    app.jinja_env.filters["plural"] = plural
    from webapp.service import supports

    app.jinja_env.globals.update(
        supports=supports,
        display_date=display_date,
        where_label=lambda w: WHERE_LABELS.get(w, w),
        htmx_version=HTMX_VERSION,
        htmx_cdn_url=HTMX_CDN_URL,
        htmx_sri=HTMX_SRI,
        cdn_origin=CDN_ORIGIN,
    )
