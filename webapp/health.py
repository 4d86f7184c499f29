"""``/healthz``: 200 when the index opens and answers, 503 otherwise (for load balancers and probes)."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify

from webapp.service import index_readable

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    """Report whether the index is readable."""
    ok, detail = index_readable(current_app.config["INDEX_DIR"])
    resp = jsonify({"status": "ok" if ok else "unavailable", "index": detail if ok else None,
                    "error": None if ok else "index absent ou illisible : lancez presse reindex"})
    resp.status_code = 200 if ok else 503
    resp.headers["Cache-Control"] = "no-store"
    return resp
