"""Source files → article dicts: .txt pages (with their .json sidecar), .jsonl bulk files, .json articles.

This is the entry point of extraction. A whole file that cannot be read raises ``SkipFile``
with a one-line reason before anything is yielded; a bad line of a JSONL file is yielded as a
``SkippedRecord`` and the rest of the file is still read. The page heuristics live in
``search.page``, text decoding in ``search.textio``, the article shape in ``search.records``.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import stat
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

from search import htmlpage
from search.htmltext import declared_charset, looks_like_html
from search.page import extract_text as extract_visible_text
from search.records import ARTICLE_KEYS, canonical_json, content_hash, host_of, normalize_record
from search.textio import MAX_PAGE_BYTES, clean_text, decode_bytes, sniff_binary

__all__ = [
    "ARTICLE_KEYS", "HTML_SUFFIXES", "MAX_PAGE_BYTES", "MAX_RECORD_BYTES", "SkipFile", "SkippedRecord",
    "decode_bytes", "extract_text", "iter_file", "load_file", "normalize_record",
]

#: Page files read as HTML whatever their content looks like (other pages are sniffed).
HTML_SUFFIXES = (".html", ".htm", ".xhtml")

#: Largest single JSONL line read, in bytes (a bulk file itself may be of any size).
MAX_RECORD_BYTES = MAX_PAGE_BYTES


class SkipFile(Exception):
    """A source file that cannot be read; the message is the one-line reason."""


class SkippedRecord(NamedTuple):
    """One bad record of a bulk file: where it is (``file.jsonl:17``) and why it was skipped."""

    where: str
    reason: str


def extract_text(text: str, *, id: str, path: str = "", html: bool | None = None) -> dict:
    """Extract an article dict from the decoded text of one page: visible text, or HTML (sniffed when ``html`` is None)."""
    text = text if isinstance(text, str) else ""
    if html is None:
        html = looks_like_html(text)
    if not html:
        return extract_visible_text(text, id=id, path=path)
    page = htmlpage.html_page(text)
    hints = {**page.meta, "comments": page.comments, "comments_stated": page.comments_stated}
    article = extract_visible_text(page.text, id=id, path=path, hints=hints)
    article["content_hash"] = content_hash(clean_text(text))
    return article


def _decode_page(path: Path, data: bytes) -> tuple[str, bool]:
    """Return the decoded text of a page and whether it is HTML (by name or by content)."""
    text = decode_bytes(data)
    html = looks_like_html(text, by_name=path.suffix.lower() in HTML_SUFFIXES)
    declared = declared_charset(data) if html else None
    if declared:
        text = decode_bytes(data, declared=declared)
    return text, html


def _mb(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


def _check_file(path: Path) -> os.stat_result:
    try:
        st = path.stat()
    except OSError as exc:
        raise SkipFile(f"unreadable: {exc.strerror or exc}") from None
    if not stat.S_ISREG(st.st_mode):
        raise SkipFile("not a regular file")
    return st


def _read_page(path: Path) -> bytes:
    st = _check_file(path)
    if st.st_size > MAX_PAGE_BYTES:
        raise SkipFile(f"too large: {_mb(st.st_size)} > {MAX_PAGE_BYTES // (1024 * 1024)} MB limit")
    try:
        with open(path, "rb") as fh:
            data = fh.read(MAX_PAGE_BYTES + 1)
    except OSError as exc:
        raise SkipFile(f"unreadable: {exc.strerror or exc}") from None
    if len(data) > MAX_PAGE_BYTES:  # grew while we looked at it
        raise SkipFile(f"too large: more than {MAX_PAGE_BYTES // (1024 * 1024)} MB")
    if not data.strip():
        raise SkipFile("empty file")
    reason = sniff_binary(data)
    if reason:
        raise SkipFile(reason)
    return data


def _is_jsonl(path: Path) -> bool:
    name = path.name.lower()
    return name.endswith(".jsonl") or name.endswith(".jsonl.gz") or name.endswith(".ndjson")


def _sidecar_of(path: Path) -> Path:
    return path.with_suffix(".json")


def _is_sidecar(path: Path) -> bool:
    """A NAME.json beside a NAME.txt (or .html) page is that page's sidecar, not an article."""
    return any(path.with_suffix(ext).is_file() for ext in (".txt", ".html", ".htm"))


def _load_sidecar(path: Path) -> tuple[dict, bytes, str | None]:
    """Return ``(overrides, raw bytes, problem)`` for a page's sidecar (empty when absent)."""
    side = _sidecar_of(path)
    if side == path or not side.is_file():
        return {}, b"", None
    try:
        raw = side.read_bytes()[: MAX_PAGE_BYTES + 1]
        if len(raw) > MAX_PAGE_BYTES:
            return {}, b"", "sidecar ignored: too large"
        data = json.loads(decode_bytes(raw) or "null")
    except OSError as exc:
        return {}, b"", f"sidecar ignored: unreadable: {exc.strerror or exc}"
    except (ValueError, RecursionError) as exc:
        return {}, b"", f"sidecar ignored: invalid JSON ({str(exc).splitlines()[0][:80]})"
    if not isinstance(data, dict):
        return {}, raw, "sidecar ignored: not a JSON object"
    return data, raw, None


def _merge_sidecar(article: dict, sidecar: dict, path: Path) -> dict:
    """Apply a sidecar's keys over an extracted article; empty values do not erase findings."""
    merged = dict(article)
    given = {k: v for k, v in sidecar.items() if v is not None and v != "" and v != []}
    for key, value in given.items():
        if key in ARTICLE_KEYS and key not in ("path", "content_hash"):
            merged[key] = value
    if "date" in given:
        merged["date_estimated"] = bool(given.get("date_estimated", False))
    if "title" in given:
        merged["title_derived"] = bool(given.get("title_derived", False))
    if "comments" in given and "comments_count" not in given:
        merged["comments_count"] = 0
    if "url" in given and "site" not in given and not article.get("site"):
        merged["site"] = host_of(str(given["url"]))
    if "comments_meta" in given:
        merged["comments_meta"] = given["comments_meta"]
    merged.setdefault("id", path.stem)
    return normalize_record(merged, path=str(path))


def _iter_page(path: Path) -> Iterator[dict | SkippedRecord]:
    data = _read_page(path)
    text, html = _decode_page(path, data)
    if not text.strip():
        raise SkipFile("empty file")
    sidecar, sidecar_raw, problem = _load_sidecar(path)
    article = extract_text(text, id=path.stem, path=str(path), html=html)
    if html and not article["body"] and not article["comments"]:
        # Typically a page whose text is loaded by JavaScript: nothing to search in it.
        raise SkipFile("HTML page without article text (no visible text outside scripts and site chrome)")
    if sidecar:
        article = _merge_sidecar(article, sidecar, path)
    article["content_hash"] = content_hash(text, sidecar_raw)
    if problem:
        yield SkippedRecord(str(_sidecar_of(path).name), problem)
    yield article


def _iter_json(path: Path) -> Iterator[dict | SkippedRecord]:
    data = _read_page(path)
    try:
        obj = json.loads(decode_bytes(data))
    except (ValueError, RecursionError) as exc:
        raise SkipFile(f"invalid JSON ({str(exc).splitlines()[0][:80]})") from None
    items = obj if isinstance(obj, list) else [obj]
    if not any(isinstance(item, dict) for item in items):
        raise SkipFile("not an article (expected a JSON object)")
    seen: set[str] = set()
    for n, item in enumerate(items, start=1):
        where = f"{path.name}[{n}]" if isinstance(obj, list) else path.name
        yield _record(item, path, where, n, seen, default_id=path.stem if not isinstance(obj, list) else None)


def _record(obj, path: Path, where: str, n: int, seen: set[str], default_id: str | None = None):
    """Return the article of one JSON record, or a SkippedRecord saying why not."""
    if not isinstance(obj, dict):
        return SkippedRecord(where, "not a JSON object")
    try:
        article = normalize_record(obj, path=str(path))
    except (TypeError, ValueError, RecursionError) as exc:
        return SkippedRecord(where, f"bad record: {exc}")
    if not article["body"] and not obj.get("title") and not article["comments"]:
        return SkippedRecord(where, "no title, body or comments")
    if not article["id"]:
        # A stable id: the same record keeps it whatever lines are added around it.
        basis = obj.get("url") or canonical_json({k: obj.get(k) for k in ("title", "body", "date")})
        article["id"] = default_id or f"{path.name.split('.')[0]}-{hashlib.sha1(str(basis).encode('utf-8', 'replace')).hexdigest()[:12]}"
    if article["id"] in seen:
        article["id"] = f"{article['id']}-{n}"
    seen.add(article["id"])
    return article


def _open_lines(path: Path):
    if path.name.lower().endswith(".gz"):
        return gzip.open(path, "rb")
    return open(path, "rb")


def _iter_jsonl(path: Path) -> Iterator[dict | SkippedRecord]:
    _check_file(path)
    try:
        fh = _open_lines(path)
        head = fh.read(8192)
    except (OSError, EOFError, zlib.error) as exc:
        raise SkipFile(f"unreadable: {getattr(exc, 'strerror', None) or exc}") from None
    if not head.strip():
        fh.close()
        raise SkipFile("empty file")
    reason = sniff_binary(head)
    if reason:
        fh.close()
        raise SkipFile(reason)
    seen: set[str] = set()
    with fh:
        fh.seek(0)
        lineno = 0
        while True:
            try:
                line = fh.readline(MAX_RECORD_BYTES + 1)
            except (OSError, EOFError, zlib.error) as exc:
                yield SkippedRecord(f"{path.name}:{lineno + 1}", f"file ends abruptly: {exc}")
                return
            if not line:
                return
            lineno += 1
            where = f"{path.name}:{lineno}"
            if len(line) > MAX_RECORD_BYTES and not line.endswith(b"\n"):
                # Skip the rest of the oversized line before reading the next record.
                while line and not line.endswith(b"\n"):
                    line = fh.readline(1 << 20)
                yield SkippedRecord(where, f"record too large (> {MAX_RECORD_BYTES // (1024 * 1024)} MB)")
                continue
            if not line.strip():
                continue
            try:
                obj = json.loads(decode_bytes(line))
            except (ValueError, RecursionError) as exc:
                yield SkippedRecord(where, f"invalid JSON ({str(exc).splitlines()[0][:80]})")
                continue
            yield _record(obj, path, where, lineno, seen)


def iter_file(path) -> Iterator[dict | SkippedRecord]:
    """Yield the articles of one source file, and a SkippedRecord for each bad record in it.

    Raises SkipFile (before yielding anything) when the whole file cannot be read.
    """
    path = Path(path)
    if _is_jsonl(path):
        return _eager(_iter_jsonl(path))
    if path.suffix.lower() == ".json":
        _check_file(path)
        if _is_sidecar(path):
            return iter(())
        return _eager(_iter_json(path))
    return _eager(_iter_page(path))


def _eager(gen: Iterator) -> Iterator:
    """Run a generator up to its first item so whole-file SkipFile is raised by iter_file itself."""
    try:
        first = next(gen)
    except StopIteration:
        return iter(())

    def chained():
        yield first
        yield from gen

    return chained()


def load_file(path) -> list[dict]:
    """Return the articles of one source file (SkippedRecords left out), or raise SkipFile."""
    return [item for item in iter_file(path) if isinstance(item, dict)]
