"""Persons mentioned in articles: spaCy NER, normalisation and corpus-wide identity.

PLACEHOLDER (the persons issue replaces it). spaCy is imported lazily: the web app never loads it.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Resolution:
    """Canonical persons per article, and the spellings merged into each canonical name."""

    by_article: dict[str, list[str]] = field(default_factory=dict)
    variants: dict[str, dict[str, int]] = field(default_factory=dict)

    def to_json(self) -> dict:
        """Return a JSON-serialisable form (saved as persons.json in each index generation)."""
        return {"variants": self.variants}


def raw_mentions(articles, *, cache=None, n_process=1) -> dict[str, list[str]]:
    """Return cleaned person mentions per article id (NER on new text only, the rest from cache)."""
    return {a["id"]: [] for a in articles}


def resolve(raw: dict[str, list[str]]) -> Resolution:
    """Resolve mentions to corpus-wide canonical persons (surnames, aliases, accents)."""
    return Resolution(by_article={k: [] for k in raw})


def annotate(articles, cache=None) -> None:
    """Fill ``persons`` of each article in place, resolving across the given articles."""
    res = resolve(raw_mentions(articles, cache=cache))
    for art in articles:
        art["persons"] = res.by_article.get(art["id"], [])


def list_persons(index_dir) -> list[dict]:
    """Return persons of the live index with counts and variants, most frequent first."""
    return []
