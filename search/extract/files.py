"""Source files → article dicts: .txt pages (with their .json sidecar), .jsonl bulk files, .json articles.

This is the entry point of extraction. A whole file that cannot be read raises ``SkipFile``
with a one-line reason before anything is yielded; a bad line of a JSONL file is yielded as a
``SkippedRecord`` and the rest of the file is still read. The page heuristics live in
``search.extract.textpage``, text decoding in ``search.extract.decode``, the article shape in ``search.extract.records``.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import stat
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

from search.extract.html import page as htmlpage
from search.extract.html.parse import declared_charset, looks_like_html
from search.extract.textpage import extract_text as extract_visible_text
from search.extract.records import ARTICLE_KEYS, canonical_json, content_hash, host_of, normalize_record, parse_json
from search.extract.decode import MAX_PAGE_BYTES, clean_text, decode_bytes, sniff_binary

__all__ = [
    "ARTICLE_KEYS", "HTML_SUFFIXES", "MAX_PAGE_BYTES", "MAX_RECORD_BYTES", "MAX_SIDECAR_BYTES", "SkipFile",
    "SkippedRecord", "decode_bytes", "extract_text", "iter_file", "load_file", "normalize_record", "open_regular",
    "file_kind",
]

#: Page files read as HTML whatever their content looks like (other pages are sniffed).
HTML_SUFFIXES = (".html", ".htm", ".xhtml")

#: Largest single JSONL line read, in bytes (a bulk file itself may be of any size).
MAX_RECORD_BYTES = MAX_PAGE_BYTES

#: Largest ``.json`` sidecar read, in bytes: a sidecar holds metadata and comments, never the text.
MAX_SIDECAR_BYTES = 2 * 1024 * 1024

#: Bad records of one bulk file named one by one in the summary; the rest are counted in one line.
MAX_LISTED_SKIPS = 50

#: Open flags for source files: never block on a FIFO or a device, never take a terminal.
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)

#: Marks ``iter_file``'s default: the page's sidecar is the ``.json`` file beside it.
BESIDE = object()


class SkipFile(Exception):
    """A source file that cannot be read; the message is the one-line reason."""


class SkippedRecord(NamedTuple):
    """One bad record of a bulk file: where it is (``file.jsonl:17``) and why it was skipped."""

    where: str
    reason: str


def extract_text(text: str, *, id: str, path: str = "", html: bool | None = None, url: str | None = None) -> dict:
    """Extract an article dict from the decoded text of one page: visible text, or HTML (sniffed when ``html`` is None).

    ``url`` is the page's address as the crawler recorded it; it wins over the one the markup states.
    """
    text = text if isinstance(text, str) else ""
    if html is None:
        html = looks_like_html(text)
    url_hints = {"url": url, "host": host_of(url)} if host_of(url) else {}
    if not html:
        return extract_visible_text(text, id=id, path=path, hints=url_hints)
    page = htmlpage.html_page(text)
    hints = {**page.meta, **url_hints, "comments": page.comments, "comments_stated": page.comments_stated}
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


def file_kind(mode: int) -> str:
    """Return ``regular file``, ``folder``, ``named pipe``, ``device``… for a ``st_mode``."""
    for test, name in ((stat.S_ISREG, "regular file"), (stat.S_ISDIR, "folder"), (stat.S_ISFIFO, "named pipe"),
                       (stat.S_ISCHR, "character device"), (stat.S_ISBLK, "block device"),
                       (stat.S_ISSOCK, "socket")):
        if test(mode):
            return name
    return "special file"


def _not_regular(mode: int) -> str:
    kind = file_kind(mode)
    # a folder keeps the plain reason: it is walked as a folder anyway
    return "not a regular file" if kind == "folder" else f"not a regular file ({kind})"


def _unreadable(exc: OSError, path) -> str:
    if isinstance(exc, FileNotFoundError) and os.path.islink(path):
        return "broken symbolic link"
    return f"unreadable: {exc.strerror or exc}"


def _check_file(path: Path) -> os.stat_result:
    try:
        st = path.stat()
    except OSError as exc:
        raise SkipFile(_unreadable(exc, path)) from None
    if not stat.S_ISREG(st.st_mode):
        raise SkipFile(_not_regular(st.st_mode))
    return st


def open_regular(path) -> tuple:
    """Open a regular file for binary reading and return ``(file, stat)``; raise SkipFile for anything else.

    The type is checked before opening (a FIFO or a device is never opened) and again on the
    open descriptor, which is opened non-blocking, so a file swapped for a FIFO in between
    cannot hang the caller.
    """
    _check_file(Path(path))
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except OSError as exc:
        raise SkipFile(_unreadable(exc, path)) from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise SkipFile(_not_regular(st.st_mode))
        return os.fdopen(fd, "rb"), st  # O_NONBLOCK changes nothing for a regular file's reads
    except BaseException:
        os.close(fd)
        raise


def _read_bounded(path: Path, limit: int) -> bytes:
    """Return the bytes of a regular file of at most ``limit`` bytes, else raise SkipFile."""
    fh, st = open_regular(path)
    with fh:
        if st.st_size > limit:
            raise SkipFile(f"too large: {_mb(st.st_size)} > {_mb_limit(limit)} limit")
        try:
            data = fh.read(limit + 1)
        except OSError as exc:
            raise SkipFile(f"unreadable: {exc.strerror or exc}") from None
    if len(data) > limit:  # grew while we looked at it
        raise SkipFile(f"too large: more than {_mb_limit(limit)}")
    return data


def _mb_limit(limit: int) -> str:
    return f"{limit // (1024 * 1024)} MB"


def _read_page(path: Path, *, sniff: bool = True) -> bytes:
    data = _read_bounded(path, MAX_PAGE_BYTES)
    if not data.strip():
        raise SkipFile("empty file")
    reason = sniff_binary(data) if sniff else None
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


def _load_sidecar(path: Path, side=BESIDE) -> tuple[dict, bytes, str | None]:
    """Return ``(overrides, raw bytes, problem)`` for a page's sidecar (empty when absent).

    ``side`` is the sidecar to use (None: none); by default the ``.json`` file beside the page.
    A sidecar that cannot be used is a problem to report, never a reason to drop the page.
    """
    side = _sidecar_of(path) if side is BESIDE else side
    if side is None or side == path:
        return {}, b"", None
    try:
        st = os.stat(side)
    except FileNotFoundError:
        if os.path.islink(side):
            return {}, b"", "sidecar ignored: broken symbolic link"
        return {}, b"", None
    except OSError as exc:
        return {}, b"", f"sidecar ignored: unreadable: {exc.strerror or exc}"
    if stat.S_ISDIR(st.st_mode):  # a folder named like a sidecar is walked as a folder
        return {}, b"", None
    try:
        raw = _read_bounded(side, MAX_SIDECAR_BYTES)
        data = parse_json(raw) if raw.strip() else None
    except SkipFile as exc:
        return {}, b"", f"sidecar ignored: {exc}"
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
    # The page text is already decoded: decoding entities again would turn a printed "&lt;" into "<".
    return normalize_record(merged, path=str(path), markup=False)


def _iter_page(path: Path, side=BESIDE) -> Iterator[dict | SkippedRecord]:
    data = _read_page(path)
    text, html = _decode_page(path, data)
    if not text.strip():
        raise SkipFile("empty file")
    sidecar, sidecar_raw, problem = _load_sidecar(path, side)
    # The crawler's URL is evidence for the extraction itself (host → outlet, URL date, slug), not only an override.
    url = sidecar.get("url") if isinstance(sidecar.get("url"), str) else None
    article = extract_text(text, id=path.stem, path=str(path), html=html, url=url)
    if html and not article["body"] and not article["comments"]:
        # Typically a page whose text is loaded by JavaScript: nothing to search in it.
        raise SkipFile("HTML page without article text (no visible text outside scripts and site chrome)")
    if sidecar:
        article = _merge_sidecar(article, sidecar, path)
    article["content_hash"] = content_hash(text, sidecar_raw)
    if problem:
        yield SkippedRecord(str((_sidecar_of(path) if side is BESIDE else side).name), problem)
    yield article


def _iter_json(path: Path) -> Iterator[dict | SkippedRecord]:
    # JSON that parses is read whatever stray bytes it holds: binary-ness only names the failure
    data = _read_page(path, sniff=False)
    try:
        obj = parse_json(data)
    except (ValueError, RecursionError) as exc:
        raise SkipFile(sniff_binary(data) or f"invalid JSON ({str(exc).splitlines()[0][:80]})") from None
    items = obj if isinstance(obj, list) else [obj]
    if not any(isinstance(item, dict) for item in items):
        raise SkipFile("not an article (expected a JSON object)")
    seen: set[str] = set()
    for n, item in enumerate(items, start=1):
        where = f"{path.name}[{n}]" if isinstance(obj, list) else path.name
        notes: list[str] = []
        yield _record(item, path, where, n, seen, default_id=path.stem if not isinstance(obj, list) else None,
                      notes=notes)
        yield from (SkippedRecord(where, note) for note in notes)


def _record(obj, path: Path, where: str, n: int, seen: set[str], default_id: str | None = None,
            notes: list[str] | None = None):
    """Return the article of one JSON record, or a SkippedRecord saying why not (repairs go in ``notes``)."""
    if not isinstance(obj, dict):
        return SkippedRecord(where, "not a JSON object")
    try:
        article = normalize_record(obj, path=str(path), notes=notes)
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
    fh, _st = open_regular(path)
    if not path.name.lower().endswith(".gz"):
        return fh
    try:
        gz = gzip.GzipFile(fileobj=fh, mode="rb")
    except BaseException:
        fh.close()
        raise
    gz.myfileobj = fh  # closed with the gzip reader, as gzip.open does with the file it opens
    return gz


def _bad_line(line: bytes, exc: Exception) -> str:
    """Return why a JSONL line is not a record: binary data when it looks so, else the JSON error."""
    binary = sniff_binary(line)
    if binary:
        return binary.replace("binary file", "binary data", 1)
    return f"invalid JSON ({str(exc).splitlines()[0][:80]})"


def _iter_jsonl(path: Path) -> Iterator[dict | SkippedRecord]:
    # Whether a line is a record is decided line by line: one binary or broken line (a NUL
    # byte near the top, say) never costs the other records of the file.
    try:
        fh = _open_lines(path)
    except (OSError, EOFError, zlib.error) as exc:
        raise SkipFile(f"unreadable: {getattr(exc, 'strerror', None) or exc}") from None
    seen: set[str] = set()
    listed, unlisted, first_unlisted, last_unlisted, blank = 0, 0, None, 0, True
    with fh:
        lineno = 0
        while True:
            try:
                line = fh.readline(MAX_RECORD_BYTES + 1)
            except (OSError, EOFError, zlib.error) as exc:
                if lineno == 0:
                    raise SkipFile(f"unreadable: {getattr(exc, 'strerror', None) or exc}") from None
                yield SkippedRecord(f"{path.name}:{lineno + 1}", f"file ends abruptly: {exc}")
                break
            if not line:
                break
            lineno += 1
            where = f"{path.name}:{lineno}"
            notes: list[str] = []
            if len(line) > MAX_RECORD_BYTES and not line.endswith(b"\n"):
                # Skip the rest of the oversized line before reading the next record.
                while line and not line.endswith(b"\n"):
                    line = fh.readline(1 << 20)
                item = SkippedRecord(where, f"record too large (> {MAX_RECORD_BYTES // (1024 * 1024)} MB)")
                blank = False
            else:
                if not decode_bytes(line).strip():  # blank once decoded: a BOM, control bytes
                    continue
                blank = False
                try:
                    obj = parse_json(line)
                except (ValueError, RecursionError) as exc:
                    item = SkippedRecord(where, _bad_line(line, exc))
                else:
                    item = _record(obj, path, where, lineno, seen, notes=notes)
            if isinstance(item, SkippedRecord):
                if listed >= MAX_LISTED_SKIPS:  # a binary file named .jsonl: one line, not thousands
                    unlisted += 1
                    first_unlisted, last_unlisted = first_unlisted or item, lineno
                    continue
                listed += 1
            yield item
            yield from (SkippedRecord(where, note) for note in notes if not isinstance(item, SkippedRecord))
    if unlisted:
        yield SkippedRecord(f"{first_unlisted.where}-{last_unlisted}",
                            f"{unlisted} more bad records (the first: {first_unlisted.reason})")
    elif blank:
        raise SkipFile("empty file")


def iter_file(path, *, sidecar=BESIDE) -> Iterator[dict | SkippedRecord]:
    """Yield the articles of one source file, and a SkippedRecord for each bad record in it.

    Raises SkipFile (before yielding anything) when the whole file cannot be read. ``sidecar``
    is a page's sidecar: by default the ``.json`` file beside it; None for none.
    """
    path = Path(path)
    if _is_jsonl(path):
        return _eager(_iter_jsonl(path))
    if path.suffix.lower() == ".json":
        _check_file(path)
        if _is_sidecar(path):
            return iter(())
        return _eager(_iter_json(path))
    return _eager(_iter_page(path, sidecar))


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
