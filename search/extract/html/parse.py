"""Raw HTML pages: detection, charset, a forgiving element tree, and the page's visible text.

Scraped pages often arrive as HTML rather than as visible text. This module turns them into
the same shape as the text pages (the page title on the first line, then the visible text,
one block per paragraph) so that ``search.extract.textpage`` reads both alike, and hands over the
metadata harvested from the markup (``search.extract.html.meta``) as signals that outrank guesses.
Only the standard library parser is used; the tree builder mends unclosed tags itself.
"""

from __future__ import annotations

import codecs
import re
from html.parser import HTMLParser

#: Deepest element nesting kept; deeper start tags are flattened into their parent.
MAX_DEPTH = 400

# Elements whose content is never visible text.
DROP_TAGS = frozenset({
    "script", "style", "noscript", "template", "head", "title", "svg", "math", "iframe", "link", "meta", "input",
})
# Widgets whose few words are chrome; left unclosed they swallow the page, whose text is then kept.
WIDGET_TAGS = frozenset({"select", "button", "textarea", "audio", "video", "map", "dialog", "object", "embed",
                         "canvas"})
#: Visible characters above which a widget or a hidden element is taken to hold page text.
SWALLOWED = 3000
# Elements that start a new paragraph of text.
BLOCK_TAGS = frozenset({
    "address", "article", "aside", "blockquote", "body", "caption", "center", "dd", "details", "dir", "div", "dl",
    "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header",
    "hgroup", "hr", "html", "legend", "li", "main", "menu", "nav", "ol", "p", "pre", "section", "summary", "table",
    "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
})
VOID_TAGS = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "keygen", "link", "meta", "param",
                       "source", "track", "wbr"})
# A <p> is closed by these start tags (HTML's implied end tags), unless a scope boundary intervenes.
_CLOSES_P = frozenset({
    "address", "article", "aside", "blockquote", "center", "details", "dialog", "dir", "div", "dl", "fieldset",
    "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hgroup", "hr", "main",
    "menu", "nav", "ol", "p", "pre", "section", "table", "ul",
})
_SCOPE = frozenset({"html", "table", "td", "th", "caption", "template", "button", "object", "marquee", "applet"})
# Start tag → (tags it closes, tags that stop the search for them).
_IMPLIED = {
    "li": ({"li"}, _SCOPE | {"ul", "ol", "menu"}),
    "dt": ({"dt", "dd"}, _SCOPE | {"dl"}),
    "dd": ({"dt", "dd"}, _SCOPE | {"dl"}),
    "tr": ({"tr", "td", "th"}, {"table", "tbody", "thead", "tfoot", "html"}),
    "td": ({"td", "th"}, {"tr", "table", "html"}),
    "th": ({"td", "th"}, {"tr", "table", "html"}),
    "option": ({"option"}, {"select", "html"}),
    "a": ({"a"}, _SCOPE),
}
_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})

_WS = re.compile(r"[ \t\n\r\f\v]+")
# Markup that survived as text (double-escaped CMS output, injected tags in a title): never text.
_TAGLIKE = re.compile(r"<\s*(script|style)\b[^>]*>.*?(?:<\s*/\s*\1\s*>|$)|<!--.*?(?:-->|$)"
                      r"|</?[A-Za-z][A-Za-z0-9:-]*(?:\s[^<>]*)?/?>"
                      r"|<[/!]?[A-Za-z][A-Za-z0-9:-]*\s[^<>]*$", re.IGNORECASE | re.DOTALL)  # a tag cut by the end
_HTML_START = re.compile(r"^\ufeff?\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*"
                         r"<(?:!doctype\s+html|html[\s>]|head[\s>]|body[\s>])", re.IGNORECASE | re.DOTALL)
_HTML_TAG = re.compile(
    r"</?(?:html|head|body|div|p|span|a|script|style|meta|link|article|section|main|nav|header|footer|aside|ul|ol|li"
    r"|table|tr|td|br|img|h[1-6]|strong|em|b|i|figure|iframe|form|input|title|time|blockquote)\b[^<>]{0,2000}>",
    re.IGNORECASE)
_LAYOUT_TAG = re.compile(r"</?(?:html|head|body|div|p|br|li|ul|ol|table|tr|td|th|article|section|main|header|footer"
                         r"|nav|aside|h[1-6]|meta|link|span|figure|blockquote|title)\b", re.IGNORECASE)
_META_CHARSET = re.compile(rb"""<meta\b[^>]{0,500}?charset\s*=\s*["']?\s*([A-Za-z0-9._:-]{2,40})""", re.IGNORECASE)
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]{0,200}?encoding\s*=\s*["']([A-Za-z0-9._:-]{2,40})""", re.IGNORECASE)
_SNIFF_CHARS = 65536


def looks_like_html(text: str, *, by_name: bool = False) -> bool:
    """Return True when ``text`` is an HTML document or fragment rather than visible text.

    ``by_name`` says the file is named .html/.htm: then any markup at all is enough.
    """
    head = text[:_SNIFF_CHARS]
    if _HTML_START.match(head):
        return True
    tags = _HTML_TAG.findall(head)
    if by_name:
        return bool(tags)
    # Only layout tags make a document: a text page may carry injected <script>/<img> or a stray <br />.
    layout = [t for t in tags if _LAYOUT_TAG.match(t)]
    if len(layout) < 2:
        return False
    if _LAYOUT_TAG.match(head.lstrip("\ufeff \t\r\n")):
        return True  # a fragment: no text page opens with a layout tag
    if re.search(r"<(?:!doctype\s+html|html[\s>]|body[\s>])", head[:4096], re.IGNORECASE) and len(tags) >= 3:
        return True
    density = sum(len(t) for t in tags) / max(1, len(head.strip()))
    return (len(layout) >= 3 and density >= 0.1) or (len(layout) >= 10 and density >= 0.03)


def declared_charset(data: bytes) -> str | None:
    """Return the Python codec named by a page's ``<meta charset>``/content-type/XML declaration, else None."""
    head = data[:16384]
    m = _XML_ENCODING.match(head) or _META_CHARSET.search(head)
    if not m:
        return None
    label = m.group(1).decode("ascii", "ignore").strip().lower()
    try:
        name = codecs.lookup(label).name
    except LookupError:
        return None
    # As browsers do: latin-1/ASCII labels mean windows-1252; a UTF-16 label in ASCII bytes means UTF-8.
    if name in ("latin-1", "iso8859-1", "ascii", "us-ascii"):
        return "cp1252"
    if name.startswith("utf-16") or name.startswith("utf-32"):
        return "utf-8"
    return name


def strip_markup(text: str) -> str:
    """Remove tag-like sequences (and script/style content) left in decoded text."""
    if "<" not in text:
        return text
    return _TAGLIKE.sub(" ", text)


def squash(text: str) -> str:
    """Return text on one line with runs of whitespace collapsed and markup remnants removed."""
    return " ".join(strip_markup(text).split())


class Node:
    """One element of the page tree; ``children`` holds Nodes and text strings."""

    __slots__ = ("tag", "attrs", "children", "parent", "size")

    def __init__(self, tag: str, attrs: dict, parent: Node | None):
        self.tag = tag
        self.attrs = attrs
        self.children: list = []
        self.parent = parent
        self.size = 0  # visible characters below this node (set by measure())

    def get(self, name: str) -> str:
        """Return an attribute's value, "" when absent."""
        return self.attrs.get(name) or ""

    def tokens(self) -> list[str]:
        """Return the lower-case class names of the element."""
        return self.get("class").lower().split()

    def iter(self):
        """Yield this element and every element below it, in document order (no recursion)."""
        stack = [self]
        while stack:
            node = stack.pop()
            yield node
            stack.extend(c for c in reversed(node.children) if isinstance(c, Node))

    def raw_text(self) -> str:
        """Return the concatenated text below this element, hidden parts included."""
        parts: list[str] = []
        stack: list = [self]
        while stack:
            item = stack.pop()
            if isinstance(item, str):
                parts.append(item)
            else:
                stack.extend(reversed(item.children))
        return "".join(parts)

    def text(self) -> str:
        """Return the visible text of this element on one line."""
        return squash(flatten(self, lambda n: False).replace("\n", " "))

    def ancestors(self):
        """Yield the parents of this element up to the root."""
        node = self.parent
        while node is not None:
            yield node
            node = node.parent


class _TreeBuilder(HTMLParser):
    """Builds a Node tree, closing the elements HTML closes implicitly and ignoring stray end tags."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Node("#root", {}, None)
        self.stack = [self.root]
        self.open: dict[str, int] = {}  # open elements by tag: most start tags then need no stack scan

    def _close_to(self, index: int) -> None:
        for node in self.stack[index:]:
            self.open[node.tag] -= 1
        del self.stack[index:]

    def _find_open(self, tags, stops) -> int:
        if not any(self.open.get(t) for t in tags):
            return -1
        for i in range(len(self.stack) - 1, 0, -1):
            tag = self.stack[i].tag
            if tag in tags:
                return i
            if tag in stops:
                return -1
        return -1

    def handle_starttag(self, tag, attrs):
        tag = tag.lower()
        if tag in _CLOSES_P:
            i = self._find_open({"p"}, _SCOPE)
            if i > 0:
                self._close_to(i)
        if tag in _HEADINGS and self.stack[-1].tag in _HEADINGS:
            self._close_to(len(self.stack) - 1)
        implied = _IMPLIED.get(tag)
        if implied:
            i = self._find_open(*implied)
            if i > 0:
                self._close_to(i)
        if tag == "body":
            i = self._find_open({"head"}, ())
            if i > 0:
                self._close_to(i)
        values: dict[str, str] = {}
        for name, value in attrs:
            values.setdefault(name.lower(), value or "")
        node = Node(tag, values, self.stack[-1])
        self.stack[-1].children.append(node)
        if tag not in VOID_TAGS and len(self.stack) < MAX_DEPTH:
            self.stack.append(node)
            self.open[tag] = self.open.get(tag, 0) + 1

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if self.stack[-1].tag == tag.lower() and tag.lower() not in VOID_TAGS and len(self.stack) > 1:
            self._close_to(len(self.stack) - 1)  # <div/>: an empty element, not an unclosed one

    def handle_endtag(self, tag):
        tag = tag.lower()
        if tag == "br":  # </br> is read as <br> by browsers
            self.handle_starttag("br", [])
            return
        if not self.open.get(tag):
            return  # a stray end tag
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i].tag == tag:
                self._close_to(i)
                return

    def handle_data(self, data):
        children = self.stack[-1].children
        if children and isinstance(children[-1], str):
            children[-1] += data
        else:
            children.append(data)


def parse(text: str) -> Node:
    """Return the element tree of an HTML text; malformed markup never raises."""
    builder = _TreeBuilder()
    try:
        builder.feed(text)
        builder.close()
    except Exception:  # noqa: BLE001 - the stdlib parser asserts on some broken declarations
        # Keep what was built; the unparsed tail is better lost than the whole page.
        pass
    return builder.root


def _hidden(node: Node) -> bool:
    if "hidden" in node.attrs:
        return True
    style = node.get("style")
    return bool(style) and bool(re.search(r"display\s*:\s*none|visibility\s*:\s*hidden", style, re.IGNORECASE))


def invisible(node: Node) -> bool:
    """Return True for elements whose content is never shown as text (``measure`` must have run)."""
    if node.tag in DROP_TAGS:
        return True
    if node.tag in WIDGET_TAGS or _hidden(node):
        return node.size < SWALLOWED
    return False


def measure(root: Node) -> None:
    """Set ``size`` (visible text characters) on every element, bottom-up, without recursion."""
    order = [n for n in root.iter()]
    for node in reversed(order):
        total = 0
        for child in node.children:
            if isinstance(child, str):
                total += len(child.strip())
            elif not invisible(child):
                total += child.size
        node.size = total


def flatten(root: Node, skip) -> str:
    """Return the visible text below ``root``: blocks separated by blank lines, ``<br>`` as newlines.

    ``skip(node)`` says whether an element (and its content) is left out.
    """
    blocks: list[str] = []
    line: list[str] = []

    def flush():
        if line:
            chunk = "".join(line)
            line.clear()
            rows = [" ".join(strip_markup(row).split()) for row in chunk.split("\n")]
            block = "\n".join(r for r in rows if r)
            if block:
                blocks.append(block)

    pre = 0
    stack: list = [(root, False)]
    while stack:
        item, leaving = stack.pop()
        if isinstance(item, str):
            line.append(item if pre else _WS.sub(" ", item))
            continue
        if leaving:
            if item.tag == "pre":
                pre -= 1
            if item.tag in BLOCK_TAGS:
                flush()
            continue
        if item is not root and (invisible(item) or skip(item)):
            continue
        if item.tag == "br":
            line.append("\n")
            continue
        if item.tag in ("img", "wbr"):
            continue
        if item.tag in BLOCK_TAGS:
            flush()
        if item.tag == "pre":
            pre += 1
        stack.append((item, True))
        for child in reversed(item.children):
            stack.append((child, False))
    flush()
    return "\n\n".join(blocks)
