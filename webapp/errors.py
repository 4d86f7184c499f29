"""Error pages: friendly French 400/404/503, and a 500 that never shows a traceback."""

from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from search.query.request import BadParameter
from webapp.service import IndexUnavailable
from webapp.views import is_htmx

TITLES = {
    400: "Requête incorrecte",
    404: "Page introuvable",
    405: "Méthode non autorisée",
    413: "Requête trop volumineuse",
    414: "Adresse trop longue",
    431: "En-têtes trop volumineux",
    500: "Erreur interne",
    501: "Non disponible avec ce moteur",
    503: "Service indisponible",
}
MESSAGES = {
    404: "Cette page n’existe pas, ou l’article a été retiré de l’index.",
    500: "Une erreur inattendue s’est produite. Elle a été consignée ; réessayez dans un instant.",
    503: "L’index de recherche est absent ou illisible : lancez « presse reindex » puis rechargez la page.",
}


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.path == "/healthz"


def error_response(status: int, message: str | None = None):
    """Render an error as JSON for the API, a fragment for htmx, or a full French page."""
    title = TITLES.get(status, "Erreur")
    message = message or MESSAGES.get(status) or title
    if _wants_json():
        return jsonify({"error": message, "status": status}), status
    template = "_error.html" if is_htmx() else "error.html"
    return render_template(template, status=status, title=title, message=message), status


def bad_parameter_message(exc: Exception) -> str:
    """Return a user-facing message for a BadParameter from the query layer."""
    text = str(exc).strip() or "paramètre invalide"
    return f"Paramètre invalide : {text[:300]}"


def register(app: Flask) -> None:
    """Install the handlers."""
    @app.errorhandler(BadParameter)
    def _bad(exc):
        return error_response(400, bad_parameter_message(exc))

    @app.errorhandler(IndexUnavailable)
    def _no_index(exc):
        app.logger.warning("index unavailable: %s", exc)
        return error_response(503)

    @app.errorhandler(HTTPException)
    def _http(exc):
        status = exc.code or 500
        message = MESSAGES.get(status) if status != 400 else None
        return error_response(status, message)

    @app.errorhandler(Exception)
    def _crash(exc):
        app.logger.exception("unhandled error on %s", request.path)
        return error_response(500)
