"""Spelling: the unstemmed, accent-folded vocabulary of the ``*_exact`` fields, per generation.

It serves fuzzy words (``Beloussof~``) and "did you mean" (``cooperasion militere`` →
« coopération militaire »). Suggestions are displayed in the most common accented spelling
found in the stored text, since the vocabulary itself is folded.

Reading the vocabulary from the index takes seconds on a large corpus, so the indexer saves it
into the generation folder (``vocabulary.bin``) after each commit, and a searcher maps it in
milliseconds (one copy in the page cache for every worker; a bucket is decoded when looked up). A missing file is rebuilt in a background thread and a stale one (older Whoosh
generation) is used until its replacement is ready: a request never waits for the vocabulary.
"""

from __future__ import annotations

import heapq
import json
import shutil
import sys
from array import array
import math
import mmap
import os
import re
import threading
from collections import Counter, OrderedDict
from collections.abc import Mapping
from functools import lru_cache
from itertools import islice
from pathlib import Path

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import OSA
from whoosh import query as wq

from search.text import fold

EXACT_FIELDS = ("title_exact", "body_exact", "comments_exact")
#: A word seen in fewer documents than this may be a typo worth correcting.
RARE_DF = 3
#: A correction must be this many times more frequent than a rare typed word.
RARE_RATIO = 20

#: Ranking of correction candidates: a candidate that sounds like the typed word gets this
#: bonus, each edit costs ``EDIT_COST``, and corpus frequency adds ``FREQ_WEIGHT * ln(1 + df)``.
SOUND_BONUS = 3.0
EDIT_COST = 1.0
FREQ_WEIGHT = 0.5
#: A word found in RARE_DF documents or more is corrected only to a same-sounding spelling this
#: many times more frequent (a typo that many articles share, like "presidant").
COMMON_TYPO_RATIO = 20
#: Edits allowed for a candidate that sounds exactly like the typed word.
SOUND_MAXDIST = 3
#: Spelling answers kept per generation (every search asks for its words' spellings).
CANDIDATES_KEPT = 4096

_CHUNK = re.compile(r"\w+", re.U)

# French spelling → sound, applied in order on folded lower-case letters (see ``phonetic``)
_SOUND_RULES = [(re.compile(a), b) for a, b in (
    (r"[^a-z]", ""),
    (r"ph", "f"), (r"[cs]h", "x"), (r"gu(?=[eiy])", "g"), (r"qu?", "k"), (r"ck", "k"),
    (r"tion", "sion"), (r"c(?=[eiy])", "s"), (r"c", "k"), (r"h", ""),
    (r"y", "i"), (r"w", "v"), (r"z", "s"),
    (r"eau|au", "o"), (r"ai|ei", "e"), (r"(?<=[aeiou])m(?=[bp])", "n"), (r"en(?=[^aeiou]|$)", "an"),
    (r"(.)\1+", r"\1"), (r"v$", "f"),
)]
# silent endings, peeled off repeatedly: "militaire" → "militer" → "milite" → "milit" → "mili"
_SOUND_ENDINGS = [(re.compile(a), b) for a, b in (
    (r"(?<=..)(er|ez|et)$", "e"), (r"(?<=..)[sxtd]+$", ""), (r"(?<=...)e$", ""),
)]

#: The saved vocabulary, in each generation folder beside the Whoosh files.
VOCAB_FILE = "vocabulary.bin"
_MAGIC = b"PRESSE-VOCAB 1\n"
#: Indexes up to this many documents read their vocabulary synchronously (well under a second).
SYNC_BUILD_DOCS = 5000

Buckets = Mapping[str, tuple[list[str], np.ndarray]]


@lru_cache(maxsize=200_000)
def phonetic(word: str) -> str:
    """Return a rough French sound key of a word (``cooperasion`` and ``coopération`` share one)."""
    key = fold(word).lower()
    for pattern, repl in _SOUND_RULES:
        key = pattern.sub(repl, key)
    for _round in range(3):
        for pattern, repl in _SOUND_ENDINGS:
            key = pattern.sub(repl, key)
    return re.sub(r"(.)\1+", r"\1", key)


def best_combinations(options: list[list[tuple[str, float]]], limit: int) -> list[tuple[int, ...]]:
    """Return up to ``limit`` picks of one candidate per word (indexes), by decreasing total score.

    Each word's candidates are sorted best first, so a best-first walk from "every word's best"
    that moves one word to its next candidate at a time meets the combinations in order: about
    ``limit * len(options)`` heap steps, where the full product of three spellings for each of 16
    words is 43 million combinations. Equal totals come in the product's (lexicographic) order.
    """
    if limit <= 0 or not options or not all(options):
        return []

    def total(pick: tuple[int, ...]) -> float:
        return sum(options[w][i][1] for w, i in enumerate(pick))

    start = (0,) * len(options)
    heap = [(-total(start), start)]
    seen = {start}
    out: list[tuple[int, ...]] = []
    while heap and len(out) < limit:
        _score, pick = heapq.heappop(heap)
        out.append(pick)
        for w, i in enumerate(pick):
            if i + 1 < len(options[w]):
                nxt = pick[:w] + (i + 1,) + pick[w + 1 :]
                if nxt not in seen:
                    seen.add(nxt)
                    heapq.heappush(heap, (-total(nxt), nxt))
    return out


def read_vocabulary(reader, fields=EXACT_FIELDS) -> Counter:
    """Return the document frequency of every folded term of ``fields`` (numbers and 1-letter words left out)."""
    df: Counter = Counter()
    for f in _present(reader, fields):
        for text, n in _field_terms(reader, f):
            df[text] += n
    return df


def _present(reader, fields) -> list[str]:
    """Return those of ``fields`` the reader's schema has (all of them for a reader without one)."""
    names = set(reader.schema.names()) if hasattr(reader, "schema") else set(fields)
    return [f for f in fields if f in names]


def _bucketize(df: Counter) -> Buckets:
    grouped: dict[str, list[tuple[str, int]]] = {}
    for term, n in df.items():
        grouped.setdefault(term[0], []).append((term, n))
    return {k: ([t for t, _ in v], np.array([n for _, n in v], dtype=np.int64)) for k, v in grouped.items()}


def _stamp(reader) -> dict:
    """What identifies the index state a vocabulary was read from."""
    return {"generation": reader.generation(), "docs": reader.doc_count_all()}


def save_vocabulary(folder) -> bool:
    """Read the vocabulary of the Whoosh index in ``folder`` and save it there; False on failure.

    The terms are streamed from the index in order, never held all at once (a million articles
    have millions of distinct words), and the index is read without mapping it, so a reindex does
    not count the whole index in its memory.  Never raises for an ordinary failure: the file
    only saves time, and searchers rebuild it.
    """
    from whoosh.filedb.filestore import FileStorage

    folder = Path(folder)
    try:
        ix = FileStorage(str(folder), supports_mmap=False).open_index()
        try:
            with ix.reader() as reader:
                stamp = _stamp(reader)
                stream_vocabulary(folder / VOCAB_FILE, _sorted_vocabulary(reader), stamp)
        finally:
            ix.close()
        return True
    except Exception:  # disk full, read-only folder, damaged index: searches still work without it
        return False


def _sorted_vocabulary(reader, fields=EXACT_FIELDS):
    """Yield ``(term, document frequency)`` in term order, the fields' sorted term lists merged."""
    streams = [_field_terms(reader, f) for f in _present(reader, fields)]
    current, total = None, 0
    for text, n in heapq.merge(*streams):
        if text != current:
            if current is not None:
                yield current, total
            current, total = text, 0
        total += n
    if current is not None:
        yield current, total


def _field_terms(reader, fieldname: str):
    """Yield ``(term, document frequency)`` of one field in term order, the words a vocabulary keeps."""
    for btext, info in reader.iter_field(fieldname):
        text = btext.decode("utf-8", "replace") if isinstance(btext, bytes) else btext
        if len(text) < 2 or text.isdigit() or "\n" in text:
            continue
        yield text, info.doc_frequency()


def stream_vocabulary(path: Path, terms, stamp: dict) -> None:
    """Write ``(term, frequency)`` pairs given in sorted order, atomically, in bounded memory.

    The file is a JSON header, the terms joined by newlines, then int32 frequencies.  The terms go to a temporary file and the counts to a compact array, since the header (the
    count, the size and each first letter's span) must come first.
    """
    spans: dict[str, list[int]] = {}
    counts = array("i")
    blob_tmp = path.with_name(f".{path.name}.{os.getpid()}.terms")
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        nbytes, last = 0, None
        with open(blob_tmp, "wb", buffering=1 << 20) as blob:
            for i, (term, n) in enumerate(terms):
                if last is not None and term <= last:
                    raise ValueError("vocabulary terms out of order")
                last = term
                encoded = term.encode("utf-8")
                if i:
                    blob.write(b"\n")
                    nbytes += 1
                blob.write(encoded)
                nbytes += len(encoded)
                counts.append(min(int(n), 2**31 - 1))
                span = spans.setdefault(term[0], [i, i])
                span[1] = i + 1
        if sys.byteorder != "little":
            counts.byteswap()
        header = json.dumps({**stamp, "count": len(counts), "bytes": nbytes, "buckets": spans}).encode()
        with open(tmp, "wb") as fh, open(blob_tmp, "rb") as blob:
            fh.write(_MAGIC + header + b"\n")
            shutil.copyfileobj(blob, fh, 1 << 20)
            fh.write(counts.tobytes())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
        blob_tmp.unlink(missing_ok=True)


class SavedBuckets(Mapping):
    """The first-letter buckets of a saved vocabulary, decoded from the file's shared map on demand.

    The file is memory-mapped, so every worker reads the same pages of the page cache; a bucket's
    terms are decoded when a word of that letter is looked up, and only the last few are kept.
    """

    KEEP = 8

    def __init__(self, mm: mmap.mmap, counts_at: int, spans: dict[str, tuple[int, int, int, int]]):
        self._mm, self._counts_at, self._spans = mm, counts_at, spans
        self._recent: OrderedDict[str, tuple[list[str], np.ndarray]] = OrderedDict()
        self._lock = threading.Lock()

    def __getitem__(self, letter: str) -> tuple[list[str], np.ndarray]:
        with self._lock:
            hit = self._recent.get(letter)
            if hit is not None:
                self._recent.move_to_end(letter)
                return hit
        a, b, start, end = self._spans[letter]
        terms = self._mm[start:end].decode("utf-8").split("\n") if b > a else []
        counts = np.frombuffer(self._mm, dtype="<i4", count=b - a, offset=self._counts_at + 4 * a)
        with self._lock:
            self._recent[letter] = (terms, counts)
            while len(self._recent) > self.KEEP:
                self._recent.popitem(last=False)
        return terms, counts

    def __iter__(self):
        return iter(self._spans)

    def __len__(self) -> int:
        return len(self._spans)


def load_vocabulary(path: Path) -> tuple[Mapping, dict] | None:
    """Return (buckets, stamp) from a saved vocabulary, memory-mapped, or None when missing or unreadable."""
    try:
        with open(path, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            mm = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
        if mm[: len(_MAGIC)] != _MAGIC:
            return None
        end = mm.find(b"\n", len(_MAGIC))
        head = json.loads(mm[len(_MAGIC):end]) if end > 0 else None
        start, count, nbytes = end + 1, int(head["count"]), int(head["bytes"])
        if count < 0 or nbytes < 0 or start + nbytes + 4 * count > size:
            return None
        newlines = np.flatnonzero(np.frombuffer(mm, dtype=np.uint8, count=nbytes, offset=start) == 10)
        if len(newlines) != max(0, count - 1) or (count == 0 and nbytes):
            return None
        spans = {}
        for letter, (a, b) in head["buckets"].items():
            if not 0 <= a <= b <= count:
                return None
            lo = start + (0 if a == 0 else int(newlines[a - 1]) + 1)
            hi = start + (nbytes if b == count else int(newlines[b - 1]))
            spans[letter] = (a, b, lo, hi)
        return SavedBuckets(mm, start + nbytes, spans), {"generation": head.get("generation"), "docs": head.get("docs")}
    except (OSError, ValueError, KeyError, TypeError, UnicodeDecodeError):
        return None


def _index_folder(searcher) -> Path | None:
    """Return the folder of the searcher's index (a Whoosh FileStorage), or None."""
    storages = [getattr(getattr(searcher, "_ix", None), "storage", None)]
    for leaf, _offset in searcher.reader().leaf_readers():
        st = getattr(leaf, "_storage", None)
        # segments read through an OverlayStorage (compound file over the folder's storage)
        storages += [st, getattr(st, "a", None), getattr(st, "b", None)]
    for st in storages:
        folder = getattr(st, "folder", None)
        if isinstance(folder, str) and folder:
            return Path(folder)
    return None


class Vocabulary:
    """Folded terms of the exact fields with document frequencies, bucketed by first letter."""

    def __init__(self, searcher, fields=EXACT_FIELDS, folder=None):
        self.searcher = searcher
        self.reader = searcher.reader()
        self.fields = [f for f in fields if f in searcher.schema.names()]
        self._lock = threading.Lock()
        self._buckets: Buckets | None = None
        self._loading = False  # a background thread is reading the vocabulary
        # every search asks for its words' spellings: the answers, per generation
        self._candidates: dict[tuple[str, int], tuple] = {}
        self._field_buckets: dict[str, Buckets] = {}
        self._display: dict[str, str] = {}
        try:
            self.folder = Path(folder) if folder is not None else _index_folder(searcher)
        except (AttributeError, TypeError):
            self.folder = None

    def _read(self, fields) -> Buckets:
        return _bucketize(read_vocabulary(self.reader, fields))

    def ready(self) -> bool:
        """True when the merged vocabulary is in memory."""
        return self._buckets is not None

    def buckets(self, fieldname: str | None = None) -> Buckets:
        """Return the first-letter buckets of the merged exact vocabulary (or of one field).

        The merged vocabulary comes from the saved file; without one, a large index reads it in
        a background thread and this returns empty buckets meanwhile (never a long wait).
        """
        if fieldname is not None and fieldname not in EXACT_FIELDS:
            with self._lock:
                if fieldname not in self._field_buckets:
                    self._field_buckets[fieldname] = self._read([fieldname])
                return self._field_buckets[fieldname]
        if self._buckets is not None:
            return self._buckets
        with self._lock:
            if self._buckets is not None:
                return self._buckets
            saved = load_vocabulary(self.folder / VOCAB_FILE) if self.folder is not None else None
            if saved is not None:
                self._buckets, stamp = saved
                if stamp != _stamp(self.reader):
                    self._start_reading()  # stale (a later commit): usable until replaced
                return self._buckets
            if self.reader.doc_count_all() <= SYNC_BUILD_DOCS:
                self._buckets = self._read(self.fields)
                return self._buckets
            self._start_reading()
            return {}

    def _start_reading(self) -> None:
        """Read the vocabulary in a daemon thread (caller holds the lock)."""
        if self._loading:
            return
        self._loading = True

        def run():
            try:
                fresh = self._read(self.fields)
            except Exception:  # a closed or damaged reader: suggestions stay as they are
                fresh = None
            with self._lock:
                if fresh is not None:
                    self._buckets = fresh
                self._loading = False

        threading.Thread(target=run, name="presse-vocabulary", daemon=True).start()

    def df(self, term: str) -> int:
        """Return the number of documents containing a folded term in any exact field."""
        return sum(self.reader.doc_frequency(f, term) for f in self.fields)

    def near(self, term: str, maxdist: int, fieldname: str | None = None, limit: int | None = 40):
        """Return ``(candidate, distance, df)`` within ``maxdist`` edits, closest and commonest first."""
        if not term:
            return []
        bucket = self.buckets(fieldname).get(term[0])
        if not bucket:
            return []
        terms, dfs = bucket
        found = process.extract(term, terms, scorer=OSA.distance, score_cutoff=maxdist, limit=None)
        out = [(cand, int(dist), int(dfs[idx])) for cand, dist, idx in found if cand != term]
        out.sort(key=lambda c: (c[1], -c[2], c[0]))
        return out[:limit]

    def fuzzy(self, fieldname: str, term: str, maxdist: int) -> list[str]:
        """Return the terms of one field within ``maxdist`` edits of ``term`` (itself included)."""
        key = None if fieldname in EXACT_FIELDS else fieldname
        if key is None and not self.ready() and not self.buckets():
            # the vocabulary is still being read: Whoosh's own bounded scan meanwhile
            return sorted(islice(self.reader.terms_within(fieldname, term, maxdist, prefix=1), 200))
        out = []
        if self.reader.doc_frequency(fieldname, term):
            out.append(term)
        for cand, _dist, _df in self.near(term, maxdist, key):
            if key is not None or self.reader.doc_frequency(fieldname, cand):
                out.append(cand)
        return out

    def candidates(self, term: str, k: int = 3) -> list[tuple[str, float]]:
        """Return up to ``k`` better-attested spellings of a rare folded word with their scores, best first.

        A candidate that sounds like the typed word (``phonetic``) wins over a closer spelling
        that does not (``militere`` → ``militaire``, not ``militer``); among those, fewer edits
        and more documents win.  A word found in the corpus comes last, after its corrections.
        """
        if len(term) < 3 or term.isdigit():
            return []
        key = (term, k)
        kept = self._candidates.get(key)
        if kept is not None:
            return list(kept)
        found = self._candidates_of(term, k)
        if self.ready():  # an answer from the empty buckets of a vocabulary still loading is not kept
            if len(self._candidates) >= CANDIDATES_KEPT:
                self._candidates.clear()  # crude bound: a search's words are asked again at once
            self._candidates[key] = tuple(found)
        return found

    def _candidates_of(self, term: str, k: int) -> list[tuple[str, float]]:
        df = self.df(term)
        # a typo can be common ("presidant"): then only a same-sounding, far commoner spelling
        common = df >= RARE_DF
        maxdist = 1 if len(term) <= 5 else 2
        sound = phonetic(term)
        ranked = []
        # a spelling that sounds the same may be further away ("atake" → "attaque", 3 edits)
        reach = max(maxdist, SOUND_MAXDIST) if len(term) >= 4 else maxdist
        for cand, dist, cand_df in self.near(term, reach, limit=None):
            if not (df == 0 and cand_df >= 1 or cand_df >= RARE_RATIO * max(df, 1)):
                continue
            same_sound = phonetic(cand) == sound
            if dist > maxdist and not same_sound:
                continue
            if common and not (same_sound and dist <= maxdist and cand_df >= COMMON_TYPO_RATIO * df):
                continue
            score = (SOUND_BONUS if same_sound else 0.0) - EDIT_COST * dist + FREQ_WEIGHT * math.log1p(cand_df)
            ranked.append((score, cand))
        ranked.sort(key=lambda sc: (-sc[0], sc[1]))
        found = [(cand, score) for score, cand in ranked[:k]]
        if found and df:
            # A rare word may be right and its neighbour wrong ("riviere nigger" means "rivière
            # Niger", not "rizière Niger"): kept as a last resort, one edit below every correction,
            # so that a combination of several words can leave it as typed.
            found.append((term, found[-1][1] - EDIT_COST))
        return found

    def display(self, term: str) -> str:
        """Return the most common spelling (accents, capitals) of a folded term in the stored text."""
        with self._lock:
            if term in self._display:
                return self._display[term]
        forms: Counter = Counter()
        try:
            q = wq.Or([wq.Term(f, term) for f in self.fields])
            for hit in self.searcher.search(q, limit=8):
                fields = hit.fields()
                text = " ".join(str(fields.get(k) or "")[:20_000] for k in ("title", "body"))
                for m in _CHUNK.finditer(text):
                    word = m.group(0)
                    if len(word) == len(term) or len(fold(word)) == len(term):
                        if fold(word).lower() == term:
                            forms[word] += 1
        except (KeyError, ValueError, OSError):
            pass
        if forms:
            groups: Counter = Counter()
            for word, n in forms.items():
                groups[word.lower()] += n
            spelling = groups.most_common(1)[0][0]
            variants = {w: n for w, n in forms.items() if w.lower() == spelling}
            # a common word seen capitalised at sentence starts keeps its lower-case form
            # and a name set in capitals in some headlines keeps its usual "Goïta" form
            best = spelling if spelling in variants else \
                max(variants.items(), key=lambda kv: (not kv[0].isupper(), kv[1]))[0]
        else:
            best = term
        with self._lock:
            self._display[term] = best
        return best
