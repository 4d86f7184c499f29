"""Benchmark (not a test): HTML extraction speed, the old hand-written tree builder against the lxml one, in one run.

Usage:
    python bench/bench_html.py [--pages DIR_OR_GLOB] [--repeat 5] [--old-rev REV] [--size-kb 470]

``--pages`` is a folder (every ``*.html``/``*.htm`` below it) or a glob of HTML pages; without it, one synthetic
page of about ``--size-kb`` KB is built from repeated realistic markup (menus, article, teaser lists, comment
thread, footer). The old code (``search/extract/html/{parse,meta,page}.py``) is read from git (``--old-rev``,
default: the newest revision whose ``parse.py`` still holds the ``html.parser`` tree builder) into a temporary
package, so the product keeps one parser. Each page is run old, new, old, new… ``--repeat`` times; the
tables give the median per page, pages per second (pages / sum of per-page medians) and the old/new ratio,
for the tree alone, the HTML stage (tree, regions, metadata, comments) and the whole extraction.
"""

from __future__ import annotations

import argparse
import glob
import importlib.util
import statistics
import subprocess
import sys
import tempfile
import time
import types
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from search.extract import files  # noqa: E402
from search.extract.decode import decode_bytes  # noqa: E402
from search.extract.html import page as new_page, parse as new_parse  # noqa: E402

_HTML_DIR = "search/extract/html"
_OLD_MARK = "class _TreeBuilder(HTMLParser)"


def _git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True).stdout


def old_revision() -> str:
    """Return the newest revision whose ``parse.py`` holds the hand-written tree builder."""
    for rev in _git("log", "--format=%H", "--", f"{_HTML_DIR}/parse.py").split():
        try:
            if _OLD_MARK in _git("show", f"{rev}:{_HTML_DIR}/parse.py"):
                return rev
        except subprocess.CalledProcessError:
            continue
    sys.exit("no revision of parse.py with the old tree builder")


def load_old(rev: str, workdir: Path) -> types.SimpleNamespace:
    """Import parse/meta/page of ``rev`` as a private package whose modules import each other."""
    pkg = "_old_presse_html"
    folder = workdir / pkg
    folder.mkdir()
    (folder / "__init__.py").write_text("", encoding="utf-8")
    for name in ("parse", "meta", "page"):
        source = _git("show", f"{rev}:{_HTML_DIR}/{name}.py")
        source = source.replace("search.extract.html.parse", f"{pkg}.parse")
        source = source.replace("from search.extract.html import meta", f"from {pkg} import meta")
        (folder / f"{name}.py").write_text(source, encoding="utf-8")
    sys.path.insert(0, str(workdir))
    modules = {}
    for name in ("parse", "meta", "page"):
        spec = importlib.util.spec_from_file_location(f"{pkg}.{name}", folder / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
        modules[name] = module
    return types.SimpleNamespace(**modules)


_ARTICLE = ("<p>Le ministre de la Défense a reçu ce lundi à Bamako les chefs d&rsquo;état-major des armées pour faire "
            "le point sur la situation sécuritaire dans le centre du pays, a indiqué un communiqué.</p>\n"
            "<p>Selon <a href='/tag/fama'>les FAMa</a>, les échanges ont porté sur la <strong>montée en puissance"
            "</strong> des forces armées et sur le <em>retour de l'administration</em> à Kidal.<br>Les chefs "
            "militaires ont présenté leur bilan.</p>\n")
_TEASER = ("<li class='td-module'><div class='thumb'><a href='/a/{n}'><img src='/i/{n}.jpg' alt='photo {n}'></a>"
           "</div><h3 class='entry-title'><a href='/a/{n}'>Titre d'un autre article numéro {n} sur la région</a></h3>"
           "<time datetime='2024-03-{d:02d}T10:00:00+00:00'>{d} mars 2024</time>"
           "<span class='td-excerpt'>Un court résumé de l'article {n}, comme sur les pages des sites.</span></li>\n")
_COMMENT = ("<li id='comment-{n}' class='comment depth-1'><article class='comment-body'><footer class='comment-meta'>"
            "<div class='comment-author vcard'><b class='fn'>Lecteur {n}</b> <span class='says'>dit :</span></div>"
            "</footer><div class='comment-content'><p>Un avis de lecteur numéro {n} sur la situation.</p></div>"
            "<div class='reply'><a class='comment-reply-link' href='#'>Répondre</a></div></article></li>\n")


def synthetic_page(size_kb: int) -> str:
    """Return a WordPress-like news page of about ``size_kb`` KB (most of its weight in chrome, as real pages)."""
    head = ("<!DOCTYPE html><html lang='fr-FR'><head><meta charset='UTF-8'><title>Sécurité : le ministre reçoit les "
            "chefs militaires - Exemple</title><meta property='og:title' content='Sécurité : le ministre reçoit les "
            "chefs militaires'><meta property='article:published_time' content='2024-03-12T09:15:00+00:00'>"
            "<script>var cfg = {\"a\": \"<p>pas du texte</p>\"};</script><style>.menu{color:red}</style></head>"
            "<body><header class='site-header'><nav class='main-navigation'><ul>"
            + "".join(f"<li class='menu-item'><a href='/r/{n}'>Rubrique {n}</a></li>" for n in range(40))
            + "</ul></nav></header><div class='site-content'><main><article class='post'><header class='entry-header'>"
            "<h1 class='entry-title'>Sécurité : le ministre reçoit les chefs militaires</h1></header>"
            "<div class='entry-content'>" + _ARTICLE * 12 + "</div></article>")
    comments = "<div id='comments' class='comments-area'><ol class='comment-list'>" + "".join(
        _COMMENT.format(n=n) for n in range(30)) + "</ol></div></main>"
    tail = "<footer class='site-footer'>© 2024 Exemple - Tous droits réservés</footer></body></html>"
    teasers, n = [], 0
    budget = size_kb * 1024 - len(head) - len(comments) - len(tail)
    while sum(map(len, teasers)) < budget:
        teasers.append(_TEASER.format(n=n, d=n % 28 + 1))
        n += 1
    sidebar = "<aside class='sidebar'><ul>" + "".join(teasers) + "</ul></aside></div>"
    return head + comments + sidebar + tail


def read_pages(spec: str | None, size_kb: int) -> list[tuple[str, str]]:
    """Return ``(name, decoded text)`` of the pages to measure."""
    if not spec:
        return [(f"synthetic-{size_kb}KB", synthetic_page(size_kb))]
    base = Path(spec)
    paths = sorted(p for p in base.rglob("*") if p.suffix.lower() in (".html", ".htm")) if base.is_dir() \
        else sorted(Path(p) for p in glob.glob(spec, recursive=True))
    out = []
    for path in paths:
        data = path.read_bytes()
        text = decode_bytes(data)
        declared = new_parse.declared_charset(data)
        out.append((path.name, decode_bytes(data, declared=declared) if declared else text))
    if not out:
        sys.exit(f"no HTML page matches {spec}")
    return out


@contextmanager
def html_stage(page_module):
    """Make ``search.extract.files`` use ``page_module`` for its HTML stage."""
    saved = files.htmlpage
    files.htmlpage = page_module
    try:
        yield
    finally:
        files.htmlpage = saved


def _clock(fn, text: str) -> float:
    t0 = time.perf_counter()
    fn(text)
    return time.perf_counter() - t0


def measure(pages, old, repeat: int) -> dict[str, dict[str, list[float]]]:
    """Return per stage and side the per-page median seconds, old and new alternating."""
    def whole(page_module):
        def run(text):
            with html_stage(page_module):
                files.extract_text(text, id="p", html=True)
        return run

    stages = {
        "arbre": (old.parse.parse, new_parse.parse),
        "étape HTML": (old.page.html_page, new_page.html_page),
        "extraction": (whole(old.page), whole(new_page)),
    }
    out = {stage: {"old": [], "new": []} for stage in stages}
    for _, text in pages:
        for stage, (old_fn, new_fn) in stages.items():
            old_fn(text), new_fn(text)  # warm caches (regexes, outlet table)
            times = {"old": [], "new": []}
            for _ in range(repeat):
                times["old"].append(_clock(old_fn, text))
                times["new"].append(_clock(new_fn, text))
            for side in ("old", "new"):
                out[stage][side].append(statistics.median(times[side]))
    return out


def agreement(pages, old) -> tuple[int, list[str]]:
    """Return how many pages give the same title, date and body with both trees, and the names of the others."""
    same, differ = 0, []
    for name, text in pages:
        with html_stage(old.page):
            a = files.extract_text(text, id="p", html=True)
        b = files.extract_text(text, id="p", html=True)
        if all(a[k] == b[k] for k in ("title", "date", "author", "outlet", "body", "comments")):
            same += 1
        else:
            differ.append(name)
    return same, differ


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pages", help="folder or glob of HTML pages (default: one synthetic page)")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--old-rev", help="git revision of the old tree builder (default: found in the history)")
    ap.add_argument("--size-kb", type=int, default=470, help="size of the synthetic page")
    args = ap.parse_args()

    pages = read_pages(args.pages, args.size_kb)
    rev = args.old_rev or old_revision()
    with tempfile.TemporaryDirectory() as tmp:
        old = load_old(rev, Path(tmp))
        results = measure(pages, old, args.repeat)
        same, differ = agreement(pages, old)
    size = sum(len(t.encode("utf-8")) for _, t in pages) / len(pages) / 1024
    print(f"{len(pages)} pages ({size:.0f} KB en moyenne), {args.repeat} mesures par page ; ancien = {rev[:10]}")
    print(f"{'étape':<12} {'méd. ancien ms':>15} {'méd. nouveau ms':>16} {'pages/s ancien':>15} "
          f"{'pages/s nouveau':>16} {'rapport':>8}")
    for stage, sides in results.items():
        med_old, med_new = (statistics.median(sides[s]) * 1000 for s in ("old", "new"))
        pps_old, pps_new = (len(pages) / max(1e-9, sum(sides[s])) for s in ("old", "new"))
        print(f"{stage:<12} {med_old:>15.2f} {med_new:>16.2f} {pps_old:>15.1f} {pps_new:>16.1f} "
              f"{pps_new / pps_old:>7.1f}x")
    print(f"mêmes titre, date, auteur, média, corps et commentaires : {same}/{len(pages)}")
    for name in differ[:10]:
        print(f"  diffère : {name}")


if __name__ == "__main__":
    main()
