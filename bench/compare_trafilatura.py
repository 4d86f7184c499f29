"""Comparison (not a test): presse's HTML extraction against trafilatura on the same pages, field by field.

Usage:
    python bench/compare_trafilatura.py DIR [--expected FILE] [--examples 5] [--no-url] [--show NAME] [--old]

``DIR`` holds HTML pages (``*.html``/``*.htm``). ``--expected`` (default: ``DIR/expected.json`` when present) maps a
page's file name to what is known of it: ``url`` (given to both extractors, as a crawler would), ``title``,
``date`` (``YYYY-MM-DD``), ``with`` (strings the body must hold), ``without`` (boilerplate strings it must not
hold) and ``body`` (the whole expected text, scored sentence by sentence). trafilatura is an optional
dependency of the benchmarks only (``pip install -e '.[bench]'``). ``--old`` adds a column for presse's HTML code
before the lxml tree (read from git as in ``bench_html.py``), to see what the port and the adopted rules changed.

Printed: per field, how often the two extractors agree and how each scores against the expected values
(title exact/close, date, body recall of expected strings and sentences, boilerplate strings that leak,
share of the extracted text that is not in the expected text), then examples of disagreements.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from search.extract.decode import decode_bytes  # noqa: E402
from search.extract.files import extract_text  # noqa: E402
from search.extract.html.parse import declared_charset  # noqa: E402
from search.text import fold_key  # noqa: E402

try:
    import trafilatura
except ImportError:  # pragma: no cover - a benchmark dependency
    sys.exit("trafilatura is not installed: pip install -e '.[bench]'")

_QUOTES = str.maketrans({"’": "'", "‘": "'", "«": '"', "»": '"', "“": '"', "”": '"', "\u00a0": " ", "\u202f": " "})
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+(?=[A-ZÀ-Ý«\"“])|\n+")


def norm(text: str | None) -> str:
    """Return text folded for comparison: accents, case, quotes and spaces ignored."""
    return fold_key((text or "").translate(_QUOTES))


def sentences(text: str) -> list[str]:
    """Return the sentences of a text long enough to be telling (5 words or more)."""
    return [s for s in (norm(p) for p in _SENTENCE_END.split(text or "")) if len(s.split()) >= 5]


def title_match(got: str | None, want: str | None) -> str:
    """Return ``exact``, ``close`` (one holds the other, or 80 % of words shared) or ``wrong``."""
    a, b = norm(got), norm(want)
    if not a or not b:
        return "wrong" if a or b else "exact"
    if a == b:
        return "exact"
    wa, wb = set(a.split()), set(b.split())
    if (a in b or b in a) and min(len(a), len(b)) >= 0.5 * max(len(a), len(b)):
        return "close"
    return "close" if len(wa & wb) >= 0.8 * max(len(wa), len(wb)) else "wrong"


def run_presse(text: str, url: str | None) -> dict:
    """Return title, date and body of presse's extraction."""
    art = extract_text(text, id="page", html=True, url=url)
    return {"title": art["title"], "date": art["date"], "body": art["body"]}


def run_trafilatura(text: str, url: str | None) -> dict:
    """Return title, date and body of trafilatura's extraction (comments left out, as presse keeps them apart)."""
    doc = trafilatura.bare_extraction(text, url=url, with_metadata=True, include_comments=False)
    if doc is None:
        return {"title": None, "date": None, "body": ""}
    body = doc.text or ""
    # trafilatura starts its text with the headline when it sits in the article: not part of the body.
    if doc.title and norm(body.split("\n", 1)[0]) == norm(doc.title):
        body = body.split("\n", 1)[1] if "\n" in body else ""
    return {"title": doc.title, "date": doc.date, "body": body}


def score_body(body: str, want: dict) -> dict:
    """Return the body's counts against the expected strings and sentences."""
    flat = norm(body)
    out = {}
    if want.get("with"):
        found = [s for s in want["with"] if norm(s) in flat]
        out["with"] = (len(found), len(want["with"]), [s for s in want["with"] if norm(s) not in flat])
    if want.get("without"):
        leaks = [s for s in want["without"] if norm(s) in flat]
        out["without"] = (len(leaks), len(want["without"]), leaks)
    if want.get("body"):
        expected = sentences(want["body"])
        whole = norm(want["body"])
        got = sentences(body)
        missing = [s for s in expected if s not in flat]
        extra = [s for s in got if s not in whole]
        out["recall"] = (len(expected) - len(missing), len(expected), missing)
        out["extra"] = (len(extra), len(got), extra)
    return out


def load_pages(folder: Path) -> list[tuple[str, str]]:
    """Return ``(file name, decoded text)`` of the HTML pages of ``folder``."""
    out = []
    for path in sorted(p for p in folder.rglob("*") if p.suffix.lower() in (".html", ".htm")):
        data = path.read_bytes()
        declared = declared_charset(data)
        out.append((path.name, decode_bytes(data, declared=declared) if declared else decode_bytes(data)))
    return out


class Tally:
    """Counts per field and extractor, with examples of failures."""

    def __init__(self):
        self.counts: dict[tuple[str, str], list[int]] = {}
        self.examples: dict[str, list[str]] = {}

    def add(self, field: str, who: str, good: int, total: int = 1) -> None:
        """Add ``good`` successes out of ``total`` to a field's count for one extractor."""
        cell = self.counts.setdefault((field, who), [0, 0])
        cell[0] += good
        cell[1] += total

    def example(self, field: str, text: str) -> None:
        """Keep an example of a disagreement or a failure."""
        self.examples.setdefault(field, []).append(text)

    def cell(self, field: str, who: str) -> str:
        """Return ``good/total (pct)`` of a field for one extractor."""
        good, total = self.counts.get((field, who), (0, 0))
        return f"{good}/{total} ({100 * good / total:.0f} %)" if total else "-"


def compare(pages, expected: dict, use_url: bool, extractors: dict) -> tuple[Tally, dict]:
    """Run the extractors (name → function) over the pages and tally agreement and scores."""
    tally = Tally()
    seconds = {who: [] for who in extractors}
    for name, text in pages:
        want = expected.get(name, {})
        url = want.get("url") if use_url else None
        got = {}
        for who, fn in extractors.items():
            t0 = time.perf_counter()
            got[who] = fn(text, url)
            seconds[who].append(time.perf_counter() - t0)
        t = got["trafilatura"]
        for who, p in got.items():
            if who == "trafilatura":
                continue
            agree = title_match(p["title"], t["title"])
            tally.add("titre : accord exact avec trafilatura", who, agree == "exact")
            tally.add("titre : accord proche avec trafilatura", who, agree != "wrong")
            same_date = (p["date"] or "")[:10] == (t["date"] or "")[:10]
            tally.add("date : accord avec trafilatura", who, same_date)
            if who == "presse" and agree == "wrong":
                tally.example("titre", f"{name}: presse={p['title']!r} trafilatura={t['title']!r}")
            if who == "presse" and not same_date:
                tally.example("date", f"{name}: presse={p['date']} trafilatura={t['date']}")
        for who, res in got.items():
            if want.get("title"):
                verdict = title_match(res["title"], want["title"])
                tally.add("titre attendu exact", who, verdict == "exact")
                tally.add("titre attendu proche", who, verdict != "wrong")
            if want.get("date"):
                tally.add("date attendue", who, (res["date"] or "")[:10] == want["date"][:10])
            scores = score_body(res["body"], want)
            for key, label in (("with", "corps : chaînes attendues présentes"),
                               ("without", "corps : chaînes parasites présentes (moins = mieux)"),
                               ("recall", "corps : phrases attendues retrouvées"),
                               ("extra", "corps : phrases hors texte attendu (moins = mieux)")):
                if key in scores:
                    good, total, failures = scores[key]
                    tally.add(label, who, good, total)
                    for failure in failures[:2]:
                        tally.example(f"{label} — {who}", f"{name}: {failure[:110]!r}")
            tally.add("corps vide", who, not res["body"].strip())
    return tally, seconds


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("folder", type=Path)
    ap.add_argument("--expected", type=Path, help="JSON: file name → expected values (default: DIR/expected.json)")
    ap.add_argument("--examples", type=int, default=5, help="examples of disagreements printed per field")
    ap.add_argument("--no-url", action="store_true", help="do not give the page's URL to the extractors")
    ap.add_argument("--show", help="print both extractions of one page and stop")
    ap.add_argument("--old", action="store_true", help="add presse's HTML code before the lxml tree, from git")
    args = ap.parse_args()
    extractors = {"presse": run_presse, "trafilatura": run_trafilatura}
    if args.old:
        import tempfile

        from bench.bench_html import html_stage, load_old, old_revision

        old = load_old(old_revision(), Path(tempfile.mkdtemp()))

        def run_old(text: str, url: str | None) -> dict:
            with html_stage(old.page):
                return run_presse(text, url)

        extractors = {"presse avant": run_old, **extractors}

    expected_path = args.expected or args.folder / "expected.json"
    expected = json.loads(expected_path.read_text(encoding="utf-8")) if expected_path.is_file() else {}
    pages = load_pages(args.folder)
    if args.show:
        pages = [p for p in pages if p[0] == args.show]
        for name, text in pages:
            url = None if args.no_url else expected.get(name, {}).get("url")
            for who, fn in extractors.items():
                res = fn(text, url)
                print(f"==== {who}: {res['title']!r} {res['date']}\n{res['body']}\n")
        return
    tally, seconds = compare(pages, expected, not args.no_url, extractors)
    print(f"{len(pages)} pages de {args.folder} ({len(expected)} avec des valeurs attendues)")
    fields = list(dict.fromkeys(f for f, _ in tally.counts))
    print(f"{'champ':<52}" + "".join(f" {who:>17}" for who in extractors))
    for field in fields:
        print(f"{field:<52}" + "".join(f" {tally.cell(field, who):>17}" for who in extractors))
    medians = {who: statistics.median(v) * 1000 for who, v in seconds.items() if v}
    print("médiane ms/page : " + ", ".join(f"{who} {ms:.1f}" for who, ms in medians.items()))
    for field, lines in tally.examples.items():
        print(f"\n-- {field} ({len(lines)})")
        for line in lines[:args.examples]:
            print(f"   {line}")


if __name__ == "__main__":
    main()
