"""Shared fixtures: the seeds, and one read-only index built from them once per session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
SHARED = ROOT.parent / "shared"
CORPUS = Path(os.environ.get("PRESSE_CORPUS_DIR") or SHARED / "corpus")


def stored_documents(index_dir) -> dict[str, dict]:
    """Return the stored fields of every article of an index folder's live generation, by id."""
    from whoosh import index as windex

    from search.index import folder

    ix = windex.open_dir(str(folder.live_path(index_dir)))
    try:
        with ix.searcher() as searcher:
            return {fields["id"]: fields for fields in searcher.all_stored_fields()}
    finally:
        ix.close()


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    """The folder of sample articles shipped with the project."""
    return SEEDS


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    """The shared corpus of real articles, or a skip when it is absent."""
    if not CORPUS.is_dir():
        pytest.skip(f"shared corpus not found at {CORPUS}")
    return CORPUS


@pytest.fixture(scope="session")
def seed_index(tmp_path_factory) -> Path:
    """A read-only index of seeds/, with persons, built once per test session."""
    from search.index import reindex as indexer

    index_dir = tmp_path_factory.mktemp("seed-index")
    indexer.reindex(SEEDS, index_dir, full=True, persons=True)
    return index_dir


@pytest.fixture(scope="session")
def opensearch_url(tmp_path_factory):
    """The URL of the session's one OpenSearch node (``tests/opensearch_node.py``), for every module."""
    from tests.opensearch_node import session_url

    yield from session_url(tmp_path_factory)
