"""Article dict ↔ Whoosh document: how each schema field is filled, and the way back.

Persons are written by ``persons_fields`` and read back, from the stored field or the facet
column, by ``split_persons`` only.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Mapping

from search.extract import dates
from search.extract.records import plausible_count
from search.index.schema import MULTI_SEP

_DATE_RE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
_PRECISIONS = {1: "year", 2: "month", 3: "day"}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
#: Separator of the names in the stored ``persons`` field (a comma-separated keyword field).
PERSONS_SEP = ","
#: Longest person, outlet or author name indexed, longer ones cut: every name the index holds must
#: fit in a filter value (search.query.request.MAX_VALUE_CHARS) and in the link that filters on it.
MAX_NAME_CHARS = 200


def _text(value) -> str:
    """Return a clean str for a JSON scalar (None, lists and objects → "", control characters dropped)."""
    if isinstance(value, bool) or (isinstance(value, int) and value.bit_length() > 128):
        return ""  # str() refuses integers of 4300 digits and more
    if isinstance(value, (int, float)):
        value = repr(value) if math.isfinite(value) else ""
    if not isinstance(value, str):
        return ""
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:  # lone surrogates cannot be stored
            value = value.encode("utf-8", "replace").decode("utf-8")
    return _CONTROL.sub(" ", value)


def _opt(value) -> str | None:
    text = _text(value).strip()
    return text or None


def normalise_date(date, precision=None) -> tuple[str, str | None]:
    """Return ``(date, precision)`` with an invalid date dropped and the precision made consistent."""
    if isinstance(date, int) and not isinstance(date, bool):
        date = str(date) if date.bit_length() <= 64 else ""  # a bare year
    text = _text(date).strip()
    # The calendar and year bounds of extraction: "9999" is no date, "2023-02-30" is February.
    iso = dates.normalize_date(text)[0]
    if iso is None and _DATE_RE.fullmatch(text):
        iso = dates.normalize_date(text[:7])[0] or dates.normalize_date(text[:4])[0]
    text = iso or ""
    m = _DATE_RE.fullmatch(text)
    if not m:
        return "", None
    year, month, day = m.groups()
    parts = sum(1 for g in (year, month, day) if g)
    natural = _PRECISIONS[parts]
    # a stated coarser precision wins ("2023-01-01" with precision "year" is a year)
    if precision in ("year", "month") and precision != natural:
        keep = 1 if precision == "year" else min(2, parts)
        text = "-".join(g for g in (year, month, day)[:keep])
        natural = _PRECISIONS[keep]
    return text, natural


def date_sort_key(date: str) -> int:
    """Return 20230802 for "2023-08-02", 20230800 for "2023-08", 20230000 for "2023", 0 for none."""
    m = _DATE_RE.fullmatch(date or "")
    if not m:
        return 0
    year, month, day = m.groups()
    return int(year) * 10000 + int(month or 0) * 100 + int(day or 0)


def normalise_comments(comments) -> list[dict]:
    """Return comments as ``{"text", "author", "reply_to", "id"}`` dicts (strings accepted)."""
    out = []
    if not isinstance(comments, list):
        return out
    for c in comments:
        if isinstance(c, str):
            c = {"text": c}
        if not isinstance(c, dict):
            continue
        text = _text(c.get("text")).strip()
        if not text:
            continue
        out.append({"text": text, "author": _opt(c.get("author")),
                    "reply_to": _opt(c.get("reply_to")), "id": _opt(c.get("id")), "date": _opt(c.get("date"))})
    return out


def clamp_name(name: str) -> str:
    """Return a name cut to MAX_NAME_CHARS characters."""
    return name if len(name) <= MAX_NAME_CHARS else name[:MAX_NAME_CHARS].rstrip()


def clean_persons(persons) -> list[str]:
    """Return distinct person names, in order, without separators that would split them."""
    out, seen = [], set()
    for p in persons if isinstance(persons, (list, tuple, set, frozenset)) else ():  # not a str's letters
        name = clamp_name(" ".join(_text(p).replace(PERSONS_SEP, " ").replace(MULTI_SEP, " ").split()))
        if name and name not in seen:
            seen.add(name)
            out.append(name)
    return out


def persons_fields(persons: list[str]) -> dict:
    """Return the index fields of an article's clean person names: stored list, facet column, searchable text."""
    return {
        "persons": PERSONS_SEP.join(persons),
        "persons_col": MULTI_SEP.join(persons).encode("utf-8"),
        "persons_text": "\n".join(persons),
    }


def split_persons(value) -> list[str]:
    """Return the person names of a stored ``persons`` field (str), a ``persons_col`` value (bytes) or a list."""
    if isinstance(value, bytes):
        parts = value.decode("utf-8", "replace").split(MULTI_SEP)
    elif isinstance(value, str):
        parts = value.split(PERSONS_SEP)
    elif isinstance(value, (list, tuple)):
        parts = value
    else:
        return []
    return [p.strip() for p in parts if isinstance(p, str) and p.strip()]


def article_hash(article: dict) -> str:
    """Return a hash of everything indexed from an article except persons (detects changes)."""
    data = {k: v for k, v in article.items() if k not in ("persons", "persons_dictionary")}
    blob = json.dumps(data, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(blob.encode("utf-8", "surrogatepass")).hexdigest()


def to_document(article: dict, persons=None) -> dict:
    """Return the Whoosh document (field → value) for one article dict; ValueError when it cannot be indexed.

    This is the last check before Whoosh, which refuses a whole commit for one bad value: every
    value is made one the schema accepts (a stated comment count out of bounds gives way to the
    comments present, an impossible date is dropped), and an article without an id is refused.
    """
    if not isinstance(article, Mapping):
        raise ValueError(f"not an article: {type(article).__name__}")
    doc_id = _text(article.get("id")).strip()
    if not doc_id:
        raise ValueError(f"article without an id ({_text(article.get('path')) or 'no path'})")
    persons = clean_persons(article.get("persons") if persons is None else persons)
    title = _text(article.get("title")).strip()
    body = _text(article.get("body"))
    comments = normalise_comments(article.get("comments"))
    comments_text = "\n\n".join(c["text"] for c in comments)
    count = max(plausible_count(article.get("comments_count")) or 0, len(comments))
    date, precision = normalise_date(article.get("date"), article.get("date_precision"))
    estimated = bool(article.get("date_estimated")) and bool(date)
    doc = {
        "id": doc_id,
        "title": title,
        "title_exact": title,
        "title_pairs": title,
        "title_derived": bool(article.get("title_derived")),
        "body": body,
        "body_exact": body,
        "body_pairs": body,
        "body_lead": body,
        "comments": comments_text,
        "comments_exact": comments_text,
        "comments_pairs": comments_text,
        "comments_data": comments,
        "comments_count": count,
        "year": date[:4],
        "month": date[:7] if len(date) >= 7 else "",
        "date": date,
        "date_sort": date_sort_key(date),
        "date_precision": precision,
        "date_estimated": estimated,
        "date_estimated_col": b"1" if estimated else b"",
        **persons_fields(persons),
    }
    for key in ("path", "url", "site", "content_hash", "outlet", "author"):
        value = _opt(article.get(key))
        if value is not None:
            doc[key] = clamp_name(value) if key in ("outlet", "author") else value
    if doc.get("outlet"):
        doc["outlet_text"] = doc["outlet"]
    if doc.get("author"):
        doc["author_text"] = doc["author"]
    if _opt(article.get("credit")) is not None:
        doc["credit"] = clamp_name(_opt(article.get("credit")))
    by_dictionary = [p for p in clean_persons(article.get("persons_dictionary")) if p in persons]
    if by_dictionary:
        doc["persons_dictionary"] = PERSONS_SEP.join(by_dictionary)
    return doc


def from_stored(fields: dict) -> dict:
    """Return the article dict rebuilt from a document's stored fields (to re-index it unchanged)."""
    return {
        "id": fields.get("id"),
        "path": fields.get("path"),
        "url": fields.get("url"),
        "title": fields.get("title") or "",
        "title_derived": bool(fields.get("title_derived")),
        "outlet": fields.get("outlet"),
        "site": fields.get("site"),
        "author": fields.get("author"),
        "credit": fields.get("credit") or None,
        "date": fields.get("date") or None,
        "date_precision": fields.get("date_precision"),
        "date_estimated": bool(fields.get("date_estimated")),
        "body": fields.get("body") or "",
        "comments": list(fields.get("comments_data") or []),
        "comments_count": int(fields.get("comments_count") or 0),
        "persons": split_persons(fields.get("persons")),
        "persons_dictionary": split_persons(fields.get("persons_dictionary")),
        "content_hash": fields.get("content_hash"),
    }
