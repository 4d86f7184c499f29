"""Benchmark (not a test): pages per second of `presse extract` on visible-text pages and on HTML pages.

Usage:
    python bench/bench_extract.py [--pages DIR] [--copies 5] [--code DIR]

``--pages`` is a folder of ``.txt`` pages (default: the project's seeds); each is copied ``--copies`` times
into a temporary folder, and wrapped in a small HTML document (menu, article, footer) for the HTML run.
``--code`` is the code tree to run (default: this project), so an older checkout can be measured with the
same pages. Each run is a `python -m search.cli extract --json --no-persons` subprocess; the start-up time
(the same command on one page) is subtracted before dividing.
"""

from __future__ import annotations

import argparse
import html
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def make_pages(source: Path, folder: Path, copies: int) -> tuple[list[Path], list[Path]]:
    """Write the text pages and their HTML versions into ``folder``; return both lists."""
    texts, pages = [], sorted(source.glob("*.txt"))
    for page in pages:
        data = page.read_text(encoding="utf-8", errors="replace")
        for n in range(copies):
            path = folder / f"{page.stem}-{n}.txt"
            path.write_text(data, encoding="utf-8")
            texts.append(path)
    htmls = []
    for path in texts:
        lines = [line for line in path.read_text(encoding="utf-8").split("\n") if line.strip()]
        title, rest = (lines[0], lines[1:]) if lines else ("", [])
        body = "".join(f"<p>{html.escape(line)}</p>\n" for line in rest)
        doc = (f"<html><head><title>{html.escape(title)}</title></head><body>"
               "<nav><a href='/'>Accueil</a> <a href='/p'>Politique</a></nav>"
               f"<article><h1>{html.escape(title)}</h1>\n{body}</article>"
               "<footer>© Exemple 2024 - Tous droits réservés</footer></body></html>")
        out = path.with_suffix(".html")
        out.write_text(doc, encoding="utf-8")
        htmls.append(out)
    return texts, htmls


def run(code: Path, files: list[Path]) -> float:
    """Return the wall time of `presse extract --json --no-persons FILES` run from ``code``."""
    cmd = [sys.executable, "-m", "search.cli", "extract", "--json", "--no-persons", *map(str, files)]
    env = dict(os.environ, PYTHONPATH=str(code))
    t0 = time.monotonic()
    subprocess.run(cmd, cwd=code, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.monotonic() - t0


def main() -> None:
    """Measure and print text and HTML pages per second."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pages", type=Path, default=ROOT / "seeds")
    ap.add_argument("--copies", type=int, default=5)
    ap.add_argument("--code", type=Path, default=ROOT)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        texts, htmls = make_pages(a.pages, Path(tmp), a.copies)
        if not texts:
            sys.exit(f"no .txt pages in {a.pages}")
        startup = min(run(a.code, texts[:1]) for _ in range(3))
        for kind, files in (("text", texts), ("html", htmls)):
            wall = min(run(a.code, files) for _ in range(2))
            rate = len(files) / max(wall - startup, 1e-6)
            print(f"{kind}: {len(files)} pages in {wall:.2f} s (start-up {startup:.2f} s): {rate:.0f} pages/s")


if __name__ == "__main__":
    main()
