"""French error pages for the requests gunicorn answers itself, with the security headers.

gunicorn refuses a malformed request (bad request line, header name, chunked body…) or one over its
own limits before the app sees it, and writes a bare English page without headers. The app's limits
(webapp.guard) sit below gunicorn's, so only malformed requests and the backstop reach this; their
pages are rendered once per worker from the app's own error template.
"""

from __future__ import annotations

from http import HTTPStatus

#: What gunicorn answers itself, and the French explanation shown for it.
MESSAGES = {
    400: "Le navigateur ou le proxy a envoyé une requête mal formée, que le serveur ne peut pas lire.",
    403: "Cette requête est refusée par le serveur.",
    414: "L’adresse demandée est trop longue : retirez des filtres ou raccourcissez la recherche.",
    417: "Le serveur ne peut pas satisfaire l’en-tête « Expect » de la requête.",
    431: "Les en-têtes de la requête sont trop nombreux ou trop longs : effacez les cookies de ce site puis réessayez.",
    500: "Une erreur inattendue s’est produite. Elle a été consignée ; réessayez dans un instant.",
    501: "Le serveur ne prend pas en charge ce codage de la requête.",
}
TITLES = {403: "Accès refusé", 417: "Attente impossible", 501: "Non pris en charge"}


def render_pages(app) -> dict[int, bytes]:
    """Return the complete HTTP response, headers and French page, for each status gunicorn writes."""
    from flask import render_template

    from webapp import errors
    from webapp.security import security_headers

    pages = {}
    with app.test_request_context("/"):
        for status, message in MESSAGES.items():
            title = TITLES.get(status) or errors.TITLES.get(status, "Erreur")
            body = render_template("error.html", status=status, title=title, message=message).encode("utf-8")
            headers = {"Connection": "close", "Content-Type": "text/html; charset=utf-8",
                       "Content-Length": str(len(body)), "Cache-Control": "no-store",
                       **security_headers(), "Vary": "HX-Request"}
            head = f"HTTP/1.1 {status} {HTTPStatus(status).phrase}\r\n"
            head += "".join(f"{name}: {value}\r\n" for name, value in headers.items())
            pages[status] = head.encode("latin-1") + b"\r\n" + body
    return pages


def install(app) -> None:
    """Make gunicorn write the French pages instead of its own (call once per worker, after fork)."""
    from gunicorn import util

    pages = render_pages(app)
    english = getattr(util.write_error, "presse_english", util.write_error)

    def write_error(sock, status_int, reason, mesg):
        page = pages.get(status_int)
        if page is None:  # a status this table does not know: gunicorn's page rather than none
            return english(sock, status_int, reason, mesg)
        util.write_nonblock(sock, page)

    write_error.presse_english = english
    # Every error gunicorn writes itself goes through this one function (workers/base.py,
    # handle_error); tests/test_serving.py checks the French pages over a real gunicorn.
    util.write_error = write_error
