"""Walking a source folder and fingerprinting its files: the first step of a reindex.

``walk_sources`` lists the pages (``.txt``, ``.html``, each with its optional ``.json`` sidecar)
and bulk files (``.jsonl``) of a source folder, depth first in name order, as ``SourceFile``
records whose signature (size and mtime of the file and its sidecar) tells when a file must be
looked at again; what it cannot take (hidden, unreadable, not a regular file, a symbolic link
leading outside the folder) is counted as ignored or named with its reason, and a source that
cannot be read raises ``SourceError``.  ``_hash_or_reason`` gives a file's content hash (file and
sidecar, within extraction's size limits) or why it cannot be read; ``_printable`` and
``_one_line`` make file names and errors fit for the summary and the JSON state.  Nothing here
reads an article or writes a file.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path

PAGE_EXT, SIDECAR_EXT, BULK_EXT = ".txt", ".json", ".jsonl"
HTML_EXTS = (".html", ".htm")  # pages too, converted from HTML by search.extract.files

OUTSIDE = "outside the source folder"


class SourceError(Exception):
    """The source folder is missing or unreadable (the index is left untouched)."""


@dataclass
class SourceFile:
    """One source file to index, with its optional ``.json`` sidecar."""

    rel: str
    path: Path
    sidecar: Path | None
    signature: list
    #: why the ``.json`` file beside the page is not used (then ``sidecar`` is None)
    sidecar_problem: str | None = None

    @property
    def kind(self) -> str:
        """``page`` or ``bulk``."""
        return "bulk" if _kind(self.path.name) == "bulk" else "page"


def _printable(text: str) -> str:
    """Return ``text`` with undecodable file-name bytes replaced (JSON and Whoosh need UTF-8)."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _within(real: str, root: str) -> bool:
    return real == root or real.startswith(root.rstrip(os.sep) + os.sep)


class _Entry:
    """One name of a folder listing, stat'ed (following links) at most once."""

    __slots__ = ("name", "path", "link", "_entry", "_st", "_err")

    def __init__(self, name: str, path: str, link: bool, entry=None):
        self.name, self.path, self.link, self._entry = name, path, link, entry
        self._st = self._err = None

    def stat(self) -> os.stat_result | None:
        """Return the stat of the entry (following links), or None with ``error`` set."""
        if self._st is None and self._err is None:
            try:
                self._st = self._entry.stat() if self._entry is not None else os.stat(self.path)
            except OSError as exc:
                self._err = exc
        return self._st

    @property
    def error(self) -> str:
        """Why the entry cannot be stat'ed, in one line."""
        if isinstance(self._err, FileNotFoundError) and self.link:
            return "broken symbolic link"
        if isinstance(self._err, OSError) and self._err.errno == errno.ELOOP:
            return "symbolic link loop"
        return f"unreadable: {getattr(self._err, 'strerror', None) or self._err}"


def _list(folder: str) -> list[_Entry]:
    with os.scandir(folder) as it:
        entries = [_Entry(e.name, e.path, e.is_symlink(), e) for e in it]
    entries.sort(key=lambda e: e.name)
    return entries


def _kind(name: str) -> str | None:
    suffix = BULK_EXT if name.lower().endswith((".jsonl.gz", ".ndjson")) else os.path.splitext(name)[1].lower()
    if name.startswith(".") or suffix not in (PAGE_EXT, SIDECAR_EXT, BULK_EXT, *HTML_EXTS):
        return None
    return {SIDECAR_EXT: "sidecar", BULK_EXT: "bulk"}.get(suffix, "page")


class _Walk:
    """The files, skipped entries and ignored count gathered while walking one source folder."""

    def __init__(self, root: str, excluded: tuple[int, int] | None, follow_external: bool):
        self.root, self.excluded, self.follow_external = root, excluded, follow_external
        self.files: list[SourceFile] = []
        self.skipped: list[tuple[str, str]] = []
        self.ignored = 0

    def outside(self, entry: _Entry, inside: bool) -> bool:
        """Return True when an entry leads outside the source folder and links are not followed out."""
        # a plain entry of a folder inside the source is inside: only links need resolving
        if self.follow_external or (inside and not entry.link):
            return False
        return not _within(os.path.realpath(entry.path), self.root)

    def add_folder(self, prefix: str, entries: list[_Entry], inside: bool) -> list:
        """Take the files of one folder listing; return its sub-folders to walk."""
        by_name = {e.name: e for e in entries}
        kinds = [_kind(e.name) for e in entries]
        page_stems = {os.path.splitext(e.name)[0] for e, kind in zip(entries, kinds) if kind == "page"}
        listing = (prefix, by_name, page_stems, {stem.casefold() for stem in page_stems})
        subfolders = []
        for e, kind in zip(entries, kinds):
            rel = _printable(prefix + e.name)
            if kind is None and not e.link and e._entry is not None and not e._entry.is_dir():
                self.ignored += 1  # hidden, or not a source file: no stat needed
                continue
            st = e.stat()
            if st is not None and stat.S_ISDIR(st.st_mode):
                sub = self._subfolder(e, rel, st, inside)
                if sub is not None:
                    subfolders.append(sub)
            elif kind is None:
                self.ignored += 1
            else:
                self._add_file(e, rel, kind, st, inside, listing)
        return subfolders

    def _subfolder(self, e: _Entry, rel: str, st: os.stat_result, inside: bool) -> tuple | None:
        """Return ``(path, rel/, inside, stat)`` of a folder to walk, or None (refused ones named in ``skipped``)."""
        if e.name.startswith(".") or (st.st_dev, st.st_ino) == self.excluded:
            return None
        if not e.link:
            return (e.path, rel + "/", inside, st)
        if _within(os.path.realpath(e.path), self.root):
            return None  # a link within the source: its folder is walked where it really is
        if not self.follow_external:
            self.skipped.append((rel, f"symbolic link to a folder {OUTSIDE} (not followed "
                                      "without --follow-external-links)"))
            return None
        return (e.path, rel + "/", False, st)

    def _add_file(self, e: _Entry, rel: str, kind: str, st: os.stat_result | None, inside: bool,
                  listing: tuple) -> None:
        """Take one page or bulk file (with its sidecar), or name in ``skipped`` why it is not taken."""
        prefix, by_name, page_stems, page_stems_folded = listing
        stem = os.path.splitext(e.name)[0]
        if kind == "sidecar" and stem in page_stems and e.name.endswith(SIDECAR_EXT):
            return  # checked and read with its page
        if st is None:
            self.skipped.append((rel, e.error))
            return
        if not stat.S_ISREG(st.st_mode):
            self.skipped.append((rel, f"not a regular file ({_file_kind(st.st_mode)})"))
            return
        if self.outside(e, inside):
            self.skipped.append((rel, f"symbolic link {OUTSIDE} (not followed without "
                                      "--follow-external-links)"))
            return
        if kind == "sidecar":
            if stem.casefold() in page_stems_folded:
                self.skipped.append((rel, "JSON sidecar whose name does not match its page's exactly "
                                          "(the sidecar of NAME.txt is NAME.json)"))
            else:
                self.skipped.append((rel, "JSON sidecar without its .txt page (bulk articles go "
                                          "in .jsonl files)"))
            return
        sig = [st.st_size, st.st_mtime_ns]
        sidecar, problem = None, None
        if kind == "page":
            side = by_name.get(stem + SIDECAR_EXT)
            if side is not None:
                sidecar, problem, side_sig = _sidecar_check(side, inside, self.outside)
                sig += side_sig
                if problem:
                    self.skipped.append((_printable(prefix + side.name), f"sidecar ignored: {problem}"))
        self.files.append(SourceFile(rel, Path(e.path), sidecar, sig, problem))


def walk_sources(source: Path, exclude: Path | None = None, *, follow_external: bool = False
                 ) -> tuple[list[SourceFile], int, list[tuple[str, str]]]:
    """Return ``(files, ignored_count, skipped)`` for a source folder, in a stable order.

    Only regular files are taken; a symbolic link whose real path lies outside the source
    folder (file or folder) is skipped unless ``follow_external``.  ``exclude`` (the index
    folder, when it lies inside the source) is not walked.  The cost is linear in the number
    of entries: one ``stat`` per candidate file, no per-file scan of its folder.
    """
    try:
        xst = os.stat(exclude) if exclude is not None else None
        excluded = (xst.st_dev, xst.st_ino) if xst is not None else None
    except OSError:
        excluded = None
    try:
        sst = os.stat(source)
    except OSError as exc:
        raise SourceError(f"source folder unreadable: {source}: {exc.strerror or exc}") from None
    if not stat.S_ISDIR(sst.st_mode):
        # one file named on the command line: taken wherever it points, with its sidecar
        parent, name = os.path.split(os.fspath(source))
        walk = _Walk(os.path.realpath(parent or "."), excluded, follow_external)
        entries = [_Entry(name, os.fspath(source), False)]
        side = os.path.join(parent, os.path.splitext(name)[0] + SIDECAR_EXT)
        if _kind(name) == "page" and os.path.lexists(side):
            entries.append(_Entry(os.path.basename(side), side, os.path.islink(side)))
        walk.add_folder("", entries, True)
        return walk.files, walk.ignored, walk.skipped
    walk = _Walk(os.path.realpath(source), excluded, follow_external)
    visited = {(sst.st_dev, sst.st_ino)}
    stack = [(os.fspath(source), "", True)]
    while stack:
        folder, prefix, inside = stack.pop()
        try:
            entries = _list(folder)
        except OSError as exc:
            walk.skipped.append((_printable(prefix.rstrip("/") or os.fspath(source)),
                                 f"unreadable folder: {exc.strerror or exc}"))
            continue
        subfolders = walk.add_folder(prefix, entries, inside)
        for path, rel, sub_inside, st in reversed(subfolders):  # depth first, in name order
            if (st.st_dev, st.st_ino) in visited:
                continue  # a followed link back to a folder already walked
            visited.add((st.st_dev, st.st_ino))
            stack.append((path, rel, sub_inside))
    return walk.files, walk.ignored, walk.skipped


def _file_kind(mode: int) -> str:
    from search.extract import files as extract

    return extract.file_kind(mode)


def _sidecar_check(side: _Entry, inside: bool, outside) -> tuple[Path | None, str | None, list]:
    """Return ``(sidecar, problem, signature part)`` for the ``.json`` file beside a page."""
    st = side.stat()
    if st is None:
        return None, side.error, [side.error]
    if stat.S_ISDIR(st.st_mode):  # a folder named like a sidecar is walked as a folder
        return None, None, []
    if not stat.S_ISREG(st.st_mode):
        problem = f"not a regular file ({_file_kind(st.st_mode)})"
        return None, problem, [problem]
    if outside(side, inside):
        problem = f"symbolic link {OUTSIDE} (not followed without --follow-external-links)"
        return None, problem, [problem]
    return Path(side.path), None, [st.st_size, st.st_mtime_ns]


def _hash_into(h, path: Path, limit: int | None) -> None:
    """Hash a regular file's bytes (at most ``limit``, else its size when opened) into ``h``."""
    from search.extract import files as extract

    fh, st = extract.open_regular(path)
    with fh:
        remaining = st.st_size if limit is None else limit
        while remaining > 0 and (chunk := fh.read(min(1 << 20, remaining))):
            h.update(chunk)
            remaining -= len(chunk)


def _file_hash(sf: SourceFile) -> str:
    """Return the content hash of a source file and its sidecar; raise SkipFile or OSError when unreadable."""
    from search.extract import files as extract

    h = hashlib.sha256()
    _hash_into(h, sf.path, None if sf.kind == "bulk" else extract.MAX_PAGE_BYTES + 1)
    h.update(b"\0")
    if sf.sidecar is not None:
        try:
            _hash_into(h, sf.sidecar, extract.MAX_SIDECAR_BYTES + 1)
        except (OSError, extract.SkipFile) as exc:  # the page is read without it
            h.update(f"sidecar unusable: {exc}".encode("utf-8", "replace"))
        h.update(b"\0")
    return h.hexdigest()


def _one_line(exc: BaseException) -> str:
    text = _printable(" ".join(str(exc).split()))
    return text[:300] or type(exc).__name__


def _hash_or_reason(sf: SourceFile) -> tuple[str | None, str | None]:
    """Return ``(content hash, None)`` for a source file, or ``(None, why it cannot be read)``."""
    from search.extract import files as extract

    try:
        return _file_hash(sf), None
    except extract.SkipFile as exc:
        return None, _one_line(exc)
    except OSError as exc:
        return None, f"unreadable: {exc.strerror or exc}"
