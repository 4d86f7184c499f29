"""Export of a whole search (every hit, in the request's order) as CSV, JSON Lines or RIS, streamed.

``plan_export`` runs the matching once and keeps only the ordered document numbers (8 bytes a
hit); ``iter_export`` then reads stored fields in batches and yields text chunks, so memory stays
flat whatever the number of hits and nothing is capped.

Time limit: the matching (the part a search bounds) runs under the deadline the caller gives —
the web app uses the search time limit (``PRESSE_SEARCH_TIME_LIMIT``), the command line none by
default. When that budget runs out the export is refused (``ExportTooLong``) rather than sent
incomplete, since a file cannot carry the page's « résultats partiels » warning. Writing the rows
is not bounded: it is linear in the hits, and the reader of the stream can stop it at any time.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from urllib.parse import quote, urlencode

import numpy as np

from search.index.documents import split_persons
from search.query.request import SearchRequest
from search.query.timelimit import Deadline
from search.streams import batched

#: Export formats: file extension and media type.
FORMATS = {
    "csv": ("csv", "text/csv; charset=utf-8"),
    "jsonl": ("jsonl", "application/x-ndjson; charset=utf-8"),
    "ris": ("ris", "application/x-research-info-systems; charset=utf-8"),
}
#: Columns of the CSV and keys of each JSON line, in order.
COLUMNS = ("id", "title", "outlet", "author", "credit", "date", "date_precision", "date_estimated", "url",
           "persons", "story", "article_url", "search_url", "exported_at")
#: Hits read and written per chunk (a chunk is one write to the client).
BATCH = 500
#: Characters that make a spreadsheet read a cell as a formula (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: French names of the date precisions, for RIS notes.
PRECISION_FR = {"day": "jour", "month": "mois", "year": "année"}
#: Persons are joined with this in CSV cells and RIS notes (names never contain it).
PERSONS_SEP = " ; "


class ExportTooLong(RuntimeError):
    """The matching did not finish within the time limit: the export would be incomplete."""


@dataclass
class ExportPlan:
    """What one export will write: the searcher, the ordered hits and the provenance fields."""

    searcher: object
    docnums: np.ndarray | None
    search_url: str
    exported_at: str
    article_link: Callable[[str], str] | None = None  # id → absolute URL of its page in presse
    # an engine that streams the hits itself (OpenSearch): their stored fields in order, and their number
    stream: Iterator[dict] | None = None
    count: int = 0

    @property
    def total(self) -> int:
        """Number of hits the export holds."""
        return self.count if self.stream is not None else int(len(self.docnums))


def search_pairs(req: SearchRequest) -> list[tuple[str, str]]:
    """Return the URL pairs of what selects and orders the hits (words, filters, exclusions, sort, scope)."""
    skip = ("page", "limit", "facet_limit")
    return [(k, v) for k, values in req.to_params().items() if k not in skip and not k.startswith("facet_filter")
            for v in values]


def search_path(req: SearchRequest, path: str = "/search") -> str:
    """Return ``path?…`` with the request's search pairs (``/search?q=…&outlet=…``)."""
    query = urlencode(search_pairs(req))
    return f"{path}?{query}" if query else path


def now_iso() -> str:
    """Return the current UTC time as ISO 8601 with a ``Z``, to the second."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def plan_export(service, req: SearchRequest, *, search_url: str | None = None, article_link=None,
                deadline: Deadline | None = None, exported_at: str | None = None) -> ExportPlan:
    """Match every hit of ``req`` in its order; raise ExportTooLong when ``deadline`` runs out first."""
    stream, count = None, 0
    if hasattr(service, "export_hits"):  # OpenSearch: the engine walks its hits with search_after
        count, stream, cut = service.export_hits(req, deadline)
        searcher, docnums = None, None
    else:
        searcher, docnums, cut = service.iter_docnums(req, deadline)
    if cut:
        raise ExportTooLong(
            "Recherche trop longue pour un export complet : précisez la requête (moins de mots en OU, de "
            "préfixes ou de mots approchés~), ou exportez avec la commande « presse export », "
            "sans limite de temps.")
    return ExportPlan(searcher, docnums, search_url if search_url is not None else search_path(req),
                      exported_at or now_iso(), article_link, stream=stream, count=count)


def iter_records(plan: ExportPlan) -> Iterator[dict]:
    """Yield one provenance record per hit, in order, reading stored fields a batch at a time."""
    if plan.stream is not None:
        for f in plan.stream:
            yield record(f, plan)
        return
    searcher = plan.searcher
    for start in range(0, plan.total, BATCH):
        batch = plan.docnums[start : start + BATCH]
        # read in document order (stored fields are laid out that way), give back in hit order
        fields = {int(d): searcher.stored_fields(int(d)) for d in np.sort(batch)}
        for d in batch:
            yield record(fields[int(d)], plan)


def record(f: dict, plan: ExportPlan) -> dict:
    """Return the export record of one article's stored fields."""
    article_id = f.get("id") or ""
    return {
        "id": article_id, "title": f.get("title") or "", "outlet": f.get("outlet") or None,
        "author": f.get("author") or None, "credit": f.get("credit") or None, "date": f.get("date") or None,
        "date_precision": f.get("date_precision") or None, "date_estimated": bool(f.get("date_estimated")),
        "url": f.get("url") or None, "persons": split_persons(f.get("persons")),
        # stories (one dispatch copied by several outlets) are a field to come: empty until indexed
        "story": f.get("story") or None,
        "article_url": plan.article_link(article_id) if plan.article_link and article_id else None,
        "search_url": plan.search_url, "exported_at": plan.exported_at,
    }


# ---------------------------------------------------------------- formats


def csv_cell(value) -> str:
    """Return a CSV cell's text: lists joined, booleans as oui/non, formula-like text made inert."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, list):
        value = PERSONS_SEP.join(value)
    text = str(value)
    # A leading apostrophe is the spreadsheet convention for "this is text, not a formula".
    return "'" + text if text.startswith(_FORMULA_START) else text


def _csv_lines(rows: list[list[str]]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL).writerows(rows)
    return buf.getvalue()


def iter_csv(records) -> Iterator[str]:
    """Yield a CSV file (byte-order mark, CRLF, header row) one chunk per batch."""
    yield "\ufeff" + _csv_lines([list(COLUMNS)])
    for chunk in batched(records, BATCH):
        yield _csv_lines([[csv_cell(r[c]) for c in COLUMNS] for r in chunk])


def iter_jsonl(records) -> Iterator[str]:
    """Yield JSON Lines, one object per hit (keys in COLUMNS order), one chunk per batch."""
    for chunk in batched(records, BATCH):
        yield "".join(json.dumps({c: r[c] for c in COLUMNS}, ensure_ascii=False) + "\n" for r in chunk)


def _ris_value(value) -> str:
    # RIS is one tag per line: a value never spans lines
    return " ".join(str(value).split())


def ris_entry(r: dict) -> str:
    """Return one RIS reference (``TY  - NEWS`` … ``ER  -``) with CRLF line ends, as Zotero reads it."""
    tags: list[tuple[str, str]] = [("TY", "NEWS"), ("TI", r["title"])]
    if r["outlet"]:
        tags.append(("T2", r["outlet"]))
    if r["author"]:
        tags.append(("AU", r["author"]))
    date = r["date"] or ""
    # an estimated date is a guess from the text, never given to a reference manager as published
    if date[:4].isdigit() and not r["date_estimated"]:
        tags.append(("PY", date[:4]))
        parts = date.split("-") + ["", ""]
        tags.append(("DA", f"{parts[0]}/{parts[1]}/{parts[2]}/"))
    if r["url"]:
        tags.append(("UR", r["url"]))
    tags += [("KW", p) for p in r["persons"]]
    notes = [f"Identifiant presse : {r['id']}"]
    if r["credit"]:
        notes.append(f"Crédit : {r['credit']}")
    if date:
        precision = PRECISION_FR.get(r["date_precision"] or "", "inconnue")
        notes.append(f"Date estimée d’après le texte, non publiée : {date}" if r["date_estimated"]
                     else f"Date : {date} (précision : {precision})")
    if r["persons"]:
        notes.append("Personnes citées : " + PERSONS_SEP.join(r["persons"]))
    if r["story"]:
        notes.append(f"Dépêche : {r['story']}")
    if r["article_url"]:
        notes.append(f"Dans presse : {r['article_url']}")
    notes.append(f"Recherche : {r['search_url']} — exporté le {r['exported_at']}")
    tags.append(("N1", " · ".join(notes)))
    tags += [("LA", "fr"), ("ID", r["id"]), ("DB", "presse")]
    lines = [f"{tag}  - {_ris_value(value)}" for tag, value in tags if _ris_value(value)]
    return "\r\n".join(lines) + "\r\nER  - \r\n\r\n"


def iter_ris(records) -> Iterator[str]:
    """Yield RIS references, one chunk per batch."""
    for chunk in batched(records, BATCH):
        yield "".join(ris_entry(r) for r in chunk)


WRITERS = {"csv": iter_csv, "jsonl": iter_jsonl, "ris": iter_ris}



def iter_export(plan: ExportPlan, fmt: str) -> Iterator[bytes]:
    """Yield the export of ``plan`` in format ``fmt`` (csv, jsonl or ris) as UTF-8 chunks."""
    for text in WRITERS[fmt](iter_records(plan)):
        yield text.encode("utf-8")


def filename(req: SearchRequest, fmt: str, exported_at: str) -> str:
    """Return a safe ASCII file name such as ``presse-cooperation-militaire-20240102T1200Z.csv``."""
    from search.text import fold

    words = "".join(ch if ch.isalnum() else "-" for ch in fold(req.q).lower() if ch.isascii())
    slug = "-".join(w for w in words.split("-") if w)[:60].strip("-") or "tout"
    stamp = exported_at.replace("-", "").replace(":", "")[:13] + "Z"
    return f"presse-{slug}-{stamp}.{FORMATS[fmt][0]}"



def plan_with_base(service, req: SearchRequest, base_url: str = "", deadline: Deadline | None = None) -> ExportPlan:
    """Plan an export whose search and article links start with ``base_url`` (relative when empty)."""
    base = base_url.rstrip("/")
    link = (lambda article_id: f"{base}/article/{quote(article_id, safe='')}") if base else None
    return plan_export(service, req, search_url=base + search_path(req), article_link=link, deadline=deadline)


def write_export(plan: ExportPlan, fmt: str, out) -> int:
    """Write the export of ``plan`` to the binary stream ``out``; return the number of hits written."""
    for chunk in iter_export(plan, fmt):
        out.write(chunk)
    out.flush()
    return plan.total
