"""Access to the query layer from a request: one shared SearchService per app, index faults mapped."""

from __future__ import annotations

import os
import threading

from flask import current_app, has_app_context

from search.index import folder as store
from search.query.request import BadParameter

_lock = threading.Lock()


class IndexUnavailable(RuntimeError):
    """Raised when the index folder is missing or cannot be read."""


def _index_errors() -> tuple[type[BaseException], ...]:
    errors: list[type[BaseException]] = [store.NoIndex, FileNotFoundError, PermissionError]
    try:
        from whoosh.index import EmptyIndexError, IndexError as WhooshIndexError

        errors += [EmptyIndexError, WhooshIndexError]
    except ImportError:  # pragma: no cover - whoosh is a hard dependency
        pass
    return tuple(errors)


INDEX_ERRORS = _index_errors()


def engine_environ(config) -> dict:
    """Return the environment the engine is chosen from, with the app's config taking precedence."""
    env = dict(os.environ)
    if config.get("ENGINE"):
        env["PRESSE_ENGINE"] = str(config["ENGINE"])
    if config.get("OPENSEARCH_URL"):
        env["PRESSE_OPENSEARCH_URL"] = str(config["OPENSEARCH_URL"])
    if config.get("OPENSEARCH_INDEX"):
        env["PRESSE_OPENSEARCH_INDEX"] = str(config["OPENSEARCH_INDEX"])
    return env


def _open_engine(config):
    """Return the configured engine: SearchService over the index folder, or an OpenSearch cluster."""
    from search import engines

    env = engine_environ(config)
    if engines.engine_name(env) == "opensearch":
        return engines.get_engine(environ=env)
    from search.query.service import SearchService

    return SearchService(config["INDEX_DIR"])


def get_service():
    """Return the app's search engine, creating it on first use (raise IndexUnavailable if it cannot)."""
    app = current_app
    svc = app.extensions.get("presse.service")
    if svc is not None:
        return svc
    with _lock:
        svc = app.extensions.get("presse.service")
        if svc is None:
            from search.engines import EngineError

            try:
                svc = _open_engine(app.config)
            except (*INDEX_ERRORS, EngineError) as exc:
                raise IndexUnavailable(str(exc)) from exc
            app.extensions["presse.service"] = svc
    return svc


def supports(feature: str) -> bool:
    """Return True when the app's engine has ``feature`` (the Whoosh index has them all)."""
    try:
        svc = get_service()
    except IndexUnavailable:
        return True  # the page will say the index is unavailable, not that a feature is missing
    caps = getattr(svc, "capabilities", None)
    return caps is None or feature in caps


def call(method: str, *args, **kwargs):
    """Call a SearchService method, turning index faults into IndexUnavailable.

    A damaged segment raises whatever its codec meets (EOFError, struct.error, ValueError…): when
    the index then fails the health check, the page says what ``/healthz`` says (503); when it
    passes, the error is a bug and stays one (500).
    """
    svc = get_service()
    try:
        return getattr(svc, method)(*args, **kwargs)
    except INDEX_ERRORS as exc:
        raise IndexUnavailable(str(exc)) from exc
    except BadParameter:
        raise
    except Exception as exc:
        ok, detail = index_readable(current_app.config["INDEX_DIR"])
        if not ok:
            raise IndexUnavailable(detail) from exc
        raise


def index_readable(index_dir) -> tuple[bool, str]:
    """Return (True, generation name) when the index opens and answers, else (False, reason).

    Besides opening every segment, it reads the first and last stored document of each, so that a
    segment cut short is found even when its table of contents still reads.  On OpenSearch, the
    alias must answer.
    """
    svc = current_app.extensions.get("presse.service") if has_app_context() else None
    if svc is None and has_app_context():
        from search import engines

        env = engine_environ(current_app.config)
        try:
            if engines.engine_name(env) == "opensearch":
                svc = get_service()
        except (engines.EngineError, IndexUnavailable) as exc:
            return False, str(exc)
    if svc is not None and hasattr(svc, "health"):
        return svc.health()
    handle = store.IndexHandle(index_dir)
    try:
        searcher = handle.searcher()
        count = searcher.doc_count()
        for leaf, _offset in searcher.reader().leaf_readers():
            total = leaf.doc_count_all()
            for docnum in {0, total - 1} if total else ():
                leaf.stored_fields(docnum)
        gen = handle.generation
        return True, f"{gen.name if gen else '?'} ({count} documents)"
    except INDEX_ERRORS as exc:
        return False, str(exc)
    except Exception as exc:  # a corrupt segment raises whatever the codec hits
        return False, f"{type(exc).__name__}: {exc}"
    finally:
        handle.close()
