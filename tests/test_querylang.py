"""The forgiving query language: operators in French and English, fields, dates, malformed input."""

from __future__ import annotations

import pytest

from search import querylang as ql


@pytest.mark.parametrize("text, expected", [
    ("coopération militaire", "coopération ET militaire"),
    ("mali AND niger", "mali ET niger"),
    ("mali ET niger", "mali ET niger"),
    ("mali OR niger", "mali OU niger"),
    ("mali OU niger", "mali OU niger"),
    ("mali NOT russie", "mali SAUF russie"),
    ("mali SAUF russie", "mali SAUF russie"),
    ("mali -russie", "mali SAUF russie"),
    ("(mali OU niger) ET russie", "(mali OU niger) ET russie"),
    ("mali et niger", "mali ET et ET niger"),  # lower-case words are words, not operators
    ('"forces armées"', "« forces armées »"),
    ("« forces armées »", "« forces armées »"),
    ("“forces armées”", "« forces armées »"),
    ("coop*", "coop*"),
    ("Beloussof~", "Beloussof~"),
    ("Beloussof~1", "Beloussof~1"),
])
def test_operators_and_quotes_are_read_in_french_and_english(text, expected):
    parsed = ql.parse(text)
    assert not parsed.fallback
    assert ql.describe(parsed.tree) == expected


@pytest.mark.parametrize("text, field", [
    ("titre:sécurité", "title"), ("title:sécurité", "title"),
    ("texte:sécurité", "body"), ("body:sécurité", "body"),
    ("commentaires:sécurité", "comments"), ("comments:sécurité", "comments"),
    ("auteur:keita", "author"), ("author:keita", "author"),
    ("media:essor", "outlet"), ("journal:essor", "outlet"), ("outlet:essor", "outlet"),
    ("personne:goita", "person"), ("person:goita", "person"), ("Personne:goita", "person"),
])
def test_field_names_are_accepted_in_french_and_english(text, field):
    parsed = ql.parse(text)
    assert isinstance(parsed.tree, ql.Word)
    assert parsed.tree.field == field


def test_a_field_applies_to_a_parenthesised_group():
    parsed = ql.parse("titre:(mali OU niger)")
    assert [leaf.field for leaf, _neg in ql.iter_nodes(parsed.tree)] == ["title", "title"]


def test_a_field_applies_to_a_phrase():
    parsed = ql.parse('personne:"Assimi Goïta"')
    assert isinstance(parsed.tree, ql.Phrase) and parsed.tree.field == "person"


@pytest.mark.parametrize("text, lo, hi", [
    ("date:2021..2023", 20210000, 20231299),
    ("date:2023-08", 20230800, 20230899),
    ("date:2023-08-02", 20230802, 20230802),
    ("date:2023", 20230000, 20231299),
    ("date:2021-2023", 20210000, 20231299),
    ("date:..2020", None, 20201299),
    ("date:2022..", 20220000, None),
    ("date:2023..2021", 20210000, 20231299),
])
def test_date_ranges_become_inclusive_yyyymmdd_bounds(text, lo, hi):
    tree = ql.parse(text).tree
    assert isinstance(tree, ql.DateRange)
    assert (tree.lo, tree.hi) == (lo, hi)


@pytest.mark.parametrize("text, lo, hi", [
    ("annee:2023", "2023", "2023"), ("année:2023", "2023", "2023"), ("year:2023", "2023", "2023"),
    ("annee:2021..2023", "2021", "2023"),
])
def test_years_are_read_with_or_without_accent(text, lo, hi):
    tree = ql.parse(text).tree
    assert isinstance(tree, ql.YearIs) and (tree.lo, tree.hi) == (lo, hi)


@pytest.mark.parametrize("text, words", [
    ('"coopération (militaire', ["coopération", "militaire"]),
    ("coopération (militaire", ["coopération", "militaire"]),
    ("coopération) militaire", ["coopération", "militaire"]),
    ("title:", []),
    ("AND", []),
    ("OR mali", ["mali"]),
    ("mali AND", ["mali"]),
    ("NOT", []),
    ("~", []),
    ("()", []),
    ("annee:abc mali", ["abc", "mali"]),
    ("date:2023-13", ["2023", "13"]),
])
def test_malformed_queries_fall_back_to_plain_words(text, words):
    parsed = ql.parse(text)
    assert parsed.fallback is True
    assert parsed.warnings
    found = [leaf.text for leaf, _neg in ql.iter_nodes(parsed.tree)]
    assert found == words


@pytest.mark.parametrize("text", [
    "x" * 5000, "mali " * 1000, "😀🇲🇱", "\x00\x01mali\x7f", "https://www.maliweb.net/a?b=c&d=(e)",
    "?!;,.", "*", "**", "*ation", "a*", "«", "»", "“", "mali:", "12:30", "~2", "-", "--mali", "+mali",
    "\u202emali\u200b", "((((((((mali", "OU OU OU", "SAUF SAUF",
])
def test_no_query_is_an_error(text):
    parsed = ql.parse(text)
    ql.describe(parsed.tree)
    assert len(parsed.text) <= ql.MAX_QUERY_CHARS


def test_a_long_query_is_capped_with_a_warning():
    parsed = ql.parse("sécurité " * 200)
    assert len(parsed.text) <= ql.MAX_QUERY_CHARS
    assert any("trop longue" in w for w in parsed.warnings)


def test_control_characters_are_removed():
    parsed = ql.parse("ma\x00li\x07 niger")
    assert "\x00" not in parsed.text and "\x07" not in parsed.text


def test_a_url_is_one_term():
    tree = ql.parse("https://www.maliweb.net/politique/article-123.html").tree
    assert isinstance(tree, ql.Word) and tree.mode == "url"


def test_a_leading_wildcard_is_ignored_with_a_warning():
    parsed = ql.parse("*ation")
    assert isinstance(parsed.tree, ql.Word) and parsed.tree.mode == "word"
    assert parsed.warnings


def test_a_bare_star_matches_everything_without_a_scan():
    parsed = ql.parse("*")
    assert parsed.tree is None and parsed.fallback


def test_an_empty_query_means_every_article():
    parsed = ql.parse("   ")
    assert parsed.tree is None and not parsed.fallback
    assert ql.describe(parsed.tree) == "tous les articles"


def test_and_binds_tighter_than_or():
    tree = ql.parse("a OR b c").tree
    assert isinstance(tree, ql.Bool) and tree.op == "or"
    assert isinstance(tree.children[1], ql.Bool) and tree.children[1].op == "and"
