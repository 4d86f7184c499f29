"""Numbers that come from sources: comment counts and dates, whatever a page or a record states.

Whoosh refuses a whole commit for one number out of range (``comments_count`` and
``date_sort`` are 32-bit), so every number read from a source is bounded before it reaches
the index, and a record stating an unusable one is kept with the value replaced.
"""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from search.index import documents
from search.index import reindex as indexer
from search.extract.files import extract_text
from search.extract.records import (MAX_COMMENTS_COUNT, MAX_ID_CHARS, MAX_TITLE_CHARS, MAX_VALUE_CHARS, normalize_record,
                            parse_json, plausible_count)
from tests.conftest import stored_documents

INT32_MAX = 2**31 - 1

PAGE = ("Un titre de page assez long pour être un titre\n\n"
        "Le texte de l'article est ici, avec assez de mots pour faire un corps de texte lisible et utile.\n\n"
        "Une deuxième phrase de l'article qui continue sur le même sujet important pour tout le monde.\n\n")

HTML = """<html><head><title>Un titre de page assez long</title></head><body><article>
<h1>Un titre de page assez long</h1>
<p>Le texte de l'article est ici, avec assez de mots pour faire un corps de texte lisible et utile.</p>
<p>Une deuxième phrase de l'article qui continue sur le même sujet important pour tout le monde.</p>
</article>
<div id="comments" {attrs}><h2 class="comments-title">{title}</h2>
<ol class="comment-list"><li id="comment-1" class="comment depth-1"><div class="comment-author vcard">
<b class="fn">Awa</b></div><div class="comment-content"><p>Un avis de lectrice.</p></div></li></ol>
</div></body></html>"""


def _id(value):
    """Name a huge integer parameter (pytest would print its 5000 digits, which str() refuses)."""
    if isinstance(value, int) and value.bit_length() > 64:
        return f"{value.bit_length()}-bit-integer"
    return None


_stored = stored_documents


# --- the reindex that used to stop ------------------------------------------------------------

@pytest.mark.parametrize("name,content,count", [
    ("page.html", HTML.format(attrs='data-comments-count="9999999999"', title="Commentaires"), 1),
    ("page.html", HTML.format(attrs="", title="2999999999 commentaires"), 1),
    ("page.txt", PAGE + "3000000000 COMMENTAIRES\n\n1. Un commentaire de lecteur.\n", 1),
    ("bulk.jsonl", json.dumps({"id": "page", "title": "Un titre", "body": "Un corps.", "comments_count": 2**31}), 0),
    ("bulk.jsonl", '{"id": "page", "title": "Un titre", "body": "Un corps.", "comments_count": 1e400}', 0),
    ("bulk.jsonl", json.dumps({"id": "page", "title": "Un titre", "body": "Un corps.",
                               "date": "9999-12-31", "comments": ["Oui."], "comments_count": -5}), 1),
], ids=["html-attribute", "html-heading", "text-header", "jsonl-2**31", "jsonl-1e400", "jsonl-date-9999"])
def test_a_source_stating_an_impossible_number_is_indexed_with_the_comments_it_has(tmp_path, name, content, count):
    src, ix = tmp_path / "src", tmp_path / "ix"
    src.mkdir()
    (src / name).write_text(content + "\n", encoding="utf-8")
    (src / "other.txt").write_text(PAGE.replace("titre", "sujet"), encoding="utf-8")
    report = indexer.reindex(src, ix, persons=False)
    stored = _stored(ix)
    assert set(stored) == {"page", "other"} and report.added == 2
    assert stored["page"]["comments_count"] == count



@pytest.mark.parametrize("record", [
    {"id": "r", "title": "Un titre", "body": "Un corps.", "comments_count": 2**31},
    {"id": "r", "title": "Un titre", "body": "Un corps.", "date": "2023-02-30"},
], ids=["count-2**31", "date-2023-02-30"])
def test_a_repaired_record_is_indexed_and_its_repair_named_in_the_summary(tmp_path, record):
    src, ix = tmp_path / "src", tmp_path / "ix"
    src.mkdir()
    (src / "bulk.jsonl").write_text(json.dumps(record) + "\n", encoding="utf-8")
    report = indexer.reindex(src, ix, persons=False)
    assert report.added == 1 and set(_stored(ix)) == {"r"}
    assert any(where == "bulk.jsonl:1" for where, _reason in report.skipped), report.skipped


def test_a_json_line_holding_a_raw_line_separator_is_read_through_the_file_reader(tmp_path):
    path = tmp_path / "bulk.jsonl"
    path.write_bytes(json.dumps({"id": "sep", "title": "Un titre", "body": "Avant\u2028après."},
                                ensure_ascii=False).encode("utf-8") + b"\n")
    from search.extract.files import load_file
    (article,) = load_file(path)
    assert article["id"] == "sep" and "Avant" in article["body"] and "après" in article["body"]

# --- comment counts ------------------------------------------------------------------------

@pytest.mark.parametrize("stated,count", [
    (3, 3), ("12", 12), (" 7 ", 7), (4.0, 4), ("٣", 3), (MAX_COMMENTS_COUNT, MAX_COMMENTS_COUNT),
    (MAX_COMMENTS_COUNT + 1, None), (2**31, None), (9999999999, None), (-5, None), (2.5, None),
    (math.inf, None), (-math.inf, None), (math.nan, None), (True, None), (False, None), ("abc", None),
    ("²", None), ("12.0", None), ("9" * 5000, None), (10**5000, None), ([1], None), ({"n": 1}, None), (None, None),
], ids=_id)
def test_only_a_whole_number_of_comments_within_bounds_is_a_count(stated, count):
    assert plausible_count(stated) == count


@pytest.mark.parametrize("stated,note", [
    (2**31, "comments_count 2147483648 ignored"), ("abc", "comments_count 'abc' ignored"),
    (-5, "comments_count -5 ignored"), (math.inf, "comments_count inf ignored"),
    (math.nan, "comments_count nan ignored"), (True, "comments_count True ignored"),
    ([1], "comments_count a list ignored"), (10**5000, "comments_count a 16610-bit integer ignored"),
], ids=_id)
def test_a_record_stating_an_implausible_comment_count_keeps_its_comments_and_says_so(stated, note):
    notes: list[str] = []
    art = normalize_record({"id": "x", "title": "Un titre", "comments": ["Oui.", "Non."], "comments_count": stated},
                           path="bulk.jsonl", notes=notes)
    assert art["comments_count"] == 2 and len(art["comments"]) == 2
    assert len(notes) == 1 and notes[0].startswith(note) and "kept the 2 comments read" in notes[0]


@pytest.mark.parametrize("stated", [None, "", 0, 2, "5", 1_000_000])
def test_a_record_stating_a_plausible_comment_count_or_none_gets_no_note(stated):
    notes: list[str] = []
    art = normalize_record({"id": "x", "title": "Un titre", "comments": ["Oui.", "Non."], "comments_count": stated},
                           path="bulk.jsonl", notes=notes)
    assert notes == [] and art["comments_count"] == max(2, int(stated or 0))


# --- dates, ids and titles of records ------------------------------------------------------

@pytest.mark.parametrize("record,date,note", [
    ({"date": "9999-12-31"}, None, "date '9999-12-31' ignored: not a valid date"),
    ({"date": "2023-02-30"}, None, "date '2023-02-30' ignored: not a valid date"),
    ({"date": "1799-07-14"}, None, "date '1799-07-14' ignored: not a valid date"),
    ({"date": 99999}, None, "date 99999 ignored: not a valid date"),
    ({"date": math.nan}, None, "date nan ignored: not a valid date"),
    ({"date": "9999-12-31", "datetime": "2023-08-02T10:00:00Z"}, "2023-08-02", None),
    ({"datetime": "2023-13-02T10:00:00Z"}, None, "datetime '2023-13-02T10:00:00Z' ignored: not a valid date"),
    ({"date": ""}, None, None),
    ({"date": "2023-08-02"}, "2023-08-02", None),
])
def test_an_impossible_record_date_is_dropped_with_a_note(record, date, note):
    notes: list[str] = []
    art = normalize_record({"id": "x", "title": "Un titre", **record}, path="bulk.jsonl", notes=notes)
    assert art["date"] == date
    assert notes == ([note] if note else [])


@pytest.mark.parametrize("record,article_id,title,noted", [
    ({"id": 12345, "title": 2023}, "12345", "2023", False),
    ({"id": 1.5, "title": "Un titre"}, "1.5", "Un titre", False),
    ({"id": ["a"], "title": "Un titre"}, "", "Un titre", True),
    ({"id": True, "title": "Un titre"}, "", "Un titre", True),
    ({"id": 10**5000, "title": "Un titre"}, "", "Un titre", True),
    ({"id": "x", "title": {"fr": "Un titre"}, "body": "Le corps du texte."}, "x", "Le corps du texte", True),
], ids=["number", "float", "list", "bool", "huge-integer", "object-title"])
def test_ids_and_titles_of_other_types_become_strings_or_are_replaced_with_a_note(record, article_id, title, noted):
    notes: list[str] = []
    art = normalize_record(record, path="bulk.jsonl", notes=notes)
    assert (art["id"], art["title"]) == (article_id, title)
    assert bool(notes) == noted


def test_huge_ids_and_titles_are_cut_to_their_bounds():
    art = normalize_record({"id": "x" * 5000, "title": "mot " * 5000, "author": "Nom " * 5000}, path="bulk.jsonl")
    assert art["id"] == "x" * MAX_ID_CHARS
    assert len(art["title"]) <= MAX_TITLE_CHARS and art["title"].endswith(" mot…")
    assert len(art["author"]) <= MAX_VALUE_CHARS


# --- the article → document step, last line of defence -------------------------------------

@pytest.mark.parametrize("article,count,date,sort", [
    ({"comments_count": 2**31}, 0, "", 0),
    ({"comments_count": math.inf, "comments": ["Oui."]}, 1, "", 0),
    ({"comments_count": "abc"}, 0, "", 0),
    ({"comments_count": 7, "date": "9999-99-99"}, 7, "", 0),
    ({"date": "2023-02-30"}, 0, "2023-02", 20230200),
    ({"date": "99999999"}, 0, "", 0),
    ({"date": 2023}, 0, "2023", 20230000),
    ({"date": ["2023"]}, 0, "", 0),
])
def test_a_document_holds_only_numbers_whoosh_accepts(article, count, date, sort):
    doc = documents.to_document({"id": "x", "title": "Un titre", **article})
    assert (doc["comments_count"], doc["date"], doc["date_sort"]) == (count, date, sort)


@pytest.mark.parametrize("article,message", [
    ([], "not an article: list"),
    ({"title": "Un titre"}, "article without an id"),
    ({"id": "  ", "title": "Un titre", "path": "a.jsonl"}, r"article without an id \(a.jsonl\)"),
    ({"id": ["x"], "title": "Un titre"}, "article without an id"),
])
def test_an_article_that_cannot_be_indexed_is_refused_with_a_clear_value_error(article, message):
    with pytest.raises(ValueError, match=message):
        documents.to_document(article)


# --- the class: any value in any numeric-ish field -------------------------------------------

_ANY = st.one_of(
    st.none(), st.booleans(), st.integers(), st.integers(min_value=2**31 - 2, max_value=2**64),
    st.sampled_from([10**400, -(10**400), 2**31, -(2**31) - 1, 1e400, -1e400]),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=30),
    st.from_regex(r"-?[0-9]{1,40}(\.[0-9]{0,5})?(e[0-9]{1,4})?", fullmatch=True),
    st.from_regex(r"[0-9]{1,5}-[0-9]{1,3}-[0-9]{1,3}(T[0-9:]{0,8}Z?)?", fullmatch=True),
    st.lists(st.integers() | st.text(max_size=5), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)
_FIELDS = ("id", "title", "date", "datetime", "comments_count", "date_estimated", "title_derived", "url", "author",
           "outlet", "site", "persons", "comments")


def _assert_indexable(art: dict) -> None:
    doc = documents.to_document({**art, "id": art["id"] or "x"})
    assert 0 <= doc["comments_count"] <= INT32_MAX and 0 <= doc["date_sort"] <= INT32_MAX
    assert doc["date"] == "" or 1900 <= int(doc["date"][:4]) <= 2100
    for key in ("id", "title", "body", "comments", "persons", "date", "year", "month"):
        assert isinstance(doc[key], str)
    json.dumps(art)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.sampled_from(_FIELDS), _ANY, max_size=6))
def test_any_values_in_a_jsonl_record_give_an_article_with_bounded_numbers(record):
    line = json.dumps({"body": "Un corps de texte.", **record}, allow_nan=True, default=str).encode()
    art = normalize_record(parse_json(line), path="bulk.jsonl", notes=[])
    assert 0 <= art["comments_count"] <= max(MAX_COMMENTS_COUNT, len(art["comments"]))
    _assert_indexable(art)


_COUNT_TEXT = st.one_of(
    st.integers(min_value=0, max_value=10**30).map(str), st.sampled_from(["²", "٣", "-1", "1e9", "", "9" * 5000]),
    st.text(alphabet="0123456789 .,-", max_size=25),
)
_DATE_TEXT = st.one_of(
    st.from_regex(r"[0-9]{1,6}-[0-9]{1,3}-[0-9]{1,3}", fullmatch=True),
    st.builds("{} {} {}".format, st.integers(0, 99), st.sampled_from(["mars", "juin", "février", "sept."]),
              st.integers(0, 10**9)),
    st.from_regex(r"[0-9]{1,3}/[0-9]{1,3}/[0-9]{1,6}", fullmatch=True),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(count=_COUNT_TEXT, date=_DATE_TEXT)
def test_any_counts_and_dates_printed_in_a_text_page_give_bounded_numbers(count, date):
    text = f"Un titre de page assez long\n\nPublié le {date}\n\n{PAGE}{count} COMMENTAIRES\n\n1. Un avis.\n"
    art = extract_text(text, id="p")
    assert art["comments_count"] <= max(MAX_COMMENTS_COUNT, len(art["comments"]))
    _assert_indexable(art)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(count=_COUNT_TEXT, heading=_COUNT_TEXT, date=_DATE_TEXT | _COUNT_TEXT)
def test_any_counts_and_dates_in_html_markup_give_bounded_numbers(count, heading, date):
    from html import escape

    page = HTML.format(attrs=f'data-comments-count="{escape(count)}"', title=f"{escape(heading)} commentaires")
    page = page.replace("<head>", f'<head><meta property="article:published_time" content="{escape(date)}">'
                        f'<script type="application/ld+json">{{"@type": "NewsArticle", "datePublished": '
                        f'{json.dumps(date)}, "commentCount": {json.dumps(count)}}}</script>')
    art = extract_text(page, id="p", html=True)
    assert art["comments_count"] <= max(MAX_COMMENTS_COUNT, len(art["comments"]))
    _assert_indexable(art)
