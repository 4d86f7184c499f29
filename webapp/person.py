"""The person page (``/personne/<name>``): mentions over time, outlets, persons mentioned alongside."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request

from search.query.request import MAX_VALUE_CHARS, SearchRequest
from webapp import service
from webapp.links import person_url
from webapp.params import SearchState
from webapp.timeline import build_timeline

bp = Blueprint("person", __name__)


def _rows(data: dict, *keys: str) -> list[dict]:
    """Return a list of ``{"value", "count"}`` rows under the first key present (names or dicts)."""
    for key in keys:
        rows = data.get(key)
        if rows:
            out = []
            for row in rows:
                if isinstance(row, dict):
                    value = row.get("value") or row.get("name") or row.get("outlet") or ""
                    out.append({"value": str(value), "count": int(row.get("count") or 0)})
                elif isinstance(row, (list, tuple)) and row:
                    out.append({"value": str(row[0]), "count": int(row[1]) if len(row) > 1 else 0})
                else:
                    out.append({"value": str(row), "count": 0})
            return [r for r in out if r["value"]]
    return []


@bp.get("/personne/<rest:name>", merge_slashes=False)
def person(name: str):
    """Person page (the name quoted whole into the path: ``/`` as ``%2F``)."""
    return _page(name)


@bp.get("/personne")
def person_by_query():
    """Person page for a name given as ``?nom=`` (the names ``.`` and ``..``, which a path cannot carry)."""
    return _page(request.args.get("nom", ""))


def _page(name: str):
    name = name.strip()
    if not name or len(name) > MAX_VALUE_CHARS or any(ord(ch) < 32 for ch in name):
        abort(404)
    data = service.call("person", name)
    if not data:
        abort(404)
    display = data.get("name") or name
    state = SearchState(SearchRequest(person=[display]))
    outlets = [dict(r, url=state.toggle_url("outlet", r["value"])) for r in _rows(data, "outlets")]
    co = [dict(r, url=person_url(r["value"]),
               search_url=state.toggle_url("person", r["value"]))  # both ticked: exactly the count shown
          for r in _rows(data, "co_mentioned", "comentioned", "co_persons", "persons", "related")]
    timeline = build_timeline(data.get("timeline"), None,
                              link=lambda kind, value: state.only_url(kind, value),
                              undated=int(data.get("undated") or 0))
    count = int(data.get("count") or data.get("total") or 0)
    return render_template("person.html", name=display, count=count, outlets=outlets, co=co,
                           timeline=timeline, variants=[v for v in data.get("variants") or [] if v != display],
                           search_url=state.url())
