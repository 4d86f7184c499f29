"""Links to an article or a person that work for any id or name the index holds.

Ids come from file names and source records, names from sources and NER: they may hold spaces,
``/``, ``?``, ``#``, ``%``, leading dots or any non-ASCII character. Such a value is quoted whole into
one path segment (``/`` as ``%2F``), and the routes take the rest of the path, slashes included.
"""

from __future__ import annotations

from urllib.parse import quote

from flask import Flask, url_for
from werkzeug.routing import BaseConverter

#: Values that quote to a path segment browsers resolve away ("/article/.." is "/", and so is its
#: percent-encoded form): they go in the query string instead.
DOT_SEGMENTS = frozenset({".", ".."})


class RestConverter(BaseConverter):
    """The rest of the path, slashes included, built with every reserved character quoted."""

    part_isolating = False
    regex = ".+"
    weight = 200

    def to_url(self, value) -> str:
        """Quote the whole value, ``/`` included, so that it stays one path segment."""
        return quote(str(value), safe="")


def article_url(article_id: str, **args) -> str:
    """Return the URL of an article's page (``args``: query parameters such as ``q``)."""
    article_id = str(article_id)
    if article_id in DOT_SEGMENTS:
        return url_for("article.article_by_query", id=article_id, **args)
    return url_for("article.article", article_id=article_id, **args)


def person_url(name: str) -> str:
    """Return the URL of a person's page."""
    name = str(name)
    if name in DOT_SEGMENTS:
        return url_for("person.person_by_query", nom=name)
    return url_for("person.person", name=name)


def register(app: Flask) -> None:
    """Add the ``rest`` converter (before the blueprints use it) and the link helpers for templates."""
    app.url_map.converters["rest"] = RestConverter
    app.jinja_env.globals.update(article_url=article_url, person_url=person_url)
