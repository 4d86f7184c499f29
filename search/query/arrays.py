"""Per-generation query arrays written once beside the index and memory-mapped by every searcher.

Every server worker needs, for each index generation, the facet value codes of every document,
the person lists (CSR pairs), dates, id order and ranks, liveness, comment flags, story codes and
the BM25 field lengths. Built in each process they cost seconds and a private copy per worker;
written once as plain ``.npy`` files (strings as a UTF-8 blob plus offsets) and opened with
``np.load(mmap_mode="r")``, N workers share one copy in the page cache.

Layout: ``<generation>/arrays.json`` names the folder of the current set (``arrays-<token>/``)
and the index state it was built from (Whoosh generation, document counts, ``stories.json``
size and time). ``load`` returns None when the pointer or a file is missing, stale (another
commit since) or inconsistent, and the caller then builds in memory as before: a wrong answer is
never read from a stale file. ``PRESSE_SHARED_ARRAYS=0`` makes searchers build in memory
(to measure the difference).
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from bisect import bisect_left
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from search.index import storyfile
from search.query import facets as fc
from search.query import match as fm
from search.query.collapse import Stories
from search.text import fold_key

POINTER = "arrays.json"
FORMAT = 1
_SINGLE = ("outlet", "year", "month", "author")


class StringTable:
    """A read-only sequence of strings kept as one UTF-8 blob and ``n + 1`` offsets."""

    def __init__(self, blob: np.ndarray, offsets: np.ndarray):
        self.blob, self.offsets = blob, offsets
        # memoryviews: indexing them costs a fraction of numpy's scalar indexing (facet sorts
        # look values up thousands of times a search)
        self._bytes = memoryview(np.ascontiguousarray(blob, dtype=np.uint8))
        self._off = memoryview(np.ascontiguousarray(offsets, dtype=np.int64))
        self._n = len(offsets) - 1

    def __len__(self) -> int:
        return self._n

    def __getitem__(self, i: int) -> str:
        if i < 0:
            i += self._n
        if not 0 <= i < self._n:
            raise IndexError(i)
        return str(self._bytes[self._off[i] : self._off[i + 1]], "utf-8")

    def __iter__(self):
        return (self[i] for i in range(len(self)))


class SortedLookup:
    """``key → value`` over strings binary-searched in the order given by ``order`` (None: as stored).

    ``values`` None means the value is the key's position (a document number); ``valid`` leaves
    out positions (deleted documents), as the in-memory ``{id: docnum}`` of live documents does.
    """

    def __init__(self, keys: StringTable, values: np.ndarray | None, order: np.ndarray | None = None,
                 valid: np.ndarray | None = None):
        self.keys, self.values, self.order, self.valid = keys, values, order, valid

    def _key(self, k: int) -> str:
        return self.keys[int(self.order[k]) if self.order is not None else k]

    def _range(self, key: str) -> tuple[int, int]:
        n = len(self.keys)
        lo = bisect_left(range(n), key, key=self._key)
        hi = lo
        while hi < n and self._key(hi) == key:
            hi += 1
        return lo, hi

    def get(self, key, default=None):
        """Return the value of ``key`` (the last valid one among equal keys), or ``default``."""
        if not isinstance(key, str):
            return default
        lo, hi = self._range(key)
        for k in range(hi - 1, lo - 1, -1):
            i = int(self.order[k]) if self.order is not None else k
            if self.valid is None or self.valid[i]:
                return int(self.values[i]) if self.values is not None else i
        return default

    def __contains__(self, key) -> bool:
        return self.get(key) is not None

    def __getitem__(self, key) -> int:
        value = self.get(key)
        if value is None:
            raise KeyError(key)
        return value


class IdTable(StringTable):
    """Article ids by document number, with ``index`` by binary search over the id order."""

    def __init__(self, blob: np.ndarray, offsets: np.ndarray, order: np.ndarray):
        super().__init__(blob, offsets)
        self.order = order

    def __contains__(self, value) -> bool:
        try:
            self.index(value)
        except ValueError:
            return False
        return True

    def index(self, value) -> int:
        """Return the lowest document number holding ``value``; ValueError when none does."""
        if isinstance(value, str):
            n = len(self)
            k = bisect_left(range(n), value, key=lambda j: self[int(self.order[j])])
            if k < n and self[int(self.order[k])] == value:
                return int(self.order[k])
        raise ValueError(value)


@dataclass
class Shared:
    """What ``load`` gives a searcher: facet data, stories and field lengths, all memory-mapped."""

    facets: fc.FacetData
    stories: Stories
    lengths: dict[str, np.ndarray]


def stamp(reader, generation: Path) -> dict:
    """What identifies the index state the arrays describe (any commit or story rewrite changes it)."""
    try:
        st = (Path(generation) / storyfile.STORIES_FILE).stat()
        stories = [st.st_size, st.st_mtime_ns]
    except OSError:
        stories = None
    return {"format": FORMAT, "generation": reader.generation(), "docs": reader.doc_count_all(),
            "live": reader.doc_count(), "stories": stories}


def _strings(values) -> tuple[np.ndarray, np.ndarray]:
    encoded = [v.encode("utf-8") for v in values]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    if encoded:
        offsets[1:] = np.cumsum([len(e) for e in encoded])
    return np.frombuffer(b"".join(encoded), dtype=np.uint8), offsets


def _arrays(data: fc.FacetData, stories: Stories, lengths: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Return every array to write, by file stem."""
    out: dict[str, np.ndarray] = {}
    for name, facet in data.facets.items():
        if facet.codes is not None:
            out[f"{name}.codes"] = facet.codes
        else:
            out[f"{name}.pdoc"], out[f"{name}.pval"] = facet.pdoc, facet.pval
        out[f"{name}.values"], out[f"{name}.values_off"] = _strings(facet.values)
        keys = sorted((fold_key(v), c) for c, v in enumerate(facet.values))
        out[f"{name}.keys"], out[f"{name}.keys_off"] = _strings(k for k, _c in keys)
        out[f"{name}.key_codes"] = np.array([c for _k, c in keys], dtype=np.int32)
    for attr in ("live", "date_sort", "estimated", "id_rank", "has_comments"):
        out[attr] = getattr(data, attr)
    out["ids"], out["ids_off"] = _strings(data.ids)
    out["id_order"] = np.argsort(data.id_rank, kind="stable").astype(np.int64)
    story_keys = sorted(stories.by_id.items())
    out["story.code"] = stories.code
    out["story.ids"], out["story.ids_off"] = _strings(stories.ids)
    out["story.keys"], out["story.keys_off"] = _strings(k for k, _c in story_keys)
    out["story.key_codes"] = np.array([c for _k, c in story_keys], dtype=np.int32)
    for field, arr in lengths.items():
        out[f"len.{field}"] = arr
    return out


def write(generation: Path, state: dict, data: fc.FacetData, stories: Stories, lengths: dict[str, np.ndarray]) -> None:
    """Write a new set of arrays into ``generation``, switch the pointer to it, remove the old set."""
    generation = Path(generation)
    token = uuid.uuid4().hex[:12]
    folder = generation / f"arrays-{token}"
    folder.mkdir()
    try:
        for stem, arr in _arrays(data, stories, lengths).items():
            np.save(folder / f"{stem}.npy", np.ascontiguousarray(arr), allow_pickle=False)
        pointer = {**state, "folder": folder.name, "n": data.n, "facets": list(data.facets),
                   "lengths": sorted(lengths)}
        tmp = generation / f".{POINTER}.{os.getpid()}.tmp"
        tmp.write_text(json.dumps(pointer), encoding="utf-8")
        os.replace(tmp, generation / POINTER)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    for old in generation.glob("arrays-*"):
        if old.name != folder.name:
            shutil.rmtree(old, ignore_errors=True)


def save(generation) -> bool:
    """Build the arrays of the Whoosh index in ``generation`` and write them there; False on failure.

    Never raises for an ordinary failure: the files only save memory and time, and searchers
    build the same arrays in memory without them.
    """
    from whoosh.filedb.filestore import FileStorage

    generation = Path(generation)
    try:
        # read through files, not a map of the whole segment: the indexer's memory must not grow
        # with the index (a mapped read counts every page touched, gigabytes at a million articles)
        ix = FileStorage(str(generation), supports_mmap=False).open_index()
        try:
            with ix.searcher() as searcher:
                data = fc.FacetData(searcher)
                stories = Stories(storyfile.read_groups(generation), data.docnum_by_id, data.n)
                postings = fm.Postings(searcher)
                lengths = {f: postings.lengths(f) for f in searcher.schema.names() if searcher.schema[f].scorable}
                write(generation, stamp(searcher.reader(), generation), data, stories, lengths)
        finally:
            ix.close()
        return True
    except Exception:  # disk full, read-only folder, damaged index: searchers build in memory
        return False


def _open(folder: Path, stem: str, n: int | None = None) -> np.ndarray:
    arr = np.asarray(np.load(folder / f"{stem}.npy", mmap_mode="r", allow_pickle=False))
    if n is not None and len(arr) != n:
        raise ValueError(f"{stem}: {len(arr)} rows, {n} expected")
    return arr


def _table(folder: Path, stem: str) -> StringTable:
    blob, off = _open(folder, stem), _open(folder, f"{stem}_off")
    if len(off) == 0 or int(off[-1]) != len(blob):
        raise ValueError(f"{stem}: offsets do not match the blob")
    return StringTable(blob, off)


def _facet(folder: Path, name: str, n: int) -> fc.Facet:
    values = _table(folder, f"{name}.values")
    keys = SortedLookup(_table(folder, f"{name}.keys"), _open(folder, f"{name}.key_codes"))
    if name in _SINGLE:
        codes = _open(folder, f"{name}.codes", n)
        if len(codes) and int(codes.max()) >= len(values):
            raise ValueError(f"{name}: code out of range")
        return fc.Facet(name, values, codes=codes, keys=keys)
    pdoc, pval = _open(folder, f"{name}.pdoc"), _open(folder, f"{name}.pval")
    if len(pdoc) != len(pval) or (len(pval) and (int(pval.max()) >= len(values) or int(pdoc.max()) >= n)):
        raise ValueError(f"{name}: mentions out of range")
    return fc.Facet(name, values, pdoc=pdoc, pval=pval, keys=keys)


def load(searcher, generation) -> Shared | None:
    """Return the memory-mapped arrays of the searcher's index state, or None (missing, stale, unreadable)."""
    if generation is None or os.environ.get("PRESSE_SHARED_ARRAYS", "1") == "0":
        return None
    generation = Path(generation)
    try:
        pointer = json.loads((generation / POINTER).read_text(encoding="utf-8"))
        state = stamp(searcher.reader(), generation)
        if any(pointer.get(k) != v for k, v in state.items()):
            return None
        folder, n = generation / pointer["folder"], int(pointer["n"])
        if n != state["docs"] or set(pointer["facets"]) != set(fc.FACETS):
            return None
        facets = {name: _facet(folder, name, n) for name in fc.FACETS}
        live, id_order = _open(folder, "live", n), _open(folder, "id_order", n)
        ids = IdTable(_open(folder, "ids"), _open(folder, "ids_off", n + 1), id_order)
        if int(ids.offsets[-1]) != len(ids.blob):
            raise ValueError("ids: offsets do not match the blob")
        data = fc.FacetData.from_arrays(
            n=n, facets=facets, live=live, date_sort=_open(folder, "date_sort", n),
            estimated=_open(folder, "estimated", n), ids=ids, id_rank=_open(folder, "id_rank", n),
            has_comments=_open(folder, "has_comments", n),
            docnum_by_id=SortedLookup(ids, None, id_order, live))
        stories = Stories({}, {}, n)
        stories.code = _open(folder, "story.code", n)
        stories.ids = _table(folder, "story.ids")
        stories.by_id = SortedLookup(_table(folder, "story.keys"), _open(folder, "story.key_codes"))
        lengths = {f: _open(folder, f"len.{f}", n) for f in pointer["lengths"]}
        return Shared(data, stories, lengths)
    except (OSError, ValueError, KeyError, TypeError, json.JSONDecodeError):
        return None
