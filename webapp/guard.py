"""Requests refused before any page runs: a Host that names no server, a URL or headers over the limits.

The app enforces these limits itself, below gunicorn's (gunicorn.conf.py keeps higher ones as a
backstop), so that the refusal is a French page with the security headers like every other error,
whatever server runs the app.
"""

from __future__ import annotations

from urllib.parse import quote

from flask import Flask, request
from werkzeug.exceptions import HTTPException

#: Longest request target (path and query string, as sent) the app answers: gunicorn's request line
#: limit (8190 bytes, method and protocol included) stays above it.
MAX_URL_BYTES = 8000
#: Most header fields, and longest field (« Name: value »), before a 431.
MAX_HEADERS = 100
MAX_HEADER_BYTES = 8190

#: The environ key where a Host refused by Werkzeug is kept for the guard.
BAD_HOST = "presse.bad_host"
#: Placeholder host for building links when the request's Host cannot be used (never shown: links
#: are relative).
SAFE_HOST = "localhost"

BAD_HOST_MESSAGE = ("L’adresse du site indiquée par la requête (en-tête Host) est invalide : "
                    "ouvrez le site depuis son adresse habituelle.")
URL_TOO_LONG_MESSAGE = (f"L’adresse demandée est trop longue (plus de {MAX_URL_BYTES:,} octets) : "
                        "retirez des filtres ou raccourcissez la recherche.").replace(",", "\u202f")
TOO_MANY_HEADERS_MESSAGE = f"La requête porte trop d’en-têtes (plus de {MAX_HEADERS})."
HEADER_TOO_LARGE_MESSAGE = (f"Un en-tête de la requête est trop long (plus de {MAX_HEADER_BYTES:,} octets) : "
                            "effacez les cookies de ce site puis réessayez.").replace(",", "\u202f")


class PresseFlask(Flask):
    """Flask whose URL adapter survives a Host that Werkzeug refuses, so that the 400 page can render."""

    def create_url_adapter(self, request):
        """Return the URL adapter; for a refused Host, one bound to a placeholder host, the refusal kept."""
        try:
            return super().create_url_adapter(request)
        except HTTPException as exc:
            if request is None:
                raise
            # Werkzeug cannot bind a Host it cannot IDNA-encode ("x..y", ".", a 64-character label),
            # nor one outside TRUSTED_HOSTS; Flask then has no adapter at all, and the error page,
            # which builds its links with url_for, fails into a bare 500 without headers.
            request.environ[BAD_HOST] = exc
            environ = dict(request.environ, HTTP_HOST=SAFE_HOST)
            return self.url_map.bind_to_environ(environ, subdomain=self.url_map.default_subdomain or "")


def url_bytes(environ) -> int:
    """Return the length in bytes of the request target (path and query string) as the client sent it."""
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if raw is None:  # a server that keeps only the decoded parts: rebuild them as sent
        path = (environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")).encode("latin-1", "replace")
        query = environ.get("QUERY_STRING", "")
        raw = quote(path, safe="/") + (f"?{query}" if query else "")
    return len(raw)  # WSGI strings hold one character per byte


def header_problem(environ) -> str | None:
    """Return the French message for too many or too large header fields, else None."""
    fields = [(key[5:], value) for key, value in environ.items() if key.startswith("HTTP_")]
    fields += [(key, environ[key]) for key in ("CONTENT_TYPE", "CONTENT_LENGTH") if environ.get(key)]
    if len(fields) > MAX_HEADERS:
        return TOO_MANY_HEADERS_MESSAGE
    # « Name: value\r\n », as gunicorn counts a field
    if any(len(name) + len(str(value)) + 4 > MAX_HEADER_BYTES for name, value in fields):
        return HEADER_TOO_LARGE_MESSAGE
    return None


def register(app: Flask) -> None:
    """Refuse malformed or oversized requests with a French 400, 414 or 431 before any view runs."""
    from webapp.errors import error_response

    @app.before_request
    def _guard():
        environ = request.environ
        if BAD_HOST in environ:
            return error_response(400, BAD_HOST_MESSAGE)
        if url_bytes(environ) > MAX_URL_BYTES:
            return error_response(414, URL_TOO_LONG_MESSAGE)
        problem = header_problem(environ)
        if problem:
            return error_response(431, problem)
        return None
