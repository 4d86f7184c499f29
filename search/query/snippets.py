"""Highlighting and snippets: query terms marked through accent folding and stemming.

Text is cut into words; each word is analysed with the index's own analyzers (cached per word),
and marked when one of its indexed forms is a term the query looks for, so ``securite`` marks
« sécurité » and ``coopérations`` marks « coopération ». Output is HTML-escaped text in which
the only markup is ``<mark>`` (and ``<p>``/``<br>`` for a full article body).
"""

from __future__ import annotations

import re
import threading
from bisect import bisect_left, bisect_right
from functools import lru_cache
from html import escape

#: Fragments returned per hit, and their approximate width in characters.
MAX_FRAGMENTS = 3
FRAGMENT_CHARS = 220
#: Characters of a long text scanned for matches (the rest is shown but not searched for a snippet).
MAX_SCAN_CHARS = 30_000
_WORD_CACHE_MAX = 200_000

_EMPTY: frozenset = frozenset()
_CHUNK = re.compile(r"\w+(?:['’\-]\w+)*", re.U)

#: Text kind → the stemmed field and the exact field whose terms mark it.
KIND_FIELDS = {
    "title": ("title", "title_exact"),
    "body": ("body", "body_exact"),
    "comments": ("comments", "comments_exact"),
}


class _Words:
    """What one bounded cache generation knows: each word's terms, and which words give a term."""

    def __init__(self):
        self.terms: dict[tuple[str, str], tuple] = {}  # (field, word) → ((start, end, term), …)
        self.known: dict[str, set[str]] = {}  # kind → the words analysed for all its fields
        self.giving: dict[tuple[str, str], set[str]] = {}  # (field, term) → the words giving it


class WordAnalyzer:
    """Cache of per-word analysis for one index generation, searchable both ways.

    A word's terms are looked up by word; the words giving a term by term, so that finding a
    query's words in a text is set arithmetic at C speed and only words never seen are analysed.
    """

    def __init__(self, schema):
        self.schema = schema
        self._lock = threading.Lock()
        self.state = _Words()

    def terms(self, fieldname: str, chunk: str, state: _Words | None = None) -> tuple:
        """Return the indexed terms of one word with their character spans inside it."""
        state = state or self.state
        key = (fieldname, chunk)
        found = state.terms.get(key)
        if found is None:
            found = state.terms[key] = self._analyse(fieldname, chunk)
            for _start, _end, term in found:
                state.giving.setdefault((fieldname, term), set()).add(chunk)
        return found

    def _analyse(self, fieldname: str, chunk: str) -> tuple:
        out = []
        try:
            analyzer = self.schema[fieldname].analyzer
            for tok in analyzer(chunk, mode="index", positions=True, chars=True):
                start = getattr(tok, "startchar", None)
                end = getattr(tok, "endchar", None)
                if start is None or end is None or not 0 <= start < end <= len(chunk):
                    start, end = 0, len(chunk)
                out.append((start, end, tok.text))
        except (KeyError, AttributeError, ValueError):
            out = []
        return tuple(out)

    def learn(self, kind: str, chunks: set[str]) -> _Words:
        """Analyse the words of ``chunks`` not seen yet for ``kind``; return the state that holds them all."""
        state = self.state
        new = chunks - state.known.get(kind, set())
        if not new:
            return state
        with self._lock:
            if len(self.state.terms) + len(new) * len(KIND_FIELDS[kind]) > _WORD_CACHE_MAX:
                # a fresh state rather than a clear: a search holding the old one stays consistent
                self.state = _Words()
                new = set(chunks)
            state = self.state
            known = state.known.setdefault(kind, set())
            for chunk in new:
                for fieldname in KIND_FIELDS[kind]:
                    self.terms(fieldname, chunk, state)
                known.add(chunk)
        return state


class Highlighter:
    """Find and mark a query's terms in titles, bodies and comments."""

    def __init__(self, words: WordAnalyzer, highlight: dict[str, set[str]]):
        self.words = words
        self.highlight = highlight
        self._memo: dict[str, dict] = {}  # per query: word → its match, shared by all hits

    def active(self, kind: str) -> bool:
        """Whether the query has anything to mark in this kind of text."""
        return any(self.highlight.get(f) for f in KIND_FIELDS[kind])

    def spans(self, kind: str, text: str, limit: int | None = MAX_SCAN_CHARS) -> list[tuple[int, int, str]]:
        """Return ``(start, end, term)`` of every matched word in ``text``."""
        if not text or not self.active(kind):
            return []
        fields = [(f, self.highlight.get(f)) for f in KIND_FIELDS[kind] if self.highlight.get(f)]
        scan = text if limit is None else text[:limit]
        distinct = set(_CHUNK.findall(scan))
        state = self.words.learn(kind, distinct)
        giving = state.giving
        wanted = set()
        for fieldname, terms in fields:
            for term in terms:
                wanted |= giving.get((fieldname, term), _EMPTY)
        hits = distinct & wanted
        if not hits:
            return []
        memo = self._memo.setdefault(kind, {})
        out = []
        # the matched words alone are found by a regex with the same word boundaries
        for m in _words_regex(tuple(sorted(hits))).finditer(scan):
            chunk = m.group(0)
            hit = memo.get(chunk)
            if hit is None:
                hit = memo[chunk] = self._match_chunk(fields, chunk, state)
            base = m.start()
            out.append((base + hit[0], base + hit[1], hit[2]))
        return out

    def _match_chunk(self, fields, chunk: str, state: _Words | None = None):
        for fieldname, wanted in fields:
            for start, end, term in self.words.terms(fieldname, chunk, state):
                if term in wanted:
                    return start, end, term
        return None

    def mark(self, text: str, spans) -> str:
        """Return ``text`` HTML-escaped with the given spans wrapped in ``<mark>``."""
        out, pos = [], 0
        for start, end, _term in spans:
            if start < pos:
                continue
            out.append(escape(text[pos:start], quote=False))
            out.append("<mark>" + escape(text[start:end], quote=False) + "</mark>")
            pos = end
        out.append(escape(text[pos:], quote=False))
        return "".join(out)

    def fragments(self, kind: str, text: str, max_fragments: int = MAX_FRAGMENTS) -> list[tuple[float, int, str]]:
        """Return up to ``max_fragments`` ``(score, start, html)`` fragments around matches."""
        spans = self.spans(kind, text)
        if not spans:
            return []
        candidates = []
        starts = [s[0] for s in spans]
        for start, _end, _term in spans[:300]:
            lo = _snap_left(text, max(0, start - FRAGMENT_CHARS // 3))
            hi = _snap_right(text, min(len(text), lo + FRAGMENT_CHARS))
            inside = [s for s in spans[bisect_left(starts, lo) : bisect_right(starts, hi)] if s[1] <= hi]
            score = len({s[2] for s in inside}) + 0.01 * len(inside)
            candidates.append((score, lo, hi, inside))
        candidates.sort(key=lambda c: (-c[0], c[1]))
        chosen = []
        for score, lo, hi, inside in candidates:
            if any(lo < h and l < hi for _s, l, h, _i in chosen):
                continue
            chosen.append((score, lo, hi, inside))
            if len(chosen) >= max_fragments:
                break
        out = []
        for score, lo, hi, inside in sorted(chosen, key=lambda c: c[1]):
            local = [(s - lo, e - lo, t) for s, e, t in inside]
            html = _flat(self.mark(text[lo:hi], local))
            if lo > 0:
                html = "… " + html
            if hi < len(text):
                html += " …"
            out.append((score, lo, html))
        return out

    def html_paragraphs(self, kind: str, text: str) -> str:
        """Return a full text as ``<p>`` paragraphs, escaped, with matches marked."""
        return paragraphs_html(text, lambda para: self.mark(para, self.spans(kind, para, limit=None)))


def paragraphs_html(text: str, marked) -> str:
    """Return a text as ``<p>`` paragraphs (``<br>`` for its line breaks), each turned into HTML by ``marked``."""
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text or "") if p.strip()]
    return "".join("<p>" + marked(para).replace("\n", "<br>") + "</p>" for para in paragraphs)


@lru_cache(maxsize=2048)
def _words_regex(words: tuple[str, ...]) -> re.Pattern:
    """Return a regex finding exactly these ``_CHUNK`` words (whole chunks, never parts of one)."""
    alternation = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
    # a chunk starts where no word character (or joiner after one) precedes it, and ends where
    # no word character (or joiner before one) follows: the maximal runs of _CHUNK
    return re.compile(rf"(?<!\w)(?<!\w['’\-])(?:{alternation})(?!\w)(?!['’\-]\w)", re.U)


def _flat(text: str) -> str:
    # fragments are shown inline: paragraph breaks become spaces (after marking, offsets intact)
    return re.sub(r"[ \t]*[\r\n\t]+[ \t]*", " ", text) if "\n" in text or "\t" in text or "\r" in text else text


def _snap_left(text: str, pos: int) -> int:
    if pos <= 0:
        return 0
    # start at a paragraph or sentence start when one is close, else at a word start
    window = text[max(0, pos - 40) : pos]
    for sep in ("\n", ". "):
        k = window.rfind(sep)
        if k != -1:
            return max(0, pos - 40) + k + len(sep)
    while pos > 0 and not text[pos - 1].isspace():
        pos -= 1
    return pos


def _snap_right(text: str, pos: int) -> int:
    if pos >= len(text):
        return len(text)
    while pos < len(text) and not text[pos].isspace():
        pos += 1
    return pos


def lead(text: str, chars: int = FRAGMENT_CHARS) -> str:
    """Return the escaped opening of a text, cut at a word boundary."""
    text = _flat((text or "").strip())
    if len(text) <= chars:
        return escape(text, quote=False)
    return escape(text[: _snap_right(text, chars)], quote=False) + " …"
