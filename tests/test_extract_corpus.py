"""Extraction measured on the shared corpus of real pages (skipped when the corpus is absent).

Run with ``-s`` to see the numbers: ``pytest tests/test_extract_corpus.py -q -s``.
"""

from __future__ import annotations

import csv
import gzip
import itertools
import json

import pytest

from search.extract.files import ARTICLE_KEYS, load_file, normalize_record

# Menu, sidebar and footer lines of the raw pages; none may reach a body.
CHROME = {"Réagir", "Publicité", "Fil info", "A lire aussi", "Toutes les news", "A la une", "Météo", "Auto",
          "Vos réactions doivent respecter nos CGU.", "CAC 40", "Liens commerciaux", "retrouvez Actualités sur",
          "Liste des articles archivés", "ALERTE INFO", "découvrir", "En ce moment", "Crise Covid-19", "Diaporamas"}


def _same_title(found: str, expected: str) -> bool:
    # INDEX.tsv holds og:title, which drops some double quotes the visible headline has.
    return " ".join(found.replace('"', "").split()) == " ".join(expected.replace('"', "").split())


@pytest.fixture(scope="module")
def raw_pages(corpus_dir):
    raw = corpus_dir / "raw"
    if not (raw / "INDEX.tsv").is_file():
        pytest.skip("raw pages not found in the corpus")
    with open(raw / "INDEX.tsv", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    return [(row, load_file(raw / row["file"])[0]) for row in rows]


def test_raw_pages_titles_and_dates_are_extracted_accurately(raw_pages):
    titles = sum(_same_title(art["title"], row["title"]) for row, art in raw_pages)
    dates = sum(art["date"] == row["date"] and not art["date_estimated"] for row, art in raw_pages)
    n = len(raw_pages)
    print(f"\nraw pages: {n}; titles exact {titles}/{n} ({titles / n:.1%}); dates exact {dates}/{n} ({dates / n:.1%})")
    assert n >= 100
    assert titles / n >= 0.97
    assert dates / n >= 0.95


def test_raw_pages_bodies_hold_no_menu_sidebar_or_footer_line(raw_pages):
    for row, art in raw_pages:
        paragraphs = set(art["body"].split("\n\n"))
        assert not paragraphs & CHROME, (row["file"], paragraphs & CHROME)
        assert "©" not in art["body"], row["file"]
        assert len(art["body"]) >= 200, row["file"]


def test_raw_pages_have_a_known_outlet_and_the_aggregator_as_site(raw_pages):
    for row, art in raw_pages:
        assert art["site"] == "actu.orange.fr", row["file"]
        assert art["outlet"], row["file"]
    outlets = {art["outlet"] for _, art in raw_pages}
    assert {"Orange Actu", "AFP"} <= outlets


def test_raw_page_body_starts_after_the_dateline_and_ends_before_the_sidebar(corpus_dir):
    path = corpus_dir / "raw" / "orangesum-20615.txt"
    if not path.is_file():
        pytest.skip("page not in this corpus")
    (art,) = load_file(path)
    assert art["title"] == "Militaires tués au Mali : quelles sont les opération militaires en cours dans le Sahel ?"
    assert (art["outlet"], art["date"], art["author"]) == ("Orange Actu", "2019-11-26", None)
    assert art["body"].startswith("ÉCLAIRAGE. Répondant à l'appel du Mali")
    assert art["body"].endswith('avait insisté Florence Parly.')


def test_corpus_jsonl_records_normalise_to_complete_articles(corpus_dir):
    path = corpus_dir / "articles.jsonl.gz"
    if not path.is_file():
        pytest.skip("articles.jsonl.gz not in the corpus")
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        records = [json.loads(line) for line in itertools.islice(fh, 400)]
    for rec in records:
        art = normalize_record(rec, path=str(path))
        assert set(art) == set(ARTICLE_KEYS)
        assert art["id"] == rec["id"] and art["title"]
        assert art["comments_count"] >= len(art["comments"]) >= (1 if rec["comments"] else 0)
        assert all(isinstance(c, dict) and c["text"] for c in art["comments"])
        assert "\u0301" not in art["body"]  # NFKD bodies come out in NFC
