"""Stories through the product, on both engines: reindex groups copies, the search shows one hit per story."""

import json

import pytest

from search.index import storyfile
from search.index import folder as store
from search.query.request import SearchRequest
from tests.engine_fixture import build
from tests.engine_fixture import engine_name  # noqa: F401 (fixture)

DISPATCH = ("Le gouvernement de transition a annoncé mardi à Bamako un nouveau calendrier électoral "
            "après des consultations avec les partis politiques et la société civile. Le scrutin "
            "présidentiel est reporté de plusieurs mois selon le communiqué lu à la télévision "
            "nationale par le porte-parole qui a précisé les nouvelles étapes du processus.")
OTHER = ("Les cours du coton ont progressé cette semaine sur les marchés internationaux selon les "
         "négociants de la filière qui attendent une récolte abondante dans la région de Sikasso "
         "où les pluies ont été régulières depuis le début de la saison agricole cette année.")


def _art(aid, outlet, date, body, title="Calendrier électoral"):
    return {"id": aid, "title": title, "body": body, "outlet": outlet, "date": date}


def _jsonl(path, records):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")


@pytest.fixture
def index(engine_name, request, tmp_path):
    src = tmp_path / "src"
    _jsonl(src / "a.jsonl", [
        _art("essor-1", "L'Essor", "2023-08-01", DISPATCH),
        _art("maliweb-9", "Maliweb", "2023-08-02", "Lu pour vous. " + DISPATCH, title="Mali : le calendrier"),
        _art("coton-1", "Maliweb", "2023-08-02", OTHER, title="Le coton"),
    ])
    return src, build(request, engine_name, source=src, label="stories")


def _search(ix, **params):
    return ix.search(SearchRequest.from_params(params)).to_dict()


def test_copies_of_one_dispatch_are_one_hit_with_their_versions(index):
    _src, ix = index
    res = _search(ix, q="calendrier electoral")
    assert res["total"] == 2 and res["total_stories"] == 1 and len(res["hits"]) == 1
    hit = res["hits"][0]
    assert hit["story"] == "essor-1"  # the first publication names the story
    outlets_found = {v["value"] for v in res["facets"]["outlet"]}
    assert [v["outlet"] for v in hit["versions"]] == sorted(outlets_found - {hit["outlet"]})
    every = _search(ix, q="calendrier electoral", collapse="0")
    assert every["total"] == 2 and len(every["hits"]) == 2 and every["total_stories"] == 1
    outlets = {v["value"]: v["count"] for v in res["facets"]["outlet"]}
    assert sorted(outlets.values()) == [1, 1] and "Maliweb" in outlets  # facets still count articles


def test_the_story_filter_lists_every_copy(index):
    _src, ix = index
    res = _search(ix, story="essor-1", collapse="0")
    assert sorted(h["id"] for h in res["hits"]) == ["essor-1", "maliweb-9"]
    assert _search(ix, story="coton-1")["total"] == 1  # an article without copies is its own story
    assert _search(ix, story="inconnu")["total"] == 0


def test_a_new_copy_joins_its_story_without_a_full_rebuild(index):
    src, ix = index
    _jsonl(src / "b.jsonl", [_art("malijet-3", "Malijet", "2023-08-03", DISPATCH + " Source : L'Essor.")])
    report = ix.reindex(src)
    assert report.mode != "full"
    if ix.name == "whoosh":  # the story grouping kept beside the generation
        groups = storyfile.read_groups(store.live_path(ix.index_dir))
        assert groups == {"essor-1": ["essor-1", "maliweb-9", "malijet-3"]}
    res = _search(ix, q="calendrier electoral")
    assert res["total"] == 3 and res["total_stories"] == 1
    assert sorted(h["id"] for h in _search(ix, story="essor-1", collapse="0")["hits"]) == [
        "essor-1", "malijet-3", "maliweb-9"]


def test_a_link_to_a_story_renamed_since_lists_the_article_it_was_named_after(index):
    src, ix = index
    # an earlier copy becomes the first publication: the story now bears its id
    _jsonl(src / "b.jsonl", [_art("afp-0", "AFP", "2023-07-31", DISPATCH)])
    ix.reindex(src)
    assert {h["story"] for h in _search(ix, q="calendrier electoral", collapse="0")["hits"]} == {"afp-0"}
    assert sorted(h["id"] for h in _search(ix, story="afp-0", collapse="0")["hits"]) == [
        "afp-0", "essor-1", "maliweb-9"]
    old = _search(ix, story="essor-1", collapse="0")
    assert [h["id"] for h in old["hits"]] == ["essor-1"] and old["total"] == 1


def test_the_article_page_lists_the_versions_and_marks_the_first_publication(index):
    _src, ix = index
    client = ix.web()
    html = client.get("/article/maliweb-9").get_data(as_text=True)
    assert "Le même article ailleurs" in html and "première publication" in html
    assert html.index("Essor") < html.index("première publication") < html.index("Cette version")
    page = client.get("/search?q=calendrier+electoral").get_data(as_text=True)
    assert "1 autre version" in page and "story=essor-1" in page and "collapse=0" in page


@pytest.mark.parametrize("params", [{"collapse": "peut-être"}, {"story": "x" * 400}])
def test_bad_story_parameters_are_a_french_400(index, params):
    _src, ix = index
    client = ix.web()
    resp = client.get("/search", query_string=params)
    assert resp.status_code == 400 and "Requête incorrecte" in resp.get_data(as_text=True)


def test_the_results_heading_counts_articles_and_stories(index):
    _src, ix = index
    client = ix.web()
    html = client.get("/search?q=calendrier+electoral").get_data(as_text=True)
    assert "2 résultats" in html and "1 sans les copies" in html
    html = client.get("/search?q=calendrier+electoral&collapse=0").get_data(as_text=True)
    assert "sans les copies" not in html
