"""``/api/search``: the query layer's JSON for the same parameters as ``/search``, plus ``limit``."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request

from webapp.params import SearchState
from webapp.search_page import run_search

bp = Blueprint("api", __name__, url_prefix="/api")


@bp.get("/search")
def search():
    """Return the search result as JSON (errors as ``{"error", "status"}``)."""
    cfg = current_app.config
    state = SearchState(request.args, allow_limit=True, default_limit=cfg["HITS_PER_PAGE"],
                        max_limit=cfg["MAX_HITS_PER_PAGE"])
    resp = jsonify(run_search(state))
    resp.headers["Cache-Control"] = "no-store"
    return resp
