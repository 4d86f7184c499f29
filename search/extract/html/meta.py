"""Metadata of an HTML page: head tags, JSON-LD, microdata, ``<time>``, and reader comments.

Everything here reads the element tree of ``search.extract.html.parse`` and returns plain values; the
choice between them and the signals of the visible text is made by ``search.extract.textpage``.
"""

from __future__ import annotations

import json
import re

from search.extract.comments import COMMENT_COUNT
from search.extract.dates import normalize_date
from search.extract.html.parse import Node, flatten, invisible, squash
from search.extract.records import host_of, plausible_count
from search.text import fold_key

# Article types of schema.org whose fields describe the page's story, best first.
_ARTICLE_TYPES = ("newsarticle", "reportagenewsarticle", "analysisnewsarticle", "opinionnewsarticle",
                  "backgroundnewsarticle", "reviewnewsarticle", "article", "blogposting", "liveblogposting",
                  "report", "socialmediaposting", "webpage")
_DATE_METAS = ("article:published_time", "og:published_time", "og:article:published_time", "datepublished",
               "publishdate", "publish-date", "publish_date", "pubdate", "date", "dc.date", "dc.date.issued",
               "dcterms.date", "dcterms.created", "dcterms.issued", "article.published", "parsely-pub-date",
               "sailthru.date", "citation_publication_date", "published_time", "original-publish-date",
               "release_date", "citation_date", "bepress_citation_date")
_AUTHOR_METAS = ("author", "article:author", "og:article:author", "byl", "dc.creator", "dcterms.creator",
                 "sailthru.author", "parsely-author", "citation_author")
_TITLE_METAS = ("og:title", "twitter:title", "dc.title", "sailthru.title", "parsely-title")
_SITE_METAS = ("og:site_name", "application-name", "apple-mobile-web-app-title", "publisher", "dc.publisher")
# Class/id words of an element whose text is the story's publication date, and words that make it another date
# (an update, a reader comment's).
_PUBLISHED_WORDS = {"published", "publish", "publication", "pubdate", "parution", "posted", "publishdate"}
_OTHER_DATE_WORDS = {"updated", "modified", "update", "maj", "modification", "comment", "comments"}
_PUBLISHED_MARK = re.compile(r"publi|pubdate|parution|posted", re.IGNORECASE)
_WORD_SPLIT = re.compile(r"[\s_-]+")
_GENERIC_SITE_NAMES = {"accueil", "home", "wordpress", "blog", "news", "actualites", "actualite", "infos", "info",
                       "site officiel", "journal", "le journal", "page d'accueil", "homepage", "untitled", "index"}

# Comment markup: a comment element, its author, its text, and its chrome.
_COMMENT_ID = re.compile(r"^(?:li-|div-)?comment-?(\d+)$|^wpd-comm-(\d+)(?:_\d+)?$|^c(\d+)$")
_COMMENT_CLASSES = {"comment", "wpd-comment", "comment-item", "commentaire", "media-comment"}
_NOT_COMMENT = {"pingback", "trackback", "comment-respond", "comments-area", "comment-form", "comment-list",
                "commentlist", "comments", "no-comments", "comment-reply"}
_AUTHOR_CLASSES = ("fn", "wpd-comment-author", "comment-author-name", "comment__author", "comment-author",
                   "username", "author-name", "commenter", "comment-author-link", "author")
_TEXT_CLASSES = ("comment-content", "wpd-comment-text", "comment-text", "comment__content", "comment__body",
                 "field--name-comment-body", "field-name-comment-body", "comment-entry", "commentaire-texte")
_COMMENT_CHROME = {"comment-meta", "comment-metadata", "commentmetadata", "reply", "comment-reply-link",
                   "comment-reply", "says", "avatar", "wpd-comment-header", "wpd-comment-footer", "comment-footer",
                   "comment-author", "vcard", "comment-awaiting-moderation", "wpd-comment-label",
                   "comment__meta", "comment-date", "links", "comment-links", "wpd-comment-right"}
_SAYS = re.compile(r"\s*(?:dit|a dit|says|said|a écrit|a ecrit|wrote)\s*:?\s*$", re.IGNORECASE)
_MODERATION = re.compile(r"^(?:votre commentaire est en attente|your comment is awaiting)", re.IGNORECASE)


#: Most comment elements read from one page.
MAX_COMMENTS = 5000


def _clean(value, limit: int = 400) -> str | None:
    if not isinstance(value, str):
        return None
    value = squash(value)
    return value[:limit] if value else None


def _url(value) -> str | None:
    value = _clean(value, 2000)
    if value and re.match(r"^https?://[^\s/]+\.[^\s/]+", value, re.IGNORECASE):
        return value
    return None


def _meta_tags(nodes: list[Node]) -> dict[str, list[str]]:
    """Return ``{name or property (lower case): [content, ...]}`` of every ``<meta>``."""
    found: dict[str, list[str]] = {}
    for node in nodes:
        if node.tag != "meta":
            continue
        content = node.attrs.get("content")
        if content is None:
            continue
        for attr in ("property", "name", "itemprop", "http-equiv"):
            key = node.get(attr).strip().lower()
            if key.startswith(("dc:", "dcterms:")):
                key = key.replace(":", ".", 1)  # Dublin Core is written DC.date and DC:date alike
            if key:
                found.setdefault(key, []).append(content)
    return found


def _types(obj: dict) -> list[str]:
    t = obj.get("@type")
    values = t if isinstance(t, list) else [t]
    return [v.lower().rsplit("/", 1)[-1] for v in values if isinstance(v, str)]


def jsonld_objects(nodes: list[Node]) -> list[dict]:
    """Return every JSON object of the page's ``application/ld+json`` scripts (``@graph`` expanded)."""
    out: list[dict] = []
    for node in nodes:
        if node.tag != "script" or "ld+json" not in node.get("type").lower():
            continue
        raw = node.raw_text().strip()
        raw = re.sub(r"^\s*(?://\s*)?<!\[CDATA\[|(?://\s*)?\]\]>\s*$|^\s*<!--|-->\s*$", "", raw)
        try:
            data = json.loads(raw, strict=False)
        except (ValueError, RecursionError):
            continue
        stack = [data]
        while stack and len(out) < 500:
            item = stack.pop()
            if isinstance(item, list):
                stack.extend(reversed(item[:200]))
            elif isinstance(item, dict):
                out.append(item)
                graph = item.get("@graph")
                if isinstance(graph, list):
                    stack.extend(reversed(graph[:200]))
    return out


def _name_of(value, by_id: dict) -> list[str]:
    """Return the names in a JSON-LD person/organisation value (string, object, @id ref or list)."""
    items = value if isinstance(value, list) else [value]
    names = []
    for item in items[:10]:
        if isinstance(item, dict) and "name" not in item and isinstance(item.get("@id"), str):
            item = by_id.get(item["@id"], item)
        if isinstance(item, dict):
            item = item.get("name")
            if isinstance(item, list):
                item = item[0] if item else None
        name = _clean(item, 120)
        if name and not _url(name):
            names.append(name)
    return names


def _jsonld_article(objects: list[dict]) -> dict:
    """Return headline, date, authors, publisher and url of the page's best JSON-LD article."""
    by_id = {o["@id"]: o for o in objects if isinstance(o.get("@id"), str)}
    best, rank = None, len(_ARTICLE_TYPES)
    for obj in objects:
        for t in _types(obj):
            if t in _ARTICLE_TYPES and _ARTICLE_TYPES.index(t) < rank:
                best, rank = obj, _ARTICLE_TYPES.index(t)
    if best is None:
        return {}
    is_page = _ARTICLE_TYPES[rank] == "webpage"
    entity = best.get("mainEntityOfPage")
    entity_id = entity if isinstance(entity, str) else entity.get("@id") if isinstance(entity, dict) else None
    url = _url(best.get("url")) or _url(entity_id)
    publisher = best.get("publisher")
    if publisher is None:
        publisher = next((o for o in objects if {"newsmediaorganization", "organization"} & set(_types(o))), None)
    return {
        "title": None if is_page else _clean(best.get("headline") or best.get("name")),
        "date": _clean(best.get("datePublished") or best.get("dateCreated"), 60),
        "authors": [] if is_page else _name_of(best.get("author") or best.get("creator"), by_id),
        "publisher": (_name_of(publisher, by_id) or [None])[0],
        "url": url,
    }


def _itemprop(nodes: list[Node], prop: str) -> list[Node]:
    return [n for n in nodes if "itemprop" in n.attrs and prop in n.attrs["itemprop"].split()]


def _value_of(node: Node) -> str | None:
    for attr in ("content", "datetime", "title"):
        if node.attrs.get(attr):
            return _clean(node.attrs[attr])
    return _clean(node.text())


def _date_of(values) -> tuple[str | None, str | None]:
    for value in values:
        iso, precision = normalize_date(_clean(value, 80))
        if iso:
            return iso, precision
    return None, None


def _time_elements(region: Node, whole_page: bool) -> list[str]:
    """Return ``datetime`` values of ``<time>`` elements, the ones marked as publication first.

    Over a whole page (no article region), unmarked times are those of teaser lists: not used.
    """
    marked, plain = [], []
    for node in region.iter():
        if node.tag != "time" or not node.get("datetime"):
            continue
        if any(a.tag in ("aside", "nav", "footer", "li") for a in node.ancestors()) and whole_page:
            continue
        tokens = set(node.tokens()) | set(node.get("itemprop").lower().split())
        published = "pubdate" in node.attrs or tokens & {"published", "entry-date", "datepublished", "post-date"}
        if not published and tokens & {"updated", "modified", "datemodified", "entry-date-modified"}:
            continue
        if published:
            marked.append(node.get("datetime"))
        else:
            plain.append(node.get("datetime"))
    return marked if whole_page else marked + plain


def _marked_dates(region: Node, whole_page: bool) -> list[str]:
    """Return the text of elements whose class or id says they hold the publication date ("published-at")."""
    found = []
    for node in region.iter():
        if not node.attrs or node.tag in ("time", "meta") or not _PUBLISHED_MARK.search(node.get("class") +
                                                                                         " " + node.get("id")):
            continue
        words = set(_WORD_SPLIT.split((node.get("class") + " " + node.get("id")).lower()))
        if not words & _PUBLISHED_WORDS or words & _OTHER_DATE_WORDS:
            continue
        if whole_page and any(a.tag in ("aside", "nav", "footer", "li") for a in node.ancestors()):
            continue
        text = node.text()
        if 6 <= len(text) <= 80:
            found.append(text)
    return found[:5]


def region_date(region: Node) -> tuple[str | None, str | None]:
    """Return the publication date stated by a ``<time>`` inside the article region."""
    return _date_of(_time_elements(region, False))


def site_name_is_publication(name: str, host: str | None, publisher: str | None) -> bool:
    """Return True when an unknown ``og:site_name`` clearly names a publication, not a guess."""
    key = fold_key(name).lower()
    if not key or len(name) > 40 or len(name.split()) > 6 or key in _GENERIC_SITE_NAMES or _url(name):
        return False
    letters = re.sub(r"[^a-z0-9]", "", key)
    if len(letters) < 3:
        return False
    if host:
        label = re.sub(r"[^a-z0-9]", "", host.split(".")[-2] if host.count(".") >= 1 else host)
        if letters in re.sub(r"[^a-z0-9]", "", host) or (len(label) >= 4 and label in letters):
            return True
    # Stated twice, as the site's name and as the article's publisher: a deliberate name.
    return bool(publisher) and fold_key(publisher).lower() == key


def harvest(root: Node, region: Node) -> dict:
    """Return the metadata signals of a page: title, url, site, date, authors, site names."""
    nodes = list(root.iter())
    metas = _meta_tags(nodes)

    def first(names) -> list[str]:
        return [v for n in names for v in metas.get(n, [])]

    ld = _jsonld_article(jsonld_objects(nodes))
    title_node = next((n for n in nodes if n.tag == "title"), None)
    titles = [_clean(v) for v in first(_TITLE_METAS)] + [ld.get("title")]
    titles += [_value_of(n) for n in _itemprop(nodes, "headline")[:1]]
    page_title = _clean(title_node.raw_text()) if title_node is not None else None
    canonical = next((n.get("href") for n in nodes if n.tag == "link" and "canonical" in n.get("rel").lower()
                      .split()), None)
    urls = [_url(v) for v in first(("og:url", "twitter:url"))] + [_url(canonical), ld.get("url")]
    url = next((u for u in urls if u), None)

    date_values = first(_DATE_METAS[:3]) + [ld.get("date")]
    date_values += [_value_of(n) for n in _itemprop(nodes, "datePublished")[:2]]
    date_values += first(_DATE_METAS[3:]) + _time_elements(region, region is root)
    date_values += _marked_dates(region, region is root)
    date, precision = _date_of(v for v in date_values if v)

    authors: list[str] = []
    for value in first(_AUTHOR_METAS):
        if not _url(value):
            authors.append(_clean(value, 120))
    authors += ld.get("authors") or []
    for node in _itemprop(nodes, "author")[:3]:
        named = [n for n in node.iter() if "name" in n.get("itemprop").split()]
        authors.append(_value_of(named[0]) if named else _value_of(node))
    authors += [_clean(n.text(), 120) for n in nodes if n.tag == "a" and "author" in n.get("rel").lower().split()][:2]

    site_names = [_clean(v, 80) for v in first(_SITE_METAS[:1])] + [ld.get("publisher")]
    site_names += [_clean(v, 80) for v in first(_SITE_METAS[1:])]
    return {
        "titles": [t for t in titles if t],
        "page_title": page_title,
        "url": url,
        "host": host_of(url),
        "date": date,
        "date_precision": precision,
        "authors": list(dict.fromkeys(a for a in authors if a)),
        "site_names": list(dict.fromkeys(s for s in site_names if s)),
        "publisher": ld.get("publisher"),
    }


# ---------------------------------------------------------------------------- comments
def _is_comment(node: Node) -> bool:
    if node.tag not in ("li", "div", "article", "section") or not node.attrs:
        return False
    tokens = set(node.tokens())
    if tokens & _NOT_COMMENT:
        return False
    has_id = bool(_COMMENT_ID.match(node.get("id").lower()))
    if not tokens & _COMMENT_CLASSES:
        return has_id and node.tag == "li"
    # A bare class="comment" may be a comment-count icon: require the marks of a comment thread.
    return has_id or any(t.startswith(("depth-", "thread-", "wpd_comment_level")) for t in tokens) or any(
        set(n.tokens()) & _MARKS for n in node.iter())


_MARKS = set(_AUTHOR_CLASSES) | set(_TEXT_CLASSES)


def _own_nodes(node: Node, comments: set[int]):
    """Yield the elements below ``node`` that do not belong to a nested comment."""
    stack = [c for c in reversed(node.children) if isinstance(c, Node)]
    while stack:
        item = stack.pop()
        if id(item) in comments or invisible(item):
            continue
        yield item
        stack.extend(c for c in reversed(item.children) if isinstance(c, Node))


def _comment_author(node: Node, comments: set[int]) -> str | None:
    own = list(_own_nodes(node, comments))
    for cls in _AUTHOR_CLASSES:
        for item in own:
            if cls in item.tokens() or (cls == "author" and "author" in item.get("itemprop").split()):
                name = _SAYS.sub("", item.text()).strip(" :,-–")
                if name and len(name) <= 80:
                    return name
    return None


def _comment_text(node: Node, comments: set[int]) -> str:
    for item in _own_nodes(node, comments):
        if set(item.tokens()) & set(_TEXT_CLASSES) or "text" in item.get("itemprop").split():
            return flatten(item, lambda n: id(n) in comments)

    def skip(n: Node) -> bool:
        return id(n) in comments or bool(set(n.tokens()) & _COMMENT_CHROME) or n.tag in ("ul", "ol") and \
            "children" in n.tokens()

    return flatten(node, skip)


def find_comments(root: Node) -> tuple[list[dict], list[Node], int]:
    """Return ``(comments, comment elements, stated count)`` from common comment markup.

    Nested comments (WordPress ``ul.children``, wpDiscuz replies) reply to the comment they sit in.
    """
    nodes = [n for n in root.iter() if _is_comment(n)][:MAX_COMMENTS]
    ids = {id(n) for n in nodes}
    found: list[dict] = []
    key_of: dict[int, str] = {}
    for node in nodes:
        text = _comment_text(node, ids)
        text = "\n\n".join(p for p in text.split("\n\n") if not _MODERATION.match(p))
        if not text.strip():
            continue
        cid = f"c{len(found) + 1}"
        key_of[id(node)] = cid
        parent = next((a for a in node.ancestors() if id(a) in ids), None)
        found.append({
            "text": text,
            "author": _comment_author(node, ids),
            "reply_to": key_of.get(id(parent)) if parent is not None else None,
            "id": cid,
        })
    stated = 0
    for node in root.iter():
        if not node.attrs and node.tag not in ("h2", "h3"):
            continue  # no class, no count attribute, not a heading: nothing to read (most elements of a page)
        tokens = set(node.tokens())
        # An implausible stated count ("9999999999") is a broken widget: the comments read stand.
        if node.get("data-comments-count").strip().isdecimal():  # isdigit() takes "²", which int() refuses
            stated = max(stated, plausible_count(node.get("data-comments-count")) or 0)
        elif tokens & {"comments-title", "comment-count", "comments-count", "wpd-thread-info", "comment-title"} or \
                (node.tag in ("h2", "h3") and node.parent is not None and node.parent.get("id") == "comments"):
            m = COMMENT_COUNT.search(node.text()[:200])
            if m:
                stated = max(stated, plausible_count(m.group(1)) or 0)
    return found, nodes, stated
