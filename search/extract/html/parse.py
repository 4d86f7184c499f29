"""Raw HTML pages: detection, charset, a forgiving element tree, and the page's visible text.

Scraped pages often arrive as HTML rather than as visible text. This module turns them into
the same shape as the text pages (the page title on the first line, then the visible text,
one block per paragraph) so that ``search.extract.textpage`` reads both alike, and hands over the
metadata harvested from the markup (``search.extract.html.meta``) as signals that outrank guesses.
libxml2 (through lxml) parses and mends the markup; its tree is copied once into light ``Node`` objects
whose document order is kept, so that every later pass over the page is a slice, not a walk.
"""

from __future__ import annotations

import codecs
import gc
import re
import threading
from contextlib import contextmanager

from lxml import etree

#: Deepest element nesting kept; deeper start tags are flattened into their parent (libxml2 stops at 256).
MAX_DEPTH = 200

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
        return bool(tags) or head.lstrip("\ufeff \t\r\n").startswith("<!--")  # a saved page reduced to a comment
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

    __slots__ = ("tag", "attrs", "children", "parent", "size", "_doc", "_start", "_end")

    def __init__(self, tag: str, attrs: dict, parent: Node | None, doc: list | None = None):
        self.tag = tag
        self.attrs = attrs
        self.children: list = []
        self.parent = parent
        self.size = 0  # visible characters below this node (set by measure())
        # Every element of the page in document order, shared by the tree; this element's span of it
        # (itself and its descendants) is [_start, _end).
        if doc is None:
            doc = []
        self._doc = doc
        self._start = len(doc)
        self._end = self._start + 1
        doc.append(self)

    def get(self, name: str) -> str:
        """Return an attribute's value, "" when absent."""
        return self.attrs.get(name, "")  # libxml2 gives a bare attribute ("<p hidden>") the value ""

    def tokens(self) -> list[str]:
        """Return the lower-case class names of the element."""
        return self.get("class").lower().split()

    def iter(self) -> list[Node]:
        """Return this element and every element below it, in document order."""
        return self._doc[self._start:self._end]

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


_XML_DECLARATION = re.compile(r"^\ufeff?\s*<\?xml[^>]*>")
_SURROGATE = re.compile("[\ud800-\udfff]")
_TAG_TOKEN = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9:-]*)[^<>]*>")  # [^<>]: linear on "<a<a<a…"


def _libxml_tree(text: str):
    """Return ``(lxml root or None, True when libxml2 stopped at its nesting limit)``."""
    parser = etree.HTMLParser(remove_comments=True, remove_pis=True, no_network=True, collect_ids=False,
                              default_doctype=False)
    try:
        root = etree.fromstring(text, parser)
    except (etree.LxmlError, ValueError):  # an empty document; a declaration libxml2 refuses
        return None, False
    too_deep = any(e.type_name == "ERR_RESOURCE_LIMIT" and "depth" in e.message for e in parser.error_log)
    return root, too_deep


def _flatten_depth(text: str) -> str:
    """Return the markup with start tags nested deeper than ``MAX_DEPTH`` (and their end tags) removed."""
    out: list[str] = []
    open_tags: list[str] = []
    dropped: dict[str, int] = {}
    last = 0
    for m in _TAG_TOKEN.finditer(text):
        tag = m.group(2).lower()
        if tag in VOID_TAGS or m.group(0).endswith("/>"):
            continue
        drop = False
        if not m.group(1):
            if len(open_tags) >= MAX_DEPTH:
                dropped[tag] = dropped.get(tag, 0) + 1
                drop = True
            else:
                open_tags.append(tag)
        elif dropped.get(tag):
            dropped[tag] -= 1
            drop = True
        elif tag in open_tags:
            while open_tags.pop() != tag:
                pass
        if drop:
            out.append(text[last:m.start()])
            out.append(" ")
            last = m.end()
    out.append(text[last:])
    return "".join(out)


_GC_LOCK = threading.Lock()
_gc_paused = [0, False]  # copies under way, and whether the collector was on before the first


@contextmanager
def _collector_paused():
    """Pause the cyclic garbage collector while trees are copied (thread-safe, nested copies allowed)."""
    with _GC_LOCK:
        if _gc_paused[0] == 0:
            _gc_paused[1] = gc.isenabled()
            gc.disable()
        _gc_paused[0] += 1
    try:
        yield
    finally:
        with _GC_LOCK:
            _gc_paused[0] -= 1
            if _gc_paused[0] == 0 and _gc_paused[1]:
                gc.enable()


def _copy(lroot) -> Node:
    """Copy an lxml tree into Nodes, recording each element's span of the document order."""
    # A tree is built from its parents down, so no cycle needs collecting while it is built, and the
    # cyclic collector, run every few hundred new objects, would double the time.
    with _collector_paused():
        return _copy_tree(lroot)


def _copy_tree(lroot) -> Node:
    root = Node("#root", {}, None)
    doc = root._doc
    stack = [root]
    for event, el in etree.iterwalk(lroot, events=("start", "end")):
        tag = el.tag
        if event == "start":
            if not isinstance(tag, str):
                continue
            parent = stack[-1]
            node = Node(tag.lower(), dict(el.items()), parent, doc)
            parent.children.append(node)
            if el.text:
                node.children.append(el.text)
            stack.append(node)
            continue
        if isinstance(tag, str):
            node = stack.pop()
            node._end = len(doc)
        if el.tail:
            stack[-1].children.append(el.tail)
    root._end = len(doc)
    return root


def parse(text: str) -> Node:
    """Return the element tree of an HTML text; malformed markup never raises (an unreadable page is an empty tree)."""
    if text.startswith(("<?xml", "\ufeff", " ", "\n", "\r", "\t")):
        text = _XML_DECLARATION.sub("", text, count=1)  # lxml refuses an encoding declaration in a str
    if "\x00" in text:
        text = text.replace("\x00", "")  # as browsers do; libxml2 would print each as U+FFFD
    if _SURROGATE.search(text):
        text = _SURROGATE.sub("\ufffd", text)  # a lone surrogate makes libxml2 drop the text after it
    lroot, too_deep = _libxml_tree(text)
    if too_deep:
        # Past its nesting limit libxml2 stops reading: flatten the deepest tags, as browsers do, and read again.
        lroot, _ = _libxml_tree(_flatten_depth(text))
    return _copy(lroot) if lroot is not None else Node("#root", {}, None)


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
