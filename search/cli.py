"""The ``presse`` command: thin click wrappers over the library's plain functions."""

from __future__ import annotations

import itertools
import json
import sys
from pathlib import Path

import click

from search.index import folder as store


def _echo_json(obj) -> None:
    click.echo(json.dumps(obj, ensure_ascii=False))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="presse")
def main():
    """presse: search the Malian and West-African French-language press.

    Typical use: `presse reindex` builds the index from the source folder
    (PRESSE_SOURCE_DIR, default seeds/) into PRESSE_INDEX_DIR (default var/index);
    `presse search QUERY` queries it; `presse serve` starts the web interface.
    """


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per article, one per line.")
@click.option("--persons/--no-persons", default=True, show_default=True,
              help="Fill `persons` with spaCy's French NER, resolving surnames across the given files.")
def extract(files, as_json, persons):
    """Extract structured articles from raw scraped pages (FILES: .txt pages or .jsonl bulk files).

    Each article gives id, path, url, title, outlet, site, author, date (with date_precision
    and date_estimated), body, comments, comments_count, persons and content_hash. Articles
    are printed as they are read, so a bulk file of any size takes little memory (with
    persons, once every file has been read: names are resolved across all of them). A file
    or record that cannot be read is reported on stderr with a one-line reason and skipped;
    the exit status is 0 unless no file at all could be read.
    """
    tally = {"articles": 0, "files_skipped": 0}
    articles = _extracted(files, tally)
    if persons:
        articles = _with_persons(articles)
    for art in articles:
        if as_json:
            _echo_json(art)
        else:
            click.echo(f"{art['id']}\t{art.get('date') or '-'}\t{art.get('outlet') or '-'}\t{art['title']}")
    if tally["files_skipped"] and not tally["articles"]:
        sys.exit(1)


def _extracted(files, tally: dict):
    """Yield the articles of ``files`` one by one, reporting skipped files and records on stderr."""
    from search.extract import files as ex

    for path in files:
        read = 0
        try:
            for item in ex.iter_file(path):
                if isinstance(item, dict):
                    read += 1
                    tally["articles"] += 1
                    yield item
                else:  # SkippedRecord: where is the file's name, then the line or the item
                    where = str(item.where)
                    if where.startswith(path.name):
                        where = str(path) + where[len(path.name):]
                    click.echo(f"skipped {where}: {item.reason}", err=True)
        except ex.SkipFile as exc:
            tally["files_skipped"] += 1
            click.echo(f"skipped {path}: {exc}", err=True)
        except Exception as exc:  # an extractor bug costs the rest of one file, not the command
            if not read:
                tally["files_skipped"] += 1
            what = "stopped" if read else "failed"
            message = " ".join(str(exc).split())[:300]
            click.echo(f"skipped {path}: extraction {what}: {type(exc).__name__}: {message}", err=True)


#: Articles sent to person extraction at a time.
_PERSONS_BATCH = 500


def _with_persons(articles):
    """Yield ``articles`` with ``persons`` filled, resolved across all of them.

    Resolution needs every article's mentions first, so the articles wait in a temporary
    file (not in memory) while the mentions are gathered batch by batch.
    """
    import tempfile

    from search.persons import ner
    from search.persons.resolve import resolve

    raw: dict[str, list[str]] = {}
    runs: dict[str, list[str]] = {}
    with tempfile.TemporaryFile("w+", encoding="utf-8") as spool:
        batch: list[dict] = []
        for art in itertools.chain(articles, [None]):
            if art is not None:
                batch.append(art)
            if batch and (art is None or len(batch) >= _PERSONS_BATCH):
                found = ner.raw_mentions(batch)
                raw.update(found)
                runs.update(found.runs)
                spool.writelines(json.dumps(a) + "\n" for a in batch)  # ASCII escapes: lone surrogates too
                batch = []
        if not raw:  # no article at all: spaCy need not even load
            return
        by_article = resolve(raw, runs=runs).by_article
        del raw, runs
        spool.seek(0)
        for line in spool:
            art = json.loads(line)
            art["persons"] = by_article.get(art["id"], [])
            yield art


@main.command()
@click.option("--source", type=click.Path(path_type=Path), default=None,
              help="Folder of source files, walked recursively (.txt pages, .json sidecars, .jsonl bulk files). "
                   "Default: $PRESSE_SOURCE_DIR, else seeds/.")
@click.option("--index", "index_dir", type=click.Path(path_type=Path), default=None,
              help="Index folder. Default: $PRESSE_INDEX_DIR, else var/index.")
@click.option("--full", is_flag=True,
              help="Rebuild from scratch in a new generation beside the live index, then swap it in atomically.")
@click.option("--wait", is_flag=True, help="If another reindex is running (on OpenSearch: into the same alias, "
                                           "from any machine), wait for it instead of refusing.")
@click.option("--persons/--no-persons", default=True, show_default=True,
              help="Extract persons with spaCy (cached by content hash).")
@click.option("--procs", type=click.IntRange(min=1), default=None,
              help="Worker processes for person extraction and index writing (on OpenSearch: bulk requests "
                   "in flight at once); default: number of cores, at most 2.")
@click.option("--follow-external-links", is_flag=True,
              help="Also index files and folders reached by symbolic links leading outside the source "
                   "folder (by default they are skipped and named in the summary).")
def reindex(source, index_dir, full, wait, persons, procs, follow_external_links):
    """Bring the index up to date with the source folder.

    Incremental by default: new files are added, changed files (by content hash) updated, and
    articles whose file is gone deleted. Skipped files are listed with their reason; the exit
    status is non-zero only when the index could not be written.
    """
    from search import engines
    from search.index import reindex as indexer

    source = source or store.default_source_dir()
    index_dir = index_dir or store.default_index_dir()
    try:
        name = engines.engine_name()
    except engines.UnknownEngine as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    if name == "opensearch":
        _reindex_opensearch(source, index_dir, persons, full, wait=wait, procs=procs,
                            follow_external_links=follow_external_links)
        return
    try:
        report = indexer.reindex(source, index_dir, full=full, wait=wait, persons=persons, procs=procs,
                                 progress=indexer.make_progress(sys.stderr),
                                 follow_external_links=follow_external_links)
    except store.IndexBusy as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(3)
    except indexer.SourceError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    except indexer.IndexWriteError as exc:
        click.echo(f"error: the index could not be written: {exc}", err=True)
        sys.exit(2)
    except KeyboardInterrupt:
        click.echo("interrupted: the previous index is still the live one", err=True)
        sys.exit(130)
    click.echo(report.summary())


_SEARCH_OPTIONS = [
    click.option("--outlet", multiple=True, help="Only this outlet (repeat to OR several)."),
    click.option("--year", multiple=True, help="Only this year (repeat to OR several)."),
    click.option("--month", multiple=True, help="Only this month, YYYY-MM (repeat to OR several)."),
    click.option("--person", multiple=True, help="Only articles mentioning this person (repeat: all of them)."),
    click.option("--author", multiple=True, help="Only this author (repeat to OR several)."),
    click.option("--from", "date_from", metavar="DATE", help="From this day on: 26/11/2019, 2019-11-26, 2019-11 or 2019."),
    click.option("--to", "date_to", metavar="DATE", help="Up to this day (same forms; a month or a year: up to its end)."),
    click.option("--comments", metavar="1", help="Only articles with reader comments (1)."),
    click.option("--no-autocorrect", "autocorrect", flag_value="0", default=None,
                 help="Search the words as typed even when they find nothing and a correction would."),
    click.option("--collapse", metavar="1|0", help="One hit per story (1, the default) or every copy (0)."),
    click.option("--story", metavar="ID", help="Only the copies of one story."),
    click.option("--not-outlet", multiple=True, help="Exclude this outlet."),
    click.option("--not-year", multiple=True, help="Exclude this year."),
    click.option("--not-month", multiple=True, help="Exclude this month, YYYY-MM."),
    click.option("--not-person", multiple=True, help="Exclude articles mentioning this person."),
    click.option("--not-author", multiple=True, help="Exclude this author."),
    click.option("--sort", metavar="relevance|newest|oldest", help="Order of hits (default: relevance)."),
    click.option("--scope", metavar="all|articles|comments",
                 help="Search titles, bodies and comments (all, the default), articles only, or reader comments only."),
]


def _search_options(command):
    """Add the options a search takes (filters, sort, scope) to a command; the query layer's parser checks them."""
    for option in reversed(_SEARCH_OPTIONS):
        command = option(command)
    return command


def _engine_for(index_dir: Path, whoosh_service):
    """Return the engine PRESSE_ENGINE configures: the index folder's service, or the OpenSearch cluster."""
    from search import engines

    return engines.get_engine() if engines.engine_name() == "opensearch" else whoosh_service(index_dir)


def _reindex_opensearch(source: Path, index_dir: Path, persons: bool, full: bool = False, *, wait: bool = False,
                        procs: int | None = None, follow_external_links: bool = False) -> None:
    """Reindex into the OpenSearch cluster PRESSE_OPENSEARCH_URL names: by id, or a new index and the alias moved."""
    from search import engines
    from search.index import reindex as indexer

    engine = engines.get_engine()
    progress = indexer.make_progress(sys.stderr)
    try:
        index_dir.mkdir(parents=True, exist_ok=True)  # the NER cache stays on this machine
        # the engine's own run, with the options of the command (the lock's --wait among them)
        report = engine.reindex(source, index_dir=index_dir, full=full, persons=persons, progress=progress,
                                procs=procs, follow_external_links=follow_external_links, wait=wait,
                                notify=lambda message: click.echo(message, err=True))
        progress.close()
    except store.IndexBusy as exc:  # another run holds the alias's lock
        click.echo(f"error: {exc}", err=True)
        sys.exit(3)
    except indexer.SourceError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        click.echo("interrupted: the previous index is still the live one", err=True)
        sys.exit(130)
    except Exception as exc:  # the cluster refused: the alias still names the previous index
        click.echo(f"error: the OpenSearch index could not be written ({type(exc).__name__}: {exc}); "
                   "the previous index is still the live one", err=True)
        sys.exit(2)
    click.echo(f"reindex into OpenSearch ({engines.opensearch_url()}): {report.get('index')} "
               f"now behind the alias {engines.opensearch_alias()}")
    if "report" in report:  # the summary of a Whoosh reindex: added, updated, deleted, skipped
        click.echo(report["report"].summary())
        return
    click.echo(f"{report.get('articles', 0)} articles indexed, {len(report.get('failed') or {})} failed, "
               f"{len(report.get('skipped') or [])} skipped; "
               + ", ".join(f"{k} {v:.1f} s" for k, v in (report.get("timings") or {}).items()))
    for where, why in list((report.get("failed") or {}).items())[:50]:
        click.echo(f"  failed: {where}: {why}")
    for where, why in (report.get("skipped") or [])[:50]:
        click.echo(f"  skipped: {where}: {why}")


@main.command("search")
@click.argument("query", nargs=-1)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON (same shape as /api/search).")
@click.option("--index", "index_dir", type=click.Path(path_type=Path), default=None,
              help="Index folder. Default: $PRESSE_INDEX_DIR, else var/index.")
@_search_options
@click.option("--page", metavar="N", help="Page number (default: 1).")
@click.option("--limit", metavar="N", help="Hits per page (default 20, at most 100).")
@click.option("--facet-limit", metavar="N", help="Values per facet (default 10, 0: all).")
@click.option("--facet-filter", multiple=True, metavar="FACET:TEXT",
              help="Only list values of FACET containing TEXT, accents ignored (e.g. person:goita).")
def search_cmd(query, as_json, index_dir, **options):
    """Search the index. QUERY uses the query language: words are ANDed; OR/OU, AND/ET,
    NOT/SAUF/-word, parentheses, "phrases", coop* prefixes, fuzzy Beloussof~, and fields
    titre:, texte:, commentaires:, auteur:, media:/journal:, personne:, annee:, date:2021..2023.
    An empty query matches every article.
    """
    import html
    import re

    from search import engines
    from search.query.request import BadParameter, SearchRequest
    from search.query.service import SearchService

    index_dir = index_dir or store.default_index_dir()
    # Options keep their URL names (``not_outlet``, ``facet_limit``…); unset ones are left to the parser.
    params = {key: list(value) if isinstance(value, tuple) else value for key, value in options.items()
              if value not in (None, ())}
    params["q"] = " ".join(query)
    try:
        req = SearchRequest.from_params(params)
        result = _engine_for(index_dir, SearchService).search(req)
    except BadParameter as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    except store.NoIndex as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    except engines.EngineError as exc:  # PRESSE_ENGINE unknown, or the cluster does not answer
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    data = result.to_dict()
    if as_json:
        _echo_json(data)
        return
    if data.get("corrected_from"):
        click.echo(f"Résultats pour : {data['query']} (aucun pour « {data['corrected_from']} » ; "
                   "--no-autocorrect pour chercher tel quel)")
    grouped = data.get("collapse") and data.get("total_stories", data["total"]) < data["total"]
    stories = f" ({data['total_stories']} après regroupement des copies ; --collapse 0 pour toutes)" if grouped else ""
    click.echo(f"{data['total']} résultat(s){stories} — {data['interpreted']}")
    for warning in data.get("warnings") or []:
        click.echo(f"note : {warning}", err=True)
    if data.get("suggestion"):
        click.echo(f"Vouliez-vous dire : {data['suggestion']['text']} ?")
    for hit in data["hits"]:
        date = hit.get("date") or "s.d."
        if hit.get("date_estimated"):
            date = f"≈ {date}"
        click.echo(f"- [{hit['id']}] {hit['title']} ({hit.get('outlet') or '?'}, {date})")
        if hit.get("versions"):
            outlets = ", ".join(dict.fromkeys(v.get("outlet") or "?" for v in hit["versions"]))
            click.echo(f"    + {len(hit['versions'])} autre(s) version(s) : {outlets} (--story {hit['story']})")
        for snippet in hit.get("snippets") or []:
            text = html.unescape(re.sub(r"</?mark>", "*", snippet["html"]))
            click.echo(f"    {text}")


@main.command("export")
@click.argument("query", nargs=-1)
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl", "ris"]), default="csv", show_default=True,
              help="CSV for spreadsheets (UTF-8 with BOM), JSON Lines, or RIS for Zotero and other reference managers.")
@click.option("--output", "-o", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="File to write (default: standard output).")
@click.option("--index", "index_dir", type=click.Path(path_type=Path), default=None,
              help="Index folder. Default: $PRESSE_INDEX_DIR, else var/index.")
@_search_options
@click.option("--base-url", default="", metavar="URL",
              help="Address of the web interface (https://…): makes the search and article links absolute.")
@click.option("--time-limit", type=click.FloatRange(min=0), default=0.0, show_default=True,
              help="Seconds the matching may take before the export is refused (0: no limit).")
def export_cmd(query, fmt, output, index_dir, base_url, time_limit, **options):
    """Export every hit of a search, in its order, with provenance (same QUERY language and filters as
    `presse search`). Streamed: any number of hits in constant memory.
    """
    from search import engines
    from search.query import export as ex
    from search.query.request import BadParameter, SearchRequest
    from search.query.service import SearchService
    from search.query.timelimit import Deadline

    params = {key: list(value) if isinstance(value, tuple) else value for key, value in options.items()
              if value not in (None, ())}
    params["q"] = " ".join(query)
    try:
        req = SearchRequest.from_params(params)
        svc = _engine_for(index_dir or store.default_index_dir(), SearchService)
        # the plan comes first: a refused export leaves no half-written file behind
        plan = ex.plan_with_base(svc, req, base_url, Deadline(time_limit))
        if output is None:
            count = ex.write_export(plan, fmt, sys.stdout.buffer)
        else:
            with open(output, "wb") as fh:
                count = ex.write_export(plan, fmt, fh)
    except BadParameter as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    except (store.NoIndex, ex.ExportTooLong, engines.EngineError) as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    except BrokenPipeError:  # `presse export … | head`: the reader has all it wants
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit's flush
        sys.exit(0)
    click.echo(f"{count} article(s) exporté(s){f' dans {output}' if output else ''}", err=True)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--port", type=int, default=5000, show_default=True, help="Port to listen on.")
@click.option("--index", "index_dir", type=click.Path(path_type=Path), default=None,
              help="Index folder. Default: $PRESSE_INDEX_DIR, else var/index.")
def serve(host, port, index_dir):
    """Serve the web interface for local use (for production, run wsgi:app under gunicorn).

    The server picks up a new index after a reindex without a restart. The debugger is never
    enabled.
    """
    from werkzeug.serving import run_simple

    from webapp import create_app

    config = {"INDEX_DIR": str(index_dir)} if index_dir else None
    app = create_app(config)
    from search import engines

    where = (f"OpenSearch {engines.opensearch_url()}, alias {engines.opensearch_alias()}"
             if engines.engine_name() == "opensearch" else f"index: {app.config['INDEX_DIR']}")
    click.echo(f"presse: http://{host}:{port}/ ({where})", err=True)
    run_simple(host, port, app, threaded=True, use_debugger=False, use_reloader=False)


@main.command()
@click.option("--index", "index_dir", type=click.Path(path_type=Path), default=None,
              help="Index folder. Default: $PRESSE_INDEX_DIR, else var/index.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per person.")
@click.option("--min-count", type=int, default=1, show_default=True, help="Only persons in at least N articles.")
def persons(index_dir, as_json, min_count):
    """List persons with their article counts and the spellings merged into each.

    Use it to spot what to merge (search/persons/data/person_aliases.toml) or delete
    (search/persons/data/non_persons.txt); edits apply at the next reindex.
    """
    from search.persons.resolve import list_persons

    index_dir = index_dir or store.default_index_dir()
    try:
        rows = list_persons(index_dir)
    except store.NoIndex as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    for row in rows:
        if row["count"] < min_count:
            continue
        if as_json:
            _echo_json(row)
        else:
            variants = ", ".join(v for v in row.get("variants", []) if v != row["name"])
            click.echo(f"{row['count']:6d}  {row['name']}" + (f"  ({variants})" if variants else ""))


if __name__ == "__main__":
    main()
