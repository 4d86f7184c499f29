"""Reading the articles of one source file, and the rule that gives every article its id.

``extract_file`` turns one ``SourceFile`` into article dicts through ``search.extract`` and does
not raise for a bad file: one that cannot be read comes back with its reason, a bad record is named,
and with ``into`` each article is handed on as soon as it is read (a bulk file is never held
whole).  ``_BaseIds``/``_file_bases`` give each article of a file its base id (the extractor's,
unique within the file), and ``_assign_ids`` settles the claims of several files on one base id
over the whole corpus (a page before a bulk record, then walk order; the others become
``BASE~xxxxxxxx``), from the claims alone, so that a full and an incremental run give the same
ids; ``ID_RULE`` names that rule in the state, ``_with_base`` keeps a suffixed article's base id.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from search.index import documents
from search.index.sources import SourceFile, _one_line

#: How ids are given to duplicates (``meta.ids`` of the state): 2 stores each article's base id.
ID_RULE = 2

_SUFFIXED = re.compile(r"~[0-9a-f]{8}$")


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
