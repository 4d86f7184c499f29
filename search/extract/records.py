"""The article dict: its keys, and completing any partial record into a valid article.

Used for JSONL records, standalone JSON articles and pages merged with their sidecar, so that
every article leaving extraction has every key of docs/ARCHITECTURE.md with the right type.
"""

from __future__ import annotations

import codecs
import datetime
import hashlib
import html
import json
import math
import re
import unicodedata
from urllib.parse import urlsplit

from search.extract import bylines, dates
from search.extract import outlets
from search.extract.decode import _fix_mojibake, clean_text, clean_value, decode_bytes

#: The keys of an article dict, in display order (docs/ARCHITECTURE.md).
ARTICLE_KEYS = (
    "id", "path", "url", "title", "title_derived", "outlet", "site", "author", "credit", "date", "date_precision",
    "date_estimated", "body", "comments", "comments_count", "persons", "content_hash",
)

#: Longest derived title, in characters (cut at a word boundary, then "…").
DERIVED_TITLE_MAX = 150

#: Largest comment count a source may state; a larger one is a scraper's error, not a count.
MAX_COMMENTS_COUNT = 1_000_000

#: Longest id, title, url and other one-line value kept from a record, in characters.
MAX_ID_CHARS, MAX_TITLE_CHARS, MAX_URL_CHARS, MAX_VALUE_CHARS = 200, 1000, 2000, 500

# Integer literals longer than this are read as floats (inf): int() refuses 4300 digits or more.
_MAX_INT_DIGITS = 1000

# Byte order marks a JSON text may start with (UTF-32 before UTF-16: their marks share bytes).
_JSON_BOMS = ((codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"), (codecs.BOM_UTF8, "utf-8"),
              (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))

_SENTENCE_END = re.compile(r"(?<=[.!?…])[»\"”)]?\s+(?=[«\"“(]?[A-ZÀ-ÖØ-Þ0-9])")
_BLANKS = re.compile(r"\n\s*\n+")


def derive_title(text: str) -> str:
    """Return a title made from the first sentence of ``text`` (cut to ~150 characters)."""
    text = " ".join(text.split())
    if not text:
        return ""
    first = _SENTENCE_END.split(text, maxsplit=1)[0].strip()
    first = first.rstrip(" .;:,")
    if len(first) > DERIVED_TITLE_MAX:
        cut = first[:DERIVED_TITLE_MAX].rsplit(" ", 1)[0].rstrip(" ,;:-–")
        first = (cut or first[:DERIVED_TITLE_MAX]) + "…"
    return first


def _parse_int(digits: str):
    return int(digits) if len(digits) <= _MAX_INT_DIGITS else float(digits)


def _raw_text(data: bytes) -> str:
    """Return the bytes of a JSON text decoded (BOM, UTF-8, else cp1252/latin-1) but not cleaned."""
    for bom, enc in _JSON_BOMS:
        if data.startswith(bom):
            return data[len(bom):].decode(enc, errors="replace")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            text = data.decode("latin-1")
    # Mojibake repair only rewrites non-ASCII characters, never the JSON syntax around them.
    return _fix_mojibake(text)


def parse_json(data: bytes):
    """Return the JSON value of a record's bytes, parsed before any text clean-up (ValueError if invalid).

    Clean-up turns U+2028 into a line break and drops control characters, which would make a
    valid JSON string invalid; strings are cleaned afterwards, by ``normalize_record``. Raw
    control characters inside strings are accepted, and an integer too long for ``int()`` is
    read as a float, so that one odd field never costs the whole record.
    """
    try:
        return json.loads(_raw_text(data), strict=False, parse_int=_parse_int)
    except ValueError:
        # A NUL between tokens, or UTF-16 text without a BOM: readable once cleaned.
        return json.loads(decode_bytes(data), parse_int=_parse_int)


def plausible_count(value) -> int | None:
    """Return a stated comment count as an int in 0..MAX_COMMENTS_COUNT, or None when it is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        value = value.strip()
        # a count has at most seven digits; int() of a long digit string is slow, then refused
        if not (value.isdecimal() and len(value) <= 7):
            return None
        value = int(value)
    elif isinstance(value, float):
        if not value.is_integer():  # NaN, infinities, 2.5
            return None
    elif not isinstance(value, int):
        return None
    return int(value) if 0 <= value <= MAX_COMMENTS_COUNT else None


def _shown(value, limit: int = 40) -> str:
    """Return a short printable form of a source value, for a one-line note."""
    if isinstance(value, (list, dict)):
        return "a list" if isinstance(value, list) else "an object"
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 128:
        return f"a {value.bit_length()}-bit integer"  # repr() refuses 4300 digits and more
    if not isinstance(value, str):
        return repr(value)
    text = " ".join(clean_text(value[: limit * 4]).split())
    return repr(text[:limit] + "…" if len(text) > limit else text)


def _scalar_text(value, limit: int = MAX_VALUE_CHARS, mark: str = "") -> str | None:
    """Return a one-line value (numbers spelt out) cut to ``limit`` characters, ``mark`` ending a cut one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        # str() refuses integers of 4300 digits and more; such a value names nothing anyway
        value = str(value) if value.bit_length() <= 128 else None
    elif isinstance(value, float):
        value = repr(value) if math.isfinite(value) else None
    value = clean_value(value)
    if value and len(value) > limit:
        room = limit - len(mark)
        cut = value[:room].rsplit(" ", 1)[0] if " " in value[:room] else value[:room]
        value = (cut.rstrip() or value[:room]) + mark
    return value


# Crawler output (Markdown, stray HTML): images, links, emphasis and tags, each matched strictly enough
# to leave ordinary French text alone ("2*3", "l'article 5 [sic]", "a < b").
_MD_IMAGE = re.compile(r"!\[[^\]\n]*\]\([^)\s]*(?:\s+\"[^\"]*\")?\)")
_MD_LINK = re.compile(r"\[([^\]\n]+)\]\((?:https?://|/|www\.|mailto:)[^)\s]*(?:\s+\"[^\"]*\")?\)")
_MD_STRONG = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
_MD_EMPHASIS = re.compile(r"(?<![\w*])\*(?=[^\s*])([^*\n]+?)(?<=[^\s*])\*(?![\w*])"
                          r"|(?<![\w_])_(?=[^\s_])([^_\n]+?)(?<=[^\s_])_(?![\w_])")
_MD_EMPTY = re.compile(r"^[ \t]*(?:\*{4}|_{4})[ \t]*$", re.MULTILINE)  # emphasis around nothing
_HTML_BREAK = re.compile(r"<br\s*/?>|</p\s*>|</div\s*>|</li\s*>", re.IGNORECASE)
_HTML_TAG = re.compile(r"</?(?:a|abbr|b|blockquote|br|center|cite|code|div|em|figcaption|figure|font|h[1-6]|hr|i|"
                       r"iframe|img|li|ol|p|pre|q|s|section|small|span|strong|sub|sup|table|tbody|td|th|thead|tr|"
                       r"u|ul|article|header|footer|nav|picture|source|video|audio|script|style)\b[^<>]*>",
                       re.IGNORECASE)


def strip_markup(text: str) -> str:
    """Return crawler text without Markdown images, link targets, emphasis markers and HTML tags."""
    if not any(mark in text for mark in ("](", "*", "_", "<")):
        return text
    text = _MD_IMAGE.sub("", text)
    text = _MD_LINK.sub(r"\1", text)
    text = _MD_EMPTY.sub("", text)
    text = _MD_STRONG.sub(r"\2", text)
    text = _MD_EMPHASIS.sub(lambda m: m.group(1) or m.group(2), text)
    text = _HTML_BREAK.sub("\n", text)
    return _HTML_TAG.sub("", text)


#: Fewest headline-shaped lines in a row that make a related-headlines list (after a "read also" line: fewer).
MIN_HEADLINE_RUN, MIN_MARKED_RUN = 3, 2

# Scrapers join the lines of a page with a newline or a run of spaces: both separate list items.
_SEGMENT_GAP = re.compile(r"[ \t]*\n\s*|[ \t]{2,}")
_HEADLINE = re.compile(r"^[A-ZÀ-ÖØ-Þ0-9«\"“][^\n]{15,250}$")
_SENTENCE_CLOSE = ".!?…:;,»\"”)"


def _headline_shaped(segment: str) -> bool:
    """Return True for a line that reads as a headline: capitalised, 4 to 40 words, no final punctuation."""
    if not _HEADLINE.match(segment) or not 4 <= len(segment.split()) <= 40 or _SENTENCE_END.search(segment):
        return False
    # A quoted statement is a headline too: « Notre peuple compte sur ses propres forces... »
    quoted = segment[-1] in "»”" and ("«" in segment or "“" in segment)
    return quoted or segment[-1] not in _SENTENCE_CLOSE


def _marker_start(segment: str, table) -> int | None:
    """Return where a "read also" line ends ``segment`` (it may be glued to a byline: "Ali Sow À lire aussi")."""
    words = list(re.finditer(r"\S+", segment))
    for first in words[-4:]:
        tail = segment[first.start():].strip()
        # Words, not punctuation: a colon that announces a list is no "read also" line.
        if len(tail) <= 40 and re.search(r"[^\W\d_]{2}", tail) and table.is_boilerplate(outlets.line_key(tail)):
            return first.start()
    return None


def drop_related_headlines(text: str) -> str:
    """Return a body without its related-headline lists: a "read also" line with the run after it, or a final run."""
    text = unicodedata.normalize("NFC", text)  # lengths and capitals of decomposed text mislead
    gaps = list(_SEGMENT_GAP.finditer(text))
    if len(gaps) < MIN_MARKED_RUN:
        return text
    segments = list(zip([0, *(g.end() for g in gaps)], [*(g.start() for g in gaps), len(text)]))
    table = outlets.table()
    cuts, n = [], 0
    while n < len(segments):
        m = n
        while m < len(segments) and _headline_shaped(text[segments[m][0]:segments[m][1]].strip()):
            m += 1
        if m - n >= MIN_MARKED_RUN:
            before = text[segments[n - 1][0]:segments[n - 1][1]] if n else ""
            marker = _marker_start(before, table)
            # A list the text announces ("La liste des sites :") is the article's, not the site's.
            final = m - n >= MIN_HEADLINE_RUN and m == len(segments) and not before.rstrip().endswith(":")
            if marker is not None or final:
                start = segments[n - 1][0] + marker if marker is not None else segments[n][0]
                cuts.append((start, segments[m - 1][1]))
        n = max(m, n + 1)
    for start, end in reversed(cuts):
        text = text[:start] + "\n\n" + text[end:]
    return text


def clean_body(text) -> str:
    """Return body text with clean lines and paragraphs separated by exactly one blank line."""
    if isinstance(text, list):  # a body given as a list of paragraphs
        text = "\n\n".join(t for t in text if isinstance(t, str))
    if not isinstance(text, str):
        return ""
    text = clean_text(text)
    paragraphs = []
    for block in _BLANKS.split(text):
        lines = [" ".join(line.split()) for line in block.split("\n")]
        block = "\n".join(line for line in lines if line)
        if block:
            paragraphs.append(block)
    return "\n\n".join(paragraphs)


def content_hash(*parts) -> str:
    """Return the sha256 hex of the given strings/bytes (joined by a separator)."""
    h = hashlib.sha256()
    for part in parts:
        h.update(part if isinstance(part, bytes) else str(part).encode("utf-8", "surrogatepass"))
        h.update(b"\x1e")
    return h.hexdigest()


def canonical_json(obj) -> str:
    """Return a stable JSON text for hashing a record."""
    return json.dumps(obj, ensure_ascii=False, sort_keys=True, default=str)


def host_of(url: str | None) -> str | None:
    """Return the host of a URL without ``www.``, else None."""
    if not url or "://" not in url:
        return None
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return None
    host = host.lower()
    return (host[4:] if host.startswith("www.") else host) or None


def _comment_text(value) -> str | None:
    if isinstance(value, str):
        text = clean_body(value)
        return text or None
    return None


def normalize_comments(comments, meta=None) -> list[dict]:
    """Return comments as dicts ``{text, author, reply_to, id}`` from strings or loose dicts."""
    if not isinstance(comments, list):
        return []
    if not isinstance(meta, list) or len(meta) != len(comments):
        meta = [None] * len(comments)
    out: list[dict] = []
    ids: set[str] = set()
    for n, (item, extra) in enumerate(zip(comments, meta), start=1):
        if isinstance(item, str):
            # lefaso.net-style records keep authors and threads in a parallel list.
            item = {**extra, "text": item} if isinstance(extra, dict) else {"text": item}
        if not isinstance(item, dict):
            continue
        text = None
        for key in ("text", "body", "content", "message", "comment"):
            text = _comment_text(item.get(key))
            if text:
                break
        if not text:
            continue
        cid = _scalar_text(item.get("id"), MAX_ID_CHARS) or f"c{n}"
        if cid in ids:
            cid = f"{cid}-{n}"
        ids.add(cid)
        author = None
        for key in ("author", "name", "user", "pseudo"):
            author = _scalar_text(item.get(key))
            if author:
                break
        reply_to = None
        for key in ("reply_to", "parent", "parent_id", "in_reply_to"):
            reply_to = _scalar_text(item.get(key), MAX_ID_CHARS)
            if reply_to:
                break
        out.append({"text": text, "author": author, "reply_to": reply_to, "id": cid})
    known = {c["id"] for c in out}
    for c in out:
        if c["reply_to"] not in known:
            c["reply_to"] = None  # a reply to a comment we do not have is shown as a top-level one
    return out


def _author(value) -> str | None:
    if isinstance(value, list):
        names = [_scalar_text(v) for v in value]
        value = ", ".join(n for n in names if n)
    return _scalar_text(value)


def _flag(value) -> bool:
    """Return a JSON flag as a bool ("false", "0" and "non" are false: scrapers write strings)."""
    if isinstance(value, str):
        return value.strip().lower() not in ("", "false", "0", "no", "non", "faux", "null", "none")
    if isinstance(value, float) and math.isnan(value):
        return False
    return bool(value)


def _stated(value) -> bool:
    return value is not None and not (isinstance(value, str) and not value.strip())


def _hashable(obj):
    """Return ``obj`` with integers too long for ``str()`` replaced by their hex digits."""
    if isinstance(obj, dict):
        return {k: _hashable(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_hashable(v) for v in obj]
    if isinstance(obj, int) and not isinstance(obj, bool) and obj.bit_length() > 128:
        return hex(obj)
    return obj


def normalize_record(obj: dict, *, path: str, notes: list[str] | None = None, markup: bool = True) -> dict:
    """Complete a partial article dict (JSONL record, sidecar-merged page) into a valid article.

    With ``markup`` (records as scraped), HTML entities are decoded in the title and the body, and
    the body loses crawler Markdown and stray tags; an extracted page passes ``markup=False``.

    A value that cannot be used as it is (an implausible comment count, an impossible date, an
    id that is not a string) is replaced, and a one-line note saying so is appended to ``notes``.
    """
    if not isinstance(obj, dict):
        raise TypeError("an article record must be a JSON object")
    notes = [] if notes is None else notes
    table = outlets.table()
    body = obj.get("body") if obj.get("body") is not None else obj.get("text")
    title = obj.get("title")
    if markup:
        # Scraped records keep entities and crawler mark-up; decoded once, here, never on extracted pages.
        body = drop_related_headlines(strip_markup(html.unescape(body))) if isinstance(body, str) else body
        title = html.unescape(title) if isinstance(title, str) else title
    body = clean_body(body)
    title = _scalar_text(title, MAX_TITLE_CHARS, "…")
    if title is None and _stated(obj.get("title")) and not isinstance(obj.get("title"), str):
        notes.append(f"title {_shown(obj.get('title'))} ignored: not a text")
    title_derived = _flag(obj.get("title_derived")) if title else False
    if not title:
        title = derive_title(body)
        title_derived = bool(title)
    url = _scalar_text(obj.get("url"), MAX_URL_CHARS)
    record_id = _scalar_text(obj.get("id"), MAX_ID_CHARS)
    if record_id is None and _stated(obj.get("id")) and not isinstance(obj.get("id"), str):
        notes.append(f"id {_shown(obj.get('id'))} ignored: not a text or a number")
    if not title:
        title = _scalar_text(url, MAX_TITLE_CHARS, "…") or record_id or "Sans titre"
        title_derived = True
    date, precision = dates.normalize_date(obj.get("date"))
    if date is None and obj.get("datetime"):
        date, precision = dates.normalize_date(obj.get("datetime"))
    if date is None:
        for key in ("date", "datetime"):
            if _stated(obj.get(key)):
                notes.append(f"{key} {_shown(obj.get(key))} ignored: not a valid date")
                break
    comments = normalize_comments(obj.get("comments"), obj.get("comments_meta"))
    stated = obj.get("comments_count")
    count = plausible_count(stated)
    if count is None and _stated(stated):
        notes.append(f"comments_count {_shown(stated)} ignored: not a plausible count "
                     f"(kept the {len(comments)} comments read)")
    persons = obj.get("persons")
    persons = [p for p in (_scalar_text(x) for x in persons) if p] if isinstance(persons, list) else []
    # Sources put agency credits in the author field ("AFP", "Orange avec AFP"): they go to ``credit``.
    author, credit = bylines.split_credit(_author(obj.get("author")), table)
    credit = _scalar_text(obj.get("credit")) or credit
    outlet = _scalar_text(obj.get("outlet"))
    if outlet and table.lookup(outlet) is None and "." in outlet and " " not in outlet:
        # A crawler's host ("beto.cd") the table does not know: the facet shows a readable name, not the host.
        outlet = outlets.name_from_host(outlet) or outlet
    outlet = table.canonical(outlet)
    site = _scalar_text(obj.get("site")) or host_of(url)
    record_hash = obj.get("content_hash")
    if not (isinstance(record_hash, str) and re.fullmatch(r"[0-9a-f]{64}", record_hash)):
        try:
            record_hash = content_hash(canonical_json(obj))
        except ValueError:  # an integer too long to print
            record_hash = content_hash(canonical_json(_hashable(obj)))
    return {
        "id": record_id or "",
        "path": str(path),
        "url": url,
        "title": title,
        "title_derived": title_derived,
        "outlet": outlet,
        "site": site.lower() if site and "." in site and " " not in site else site,
        "author": author,
        "credit": credit,
        "date": date,
        "date_precision": precision,
        "date_estimated": _flag(obj.get("date_estimated")) and date is not None,
        "body": body,
        "comments": comments,
        "comments_count": max(len(comments), count or 0),
        "persons": persons,
        "content_hash": record_hash,
    }


_URL_DAY = re.compile(r"/((?:19|20)\d\d)/(0?[1-9]|1[0-2])/(0?[1-9]|[12]\d|3[01])(?=/|$)")
_URL_MONTH = re.compile(r"/((?:19|20)\d\d)/(0[1-9]|1[0-2])(?=/|$)")
_URL_COMPACT = re.compile(r"/((?:19|20)\d\d)(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])-")


def url_date(url: str | None) -> tuple[str, str] | None:
    """Return ``(iso, precision)`` of the date a URL path states (``/2024/03/12/``, ``/2024/03/``, ``/20240312-``)."""
    if not url or "://" not in url:
        return None
    try:
        path = urlsplit(url).path
    except ValueError:
        return None
    m = _URL_DAY.search(path) or _URL_COMPACT.search(path)
    if m:
        year, month, day = (int(g) for g in m.groups())
        try:
            datetime.date(year, month, day)
        except ValueError:
            return None
        return f"{year:04d}-{month:02d}-{day:02d}", "day"
    m = _URL_MONTH.search(path)
    if m:
        return f"{m.group(1)}-{m.group(2)}", "month"
    return None


_SLUG_TAIL = re.compile(r"(?:[-_](?:a?\d{4,}|n_\d+|[0-9a-f]{10,})|_a\d+)+$")


def slug_tokens(url: str | None) -> list[str]:
    """Return the words of a URL's headline slug (the last path segment with ≥ 3 hyphenated words), else []."""
    if not url or "://" not in url:
        return []
    try:
        path = urlsplit(url).path
    except ValueError:
        return []
    segments = [s for s in path.split("/") if s]
    if not segments:
        return []
    # Only the last segment: a section path ("/a-la-une/33-societe") names no headline.
    segment = re.sub(r"\.[a-z]{2,5}$", "", segments[-1].lower())
    segment = re.sub(r"^(?:19|20)\d{6}-", "", segment)  # RFI's date prefix
    segment = _SLUG_TAIL.sub("", segment)
    words = [w for w in re.split(r"[-_+]+", segment) if len(w) >= 3 and not w.isdigit()]
    return words if len(words) >= 3 else []
