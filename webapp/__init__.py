"""The presse web interface: a Flask app factory with one blueprint per page."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from search.index import folder as store
from webapp.guard import PresseFlask

#: The htmx release served from the CDN and vendored under static/ (see README, "Web interface").
HTMX_VERSION = "2.0.11"
#: Subresource-integrity hash of dist/htmx.min.js for HTMX_VERSION (sha384, base64).
HTMX_SRI = "sha384-2OatzQy1H+Zd/IIrjr1TcuDGqLXeHhbooAyJY1KdQMKnr4LZ22k31GBLdYKHmVjg"
#: The only third-party origin the pages load code from.
CDN_ORIGIN = "https://cdn.jsdelivr.net"
HTMX_CDN_URL = f"{CDN_ORIGIN}/npm/htmx.org@{HTMX_VERSION}/dist/htmx.min.js"

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"


def create_app(config: dict | None = None) -> Flask:
    """Build the web app; ``config`` may set INDEX_DIR (default: PRESSE_INDEX_DIR), ENGINE and
    OPENSEARCH_URL (default: PRESSE_ENGINE, PRESSE_OPENSEARCH_URL) and TESTING."""
    app = PresseFlask(__name__, static_folder=str(STATIC_DIR), static_url_path="/static")
    app.config.from_mapping(
        INDEX_DIR=str(store.default_index_dir()),
        ENGINE=None,  # None: PRESSE_ENGINE, else whoosh
        OPENSEARCH_URL=None,
        OPENSEARCH_INDEX=None,  # the alias searched (default: PRESSE_OPENSEARCH_INDEX, else presse)
        TESTING=False,
        HITS_PER_PAGE=20,
        JSON_AS_ASCII=False,
    )
    if config:
        app.config.update(config)
    app.config["INDEX_DIR"] = str(app.config["INDEX_DIR"])
    # The interactive debugger executes code from the browser: never on, whatever FLASK_DEBUG says.
    app.debug = False
    app.config["DEBUG"] = False
    app.json.ensure_ascii = False
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

    from webapp import api, article, errors, export, feed, guard, health, links, person, search_page, security, sources, views

    views.register(app)
    links.register(app)  # the blueprints' routes use its converter
    security.register(app)
    errors.register(app)
    guard.register(app)  # before any blueprint: refused requests never reach a view
    for module in (search_page, article, person, api, health, export, feed, sources):
        app.register_blueprint(module.bp)
    return app
