"""The state kept beside each generation, and the decision to rebuild the index in full.

``STATE_FILE`` (``sources.json``) holds, per source file, its signature, content hash and per
article its change hash, raw mentions, name runs and persons, under a ``meta`` header (state
version, schema version, analysis fingerprint, id rule, persons on or off and the fingerprint of
the persons data files); ``PERSONS_FILE`` (``persons.json``) holds the corpus-wide resolution.
``load_state`` reads a generation's state (None when missing or unreadable, never a hang on a
FIFO), ``_write_json`` replaces a file atomically (temporary file, fsync, rename), and
``_full_reason`` says why the next run must be a full rebuild (None when an incremental run is
safe).
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path

from search.index import analysis
from search.index.extraction import ID_RULE, _SUFFIXED
from search.index.schema import SCHEMA_VERSION
from search.persons import names
from search.persons import resolve as resolving

STATE_FILE = "sources.json"
PERSONS_FILE = "persons.json"
STATE_VERSION = 1


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
    if not (isinstance(state, dict) and isinstance(state.get("files"), dict)):
        return None
    for entry in state["files"].values():
        for info in (entry.get("articles") or {}).values() if isinstance(entry, dict) else ():
            for key in _NAME_LISTS:
                if isinstance(info, dict) and isinstance(info.get(key), list):
                    info[key] = interned(info[key])
    return state


#: The lists of names an article's state holds (mentions, name runs, persons): the same few
#: thousand names over the whole corpus, each kept once in memory (``interned``).
_NAME_LISTS = ("m", "r", "p", "pd")


#: The one empty name list of every article without names (a run's states are replaced, never
#: edited in place, so sharing it is safe; it saves a list an article and field).
NO_NAMES: list = []


def interned(names) -> list:
    """Return ``names`` as a list of interned strings (one copy of each name however many articles hold it)."""
    out = [sys.intern(n) if type(n) is str else sys.intern(str(n)) for n in names]
    return out if out else NO_NAMES


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
