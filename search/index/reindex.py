"""Walking a source folder and bringing the index up to date: incremental or full reindex.

Each generation keeps ``sources.json`` beside the Whoosh files: per source file its
fingerprint (size, mtime, content hash) and per article its change hash, raw person mentions
and resolved persons.  An incremental run stats every file, reads only those whose
fingerprint changed, re-resolves persons corpus-wide from the stored mentions, and rewrites only
the articles whose content or persons changed, in one atomic Whoosh commit.  A full run
writes a new generation and publishes it with ``store.publish``; until then the previous
index keeps serving, whatever happens to this process.
"""

from __future__ import annotations

import errno
import hashlib
import itertools
import json
import os
import re
import shutil
import stat
import time
import traceback
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from search.index import analysis
from search.index.codec import WriteCodec
from search.index.writer import open_writer
from search.index import documents
from search.index import faults
from search.index import storyfile
from search.persons import names, ner
from search.persons import resolve as resolving
from search.index import folder as store
from search.query import arrays, suggest
from search.index.progress import Progress, make_progress
from search.index.schema import SCHEMA_VERSION, build_schema
from search.index.spool import ArticleSpool, Pending

__all__ = ["reindex", "ReindexReport", "IndexWriteError", "SourceError", "make_progress",
           "walk_sources", "STATE_FILE", "PERSONS_FILE"]

STATE_FILE = "sources.json"
PERSONS_FILE = "persons.json"
STATE_VERSION = 1
#: How ids are given to duplicates (``meta.ids`` of the state): 2 stores each article's base id.
ID_RULE = 2
#: Merge policy of incremental commits (see ``merge_policy``): a segment more than MAX_DELETED
#: of whose documents are deleted is rewritten, and an index has at most MAX_SEGMENTS segments.
MAX_DELETED = 0.3
MAX_SEGMENTS = 8
PAGE_EXT, SIDECAR_EXT, BULK_EXT = ".txt", ".json", ".jsonl"
HTML_EXTS = (".html", ".htm")  # pages too, converted from HTML by search.extract.files
#: Whoosh writer processes for a full build.  Measured on 3000 corpus articles (2 cores):
#: one process 108 docs/s; procs=2 with multisegment 118 docs/s but two segments and a 15 %
#: larger index (slower searches); procs=2 merged into one segment 87 docs/s.  Extraction
#: and document building stay in the parent, so the workers idle half the time.  The cores
#: are used where it pays: spaCy NER runs with ``n_process=procs``.
WRITER_PROCS = 1
#: Articles sent to the NER at a time: a batch's texts are all that the persons step holds.
NER_BATCH = 500
#: Below this many documents a multiprocess writer never pays for its start-up.
MP_MIN_DOCS = 2000


class IndexWriteError(Exception):
    """The index could not be written (disk full, read-only folder, unexpected failure)."""


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


@dataclass
class ReindexReport:
    """What a reindex did; ``summary()`` is the text printed by ``presse reindex``."""

    mode: str = "incremental"
    full_reason: str | None = None
    source: str = ""
    generation: str = ""
    added: int = 0
    updated: int = 0
    renamed: int = 0  # unchanged articles whose id changed (a duplicate id appeared or went)
    deleted: int = 0
    unchanged: int = 0
    persons_updated: int = 0
    files_read: int = 0
    files_unchanged: int = 0
    ignored: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    total_docs: int = 0
    seconds: float = 0.0
    procs: int = 1
    timings: dict = field(default_factory=dict)  # seconds per phase: extract, persons, write

    @property
    def written(self) -> int:
        """Documents written to the index in this run."""
        return self.added + self.updated + self.renamed + self.persons_updated

    @property
    def docs_per_s(self) -> float:
        """Written documents per second of wall time."""
        return self.written / self.seconds if self.seconds > 0 else 0.0

    @property
    def changed(self) -> bool:
        """True when the index content changed."""
        return bool(self.written or self.deleted)

    def summary(self) -> str:
        """Return the human-readable summary (one headline, then skipped files and warnings)."""
        how = "full" if self.mode == "full" else "incremental"
        if self.full_reason:
            how += f" ({self.full_reason})"
        lines = [f"reindex {how}: {self.source} → {self.generation}"]
        if self.mode != "full" and not self.changed:
            lines.append(f"nothing changed: {self.unchanged} articles in "
                         f"{self.files_unchanged} unchanged files, checked in {self.seconds:.2f} s")
        else:
            lines.append(
                f"{self.added} added, {self.updated} updated, {self.deleted} deleted, "
                + (f"{self.renamed} renamed (duplicate ids), " if self.renamed else "")
                + f"{self.unchanged} unchanged, {self.persons_updated} re-indexed for persons, "
                f"{len(self.skipped)} skipped")
            lines.append(
                f"{self.files_read} files read, {self.files_unchanged} unchanged, "
                f"{self.ignored} ignored (hidden or not .txt/.html/.json/.jsonl); "
                f"{self.total_docs} articles in the index; "
                f"{self.seconds:.1f} s, {self.docs_per_s:.1f} docs/s"
                + (" (" + ", ".join(f"{k} {v:.1f} s" for k, v in self.timings.items()) + ")"
                   if self.timings else ""))
        if self.skipped:
            lines.append("skipped:")
            lines.extend(f"  {where}: {reason}" for where, reason in self.skipped)
        lines.extend(f"warning: {w}" for w in self.warnings)
        return "\n".join(lines)


# --- walking the source folder -----------------------------------------------------------

def _printable(text: str) -> str:
    """Return ``text`` with undecodable file-name bytes replaced (JSON and Whoosh need UTF-8)."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


OUTSIDE = "outside the source folder"


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


def extract_file(sf: SourceFile, into=None) -> tuple[list, list[tuple[str, str]], str | None]:
    """Return ``(articles, skipped_records, whole_file_reason)`` for one source file.

    With ``into``, each article is handed to ``into(article)`` as soon as it is read (a bulk file
    is never held whole in memory) and the list holds what ``into`` returned.
    """
    from search.extract import files as extract

    articles, skipped = [], []
    try:
        if sf.sidecar_problem:  # the walker refused the sidecar: the page is read without it
            items = extract.iter_file(sf.path, sidecar=None)
        else:
            items = extract.iter_file(sf.path)
        for item in items:
            if isinstance(item, dict):
                articles.append(item if into is None else into(item))
            else:  # SkippedRecord(where, reason)
                where = str(getattr(item, "where", None) or sf.rel)
                for prefix in (str(sf.path), sf.path.name):  # name it relative to the source
                    if where.startswith(prefix) and not where.startswith(sf.rel):
                        where = sf.rel + where[len(prefix):]
                        break
                if not where.startswith(sf.rel):
                    where = f"{sf.rel}:{where}"
                skipped.append((where, str(getattr(item, "reason", item))))
    except extract.SkipFile as exc:
        return [], [], _one_line(exc) or "skipped"
    except MemoryError:
        return [], [], "too large to read"
    except Exception as exc:  # an extractor bug must cost one file, not the whole run
        if not articles:
            return [], [], f"extraction failed: {type(exc).__name__}: {_one_line(exc)}"
        skipped.append((sf.rel, f"extraction stopped: {type(exc).__name__}: {_one_line(exc)}"))
    return articles, skipped, None


class _BaseIds:
    """Give each article of one file, in order, its base id: the extractor's, unique within the file."""

    def __init__(self, sf: SourceFile):
        self.stem = Path(sf.rel).stem or "article"
        self.seen: set[str] = set()
        self.n = 0

    def __call__(self, article: dict) -> str:
        self.n += 1
        base = documents._text(article.get("id")).strip() or self.stem
        base = " ".join(base.split())[:200]
        cand, k = base, 1
        while cand in self.seen:  # as search.extract.files does for a repeated id in a bulk file
            cand = f"{base}-{self.n}" if k == 1 else f"{base}-{self.n}-{k}"
            k += 1
        self.seen.add(cand)
        return cand


def _file_bases(articles: list[dict], sf: SourceFile) -> list[str]:
    """Return the base id of each article of one file: the extractor's, unique within the file."""
    base_of = _BaseIds(sf)
    return [base_of(article) for article in articles]


@dataclass(slots=True)
class _Extracted:
    """One article read in this run, as kept in memory: where it is spooled, never its text."""

    offset: int
    base: str
    hash: str  # ``documents.article_hash`` with the base id as its id
    persons: list | None  # the persons the source itself carries (used without NER)


_SUFFIXED = re.compile(r"~[0-9a-f]{8}$")


def _assign_ids(claims: list[tuple[str, int, int, str]]) -> dict[tuple[str, str], str]:
    """Return the id of every ``(base, rank, order, rel)`` claim, keyed by ``(rel, base)``.

    The rule depends on the claims only, never on which run saw them first, so a full and an
    incremental run give every article the same id: of the claims on one base id, a page
    (rank 0) wins over a bulk record (rank 1), then the first file in walk order; the others
    become ``BASE~xxxxxxxx`` (8 hex of their file's relative path).
    """
    by_base: dict[str, list] = defaultdict(list)
    for claim in claims:
        by_base[claim[0]].append(claim)
    ids: dict[tuple[str, str], str] = {}
    losers = []
    for base, group in by_base.items():
        group.sort(key=lambda c: (c[1], c[2]))
        ids[(group[0][3], base)] = base
        losers.extend(group[1:])
    taken = set(by_base)  # a suffixed id never takes another article's own id
    for base, _rank, _order, rel in sorted(losers):
        cand, k = f"{base}~{hashlib.sha1(rel.encode()).hexdigest()[:8]}", 1
        while cand in taken:
            k += 1
            cand = f"{base}~{hashlib.sha1(f'{rel}#{k}'.encode()).hexdigest()[:8]}"
        taken.add(cand)
        ids[(rel, base)] = cand
    return ids


def _stored_base(aid: str, info: dict, rule: int | None) -> str:
    """Return the base id of an article of the state (older states did not store it)."""
    if "b" in info:
        return info["b"]
    return aid if rule == ID_RULE else _SUFFIXED.sub("", aid)


def _with_base(info: dict, base: str, aid: str) -> dict:
    """Return an article's state with its base id (stored only when its id is suffixed)."""
    if base != aid:
        info["b"] = base
    return info


def _hash_or_reason(sf: SourceFile) -> tuple[str | None, str | None]:
    """Return ``(content hash, None)`` for a source file, or ``(None, why it cannot be read)``."""
    from search.extract import files as extract

    try:
        return _file_hash(sf), None
    except extract.SkipFile as exc:
        return None, _one_line(exc)
    except OSError as exc:
        return None, f"unreadable: {exc.strerror or exc}"


def _renamed_articles(ix, renamed: dict, files: list[SourceFile], ids: dict, to_write: Pending,
                      report: ReindexReport, source_persons: dict) -> int:
    """Queue the articles of unchanged files whose id changed, rebuilt from their stored fields.

    An article missing from the index (the state and the index disagree, e.g. after a crash
    between the commit and the state write) is read again from its file.  Return the count.
    """
    missing: set[str] = set()
    with ix.searcher() as searcher:
        for new_id, (_rel, old_id) in renamed.items():
            stored = searcher.document(id=old_id)
            if stored is None:
                missing.add(new_id)
                continue
            art = documents.from_stored(stored)
            art["id"] = new_id
            to_write[new_id] = art
            if art.get("persons"):
                source_persons[new_id] = documents.clean_persons(art["persons"])
    by_rel = {sf.rel: sf for sf in files}
    for rel in sorted({renamed[new_id][0] for new_id in missing}):
        sf = by_rel[rel]
        articles, rec_skips, whole = extract_file(sf)
        if whole is not None:
            report.skipped.append((sf.rel, whole))
            continue
        for art, base in zip(articles, _file_bases(articles, sf)):
            aid = ids.get((rel, base))
            if aid in missing:
                art["id"], art["path"] = aid, rel
                to_write[aid] = art
                if art.get("persons"):
                    source_persons[aid] = documents.clean_persons(art["persons"])
    return sum(1 for new_id in renamed if new_id in to_write)


# --- the index state kept beside each generation --------------------------------------------

def persons_data_fingerprint() -> str:
    """Return a hash of the persons data files (aliases, non-persons, titles) and rules version."""
    h = hashlib.sha256(f"rules {resolving.RULES_VERSION}\0".encode())
    for path in sorted(names.DATA_DIR.glob("*")):
        if path.is_file():
            h.update(path.name.encode() + b"\0")
            try:
                h.update(path.read_bytes())
            except OSError:
                pass
    return h.hexdigest()[:16]


def _state_meta(persons: bool) -> dict:
    return {"version": STATE_VERSION, "schema_version": SCHEMA_VERSION, "ids": ID_RULE,
            "analysis": analysis.analysis_fingerprint(), "persons": bool(persons),
            "persons_data": persons_data_fingerprint() if persons else None}


def _state(persons: bool, files: dict, skipped: dict) -> dict:
    return {"meta": _state_meta(persons), "files": files, "skipped": skipped}


def load_state(generation: Path) -> dict | None:
    """Return the ``sources.json`` of a generation, or None when missing or unreadable."""
    from search.extract import files as extract

    try:
        fh, _st = extract.open_regular(generation / STATE_FILE)  # a FIFO there must not hang the run
        with fh:
            state = json.loads(fh.read().decode("utf-8"))
    except (OSError, ValueError, extract.SkipFile):
        return None
    return state if isinstance(state, dict) and isinstance(state.get("files"), dict) else None


def _write_json(path: Path, data) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(data, fh, ensure_ascii=False, separators=(",", ":"))
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def _full_reason(live: Path | None, state: dict | None, persons: bool, full: bool) -> str | None:
    if full:
        return "--full"
    if live is None:
        return "no index yet"
    if state is None:
        return "index state missing"
    meta = state.get("meta", {})
    if meta.get("schema_version") != SCHEMA_VERSION or meta.get("version") != STATE_VERSION:
        return "schema changed"
    if meta.get("analysis") != analysis.analysis_fingerprint():
        return "analysis changed"
    if bool(meta.get("persons")) != bool(persons):
        return "persons " + ("enabled" if persons else "disabled")
    if meta.get("ids") != ID_RULE and any(
            _SUFFIXED.search(aid) for entry in state["files"].values() for aid in entry.get("articles", {})):
        # older states did not keep the base id of a suffixed duplicate: rebuild them once
        return "duplicate-id rule changed"
    return None


# --- persons ---------------------------------------------------------------------------------

def _ner_batches(articles, size: int):
    """Yield lists of at most ``size`` articles (one batch in memory at a time)."""
    batch = []
    for art in articles:
        batch.append(art)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _mentions(articles, total: int, index_dir: Path, procs: int, report: ReindexReport, progress,
              last_state=lambda: None) -> tuple[dict[str, list[str]], set[str], dict]:
    """Return raw person mentions by article id, the ids whose NER failed (given the last run's),
    and the name runs by article id.

    The articles (an iterable of ``total``) go to the NER batch by batch.  A failure (MemoryError,
    an error in spaCy, a killed worker) costs only the articles it hits: each keeps the mentions
    of the last run's state (``last_state()``) and the summary says so.
    """
    if not total:
        return {}, set(), {}
    cache = None
    try:
        cache = ner.NerCache(index_dir / "persons-cache.sqlite")
    except Exception as exc:  # a broken cache costs speed, not the run
        report.warnings.append(f"NER cache unavailable: {_one_line(exc)}")
    progress("persons", 0, total)
    mentions, failed, runs, done, words = {}, {}, {}, 0, 0
    started = time.monotonic()
    try:
        faults.checkpoint("ner")  # inside: a failure here must close the cache too
        for batch in _ner_batches(articles, NER_BATCH):
            words += sum(len(str(a.get("body") or "").split()) for a in batch)
            try:
                raw = ner.raw_mentions(batch, cache=cache, n_process=procs)
                failed.update(raw.failed)
                runs.update(raw.runs)
                mentions.update((k, [str(m) for m in (v or [])]) for k, v in raw.items() if k not in raw.failed)
            except Exception as exc:  # MemoryError too: the persons step must not wipe the persons
                failed.update(dict.fromkeys((a["id"] for a in batch), _reason(exc)))
            done += len(batch)
            rate = words / max(time.monotonic() - started, 1e-6)
            progress("persons", done, total, detail=f"{words / 1000:.0f}k mots, {rate:.0f} mots/s")
    finally:
        if cache is not None:
            cache.close()
    progress("persons", done, done)
    if failed:
        last = last_state() or {}
        before = {aid: info for entry in (last.get("files") or {}).values()
                  for aid, info in (entry.get("articles") or {}).items()}
        kept = 0
        for aid in failed:
            old = (before.get(aid) or {}).get("m")
            kept += isinstance(old, list)
            mentions[aid] = [str(m) for m in old] if isinstance(old, list) else []
        which = "" if len(failed) == done else (
            f" for {len(failed)} of {done} articles ("
            + ", ".join(sorted(failed)[:3]) + (", …" if len(failed) > 3 else "") + ")")
        reasons = list(failed.values())
        reason = max(dict.fromkeys(reasons), key=reasons.count)  # the most common
        outcome = ("previous persons kept" if kept
                   else "persons not extracted (no previous persons to keep)")
        report.warnings.append(f"persons step failed{which}: {reason}; {outcome}")
    return mentions, set(failed), runs


def _reason(exc: BaseException) -> str:
    text = _one_line(exc)
    return text if text == type(exc).__name__ else f"{type(exc).__name__}: {text}"


def _resolve(gathered: tuple[dict[str, list[str]], dict[str, list[str]]], report: ReindexReport,
             progress):
    raw_all, runs = gathered
    n = len(raw_all)
    mentions = sum(len(m) for m in raw_all.values())
    # one call of the resolver: its start and its end (with the dictionary pass's share) are shown
    progress("resolve", 0, n, detail=f"{mentions} mentions")
    try:
        res = resolving.resolve(raw_all, runs=runs)
        progress("resolve", n, n, detail=f"{mentions} mentions, dictionnaire {res.dictionary_seconds:.1f} s")
        return res
    except Exception as exc:
        report.warnings.append(f"persons step failed: {_reason(exc)} while resolving names; "
                               "persons of unchanged articles kept")
        return None


# --- the run -------------------------------------------------------------------------------

def reindex(source, index_dir, *, full: bool = False, wait: bool = False, persons: bool = True,
            procs: int | None = None, progress=None, follow_external_links: bool = False) -> ReindexReport:
    """Bring the index in ``index_dir`` up to date with the ``source`` folder; return the report.

    Raises ``store.IndexBusy`` when another reindex runs (unless ``wait``), ``SourceError``
    when the source folder is missing, and ``IndexWriteError`` when the index cannot be written.
    Symbolic links leading outside the source folder are skipped unless ``follow_external_links``.
    """
    source, index_dir = Path(source), Path(index_dir)
    if procs is None:
        procs = min(2, os.cpu_count() or 1)
    procs = max(1, int(procs))
    progress = progress or (lambda *a, **k: None)
    if not source.exists():
        raise SourceError(f"source folder not found: {source}")
    t0 = time.monotonic()
    try:
        lock = store.writer_lock(index_dir, wait=wait)
        lock.__enter__()
    except store.IndexBusy:
        raise
    except OSError as exc:
        raise IndexWriteError(f"{index_dir}: {exc.strerror or exc}") from None
    error = None
    try:
        store.prune(index_dir)  # leftovers of a crashed run
        report = _run(source, index_dir, full, persons, procs, progress, follow_external_links)
    except (store.IndexBusy, SourceError, IndexWriteError):
        raise
    except Exception as exc:
        if isinstance(exc, OSError):
            error = IndexWriteError(f"{exc.filename or index_dir}: {exc.strerror or exc}")
        else:
            error = IndexWriteError(f"{type(exc).__name__}: {_one_line(exc)}")
        # Free the failed writer's frames now (Whoosh leaves files to the garbage collector)
        traceback.clear_frames(exc.__traceback__)
    finally:
        lock.__exit__(None, None, None)
        if isinstance(progress, Progress):
            progress.close()
    if error is not None:
        raise error
    report.seconds = time.monotonic() - t0
    return report


def _open_live(live: Path | None):
    if live is None:
        return None
    from whoosh import index as windex

    try:
        return windex.open_dir(str(live))
    except Exception:
        return None


@dataclass
class _Run:
    """The state one reindex run passes from step to step (scan, extract, ids, persons, write)."""

    source: Path
    index_dir: Path
    persons: bool
    procs: int
    progress: object
    report: ReindexReport
    live: Path | None
    ix: object  # the live Whoosh index, None when there is none or it is unreadable
    state: dict | None  # the live generation's state; None for a full run
    files: list[SourceFile] = field(default_factory=list)
    old_files: dict = field(default_factory=dict)
    old_skipped: dict = field(default_factory=dict)
    new_files: dict[str, dict] = field(default_factory=dict)
    new_skipped: dict[str, dict] = field(default_factory=dict)
    to_read: list[SourceFile] = field(default_factory=list)
    digests: dict[str, str] = field(default_factory=dict)  # content hashes computed while scanning
    spool: ArticleSpool | None = None  # the articles read in this run, on disk
    #: the files read in this run: ``(file, articles (where spooled), base ids)``
    fresh: list[tuple[SourceFile, list[_Extracted], list[str]]] = field(default_factory=list)
    #: the articles of unchanged files: ``rel → [(id, state, base id)]``
    kept: dict[str, list[tuple[str, dict, str]]] = field(default_factory=dict)
    old_articles: dict[str, tuple[str, dict]] = field(default_factory=dict)
    to_write: Pending | None = None  # id → article to write, read back from the spool
    source_persons: dict[str, list] = field(default_factory=dict)  # persons the sources carry
    current_ids: set[str] = field(default_factory=set)
    deleted: list[str] = field(default_factory=list)
    persons_changed: list[str] = field(default_factory=list)
    resolution: object = None
    stories: object = None  # the story grouping after this run (search.stories.StoryIndex), None if it failed
    stories_rebuilt: bool = False  # the live generation had no usable grouping: saved even without changes


def _run_state(run: _Run) -> dict:
    """Return the state to save beside the generation written by this run."""
    return _state(run.persons, run.new_files, run.new_skipped)


def _run(source: Path, index_dir: Path, full: bool, persons: bool, procs: int, progress,
         follow_external: bool = False):
    """Bring the index up to date, step by step, under the writer lock; return the report."""
    run = _open_run(source, index_dir, full, persons, procs, progress)
    try:
        return _steps(run, follow_external)
    finally:
        run.spool.close()  # the spool file goes with the run, whatever its outcome


def _steps(run: _Run, follow_external: bool) -> ReindexReport:
    """Run the steps of one reindex in order; return the report."""
    _scan(run, follow_external)
    _extract(run)
    _compare(run, _corpus_ids(run))
    t_phase = time.monotonic()
    if run.persons and _persons_outdated(run):
        run.resolution = _resolve(_gather_mentions(run), run.report, run.progress)
        if run.resolution is None:
            run.persons = False
    _apply_persons(run)
    if run.resolution is not None:
        run.report.timings["persons"] = time.monotonic() - t_phase
        run.report.timings["dictionary"] = run.resolution.dictionary_seconds
    _group_stories(run)
    _write(run)
    report = run.report
    report.total_docs = len(run.current_ids)
    report.skipped = [(_printable(w), _printable(r)) for w, r in report.skipped]
    return report


def _open_run(source: Path, index_dir: Path, full: bool, persons: bool, procs: int, progress) -> _Run:
    """Open the live index and its state, and decide between an incremental and a full run."""
    report = ReindexReport(source=str(source), procs=procs)
    live = store.live_path(index_dir)
    ix = _open_live(live)
    state = load_state(live) if live is not None else None
    reason = _full_reason(live, state, persons, full) or (None if ix is not None or live is None
                                                          else "live index unreadable")
    if reason is not None:
        report.mode, report.full_reason, state = "full", reason, None
    spool = ArticleSpool(index_dir)
    return _Run(source, index_dir, persons, procs, progress, report, live, ix, state,
                old_files=state["files"] if state else {},
                old_skipped=(state.get("skipped") or {}) if state else {},
                spool=spool, to_write=Pending(spool))


def _scan(run: _Run, follow_external: bool) -> None:
    """Walk the source folder and decide which files must be read (fingerprint or content changed)."""
    report, source = run.report, run.source
    run.progress("scan", 0, 0)
    run.files, report.ignored, report.skipped = walk_sources(source, exclude=run.index_dir,
                                                             follow_external=follow_external)
    if source.is_dir() and not run.files and run.old_files and not any(source.iterdir()):
        # an empty folder where articles used to be is more often a missing mount than intent
        report.warnings.append(f"{source} is empty: every article of the index is deleted")
    for sf in run.files:
        gone = run.old_skipped.get(sf.rel)
        if gone is not None and gone.get("sig") == sf.signature:  # still the same bad file
            report.skipped.append((sf.rel, gone.get("reason", "skipped")))
            run.new_skipped[sf.rel] = gone
            continue
        old = run.old_files.get(sf.rel)
        if old is not None and old.get("sig") == sf.signature:
            run.new_files[sf.rel] = old
            continue
        if old is not None:
            digest, why = _hash_or_reason(sf)
            if why is not None:
                report.skipped.append((sf.rel, why))
                continue
            if digest == old.get("hash"):
                run.new_files[sf.rel] = dict(old, sig=sf.signature)
                continue
            run.digests[sf.rel] = digest
        run.to_read.append(sf)
    report.files_unchanged = len(run.new_files)


def _spooler(run: _Run, sf: SourceFile, counter: list[int]):
    """Return the ``into`` of ``extract_file`` for one file: spool the article, keep its ids and hash."""
    base_of = _BaseIds(sf)
    total = len(run.to_read)

    def into(art: dict) -> _Extracted:
        art["path"] = sf.rel
        base = art["id"] = base_of(art)
        persons = documents.clean_persons(art.get("persons")) if art.get("persons") else None
        counter[0] += 1
        if counter[0] % 500 == 0:
            run.progress("extract", counter[1], total, detail=f"{counter[0]} articles")
        return _Extracted(run.spool.append(art), base, documents.article_hash(art), persons)

    return into


def _extract(run: _Run) -> None:
    """Extract the articles of the files to read; a file that cannot be read is named and skipped."""
    report, to_read = run.report, run.to_read
    t_phase = time.monotonic()
    counter = [0, 0]  # articles spooled, files done
    for i, sf in enumerate(to_read):
        counter[1] = i
        run.progress("extract", i, len(to_read), detail=f"{counter[0]} articles")
        articles, rec_skips, whole = extract_file(sf, into=_spooler(run, sf, counter))
        report.skipped.extend(rec_skips)
        if whole is not None:
            report.skipped.append((sf.rel, whole))
            if not whole.startswith("unreadable"):  # remembered until the file changes
                run.new_skipped[sf.rel] = {"sig": sf.signature, "reason": whole}
            continue
        digest, why = (run.digests[sf.rel], None) if sf.rel in run.digests else _hash_or_reason(sf)
        if why is not None:
            report.skipped.append((sf.rel, why))
            continue
        report.files_read += 1
        if report.files_read == 1:
            faults.checkpoint("extract")
        run.fresh.append((sf, articles, [x.base for x in articles]))
        run.new_files[sf.rel] = {"sig": sf.signature, "hash": digest, "articles": {}}
    run.progress("extract", len(to_read), len(to_read), detail=f"{counter[0]} articles")
    report.timings["extract"] = time.monotonic() - t_phase


def _corpus_ids(run: _Run) -> dict[tuple[str, str], str]:
    """Return the ids of every article over the whole corpus, unchanged files included."""
    ranks = {sf.rel: (0 if sf.kind == "page" else 1, i) for i, sf in enumerate(run.files)}
    fresh_rels = {sf.rel for sf, _, _ in run.fresh}
    run.kept = {rel: [(aid, info, info.get("b", aid)) for aid, info in entry.get("articles", {}).items()]
                for rel, entry in run.new_files.items() if rel not in fresh_rels}
    claims = [(base, *ranks[rel], rel) for rel, arts in run.kept.items() for _aid, _info, base in arts]
    claims += [(base, *ranks[sf.rel], sf.rel) for sf, _arts, bases in run.fresh for base in bases]
    run.old_articles = {aid: (rel, info) for rel, entry in run.old_files.items()
                        for aid, info in entry.get("articles", {}).items()}
    return _assign_ids(claims)


def _compare(run: _Run, ids: dict[tuple[str, str], str]) -> None:
    """Queue what changed, article by article, and count the added, updated, renamed and deleted."""
    report = run.report
    renamed: dict[str, tuple[str, str]] = {}  # new id → (file, old id), in unchanged files
    for rel, arts in run.kept.items():
        entry = {}
        for aid, info, base in arts:
            new_id = ids[(rel, base)]
            if new_id != aid:
                renamed[new_id] = (rel, aid)
            entry[new_id] = _with_base({k: v for k, v in info.items() if k != "b"}, base, new_id)
        run.new_files[rel] = dict(run.new_files[rel], articles=entry)  # a copy: the old state stays as read
    for sf, articles, bases in run.fresh:
        entry = run.new_files[sf.rel]["articles"]
        for x, base in zip(articles, bases):
            aid = ids[(sf.rel, base)]
            entry[aid] = _with_base(_compare_article(run, aid, x, sf.rel), base, aid)
    if renamed:
        report.renamed = _renamed_articles(run.ix, renamed, run.files, ids, run.to_write, report,
                                           run.source_persons)
    run.current_ids = {aid for entry in run.new_files.values() for aid in entry["articles"]}
    run.deleted = [aid for aid in run.old_articles if aid not in run.current_ids]
    # an article is gone when its file no longer yields it (a renamed one is not gone)
    survivors = {(rel, aid) for rel, arts in run.kept.items() for aid, _info, _base in arts}
    survivors.update((sf.rel, ids[(sf.rel, base)]) for sf, _arts, bases in run.fresh for base in bases)
    report.deleted = sum(1 for aid, (rel, _info) in run.old_articles.items() if (rel, aid) not in survivors)
    report.unchanged += sum(len(arts) for arts in run.kept.values()) - len(renamed)


def _compare_article(run: _Run, aid: str, x: _Extracted, rel: str) -> dict:
    """Return the state of one article read in this run, queueing it for writing when it changed."""
    h = x.hash
    if aid != x.base:  # a suffixed duplicate: its hash covers the id it is indexed under
        h = documents.article_hash(dict(run.spool.read(x.offset), id=aid))
    prev = run.old_articles.get(aid)
    if prev is not None and prev[1].get("h") == h:
        run.report.unchanged += 1
        return {k: v for k, v in prev[1].items() if k != "b"}
    if aid != x.base:
        run.to_write.link(aid, x.offset, id=aid)
    else:
        run.to_write.link(aid, x.offset)
    if x.persons:
        run.source_persons[aid] = x.persons
    if prev is None or prev[0] != rel:  # an id moving between files: a new article
        run.report.added += 1
    else:
        run.report.updated += 1
    return {"h": h, "m": None, "p": []}


def _persons_outdated(run: _Run) -> bool:
    """Return True unless nothing the persons depend on changed (articles, rules, failed NER)."""
    if run.to_write or run.deleted or not run.state:
        return True
    if run.state["meta"].get("persons_data") != persons_data_fingerprint():
        return True
    return any(info.get("m_stale") or "r" not in info
               for entry in run.new_files.values() for info in entry["articles"].values())


def _gather_mentions(run: _Run) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """Return the raw mentions and name runs of every article, tagging those written, stale or
    under changed rules."""
    state = run.state
    old_rules = state["meta"].get("persons_data") if state else None
    rules_changed = old_rules != persons_data_fingerprint()
    # articles whose NER failed in an earlier run kept older mentions: they are tagged again
    stale = [aid for entry in run.new_files.values() for aid, info in entry["articles"].items()
             if info.get("m_stale") and aid not in run.to_write]
    searcher = None
    extra, n_extra = (), 0
    if run.ix is not None and state and (rules_changed or stale):
        searcher = run.ix.searcher()
        # the person rules changed: clean every article's mentions again (NER itself is
        # cached by text, so only the rules run), from the stored fields; else the stale ones
        stored = (searcher.all_stored_fields() if rules_changed
                  else filter(None, (searcher.document(id=aid) for aid in stale)))
        extra = (documents.from_stored(fields) for fields in stored
                 if fields.get("id") in run.current_ids and fields.get("id") not in run.to_write)
        n_extra = (sum(1 for aid in run.current_ids if aid not in run.to_write) if rules_changed
                   else len(stale))
    try:
        raw, failed, runs = _mentions(itertools.chain(run.to_write.values(), extra),
                                      len(run.to_write) + n_extra, run.index_dir, run.procs, run.report,
                                      run.progress,
                                      lambda: state or (load_state(run.live) if run.live is not None else None))
    finally:
        if searcher is not None:
            searcher.close()
    raw_all, runs_all = {}, {}
    for entry in run.new_files.values():
        for aid, info in entry["articles"].items():
            if aid in raw:
                info["m"] = raw[aid]
                if aid in failed:
                    info["m_stale"] = True
                else:
                    info.pop("m_stale", None)
            if aid in runs:
                info["r"] = runs[aid]
            raw_all[aid] = info.get("m") or []
            runs_all[aid] = info.get("r") or []
    return raw_all, runs_all


def _apply_persons(run: _Run) -> None:
    """Give every article its persons: resolved, else the source's own; list the re-indexed ones."""
    for entry in run.new_files.values():
        for aid, info in entry["articles"].items():
            new_d = info.get("pd", [])
            if run.resolution is not None:
                new_p = documents.clean_persons(run.resolution.by_article.get(aid, []))
                new_d = documents.clean_persons(run.resolution.by_dictionary.get(aid, []))
            elif aid in run.to_write:  # no NER: keep persons the source itself carries
                new_p = documents.clean_persons(run.source_persons.get(aid))
                new_d = []
            else:
                new_p = info.get("p", [])
            if aid in run.to_write:
                run.to_write.set_fields(aid, persons=new_p, persons_dictionary=new_d)
            elif new_p != info.get("p", []) or new_d != info.get("pd", []):
                run.persons_changed.append(aid)
            info["p"] = new_p
            if new_d:
                info["pd"] = new_d
            else:
                info.pop("pd", None)


def _group_stories(run: _Run) -> None:
    """Group the articles into stories, incrementally from the live generation's grouping."""
    t_phase = time.monotonic()
    full = run.report.mode == "full"
    previous = None if full else storyfile.load_or_new(run.live)
    run.stories_rebuilt = not full and previous is None

    def unchanged():
        if full or run.ix is None:
            return
        with run.ix.searcher() as searcher:
            for fields in searcher.all_stored_fields():
                if fields.get("id") in run.current_ids and fields.get("id") not in run.to_write:
                    yield fields

    try:
        run.stories = storyfile.update(previous, run.to_write, run.deleted, unchanged, run.progress)
    except Exception as exc:  # grouping is a convenience: never the reason a reindex fails
        run.stories = None
        run.report.warnings.append(f"stories step failed: {_reason(exc)}; copies not grouped in this run")
    run.report.timings["stories"] = time.monotonic() - t_phase


def _write(run: _Run) -> None:
    """Write the changes: a new generation for a full run, else one commit (or only the state)."""
    report, live = run.report, run.live
    t_phase = time.monotonic()
    changes = run.to_write or run.deleted or run.persons_changed
    if run.ix is not None and (report.mode == "full" or not changes):
        run.ix.close()
    if report.mode == "full":
        _write_full(run.index_dir, _run_state(run), run.to_write, run.resolution, run.procs, report,
                    run.progress, stories=run.stories)
    elif changes:
        _write_incremental(run.ix, live, _run_state(run), run.to_write, run.deleted, run.persons_changed,
                           run.resolution, report, run.progress, stories=run.stories)
        report.generation = live.name
    else:
        report.generation = live.name
        if run.new_files != run.old_files or run.new_skipped != run.old_skipped:  # only fingerprints moved
            _write_json(live / STATE_FILE, _run_state(run))
        if run.stories_rebuilt and run.stories is not None:  # an index from before stories: grouped once
            storyfile.save(live, run.stories)
    report.timings["write"] = time.monotonic() - t_phase


def _document(art: dict, report: ReindexReport, persons=None) -> dict | None:
    """Return the Whoosh document of ``art``, or None (named in the summary) when it cannot be indexed."""
    try:
        return documents.to_document(art, persons=persons)
    except ValueError as exc:  # one bad record costs that record, never the commit
        report.skipped.append((f"{art.get('path') or '?'}:{art.get('id') or '?'}", f"not indexed: {_one_line(exc)}"))
        return None


def _writer_for(ix, procs: int, ndocs: int, progress):
    procs = min(procs, WRITER_PROCS)
    if procs > 1 and ndocs >= MP_MIN_DOCS:
        return ix.writer(procs=procs, multisegment=True, limitmb=128,
                         subargs={"codec": WriteCodec(), "limitmb": 128}), procs
    return open_writer(ix, progress), 1


def _write_full(index_dir, state, to_write, resolution, procs, report, progress, stories=None):
    from whoosh import index as windex

    gen = store.new_generation(index_dir)
    report.generation = gen.name
    ix = windex.create_in(str(gen), build_schema(_frequent_words(to_write)))
    writer, report.procs = _writer_for(ix, procs, len(to_write), progress)
    try:
        total = len(to_write)
        for i, art in enumerate(to_write.values()):
            if i % 200 == 0:
                progress("write", i, total)
            doc = _document(art, report)
            if doc is not None:
                writer.add_document(**doc)
        progress("write", total, total)
        faults.checkpoint("commit")
        writer.commit()
        progress("commit", 0, 0, detail="index validé")
    except BaseException:
        _cancel(writer)
        ix.close()
        shutil.rmtree(gen, ignore_errors=True)  # the live generation was never touched
        raise
    ix.close()
    # the spelling vocabulary takes seconds to read on a large index: once here, not per search
    progress("commit", 0, 0, detail="vocabulaire")
    suggest.save_vocabulary(gen)
    progress("commit", 0, 0, detail="reprises, état, tableaux, publication")
    try:
        if stories is not None:
            storyfile.save(gen, stories)
        _write_json(gen / STATE_FILE, state)
        _write_json(gen / PERSONS_FILE, resolution.to_json() if resolution else {})
        arrays.save(gen)  # after stories.json, which the arrays' stamp covers
        faults.checkpoint("swap")
        store.publish(index_dir, gen)
    except BaseException:
        if store.live_path(index_dir) != gen:  # not published: don't leave a whole index on a full disk
            shutil.rmtree(gen, ignore_errors=True)
        raise


def _frequent_words(to_write: Pending) -> frozenset[str]:
    """Return the words frequent enough to index their pairs, from an even sample of the articles."""
    ids = to_write.keys()
    step = max(1, len(ids) // analysis.FREQUENT_SAMPLE)
    sample = (to_write[aid] for aid in ids[::step][: analysis.FREQUENT_SAMPLE])
    return analysis.frequent_words(f"{a.get('title') or ''}\n{a.get('body') or ''}" for a in sample)


def _cancel(writer) -> None:
    try:
        writer.cancel()
    except Exception:
        pass


def merge_policy(writer, segments):
    """Merge small and much-deleted segments into the commit's new one; return the segments kept.

    Whoosh's default (MERGE_SMALL) only merges segments of a few dozen documents and never drops
    deleted ones: runs that each change 5 % of the articles pile up segments and dead documents
    (measured with bench/bench_segments.py: 14 segments, 65 % of the documents deleted and the
    index 2.4 times its size after 13 runs).  Here, as in a binary counter, a segment is merged
    when it is no larger than what is being written with it (the new documents and the segments
    merged so far), so each document is rewritten about log2(corpus / change) times; a segment
    more than MAX_DELETED of whose documents are deleted is rewritten without them; and at most
    MAX_SEGMENTS segments remain.  Document numbers change with a merge: readers key their
    caches on the index generation.
    """
    from whoosh.reading import SegmentReader

    merged, kept = [], []
    for seg in segments:
        live = seg.doc_count()
        (merged if not live or seg.doc_count_all() - live > MAX_DELETED * seg.doc_count_all()
         else kept).append(seg)
    kept.sort(key=lambda seg: seg.doc_count())
    written = writer.doc_count() + sum(seg.doc_count() for seg in merged)
    while kept and (kept[0].doc_count() <= written or len(kept) >= MAX_SEGMENTS):
        seg = kept.pop(0)
        merged.append(seg)
        written += seg.doc_count()
    for seg in merged:
        reader = SegmentReader(writer.storage, writer.schema, seg)
        try:
            writer.add_reader(reader)  # copies the live documents only
        finally:
            reader.close()
    return kept


def _write_incremental(ix, live, state, to_write, deleted, persons_changed, resolution,
                       report, progress, stories=None):
    new_files = state["files"]
    writer = open_writer(ix, progress)
    try:
        for aid in deleted:
            writer.delete_by_term("id", aid)
        total = len(to_write) + len(persons_changed)
        done = 0
        for art in to_write.values():
            if done % 200 == 0:
                progress("write", done, total)
            doc = _document(art, report)
            if doc is not None:
                writer.update_document(**doc)
            done += 1
        if persons_changed:
            persons_by_id = {aid: (info.get("p", []), info.get("pd", [])) for entry in new_files.values()
                             for aid, info in entry["articles"].items()}
            with ix.searcher() as searcher:
                for aid in persons_changed:
                    stored = searcher.document(id=aid)
                    if stored is None:
                        continue
                    art = documents.from_stored(stored)
                    art["persons_dictionary"] = persons_by_id[aid][1]
                    doc = _document(art, report, persons=persons_by_id[aid][0])
                    if doc is not None:
                        writer.update_document(**doc)
                    report.persons_updated += 1
                    done += 1
                    if done % 200 == 0:
                        progress("write", done, total)
        progress("write", total, total)
        if stories is not None:
            # before the commit, so that a searcher opening it finds the groups it belongs with
            # (a failed commit leaves groups naming unwritten articles: they are ignored)
            storyfile.save(live, stories)
        faults.checkpoint("commit")
        writer.commit(mergetype=merge_policy)
        progress("commit", 0, 0, detail="index validé")
    except BaseException:
        _cancel(writer)
        raise
    finally:
        ix.close()
    # after the commit: a crash in between only makes the next run re-read changed files
    _write_json(live / STATE_FILE, state)
    if resolution is not None:
        _write_json(live / PERSONS_FILE, resolution.to_json())
    suggest.save_vocabulary(live)
    arrays.save(live)

