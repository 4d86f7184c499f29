"""« À propos des sources » (``/sources``): what the archive holds, from the index, cached per generation."""

from __future__ import annotations

import threading
from datetime import datetime, timezone

import numpy as np
from flask import Blueprint, current_app, render_template

from search.text import fold_key
from webapp import service
from webapp.errors import error_response
from webapp.dates import display_date

bp = Blueprint("sources", __name__)

_lock = threading.Lock()
_NO_DATE = np.iinfo(np.int64).max


def index_built_at(svc) -> datetime | None:
    """Return when the live index generation was last written (its newest commit), or None."""
    if not hasattr(svc, "handle"):
        return None  # another engine: no index folder to date
    svc.handle.searcher()  # opens the index (and notices a new generation)
    gen = svc.handle.generation
    if gen is None:
        return None
    try:
        # every Whoosh commit writes a table of contents last: the newest one dates the index
        stamps = [p.stat().st_mtime for p in gen.glob("*.toc")] or [gen.stat().st_mtime]
    except OSError:
        return None
    return datetime.fromtimestamp(max(stamps), timezone.utc)


def _date_text(key: int) -> str:
    """Return ``2023-08-02``, ``2023-08`` or ``2023`` for a ``date_sort`` key (20230802, 20230800, 20230000)."""
    year, month, day = key // 10000, key // 100 % 100, key % 100
    return f"{year:04d}" + (f"-{month:02d}" if month else "") + (f"-{day:02d}" if month and day else "")


def _outlets(data) -> tuple[list[dict], int]:
    """Return one row per outlet (count, first and last published date) and the articles with no outlet."""
    facet = data.facets["outlet"]
    codes, live = facet.codes, data.live
    size = len(facet.values)
    known = live & (codes >= 0)
    counts = np.bincount(codes[known], minlength=size)
    # estimated dates are guesses from the text: they do not bound what an outlet published
    dated = known & (data.date_sort > 0) & ~data.estimated
    first = np.full(size, _NO_DATE, dtype=np.int64)
    last = np.zeros(size, dtype=np.int64)
    np.minimum.at(first, codes[dated], data.date_sort[dated])
    np.maximum.at(last, codes[dated], data.date_sort[dated])
    items = [(facet.values[c], int(counts[c]), int(first[c]), int(last[c])) for c in np.flatnonzero(counts).tolist()]
    return outlet_rows(items), int((live & (codes < 0)).sum())


def outlet_rows(items) -> list[dict]:
    """Return the rows of (outlet, count, first date key, last date key; 0 when undated), most articles first."""
    rows = []
    for name, count, first, last in items:
        has_dates = last > 0
        rows.append({
            "name": name, "count": count,
            "first": display_date({"date": _date_text(first)}) if has_dates else None,
            "last": display_date({"date": _date_text(last)}) if has_dates else None,
        })
    rows.sort(key=lambda r: (-r["count"], fold_key(r["name"])))
    return rows


def _years(data) -> tuple[list[dict], int]:
    """Return articles per year (oldest first, gaps shown as 0) with estimated dates counted apart, and the undated."""
    facet = data.facets["year"]
    live = data.live
    counts = facet.counts(live)
    estimated = facet.counts(live & data.estimated)
    present = {int(facet.values[c]): (int(counts[c]), int(estimated[c]))
               for c in np.flatnonzero(counts).tolist() if facet.values[c].isdigit()}
    undated = int(live.sum()) - sum(n for n, _e in present.values())
    return year_rows(present), undated


def year_rows(present: dict[int, tuple[int, int]]) -> list[dict]:
    """Return the rows of {year: (count, estimated)}, oldest first, the gaps of up to 60 years shown as 0."""
    if not present:
        return []
    lo, hi = min(present), max(present)
    span = range(lo, hi + 1) if hi - lo <= 60 else sorted(present)
    peak = max(n for n, _e in present.values())
    rows = []
    for year in span:
        n, est = present.get(year, (0, 0))
        rows.append({"year": str(year), "count": n, "estimated": est,
                     "percent": round(100 * n / peak) if peak else 0})
    return rows


def coverage(svc) -> dict:
    """Return the archive's coverage (outlets, years, totals, build time), computed once per index generation."""
    if hasattr(svc, "coverage_counts"):  # OpenSearch: the same counts from aggregations, cached per index
        c = svc.coverage_counts()
        return _value(c["total"], outlet_rows(c["outlets"]), c["no_outlet"], year_rows(c["years"]),
                      c["undated"], c["estimated"], c["built"])
    searcher, gen = svc._current()  # the facet columns already read for searching: no second copy
    key = (svc.version, id(gen))
    cache = current_app.extensions.setdefault("presse.sources", {})
    with _lock:
        if cache.get("key") == key:
            return cache["value"]
    data = gen.facets
    outlets, no_outlet = _outlets(data)
    years, undated = _years(data)
    value = _value(int(data.live.sum()), outlets, no_outlet, years, undated, int((data.live & data.estimated).sum()),
                   index_built_at(svc))
    with _lock:
        cache["key"], cache["value"] = key, value
    return value


def _value(total, outlets, no_outlet, years, undated, estimated, built) -> dict:
    return {"total": total, "outlets": outlets, "no_outlet": no_outlet, "years": years, "undated": undated,
            "estimated": estimated, "built": built, "built_text": _built_text(built)}


def _built_text(moment: datetime | None) -> str:
    if moment is None:
        return "date inconnue"
    day = display_date({"date": moment.strftime("%Y-%m-%d")})["text"]
    return f"{day} à {moment.strftime('%H:%M')} (UTC)"


@bp.get("/sources")
def sources():
    """The sources page: outlets with counts and first/last dates, articles per year, index build time."""
    if not service.supports("sources"):
        return error_response(501, "La page des sources n’est pas encore disponible avec le moteur OpenSearch : "
                                   "la recherche, ses filtres et sa frise montrent la même couverture.")
    from search.engines import EngineError

    try:
        cov = coverage(service.get_service())
    except (*service.INDEX_ERRORS, EngineError) as exc:
        raise service.IndexUnavailable(str(exc)) from exc
    return render_template("sources.html", cov=cov)
