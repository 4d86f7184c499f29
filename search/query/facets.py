"""Facet columns read once per searcher into arrays, and disjunctive counting over hit sets.

Every facet value gets a small integer code; a document's values are an ``int32`` array
(single-valued facets: outlet, year, month, author) or a CSR-style pair of arrays (persons).
Filtering and counting are then numpy operations over boolean document masks, so counts are
exact over all hits, with no cap and without loading stored documents.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from search.index import documents
from search.index import schema as sch
from search.text import fold_key

FACETS = ("outlet", "year", "month", "person", "author")
#: Facets whose ticked values combine with AND (articles naming every ticked person) and whose
#: counts include their own filter (co-mentions); the others are disjunctive: OR within the
#: facet, counts without its own filter.
CONJUNCTIVE = frozenset({"person"})

#: Most values one facet may return at once (facet_limit=0 means "all", up to this bound).
MAX_FACET_VALUES = 5000


def _leaf_column(reader, fieldname: str, default):
    """Yield per-document column values of every segment, padding segments without the column."""
    for leaf, _offset in reader.leaf_readers():
        count = leaf.doc_count_all()
        values: list = []
        try:
            if leaf.has_column(fieldname):
                values = list(leaf.column_reader(fieldname))
        except (KeyError, OSError, ValueError):
            values = []
        if len(values) < count:
            values.extend([default] * (count - len(values)))
        yield from values[:count]


@dataclass
class Facet:
    """One facet's values (display strings) and per-document codes (-1 = no value)."""

    name: str
    values: list[str]
    codes: np.ndarray | None = None  # single-valued: doc → code
    pdoc: np.ndarray | None = None  # multi-valued: mention → doc
    pval: np.ndarray | None = None  # multi-valued: mention → code
    keys: dict[str, int] | None = None  # fold_key(value) → code

    def code_of(self, value: str) -> int | None:
        """Return the code of a value, matched case- and accent-insensitively."""
        return self.keys.get(fold_key(value)) if value else None

    def mask_all(self, codes: list[int], n: int) -> np.ndarray:
        """Return the documents having every one of ``codes`` (none when ``codes`` is empty)."""
        if not codes:
            return np.zeros(n, dtype=bool)
        out = self.mask(codes[:1], n)
        for c in codes[1:]:
            out &= self.mask([c], n)
        return out

    def mask(self, codes: list[int], n: int) -> np.ndarray:
        """Return the documents having at least one of ``codes``."""
        wanted = np.zeros(len(self.values) + 1, dtype=bool)
        for c in codes:
            wanted[c] = True
        if self.codes is not None:
            return wanted[self.codes]  # code -1 indexes the trailing False
        out = np.zeros(n, dtype=bool)
        hit = wanted[self.pval]
        out[self.pdoc[hit]] = True
        return out

    def counts(self, mask: np.ndarray) -> np.ndarray:
        """Return the number of masked documents for each value code."""
        size = len(self.values)
        if self.codes is not None:
            codes = self.codes[mask]
            codes = codes[codes >= 0]
            return np.bincount(codes, minlength=size)
        return np.bincount(self.pval[mask[self.pdoc]], minlength=size)


class _Codes:
    """Value → code table where spellings that differ only by case or accents share one code
    ("Mondafrique"/"MondAfrique"); the first spelling met is the one displayed."""

    def __init__(self):
        self.values: list[str] = []
        self.keys: dict[str, int] = {}
        self.exact: dict[str, int] = {}

    def code(self, value: str) -> int:
        """Return the code of ``value``, adding it when new."""
        code = self.exact.get(value)
        if code is None:
            key = fold_key(value)
            code = self.keys.get(key)
            if code is None:
                code = len(self.values)
                self.values.append(value)
                self.keys[key] = code
            self.exact[value] = code
        return code


def _text(value) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else (value or "")


def _single(name: str, raw: list) -> Facet:
    table = _Codes()
    codes = np.full(len(raw), -1, dtype=np.int32)
    for doc, value in enumerate(raw):
        value = _text(value)
        if value:
            codes[doc] = table.code(value)
    return Facet(name, table.values, codes=codes, keys=table.keys)


def _multi(name: str, raw: list) -> Facet:
    table = _Codes()
    pdoc: list[int] = []
    pval: list[int] = []
    for doc, value in enumerate(raw):
        seen = set()
        for name_ in documents.split_persons(value):
            code = table.code(name_)
            if code not in seen:
                seen.add(code)
                pdoc.append(doc)
                pval.append(code)
    return Facet(name, table.values, pdoc=np.array(pdoc, dtype=np.int32), pval=np.array(pval, dtype=np.int32),
                 keys=table.keys)


class FacetData:
    """Per-generation arrays: facet codes, dates, id order, liveness; built once per searcher."""

    def __init__(self, searcher):
        reader = searcher.reader()
        self.n = n = reader.doc_count_all()
        names = set(searcher.schema.names())
        self.facets: dict[str, Facet] = {}
        for facet, column in sch.FACET_COLUMNS.items():
            raw = list(_leaf_column(reader, column, b"" if facet == "person" else "")) if column in names else [""] * n
            self.facets[facet] = _multi(facet, raw) if facet == "person" else _single(facet, raw)
        self.live = np.zeros(n, dtype=bool)
        self.live[list(reader.all_doc_ids())] = True
        self.date_sort = np.array(list(_leaf_column(reader, "date_sort", 0)), dtype=np.int64) \
            if "date_sort" in names else np.zeros(n, dtype=np.int64)
        self.estimated = np.array([bool(v) and v not in (b"0", "0") for v in _leaf_column(reader, "date_estimated_col", b"")],
                                  dtype=bool) if "date_estimated_col" in names else np.zeros(n, dtype=bool)
        ids = [v.decode("utf-8", "replace") if isinstance(v, bytes) else (v or "") for v in _leaf_column(reader, "id", "")]
        self.ids = ids
        order = np.argsort(np.array(ids, dtype=object), kind="stable") if n else np.zeros(0, dtype=np.int64)
        self.id_rank = np.empty(n, dtype=np.int64)
        self.id_rank[order] = np.arange(n)
        self.has_comments = np.array([bool(v) for v in _leaf_column(reader, "comments_count", 0)], dtype=bool) \
            if "comments_count" in names else np.zeros(n, dtype=bool)
        self.docnum_by_id = {i: d for d, i in enumerate(ids) if i and self.live[d]}

    @classmethod
    def from_arrays(cls, **parts) -> "FacetData":
        """Return facet data made of ready arrays (``search.query.arrays``), without reading the index."""
        data = cls.__new__(cls)
        for name in ("n", "facets", "live", "date_sort", "estimated", "ids", "id_rank", "has_comments",
                     "docnum_by_id"):
            setattr(data, name, parts[name])
        return data

    def mask_of(self, docnums) -> np.ndarray:
        """Return a boolean document mask from an iterable of document numbers."""
        mask = np.zeros(self.n, dtype=bool)
        arr = np.fromiter(docnums, dtype=np.int64)
        if arr.size:
            mask[arr] = True
        return mask & self.live

    def order(self, mask: np.ndarray, newest: bool) -> np.ndarray:
        """Return the masked documents by date (undated last), ties broken by id."""
        docs = np.flatnonzero(mask)
        dates = self.date_sort[docs]
        undated = dates <= 0
        key = -dates if newest else dates
        return docs[np.lexsort((self.id_rank[docs], key, undated))]


@dataclass
class Selection:
    """Selected and excluded codes per facet (unknown values kept by name, with no code)."""

    include: dict[str, list[int]]
    exclude: dict[str, list[int]]
    unknown_include: dict[str, list[str]]

    def facet_mask(self, data: FacetData, facet: str) -> np.ndarray | None:
        """Return the documents allowed by this facet's own filter, or None when unfiltered."""
        inc, exc = self.include.get(facet), self.exclude.get(facet)
        mask = None
        if inc is not None:
            if facet in CONJUNCTIVE:
                # a ticked name the index does not hold matches nothing, as in a disjunctive facet
                mask = (data.facets[facet].mask_all(inc, data.n) if not self.unknown_include.get(facet)
                        else np.zeros(data.n, dtype=bool))
            else:
                mask = data.facets[facet].mask(inc, data.n)
        if exc:
            out = ~data.facets[facet].mask(exc, data.n)
            mask = out if mask is None else mask & out
        return mask


def select(data: FacetData, include: dict[str, list[str]], exclude: dict[str, list[str]]) -> Selection:
    """Translate selected/excluded facet values into codes (a selected unknown value matches nothing)."""
    inc: dict[str, list[int]] = {}
    exc: dict[str, list[int]] = {}
    unknown: dict[str, list[str]] = {}
    for facet, values in include.items():
        if not values or facet not in data.facets:
            continue
        codes = []
        for v in values:
            c = data.facets[facet].code_of(v)
            if c is None:
                unknown.setdefault(facet, []).append(v)
            elif c not in codes:
                codes.append(c)
        inc[facet] = codes
    for facet, values in exclude.items():
        if not values or facet not in data.facets:
            continue
        codes = [c for c in (data.facets[facet].code_of(v) for v in values) if c is not None]
        exc[facet] = sorted(set(codes))
    return Selection(inc, exc, unknown)


def combine(masks) -> np.ndarray | None:
    """AND the given masks, skipping None; None when all are None."""
    out = None
    for m in masks:
        if m is None:
            continue
        out = m.copy() if out is None else out & m
    return out
