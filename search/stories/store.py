"""A ``StoryIndex`` saved as plain files in a folder (beside an index generation's own files).

``stories-meta.json`` (format, evidence parameters, thresholds, article count; written last),
``stories-ids.json`` (article ids, in row order), ``stories-columns.npz`` (exact key, day span,
strong-group root and shingle offsets per article, weak links), ``stories-signatures.npy`` (MinHash, uint32) and
``stories-shingles.npy`` (every shingle set end to end, uint32; read set by set from the file, so
that only the sets of candidate pairs are ever read). No body is stored.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from search.stories import link, minhash, shingles
from search.stories.link import Thresholds
from search.stories.sets import ShingleSets

FORMAT = 1
META, IDS, COLUMNS = "stories-meta.json", "stories-ids.json", "stories-columns.npz"
SIGNATURES, SHINGLES = "stories-signatures.npy", "stories-shingles.npy"


class StaleStories(ValueError):
    """Saved stories built with other evidence parameters: rebuild them from the articles."""


def evidence_parameters() -> dict:
    """Return the parameters a saved signature or shingle set depends on."""
    return {"format": FORMAT, "shingle_words": shingles.SHINGLE_WORDS, "rows": minhash.ROWS,
            "bands": minhash.BANDS, "seed": minhash.SEED, "min_words": link.MIN_WORDS}


def _replace(path: Path, write) -> None:
    """Write a file through a temporary name, so that a reader never sees half of it."""
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as fh:
        write(fh)
    os.replace(tmp, path)


def save(index, folder) -> None:
    """Write the live articles of ``index`` (a ``StoryIndex``) into ``folder``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    index._flush()
    rows = np.flatnonzero(index._alive)
    renumber = np.full(len(index._ids), -1, dtype=np.int64)
    renumber[rows] = np.arange(len(rows))
    # Roots are live rows (a removal relinks its story among the remaining members).
    roots = renumber[index._roots()[rows]]
    offsets = np.zeros(len(rows) + 1, dtype=np.int64)
    np.cumsum(index._sets.sizes(index._slot[rows]), out=offsets[1:])
    ids = [index._ids[r] for r in rows]
    _replace(folder / IDS, lambda fh: fh.write(json.dumps(ids, ensure_ascii=False).encode("utf-8")))
    weak = np.array([(renumber[a], renumber[b]) for a, b in index._weak_rows()], dtype=np.int64).reshape(-1, 2)
    _replace(folder / COLUMNS, lambda fh: np.savez(fh, key=index._key[rows], lo=index._lo[rows],
                                                    hi=index._hi[rows], root=roots, offsets=offsets, weak=weak))
    _replace(folder / SIGNATURES, lambda fh: np.save(fh, index._sig[rows]))
    _replace(folder / SHINGLES, lambda fh: _write_sets(fh, index, rows, int(offsets[-1])))
    t = index.thresholds
    meta = {**evidence_parameters(), "count": len(rows),
            "thresholds": {"jaccard": t.jaccard, "containment": t.containment, "max_days": t.max_days}}
    _replace(folder / META, lambda fh: fh.write(json.dumps(meta, indent=1).encode("utf-8")))


def _write_sets(fh, index, rows: np.ndarray, total: int) -> None:
    """Write the shingle sets of ``rows`` end to end as one ``.npy`` array, streamed (never all in memory)."""
    np.lib.format.write_array_header_1_0(fh, {"descr": np.lib.format.dtype_to_descr(np.dtype("<u4")),
                                              "fortran_order": False, "shape": (total,)})
    index._sets.write(fh, index._slot[rows])


def load(cls, folder, thresholds: Thresholds | None = None, spill_dir=None):
    """Return the ``StoryIndex`` (``cls``) saved in ``folder``, relinked if ``thresholds`` changed.

    Its shingle sets are read from the saved file when needed; new ones spill into ``spill_dir``.
    """
    folder = Path(folder)
    try:
        meta = json.loads((folder / META).read_text(encoding="utf-8"))
    except ValueError as exc:
        raise StaleStories(f"{META} illisible : {exc}") from exc
    wanted = evidence_parameters()
    if {k: meta.get(k) for k in wanted} != wanted:
        raise StaleStories("paramètres des histoires différents : reconstruire")
    ids = json.loads((folder / IDS).read_text(encoding="utf-8"))
    with np.load(folder / COLUMNS) as columns:
        cols = {name: columns[name] for name in ("key", "lo", "hi", "root", "offsets", "weak")}
    sig = np.load(folder / SIGNATURES)
    n = meta["count"]
    if not (len(ids) == n == len(cols["key"]) == len(sig) == len(cols["offsets"]) - 1):
        raise StaleStories("fichiers des histoires incohérents : reconstruire")
    saved = Thresholds(**meta["thresholds"])
    index = cls(thresholds or saved, spill_dir=spill_dir)
    index._ids = list(ids)
    index._row = {aid: i for i, aid in enumerate(ids)}
    index._key, index._lo, index._hi = cols["key"], cols["lo"], cols["hi"]
    index._alive = np.ones(n, dtype=bool)
    index._sig = sig
    try:
        index._sets = ShingleSets.saved(folder / SHINGLES, cols["offsets"], spill_dir)
    except ValueError as exc:
        raise StaleStories(f"{SHINGLES} : {exc}") from exc
    index._slot = np.arange(n, dtype=np.int64)
    index._pending_base = n
    if index.thresholds == saved:
        index._parent = cols["root"].astype(np.int64)
        index._weak = {(int(a), int(b)) for a, b in cols["weak"]}
    else:
        index._parent = np.arange(n, dtype=np.int64)
        index._link(np.arange(n, dtype=np.int64), np.arange(n, dtype=np.int64))
    return index
