"""One fixture, two engines: the query-layer and web suites run on Whoosh and on OpenSearch.

A test module imports ``engine_name`` (parametrised over ``search.engines.ENGINES``) and the
node fixtures, and builds its corpus once per engine with :func:`build`::

    from tests.engine_fixture import engine_name  # noqa: F401 (the fixture)

    @pytest.fixture(scope="module")
    def svc(engine_name, request):
        return build(request, engine_name, articles=ARTICLES)

The object returned answers as the engine does (``search``, ``article``, ``person``,
``more_like_this``; on Whoosh, ``SearchService``'s own methods too) and gives the web app over
the same index (``web()``, a test client). Both engines are filled through the product's own
code: the Whoosh index by ``build_index`` or ``search.index.reindex.reindex``, the OpenSearch one
by ``OpenSearchEngine.reindex``. ``whoosh_only(reason)`` keeps a test about Whoosh's internals to
Whoosh (its opensearch run skipped with the reason). The OpenSearch node is the session's one (``opensearch_url`` of
``tests/conftest.py``), started once however many modules ask for it; without Java
or Maven the opensearch runs skip, unless ``PRESSE_REQUIRE_OPENSEARCH=1``.
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest

from search import engines
from search.engines.opensearch import OpenSearchEngine
from search.index import reindex as indexer
from search.query.service import SearchService
from tests.conftest import SEEDS
from tests.query_fixtures import build_index
from tests.opensearch_node import _alias, _drop

_SERIAL = itertools.count()


@pytest.fixture(scope="module", params=engines.ENGINES)
def engine_name(request):
    """The engine a module's index is built into: each test of the module runs once per engine."""
    return request.param


def whoosh_only(reason: str):
    """Mark a test as run on Whoosh only, its opensearch run skipped with ``reason``."""
    def mark(fn):
        params = ["whoosh", pytest.param("opensearch", marks=pytest.mark.skip(reason=f"whoosh only: {reason}"))]
        fn = pytest.mark.parametrize("engine_name", params, indirect=True)(fn)
        return pytest.mark.usefixtures("engine_name")(fn)
    return mark


class Built:
    """An index of one engine: its engine's methods, the web app over it, and how it was built."""

    def __init__(self, name: str, service, *, index_dir: Path | None = None, url: str | None = None,
                 alias: str | None = None, report=None):
        self.name = name
        self.service = service
        self.index_dir = index_dir
        self.url = url
        self.alias = alias
        self.report = report

    def __getattr__(self, attr):
        # search, article, person, more_like_this… (and SearchService's internals on Whoosh)
        if attr == "service":
            raise AttributeError(attr)
        return getattr(self.service, attr)

    def config(self, **extra) -> dict:
        """Return the web app's config for this index (``extra`` added)."""
        if self.name == "opensearch":
            base = {"ENGINE": "opensearch", "OPENSEARCH_URL": self.url, "OPENSEARCH_INDEX": self.alias}
        else:
            base = {"ENGINE": "whoosh", "INDEX_DIR": str(self.index_dir)}
        return {**base, "TESTING": True, **extra}

    def environ(self) -> dict[str, str]:
        """Return the environment ``presse`` reads to search this index (with ``--index`` its folder)."""
        if self.name == "opensearch":
            return {"PRESSE_ENGINE": "opensearch", "PRESSE_OPENSEARCH_URL": self.url,
                    "PRESSE_OPENSEARCH_INDEX": self.alias}
        return {"PRESSE_ENGINE": "whoosh"}

    def app(self, **extra):
        """Return the Flask app over this index."""
        from webapp import create_app

        return create_app(self.config(**extra))

    def web(self, **extra):
        """Return a Flask test client over this index."""
        return self.app(**extra).test_client()

    def rebuild(self, articles: list[dict]) -> None:
        """Replace the index by one of ``articles`` (a new generation; on OpenSearch, the alias moved)."""
        if self.name == "opensearch":
            self.report = self.service.reindex(None, persons=False, articles=articles)
        else:
            build_index(self.index_dir, articles)  # the same SearchService must notice it

    def reindex(self, source: Path):
        """Run the engine's reindex of ``source`` again (incremental when it can); return its report."""
        if self.name == "opensearch":
            self.report = self.service.reindex(source, persons=False, index_dir=self.index_dir)["report"]
        else:
            self.report = indexer.reindex(source, self.index_dir, persons=False)
            self.service = SearchService(self.index_dir)  # not the one that last looked half a second ago
        return self.report


def seeds(request, name: str) -> Built:
    """Return the seeds with persons from the NER: the session's ``seed_index`` on Whoosh, reindexed on OpenSearch."""
    if name == "whoosh":
        index_dir = Path(request.getfixturevalue("seed_index"))
        return Built(name, SearchService(index_dir), index_dir=index_dir)
    return build(request, name, source=SEEDS, persons=True, label="seeds")


def absent(request, name: str) -> dict:
    """Return the web app's config for an index that does not exist (a folder never written, an alias never made)."""
    tmp = Path(request.getfixturevalue("tmp_path_factory").mktemp(f"{name}-absent"))
    if name == "opensearch":
        url = request.getfixturevalue("opensearch_url")
        return {"ENGINE": "opensearch", "OPENSEARCH_URL": url, "OPENSEARCH_INDEX": _unique(request, "absent"),
                "INDEX_DIR": str(tmp / "none"), "TESTING": True}
    return {"ENGINE": "whoosh", "INDEX_DIR": str(tmp / "none"), "TESTING": True}


def _unique(request, label: str) -> str:
    words = re.sub(r"[^a-z0-9]+", "-", f"{request.node.name}-{label}".lower()).strip("-")
    return _alias(f"{words[-40:]}-{next(_SERIAL)}")


def build(request, name: str, *, articles=None, source=None, persons: bool = False, segments: int = 1,
          frequent=None, label: str = "ix") -> Built:
    """Build ``articles`` (article dicts) or ``source`` (a folder) into engine ``name``; dropped after the scope.

    Whoosh: ``build_index`` (``segments`` commits, ``frequent`` pair words) for article dicts,
    ``reindex`` for a folder. OpenSearch: ``OpenSearchEngine.reindex`` with the articles, or the
    folder (its local state in a temporary folder, kept for a later incremental run).
    """
    tmp = Path(request.getfixturevalue("tmp_path_factory").mktemp(f"{name}-{label}"))
    if name == "whoosh":
        if source is not None:
            report = indexer.reindex(Path(source), tmp, persons=persons)
            return Built(name, SearchService(tmp), index_dir=tmp, report=report)
        build_index(tmp, articles, segments=segments, frequent=frequent)
        return Built(name, SearchService(tmp), index_dir=tmp)
    url = request.getfixturevalue("opensearch_url")
    eng = OpenSearchEngine(url, alias=_unique(request, label))
    request.addfinalizer(lambda: _drop(eng))
    if source is not None:
        report = eng.reindex(Path(source), persons=persons, index_dir=tmp)["report"]
    else:
        report = eng.reindex(None, persons=persons, articles=articles)
    return Built(name, eng, index_dir=tmp, url=url, alias=eng.alias, report=report)
