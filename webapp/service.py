"""Access to the query layer from a request: one shared SearchService per app, index faults mapped."""

from __future__ import annotations

import threading

from flask import current_app

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


def get_service():
    """Return the app's SearchService, creating it on first use (raise IndexUnavailable if it cannot)."""
    app = current_app
    svc = app.extensions.get("presse.service")
    if svc is not None:
        return svc
    with _lock:
        svc = app.extensions.get("presse.service")
        if svc is None:
            from search.query.service import SearchService

            try:
                svc = SearchService(app.config["INDEX_DIR"])
            except INDEX_ERRORS as exc:
                raise IndexUnavailable(str(exc)) from exc
            app.extensions["presse.service"] = svc
    return svc


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
    segment cut short is found even when its table of contents still reads.
    """
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
