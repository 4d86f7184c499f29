"""WSGI entry point: ``gunicorn wsgi:app`` (configuration from PRESSE_INDEX_DIR)."""

from webapp import create_app

app = create_app()
