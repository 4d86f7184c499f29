"""Search engines behind one small interface: the embedded Whoosh index (default) or an OpenSearch cluster.

Contract (both engines)::

    engine = get_engine(index_dir)              # the one PRESSE_ENGINE names
    engine.reindex(source, persons=True)        # → dict summary (articles, failed, seconds, …)
    engine.search(SearchRequest(...))           # → search.query.service.SearchResult
    engine.article(article_id, q="")            # → dict or None (as SearchService.article)
    engine.person(name)                         # → dict or None (as SearchService.person)
    engine.capabilities                         # features this engine has (the page says what is missing)

``PRESSE_ENGINE`` (``whoosh`` | ``opensearch``), ``PRESSE_OPENSEARCH_URL`` (default
``http://127.0.0.1:9200``) and ``PRESSE_OPENSEARCH_INDEX`` (the alias, default ``presse``) are
read here and nowhere else.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Protocol, runtime_checkable

ENGINES = ("whoosh", "opensearch")
DEFAULT_URL = "http://127.0.0.1:9200"
DEFAULT_ALIAS = "presse"

#: Everything an engine may offer; each engine lists the ones it has in ``capabilities``.
FEATURES = frozenset({"search", "facets", "timeline", "highlight", "article", "person", "stories",
                      "similar", "suggestions", "export", "sources"})


@runtime_checkable
class Engine(Protocol):
    """What the query layer, the CLI and the web app need from an engine."""

    name: str
    capabilities: frozenset[str]

    def reindex(self, source, *, persons: bool = True, progress=None) -> dict:
        """Index every article of ``source`` and publish it atomically; return a summary."""

    def search(self, req):
        """Return the ``SearchResult`` of a ``SearchRequest``."""

    def article(self, article_id: str, q: str = "") -> dict | None:
        """Return one article for its page, or None."""

    def person(self, name: str) -> dict | None:
        """Return a person's counts, timeline, outlets and co-mentions, or None."""


class EngineError(Exception):
    """An engine cannot serve: misconfigured, or its server does not answer (the message says which)."""


class UnknownEngine(EngineError, ValueError):
    """Raised when PRESSE_ENGINE names no engine."""


def engine_name(environ=None) -> str:
    """Return the configured engine name (``whoosh`` unless PRESSE_ENGINE says otherwise)."""
    env = os.environ if environ is None else environ
    name = (env.get("PRESSE_ENGINE") or "whoosh").strip().lower()
    if name not in ENGINES:
        raise UnknownEngine(f"PRESSE_ENGINE={name!r}: expected one of {', '.join(ENGINES)}")
    return name


def opensearch_url(environ=None) -> str:
    """Return the OpenSearch base URL (PRESSE_OPENSEARCH_URL), without a trailing slash."""
    env = os.environ if environ is None else environ
    return (env.get("PRESSE_OPENSEARCH_URL") or DEFAULT_URL).strip().rstrip("/")


def opensearch_alias(environ=None) -> str:
    """Return the alias the OpenSearch engine searches (PRESSE_OPENSEARCH_INDEX)."""
    env = os.environ if environ is None else environ
    return (env.get("PRESSE_OPENSEARCH_INDEX") or DEFAULT_ALIAS).strip().lower()


class WhooshEngine:
    """The embedded engine: the index folder and ``SearchService``, unchanged."""

    name = "whoosh"
    capabilities = FEATURES

    def __init__(self, index_dir):
        from search.query.service import SearchService

        self.index_dir = Path(index_dir)
        self._service = None
        self._service_cls = SearchService

    @property
    def service(self):
        """Return the SearchService, opened on first use (the index may not exist before a reindex)."""
        if self._service is None:
            self._service = self._service_cls(self.index_dir)
        return self._service

    def reindex(self, source, *, persons: bool = True, progress=None) -> dict:
        """Run the product's reindex into the index folder and return its summary as a dict."""
        from search.index.reindex import reindex

        report = reindex(Path(source), self.index_dir, persons=persons, progress=progress)
        return {"engine": self.name, "report": report}

    def search(self, req):
        """Return the SearchResult of ``req``."""
        return self.service.search(req)

    def article(self, article_id: str, q: str = "") -> dict | None:
        """Return one article, or None."""
        return self.service.article(article_id, q=q)

    def person(self, name: str) -> dict | None:
        """Return one person's page data, or None."""
        return self.service.person(name)


def get_engine(index_dir=None, environ=None) -> Engine:
    """Return the engine PRESSE_ENGINE configures (Whoosh on ``index_dir`` by default)."""
    name = engine_name(environ)
    if name == "opensearch":
        from search.engines.opensearch import OpenSearchEngine

        return OpenSearchEngine(opensearch_url(environ), alias=opensearch_alias(environ))
    if index_dir is None:
        env = os.environ if environ is None else environ
        index_dir = env.get("PRESSE_INDEX_DIR") or "var/index"
    return WhooshEngine(index_dir)
