"""An HTML page → the visible text of its article region plus metadata signals for ``search.extract.textpage``.

Site chrome (menus, site header and footer, sidebars, forms, share bars, cookie banners, ads)
is dropped before the page is flattened, the article region (``<article>``, ``articleBody``,
``<main>``) is preferred when the page marks one, and the headline is put on the first line,
as in the text pages that ``search.extract.textpage`` was built on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from search.extract.html import meta as htmlmeta
from search.extract.html.parse import Node, flatten, invisible, measure, parse, squash
from search.text import fold_key

# Class/id words of site chrome: whole words, or a prefix/suffix of a compound class.
_CHROME_WORD = re.compile(
    r"^(?:(?:sub|top|main|site|primary|mobile|off)?nav(?:bar|igation|menu|s)?|menus?|\w*menu|\w*footer\w*"
    r"|\w*sidebar\w*|\w*cookies?\w*|\w*share\w*|sharing|social\w*|\w*newsletter\w*|advert\w*|ads|ad|adsbygoogle"
    r"|pub|publicite|breadcrumbs?|popup|modal|related\w*|sponsor\w*|outbrain|taboola|subscribe|promo|aside"
    r"|carousel\w*)$")
# Class/id words of an image caption: never article text, whatever other words the class holds ("wp-caption-text").
_CAPTION_WORD = {"caption", "legende", "figcaption"}
#: A block holding at least ``MIN_LINKS`` links whose text is mostly link text is a menu or a list of teasers.
LINK_DENSITY = 0.8
MIN_LINKS = 3
_LINK_BLOCKS = frozenset({"div", "ul", "ol", "dl", "section", "table", "p", "center"})
_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
# Words that make a class name describe the article's own parts ("pub-date", "menu-title" aside).
_CONTENT_WORD = {"date", "time", "author", "auteur", "byline", "title", "titre", "headline", "body", "text",
                 "comment", "comments"}
_CHROME_ROLES = {"navigation", "banner", "contentinfo", "complementary", "search", "menubar", "menu"}
_BODY_CLASSES = {"entry-content", "post-content", "article-content", "article-body", "articlebody", "story-body",
                 "post-body", "td-post-content", "single-content", "content-article", "article__body",
                 "article-text", "field--name-body", "field-name-body", "node-content", "article__content",
                 "post-entry", "entry-body", "texte-article", "article_body", "detail-content", "news-content"}
_ARTICLE_ITEMTYPE = re.compile(r"schema\.org/(?:\w*NewsArticle|Article|BlogPosting|Report)\b", re.IGNORECASE)
_MIN_REGION = 200  # visible characters a region needs to be trusted


@dataclass
class HtmlPage:
    """The text handed to the page heuristics, and the metadata harvested from the markup."""

    text: str
    meta: dict = field(default_factory=dict)
    comments: list[dict] = field(default_factory=list)
    comments_stated: int = 0


def _words(node: Node) -> list[str]:
    words = []
    for value in (node.get("class"), node.get("id")):
        words.extend(w for w in re.split(r"[\s_-]+", value.lower()) if w)
    return words


def _says_footer(node: Node) -> bool:
    # The substring test first: most elements have no class or id that could hold the word.
    return "footer" in (node.get("class") + node.get("id")).lower() and "footer" in _words(node)


def _in_articles(root: Node) -> set[int]:
    """Return the ids of the elements that sit inside an article element (one pass, parents first)."""
    inside: set[int] = set()
    for node in root.iter():
        parent = node.parent
        if parent is not None and (id(parent) in inside or _is_article(parent)):
            inside.add(id(node))
    return inside


def _link_heavy(root: Node) -> set[int]:
    """Return the ids of the blocks made mostly of link text (menus, teaser lists, tag clouds), bottom-up.

    Headings do not count: « Les plus lus » over a list of links is still a list of links.
    """
    sums: dict[int, tuple[int, int, int]] = {}  # id → (link characters, links, heading characters)
    heavy: set[int] = set()
    for node in reversed(root.iter()):
        if node.tag == "a":
            chars, count, heads = node.size, 1 if node.size else 0, 0
        else:
            chars = count = heads = 0
            for child in node.children:
                if not isinstance(child, str) and not invisible(child):
                    c, n, h = sums[id(child)]
                    chars, count, heads = chars + c, count + n, heads + h
            if node.tag in _HEADINGS:
                heads = node.size - chars  # a heading's own words are neutral, its links (teaser titles) count
        sums[id(node)] = (chars, count, heads)
        if count >= MIN_LINKS and node.tag in _LINK_BLOCKS and chars >= LINK_DENSITY * (node.size - heads) > 0:
            heavy.add(id(node))
    return heavy


def _chrome(node: Node, in_article: set[int], linky: bool = False) -> bool:
    """Return True for site chrome; ``linky`` says the element is mostly link text (chrome unless named content)."""
    tag = node.tag
    if tag in ("nav", "aside", "form", "figcaption"):
        return True
    if tag in ("header", "footer") and id(node) not in in_article:
        return True  # the site's; an article's own header holds its headline, byline and date
    if node.get("role").lower() in _CHROME_ROLES:
        return True
    words = _words(node)
    if _CAPTION_WORD & set(words):
        return True
    if _CONTENT_WORD & {w.rstrip("s") for w in words} or _CONTENT_WORD & set(words):
        return False  # a byline of links, a list of dates: the article's own parts
    return linky or any(_CHROME_WORD.match(w) for w in words)


def _is_article(node: Node) -> bool:
    return node.tag == "article" or bool(_ARTICLE_ITEMTYPE.search(node.get("itemtype")))


def _body_node(root: Node) -> Node | None:
    cands = [n for n in root.iter() if n.attrs and ("articlebody" in n.get("itemprop").lower().split()
                                                    or _BODY_CLASSES & set(n.tokens()))]
    cands = [n for n in cands if n.size >= _MIN_REGION // 2]
    return max(cands, key=lambda n: n.size) if cands else None


def _region(root: Node, headline: Node | None, comments: set[int]) -> Node:
    """Return the element holding the article: its container when marked, else the whole page.

    ``comments`` are the ids of reader-comment elements (Drupal marks each as an ``<article>``).
    """
    total = max(1, root.size)
    body = _body_node(root)
    if body is not None:
        for up in [body, *body.ancestors()]:
            # The article container also holds headline, byline and date; a much larger
            # ancestor is the page itself (sidebars, lists), so stop before it.
            if up.size > body.size * 1.5 + 3000:
                break
            if _is_article(up) or (headline is not None and any(a is up for a in headline.ancestors())):
                return up
        return body
    articles = [n for n in root.iter() if _is_article(n) and id(n) not in comments
                and not any(id(a) in comments for a in n.ancestors())]
    mains = [n for n in root.iter() if n.tag == "main" or n.get("role").lower() == "main"]
    for group in (articles, mains):
        if group:
            best = max(group, key=lambda n: n.size)
            if best.size >= _MIN_REGION and best.size >= 0.25 * total:
                return best
    return root


def _headline(root: Node, titles: list[str]) -> Node | None:
    """Return the ``<h1>`` that states the page's title (a logo in an ``<h1>`` is not it)."""
    heads = [n for n in root.iter() if n.tag == "h1" and n.size >= 3]
    if not heads:
        return None
    keys = [fold_key(t).lower() for t in titles if t]
    for node in heads:
        key = fold_key(node.text()).lower()
        if len(key) >= 8 and any((key in k or k in key) and min(len(k), len(key)) >= 0.6 * max(len(k), len(key))
                                 for k in keys):
            return node
    inside = [n for n in heads if any(_is_article(a) for a in n.ancestors())]
    return inside[0] if inside else (heads[0] if len(heads[0].text().split()) >= 3 else None)


def _decorates(page_title: str | None, headline: str) -> bool:
    """Return True when ``page_title`` is ``headline`` with a site name before or after a separator."""
    title, head = fold_key(page_title or "").lower(), fold_key(headline).lower()
    if len(head) < 3 or len(title) <= len(head):
        return False
    rest = title[len(head):] if title.startswith(head) else title[:-len(head)] if title.endswith(head) else ""
    return bool(re.fullmatch(r"\s*[-|–—:»·]\s*\S.*|.*\S\s*[-|–—:»·]\s*", rest))


def html_page(text: str) -> HtmlPage:
    """Convert the decoded text of an HTML page into page text and metadata signals."""
    root = parse(text)
    measure(root)
    comments, comment_nodes, stated = htmlmeta.find_comments(root)
    skip_ids = {id(n) for n in comment_nodes} if comments else set()
    meta = htmlmeta.harvest(root, root)
    headline = _headline(root, [*meta["titles"], meta["page_title"]])
    if headline is not None and not meta["titles"] and _decorates(meta["page_title"], headline.text()):
        # No og:title: a <title> that is the <h1> plus the site's name states that the <h1> is the title.
        meta["titles"].append(squash(headline.text()))
    region = _region(root, headline, {id(n) for n in comment_nodes})
    if region is not root and meta["date"] is None:
        # Inside a marked article region an unmarked <time> is the story's own.
        meta["date"], meta["date_precision"] = htmlmeta.region_date(region)

    keep = {id(region), *(id(a) for a in region.ancestors())}
    if headline is not None:
        keep |= {id(headline), *(id(a) for a in headline.ancestors())}
    for node in comment_nodes if comments else ():
        keep |= {id(a) for a in node.ancestors()}
    whole = max(1, region.size)
    in_article = _in_articles(root)
    link_heavy = _link_heavy(region)

    def skip(node: Node) -> bool:
        if id(node) in skip_ids:
            return True
        if id(node) in keep:
            return False
        if not _chrome(node, in_article, id(node) in link_heavy):
            return False
        # A "content-with-sidebar" wrapper holding most of the text is the content itself.
        return not (node.size > 0.5 * whole and node.size > 1000)

    body = flatten(region, skip)
    # The headline first, as on the text pages; repeated inside the region, it marks where the text starts.
    first = squash(headline.text()) if headline is not None else next(iter(meta["titles"]), meta["page_title"] or "")
    meta["headline"] = squash(headline.text()) if headline is not None else None
    # A site footer is chrome, but its "© Owner" line names the site.
    meta["copyright"] = [line for node in root.iter() if node.tag == "footer" or _says_footer(node)
                         for line in flatten(node, lambda n: False).split("\n") if "©" in line or
                         "copyright" in line.lower()][:5]
    page_text = f"{first}\n\n{body}" if first else body
    return HtmlPage(text=page_text, meta=meta, comments=comments, comments_stated=stated)
