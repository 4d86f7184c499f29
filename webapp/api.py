"""``/api/search``: the query layer's JSON for the same parameters as ``/search``."""

from __future__ import annotations

from flask import Blueprint, jsonify

from webapp.search_page import parse_state, run_search

bp = Blueprint("api", __name__, url_prefix="/api")


@bp.get("/search")
def search():
    """Return the search result as JSON (errors as ``{"error", "status"}``)."""
    resp = jsonify(run_search(parse_state()))
    resp.headers["Cache-Control"] = "no-store"
    return resp
