"""The article dict: its keys, and completing any partial record into a valid article.

Used for JSONL records, standalone JSON articles and pages merged with their sidecar, so that
every article leaving extraction has every key of docs/ARCHITECTURE.md with the right type.
"""

from __future__ import annotations

import hashlib
import json
import re
from urllib.parse import urlsplit

from search import dates, outlets
from search.textio import clean_text, clean_value

#: The keys of an article dict, in display order (docs/ARCHITECTURE.md).
ARTICLE_KEYS = (
    "id", "path", "url", "title", "title_derived", "outlet", "site", "author", "date", "date_precision",
    "date_estimated", "body", "comments", "comments_count", "persons", "content_hash",
)

#: Longest derived title, in characters (cut at a word boundary, then "…").
DERIVED_TITLE_MAX = 150

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


def clean_body(text) -> str:
    """Return body text with clean lines and paragraphs separated by exactly one blank line."""
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
        cid = clean_value(item.get("id")) or f"c{n}"
        if cid in ids:
            cid = f"{cid}-{n}"
        ids.add(cid)
        author = None
        for key in ("author", "name", "user", "pseudo"):
            author = clean_value(item.get(key))
            if author:
                break
        reply_to = None
        for key in ("reply_to", "parent", "parent_id", "in_reply_to"):
            reply_to = clean_value(item.get(key))
            if reply_to:
                break
        out.append({"text": text, "author": author, "reply_to": reply_to, "id": cid})
    known = {c["id"] for c in out}
    for c in out:
        if c["reply_to"] not in known:
            c["reply_to"] = None  # a reply to a comment we do not have is shown as a top-level one
    return out


def _as_int(value) -> int:
    try:
        return max(0, int(value))
    except (TypeError, ValueError, OverflowError):
        return 0


def _author(value) -> str | None:
    if isinstance(value, list):
        names = [clean_value(v) for v in value]
        value = ", ".join(n for n in names if n)
    return clean_value(value)


def normalize_record(obj: dict, *, path: str) -> dict:
    """Complete a partial article dict (JSONL record, sidecar-merged page) into a valid article."""
    if not isinstance(obj, dict):
        raise TypeError("an article record must be a JSON object")
    table = outlets.table()
    body = clean_body(obj.get("body") if obj.get("body") is not None else obj.get("text"))
    title = clean_value(obj.get("title"))
    title_derived = bool(obj.get("title_derived")) if title else False
    if not title:
        title = derive_title(body)
        title_derived = bool(title)
    url = clean_value(obj.get("url"))
    if not title:
        title = url or clean_value(obj.get("id")) or "Sans titre"
        title_derived = True
    date, precision = dates.normalize_date(obj.get("date"))
    if date is None and obj.get("datetime"):
        date, precision = dates.normalize_date(obj.get("datetime"))
    comments = normalize_comments(obj.get("comments"), obj.get("comments_meta"))
    persons = obj.get("persons")
    persons = [p for p in (clean_value(x) for x in persons) if p] if isinstance(persons, list) else []
    outlet = table.canonical(clean_value(obj.get("outlet")))
    site = clean_value(obj.get("site")) or host_of(url)
    record_hash = obj.get("content_hash")
    if not (isinstance(record_hash, str) and re.fullmatch(r"[0-9a-f]{64}", record_hash)):
        record_hash = content_hash(canonical_json(obj))
    return {
        "id": clean_value(obj.get("id")) or "",
        "path": str(path),
        "url": url,
        "title": title,
        "title_derived": title_derived,
        "outlet": outlet,
        "site": site.lower() if site and "." in site and " " not in site else site,
        "author": _author(obj.get("author")),
        "date": date,
        "date_precision": precision,
        "date_estimated": bool(obj.get("date_estimated")) and date is not None,
        "body": body,
        "comments": comments,
        "comments_count": max(len(comments), _as_int(obj.get("comments_count"))),
        "persons": persons,
        "content_hash": record_hash,
    }
