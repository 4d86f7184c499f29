"""The lxml-built element tree: document order, and hostile pages that must give text or a one-line skip reason."""

from __future__ import annotations

import time

import pytest

from search.extract.files import SkipFile, extract_text, load_file
from search.extract.html.page import html_page
from search.extract.html.parse import MAX_DEPTH, Node, parse

LEAD = ("Le gouvernement de transition a annoncé mardi à Bamako un nouveau calendrier électoral, après plusieurs mois "
        "de consultations avec les partis politiques et la société civile.")
SECOND = "Les partis de l'opposition ont salué une avancée mais demandent des garanties sur le fichier électoral."
PAGE = ("<html><head><title>Le calendrier électoral est publié</title></head><body>"
        "<h1>Le calendrier électoral est publié</h1><p>{lead}</p><p>{second}</p></body></html>")

#: Seconds a hostile page may take at most: far above a real page's milliseconds, far below "minutes".
HOSTILE_SECONDS = 20


def _walk(node: Node) -> list[Node]:
    out, stack = [], [node]
    while stack:
        item = stack.pop()
        out.append(item)
        stack.extend(c for c in reversed(item.children) if isinstance(c, Node))
    return out


def test_every_element_lists_its_descendants_in_document_order():
    root = parse(PAGE.format(lead=LEAD, second=SECOND) + "<ul><li>Un<li>Deux<li><b>Trois</b> et <i>quatre</i></ul>")
    for node in _walk(root):
        assert node.iter() == _walk(node), node.tag


@pytest.mark.parametrize("markup,text", [
    ("<p>a<b>b</b>c<!-- note -->d<?php echo 1 ?>e</p>", "abcde"),  # tails after elements, comments and PIs stay
    ("<p>un &amp; deux &eacute;t&eacute; &#8217; &nbsp;trois</p>", "un & deux été ’ trois"),
    ("<div>avant<br>après</div>", "avant après"),
    ("<ul><li>Un<li>Deux</ul>", "Un Deux"),
])
def test_element_text_keeps_every_piece_of_text_in_order(markup, text):
    assert " ".join(n.text() for n in parse(markup).iter() if n.tag in ("p", "div", "ul")) == text


def _deep(depth: int, closed: bool) -> str:
    return "<div><span>" * depth + LEAD + ("</span></div>" * depth if closed else "")


# name → (page text, sentences that must come out); each page is read through ``extract_text`` as HTML.
HOSTILE = {
    "no html element, a bare fragment": ("<p>" + LEAD + "<p>" + SECOND, [LEAD, SECOND]),
    "broken nesting": ("<div><p>" + LEAD + "<b>gras <i>et</b> italique</i></span></div></div></p><p>" + SECOND,
                       [LEAD, SECOND]),
    "nesting deeper than libxml2's limit": (_deep(MAX_DEPTH * 2, True), [LEAD]),
    "100,000 nested elements, closed": (_deep(50_000, True), [LEAD]),
    "100,000 nested elements, never closed": (_deep(50_000, False), [LEAD]),
    "nested paragraphs and formatting": ("<p><b><i>" * 20_000 + LEAD, [LEAD]),
    "NUL bytes inside words": ("<p>" + LEAD.replace("gouvernement", "gouver\x00nement") + "</p>", [LEAD]),
    "XML declaration with an encoding, in a str": ('<?xml version="1.0" encoding="iso-8859-1"?>' +
                                                   PAGE.format(lead=LEAD, second=SECOND), [LEAD, SECOND]),
    "byte order mark before an XML declaration": ('\ufeff<?xml version="1.0" encoding="utf-8"?>\n' +
                                                  PAGE.format(lead=LEAD, second=SECOND), [LEAD, SECOND]),
    "lone surrogate": ("<p>\ud800" + LEAD + "</p><p>" + SECOND + "</p>", [LEAD, SECOND]),
    "huge page": ("<html><body>" + ("<div class='bloc'><p>" + LEAD + "</p><a href='/x'>lien</a></div>") * 4000,
                  [LEAD]),
    "attribute of 100,000 characters": ("<p title='" + "x" * 100_000 + "'>" + LEAD, [LEAD]),
    "unterminated script": ("<p>" + LEAD + "</p><script>" + "<" * 10_000, [LEAD]),
    "stray declarations": ("<p>" + LEAD + "<![if !supportLists]>x<![endif]><!ATTLIST x> <? php ?></p>", [LEAD]),
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_html_gives_its_text_quickly_and_never_raises(name):
    markup, expected = HOSTILE[name]
    start = time.perf_counter()
    art = extract_text(markup, id="x", html=True)
    assert time.perf_counter() - start < HOSTILE_SECONDS
    text = art["title"] + "\n" + art["body"]
    for sentence in expected:
        assert sentence in text, name
    assert "\x00" not in text and "<" not in art["title"]


@pytest.mark.parametrize("markup", ["", "   \n", "<!-- rien -->", "<!DOCTYPE html>", "<?xml version='1.0'?>",
                                    "<html><head><title></title></head></html>", "\x00\x00"])
def test_html_without_any_text_gives_an_empty_article_rather_than_an_error(markup):
    art = extract_text(markup, id="x", html=True)
    assert (art["body"], art["comments"]) == ("", [])


@pytest.mark.parametrize("name,data,reason", [
    ("empty.html", b"", "empty file"),
    ("blank.html", b" \n\t ", "empty file"),
    ("comment.html", b"<!-- sauvegarde -->", "HTML page without article text"),
    ("doctype.html", b"<!DOCTYPE html><html><head><title>Accueil</title></head><body></body></html>",
     "HTML page without article text"),
    ("scripts.html", b"<html><body><script>" + b"var a = '<p>';" * 1000 + b"</script></body></html>",
     "HTML page without article text"),
])
def test_html_file_without_text_is_skipped_with_a_one_line_reason(tmp_path, name, data, reason):
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(SkipFile, match=reason) as exc:
        load_file(path)
    assert "\n" not in str(exc.value)


@pytest.mark.parametrize("charset,encoding,words", [
    ("windows-1252", "cp1252", "l’été « coûteux » à 40 €"),
    ("iso-8859-1", "latin-1", "l'été « coûteux » à Ségou"),
    ("iso-8859-15", "iso-8859-15", "l'été coûteux à 40 €"),
    ("koi8-r", "koi8-r", "Правительство объявило"),
    ("shift_jis", "shift_jis", "政府は発表した"),
])
def test_page_in_a_declared_non_utf8_charset_is_decoded_by_its_declaration(tmp_path, charset, encoding, words):
    page = (f'<html><head><meta charset="{charset}"><title>Titre</title></head><body><h1>Le calendrier est publié'
            f"</h1><p>{LEAD}</p><p>{words}</p></body></html>")
    if encoding in ("koi8-r", "shift_jis"):  # neither has the accented letters of the French text
        page = page.replace("é", "e").replace("à", "a").replace("è", "e")
    path = tmp_path / "page.html"
    path.write_bytes(page.encode(encoding))
    (art,) = load_file(path)
    assert words in art["body"]


def test_xml_declared_page_saved_as_bytes_in_its_declared_charset_reads_right(tmp_path):
    page = ('<?xml version="1.0" encoding="iso-8859-15"?>\n<html><body><h1>Le calendrier est publié</h1>'
            f"<p>{LEAD}</p><p>Le budget est de 40 € par électeur.</p></body></html>")
    path = tmp_path / "page.xhtml"
    path.write_bytes(page.encode("iso-8859-15"))
    (art,) = load_file(path)
    assert "Le budget est de 40 € par électeur." in art["body"]


# ---------------------------------------------------------------- rules adopted from the comparison with trafilatura
def _article(extra_body: str = "", head: str = "", before: str = "") -> str:
    return (f"<html><head><title>Le calendrier électoral est publié</title>{head}</head><body>"
            "<nav><a href='/'>Accueil</a></nav><article><h1>Le calendrier électoral est publié</h1>"
            f"{before}<div class='entry-content'><p>{LEAD}</p>{extra_body}<p>{SECOND}</p></div></article>"
            "</body></html>")


@pytest.mark.parametrize("block,leaks", [
    ("<div class='wrapper-diffusions'><h2>Les dernières diffusions</h2><div><a href='/1'>Le calendrier électoral "
     "est publié</a></div><div><a href='/2'>Pas de journal ce jour</a></div><div><a href='/3'>Le budget voté</a>"
     "</div></div>", ["dernières diffusions", "Pas de journal", "Le budget voté"]),
    ("<ul class='tags-list'><li><a href='/t/1'>Idées</a></li><li><a href='/t/2'>Le fil culture</a></li>"
     "<li><a href='/t/3'>Médias</a></li></ul>", ["Le fil culture", "Médias"]),
    ("<div class='carousel-media'><p>Un diaporama de photos de la campagne électorale</p></div>", ["diaporama"]),
    ("<div class='aside secondary'><p>Je fais un don pour soutenir notre journal indépendant</p></div>",
     ["Je fais un don"]),
    ("<figure><img src='a.jpg'><figcaption>Le bureau de vote de Badalabougou / (C) Photo X</figcaption></figure>",
     ["bureau de vote"]),
    ("<div class='wp-caption'><img src='a.jpg'><p class='wp-caption-text'>Le piquet de grève dans le hall</p></div>",
     ["piquet de grève"]),
])
def test_link_lists_carousels_asides_and_captions_leave_the_body(block, leaks):
    art = extract_text(_article(block), id="x", html=True)
    assert LEAD in art["body"] and SECOND in art["body"]
    for text in leaks:
        assert text not in art["body"], text


def test_a_list_of_dated_links_and_a_byline_of_links_stay_in_the_page_text():
    press = ("<ul><li>6 décembre 2019 : <a href='/a'>Article de Paris Match sur la grève</a></li>"
             "<li>2 décembre 2019 : <a href='/b'>Reportage du journal de 13 heures</a></li>"
             "<li>1er décembre 2019 : <a href='/c'>Article de Libération</a></li></ul>")
    byline = ("<div class='article-author'><a href='/auteur/mk'>Moussa Koné</a> · <a href='/auteur/mk'>Ses "
              "articles</a> · <a href='https://x.example/mk'>Suivre</a></div>")
    text = html_page(_article(press, before=byline)).text
    assert "2 décembre 2019 : Reportage du journal de 13 heures" in text  # links are not most of its text
    assert "Moussa Koné · Ses articles · Suivre" in text  # links, but named as the article's own part


@pytest.mark.parametrize("head,before,date", [
    ('<meta name="DC:date" content="2009-09-15">', "", "2009-09-15"),
    ('<meta name="dcterms:created" content="2011-02-03">', "", "2011-02-03"),
    ('<meta name="citation_date" content="2015-06-30">', "", "2015-06-30"),
    ("", "<span class='field-field-published-at'>le 07 Mai 2020</span>", "2020-05-07"),
    ("", "<div class='date-publication'>Publié le 12/03/2024 à 10h05</div>", "2024-03-12"),
    ("", "<span class='date-updated published-modified'>Mis à jour le 3 mars 2021</span>", None),
    ("", "<div class='comment-published'>le 22/01/2020</div>", None),
])
def test_publication_date_is_read_from_dublin_core_metas_and_from_elements_marked_published(head, before, date):
    assert html_page(_article(head=head, before=before)).meta["date"] == date


def test_a_list_of_teaser_headlines_linked_inside_headings_leaves_the_body():
    teasers = "".join(f"<div class='td-block'><h3><a href='/a/{n}'>Titre d'un autre article numéro {n}</a></h3></div>"
                      for n in range(4))
    art = extract_text(_article("<div class='td-wrap'><h2>À la une</h2>" + teasers + "</div>"), id="x", html=True)
    assert LEAD in art["body"] and SECOND in art["body"] and "Titre d'un autre article" not in art["body"]


@pytest.mark.parametrize("page_title,headline,title", [
    ("About bugs – Vortex Cannon Entertainment", "About bugs", "About bugs"),
    ("Maliweb.net | Hausse des prix", "Hausse des prix", "Hausse des prix"),
])
def test_a_short_headline_that_the_page_title_decorates_with_the_site_name_is_the_title(page_title, headline, title):
    page = (f"<html><head><title>{page_title}</title></head><body><article><h1 class='entry-title'>{headline}</h1>"
            f"<div class='entry-meta'><span>13 Aug</span> <span>Posted by Vortex</span></div>"
            f"<div class='entry-content'><p>{LEAD}</p><p>{SECOND}</p></div></article></body></html>")
    assert extract_text(page, id="x", html=True)["title"] == title
