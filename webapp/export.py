"""``/export?<search parameters>&format=csv|jsonl|ris``: every hit of a search as a streamed file."""

from __future__ import annotations

from urllib.parse import quote, urlencode

from flask import Blueprint, Response, current_app, request, url_for

from search.query import export as ex
from search.query.request import BadParameter
from search.query.timelimit import Deadline
from webapp import service
from webapp.errors import error_response
from webapp.links import DOT_SEGMENTS, article_url
from webapp.search_page import parse_state

bp = Blueprint("export", __name__)

#: The formats offered by the page's « Exporter » control, in order, with their labels.
FORMAT_LABELS = {"csv": "CSV (tableur)", "jsonl": "JSON Lines", "ris": "RIS (Zotero)"}


def export_format() -> str:
    """Return the ``format`` parameter (csv by default); raise BadParameter for another value."""
    values = [v.strip().lower() for v in request.args.getlist("format") if v.strip()]
    fmt = values[-1] if values else "csv"
    if fmt not in ex.FORMATS:
        raise BadParameter(f"format d’export inconnu « {fmt[:40]} » : csv, jsonl ou ris attendu")
    return fmt


def article_linker():
    """Return a function id → absolute article URL that needs no request context (rows stream after the view)."""
    root = request.host_url.rstrip("/")
    prefix = article_url("x")[:-1]  # "/article/": the route quotes the whole id into one segment
    dots = {d: article_url(d) for d in DOT_SEGMENTS}
    return lambda article_id: root + (dots[article_id] if article_id in dots else prefix + quote(article_id, safe=""))


def _with_heartbeat(chunks, beat):
    """Yield ``chunks``, telling the server after each one that this worker is alive.

    A gunicorn sync worker only reports to its master between requests, and is killed after
    ``timeout`` seconds of silence (gunicorn.conf.py): a long export must report while it streams.
    """
    for chunk in chunks:
        yield chunk
        if beat is not None:
            beat()


@bp.get("/export")
def export():
    """Stream every hit of the search in the URL, in its order, as CSV, JSON Lines or RIS."""
    fmt = export_format()
    req = parse_state().request
    if not service.supports("export"):
        return error_response(501, "L’export n’est pas encore disponible avec le moteur OpenSearch : "
                                   "il l’est avec l’index intégré (PRESSE_ENGINE=whoosh).")
    search_url = request.host_url.rstrip("/") + ex.search_path(req, url_for("search.search"))
    from search.engines import EngineError

    try:
        # matching is bounded like a search's; writing rows is not (see search/query/export.py)
        plan = ex.plan_export(service.get_service(), req, search_url=search_url, article_link=article_linker(),
                              deadline=Deadline())
    except (*service.INDEX_ERRORS, EngineError) as exc:
        raise service.IndexUnavailable(str(exc)) from exc
    except ex.ExportTooLong as exc:
        current_app.logger.info("export refused, matching over the time limit: %s", req.q[:100])
        return error_response(503, str(exc))
    name = ex.filename(req, fmt, plan.exported_at)
    headers = {
        "Content-Disposition": f'attachment; filename="{name}"',
        "X-Presse-Total": str(plan.total),
        "Cache-Control": "no-store",
    }
    body = _with_heartbeat(ex.iter_export(plan, fmt), current_app.config.get("HEARTBEAT"))
    return Response(body, content_type=ex.FORMATS[fmt][1], headers=headers)


@bp.app_template_global()
def workbench_links(state) -> dict:
    """Return the export links, the feed URL (relative and absolute) of the search ``state`` for templates."""
    pairs = ex.search_pairs(state.request)
    export_base = url_for("export.export")
    feed = ex.search_path(state.request, url_for("feed.feed"))
    return {
        "exports": [{"format": fmt, "label": label, "url": f"{export_base}?{urlencode(pairs + [('format', fmt)])}"}
                    for fmt, label in FORMAT_LABELS.items()],
        "feed": feed,
        "feed_absolute": request.host_url.rstrip("/") + feed,
        "search_absolute": request.host_url.rstrip("/") + ex.search_path(state.request, url_for("search.search")),
    }
