"""Stories: exact and near copies grouped, templates kept apart, incremental changes, saved state."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys

import numpy as np
import pytest

from search.stories import MIN_WORDS, StaleStories, StoryIndex, Thresholds, group
from search.stories import link
from search.stories.shingles import words
from search.text import fold

DISPATCH = (
    "Les autorités de transition ont annoncé mardi à Bamako la réouverture progressive des écoles "
    "fermées depuis trois mois dans la région de Mopti, après un accord conclu avec les chefs "
    "traditionnels et les associations de parents d'élèves. Selon le ministre de l'Éducation, "
    "cent vingt-huit établissements rouvriront dès lundi prochain, sous la protection d'unités "
    "de gendarmerie déployées dans les cercles de Bandiagara et de Douentza.\n\n"
    "Les enseignants déplacés recevront une prime de retour et un logement provisoire, a précisé "
    "le ministre, qui a reconnu que « beaucoup reste à faire » pour rattraper le retard accumulé. "
    "Les syndicats ont salué une décision attendue, tout en réclamant le paiement des arriérés de "
    "salaires avant la fin du trimestre.\n\n"
    "Dans le village de Sangha, les habitants ont accueilli la nouvelle avec prudence : plusieurs "
    "écoles y avaient été incendiées l'an dernier par des hommes armés non identifiés."
)
LEAD = "BAMAKO (APA) – C'est une nouvelle très attendue par les familles du centre du pays.\n\n"
FOOTER = "\n\nLire aussi : nos autres articles sur l'éducation au Mali. © Tous droits réservés."
OTHER = (
    "La compagnie nationale d'électricité a mis en service samedi une nouvelle centrale solaire "
    "de cinquante mégawatts près de Kita, la plus grande du pays, financée par un prêt de la "
    "Banque ouest-africaine de développement. Les délestages qui frappent la capitale depuis "
    "février devraient diminuer d'ici la saison des pluies, selon la direction, qui promet aussi "
    "de raccorder quatre mille foyers ruraux avant la fin de l'année."
)

THIRD = (
    "Le tribunal de grande instance de la commune IV a condamné jeudi à cinq ans de prison ferme "
    "un ancien régisseur de la mairie, reconnu coupable du détournement de trois cents millions de "
    "francs destinés à l'assainissement des caniveaux. Son avocat a annoncé qu'il ferait appel, "
    "estimant que son client avait servi de bouc émissaire dans une affaire qui implique selon lui "
    "plusieurs élus toujours en fonction."
)


def council(day: int, decisions: str) -> str:
    """Return a « Communiqué du conseil des ministres » of the same template with its own decisions."""
    return (
        f"Le Conseil des Ministres s'est réuni en session ordinaire, le mercredi {day} mai 2024, dans "
        "sa salle de délibérations au Palais de Koulouba, sous la présidence du Colonel Assimi GOITA, "
        "Président de la Transition, Chef de l'Etat. Après examen des points inscrits à l'ordre du "
        f"jour, le Conseil a adopté des projets de textes et procédé à des nominations. {decisions} "
        "Le Conseil a ensuite entendu des communications et le Président de la Transition a levé la séance."
    )


WEEK_1 = ("Au titre du ministère des Mines, le Conseil a adopté un projet de décret portant création "
          "d'une société de recherche et d'exploitation du lithium à Goulamina, dotée d'un capital de "
          "dix milliards de francs, et nommé un directeur général adjoint de l'Office du Niger.")
WEEK_2 = ("Au titre du ministère de la Santé, le Conseil a approuvé la campagne nationale de "
          "vaccination contre la rougeole des enfants de moins de cinq ans, prévue du dix au vingt "
          "juin, et ratifié l'accord de prêt signé avec la Banque islamique pour l'hôpital de Sikasso.")


def market(day: str, figures: tuple) -> str:
    """Return a daily stock-market report of one template with its own figures."""
    a, b, c, d, e = figures
    return (
        f"La Bourse régionale des valeurs mobilières a clôturé la séance du {day} en {a} de {b} %. "
        f"L'indice BRVM composite s'établit à {c} points et l'indice BRVM 30 à {d} points. La "
        f"capitalisation du marché des actions atteint {e} milliards de francs CFA. Sonatel reste la "
        f"valeur la plus échangée de la séance avec {c} titres, suivie d'Orange Côte d'Ivoire à {d} titres."
    )


def article(aid, body, date="2024-05-07", title="Titre"):
    """Return an article dict as extraction gives it (only the fields stories read)."""
    return {"id": aid, "title": title, "body": body, "date": date, "outlet": "Maliweb"}


CASES = [
    ("an exact copy on another site is one story",
     [article("a", DISPATCH), article("b", DISPATCH, "2024-05-08")], [{"a", "b"}]),
    ("case, accents, punctuation and spacing do not tell copies apart",
     [article("a", DISPATCH), article("b", fold(DISPATCH).upper().replace(",", " ").replace("\n\n", "\n"))],
     [{"a", "b"}]),
    ("a copy with another lead is one story",
     [article("a", DISPATCH), article("b", LEAD + DISPATCH, title="Éducation : les écoles rouvrent")], [{"a", "b"}]),
    ("a copy with a footer is one story",
     [article("a", DISPATCH), article("b", DISPATCH + FOOTER)], [{"a", "b"}]),
    ("a copy with lead and footer published the next day is one story",
     [article("a", DISPATCH), article("b", LEAD + DISPATCH + FOOTER, "2024-05-08")], [{"a", "b"}]),
    ("a truncated copy is one story with the full dispatch",
     [article("a", DISPATCH), article("b", DISPATCH.split("\n\n")[0])],
     [{"a", "b"}]),
    ("two different dispatches stay apart",
     [article("a", DISPATCH), article("b", OTHER)], []),
    ("two council communiqués of two weeks stay apart",
     [article("a", council(8, WEEK_1), "2024-05-08"), article("b", council(15, WEEK_2), "2024-05-15")], []),
    ("two council communiqués of the same day stay apart",
     [article("a", council(8, WEEK_1), "2024-05-08"), article("b", council(8, WEEK_2), "2024-05-08")], []),
    ("two market reports of one template stay apart",
     [article("a", market("lundi 6 mai", ("hausse", "0,85", "228,41", "112,07", "8 312")), "2024-05-06"),
      article("b", market("mardi 7 mai", ("baisse", "0,32", "227,68", "111,73", "8 285")), "2024-05-07")], []),
    ("the same text two weeks apart stays two stories",
     [article("a", DISPATCH, "2024-05-07"), article("b", DISPATCH + FOOTER, "2024-05-21")], []),
    ("an exact copy two weeks apart is still one story",
     [article("a", DISPATCH, "2024-05-07"), article("b", DISPATCH, "2024-05-21")], [{"a", "b"}]),
    ("undated copies are one story",
     [article("a", DISPATCH, None), article("b", DISPATCH + FOOTER, None)], [{"a", "b"}]),
    ("identical short bodies are not evidence",
     [article("a", "Revivez la finale en vidéo."), article("b", "Revivez la finale en vidéo.")], []),
    ("empty bodies are not evidence",
     [article("a", ""), article("b", ""), article("c", None)], []),
    ("a digest carrying several dispatches joins none of them",
     [article("a", OTHER), article("b", THIRD), article("d", OTHER + "\n\n" + THIRD + "\n\n" + council(8, WEEK_1))],
     []),
    ("a block found inside several stories joins none of them",
     [article("a", OTHER + "\n\n" + DISPATCH), article("b", THIRD + "\n\n" + DISPATCH), article("block", DISPATCH)],
     []),
    ("three copies make one story, the first publication gives its id",
     [article("c", DISPATCH, "2024-05-09"), article("b", DISPATCH + FOOTER, "2024-05-07"),
      article("a", LEAD + DISPATCH, "2024-05-08")], [{"a", "b", "c"}]),
]


@pytest.mark.parametrize("name, articles, expected", CASES, ids=[c[0] for c in CASES])
def test_stories_group_copies_and_keep_templates_apart(name, articles, expected):
    stories = group(articles)
    multi = {}
    for aid, sid in stories.items():
        multi.setdefault(sid, set()).add(aid)
    assert sorted(map(sorted, (s for s in multi.values() if len(s) > 1))) == sorted(map(sorted, expected))
    assert set(stories) == {a["id"] for a in articles}


def test_the_story_id_is_the_first_publication():
    stories = group(CASES[-1][1])
    assert set(stories.values()) == {"b"}


def test_the_short_body_limit_is_measured_in_words():
    tokens = words(DISPATCH)
    short = " ".join(tokens[:MIN_WORDS - 1])
    long_enough = " ".join(tokens[:MIN_WORDS])
    assert len(set(group([article("a", short), article("b", short)]).values())) == 2
    assert len(set(group([article("a", long_enough), article("b", long_enough)]).values())) == 1


def test_a_new_article_joins_an_existing_story_without_renaming_others():
    idx = StoryIndex()
    idx.add_many([article("a", DISPATCH), article("x", OTHER)])
    assert idx.story_of("a") == "a" and idx.story_of("x") == "x"
    idx.add("b", "Autre titre", LEAD + DISPATCH, "2024-05-06")
    assert idx.story_of("a") == idx.story_of("b") == "b"
    assert idx.members("b") == ["b", "a"]
    assert idx.story_of("x") == "x"


def test_removing_the_earliest_member_gives_the_next_earliest_as_story_id():
    idx = StoryIndex()
    idx.add_many([article("c", DISPATCH, "2024-05-09"), article("b", DISPATCH + FOOTER, "2024-05-07"),
                  article("a", LEAD + DISPATCH, "2024-05-08")])
    assert idx.story_of("c") == "b"
    assert idx.remove("b")
    assert idx.story_of("c") == idx.story_of("a") == "a"
    assert idx.members("a") == ["a", "c"]
    assert idx.story_of("b") is None and idx.members("b") == []
    assert not idx.remove("b")


def test_removing_the_link_between_two_versions_splits_the_story():
    first, second, _third = DISPATCH.split("\n\n")
    addition = THIRD.split(". ")[0] + "."
    idx = StoryIndex()
    # "both" is close to "short" (the dispatch) and to "other" (the dispatch cut, with an
    # addition); "short" and "other" alone are too far apart to be one story.
    idx.add_many([article("short", DISPATCH), article("both", DISPATCH + "\n\n" + addition),
                  article("other", first + "\n\n" + second + "\n\n" + addition)])
    assert len(set(idx.assignments().values())) == 1
    idx.remove("both")
    assert idx.story_of("short") == "short" and idx.story_of("other") == "other"


def test_a_version_inside_a_longer_one_joins_it_unless_the_longer_one_is_a_digest():
    first = DISPATCH.split("\n\n")[0]
    idx = StoryIndex()
    idx.add_many([article("full", DISPATCH), article("cut", first)])
    assert idx.story_of("cut") == idx.story_of("full")
    idx.add("digest", "Revue de presse", OTHER + "\n\n" + THIRD + "\n\n" + DISPATCH, "2024-05-07")
    idx.add("other", "Autre", OTHER, "2024-05-07")
    assert idx.story_of("other") == "other" and idx.story_of("digest") == "digest"
    assert idx.story_of("cut") == idx.story_of("full")
    idx.remove("other")
    assert idx.assignments() == group([article("full", DISPATCH), article("cut", first),
                                       article("digest", OTHER + "\n\n" + THIRD + "\n\n" + DISPATCH)])


def test_replacing_an_article_regroups_it():
    idx = StoryIndex()
    idx.add_many([article("a", DISPATCH), article("b", DISPATCH)])
    idx.add("b", "Titre", OTHER, "2024-05-07")
    assert idx.story_of("b") == "b" and idx.story_of("a") == "a"
    assert len(idx) == 2


def _corpus():
    """Return a small mixed corpus: copies, near copies, templates, short and empty bodies."""
    arts = [c for _n, articles, _e in CASES for c in articles]
    return [dict(a, id=f"{i:03d}-{a['id']}") for i, a in enumerate(arts)]


def test_one_at_a_time_in_any_order_gives_the_same_stories_as_all_at_once():
    arts = _corpus()
    expected = group(arts)
    for seed in range(3):
        shuffled = arts[:]
        random.Random(seed).shuffle(shuffled)
        idx = StoryIndex()
        for a in shuffled:
            idx.add(a["id"], a["title"], a["body"], a["date"])
            idx.story_of(a["id"])
        assert idx.assignments() == expected


def test_removal_gives_the_same_stories_as_a_rebuild_without_the_article():
    arts = _corpus()
    idx = StoryIndex()
    idx.add_many(arts)
    for gone in [a["id"] for a in arts][::3]:
        idx.remove(gone)
    left = [a for i, a in enumerate(arts) if i % 3]
    assert idx.assignments() == group(left)


def test_save_and_load_give_the_same_stories_and_stay_incremental(tmp_path):
    arts = _corpus()
    idx = StoryIndex()
    idx.add_many(arts)
    idx.remove(arts[0]["id"])
    idx.save(tmp_path)
    loaded = StoryIndex.load(tmp_path)
    assert loaded.assignments() == idx.assignments()
    assert loaded.stories() == idx.stories()
    assert loaded.stats() == idx.stats() and idx.stats()["weak_links"] > 0
    loaded.add("new", "Titre", DISPATCH + FOOTER, "2024-05-07")
    idx.add("new", "Titre", DISPATCH + FOOTER, "2024-05-07")
    assert loaded.assignments() == idx.assignments()
    assert len({loaded.story_of("new")} | {loaded.story_of(a["id"]) for a in arts[1:2]}) == 1


def test_loading_with_other_thresholds_relinks_from_the_stored_evidence(tmp_path):
    arts = _corpus()
    idx = StoryIndex()
    idx.add_many(arts)
    idx.save(tmp_path)
    strict = Thresholds(jaccard=0.99, containment=1.01, max_days=0)
    assert StoryIndex.load(tmp_path, strict).assignments() == group(arts, strict)
    assert StoryIndex.load(tmp_path, strict).assignments() != idx.assignments()


def test_stories_saved_with_other_parameters_are_refused(tmp_path):
    idx = StoryIndex()
    idx.add_many(_corpus())
    idx.save(tmp_path)
    meta = json.loads((tmp_path / "stories-meta.json").read_text())
    meta["shingle_words"] += 1
    (tmp_path / "stories-meta.json").write_text(json.dumps(meta))
    with pytest.raises(StaleStories):
        StoryIndex.load(tmp_path)


def test_signatures_do_not_depend_on_the_process():
    code = ("from search.stories import shingles, minhash; import sys; "
            "s = shingles.shingles(shingles.words(sys.stdin.read())); "
            "print(minhash.signatures([s])[0].tolist())")
    outs = []
    for seed in ("1", "2"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        run = subprocess.run([sys.executable, "-c", code], input=DISPATCH, capture_output=True, text=True,
                             env=env, check=True, cwd=os.path.dirname(os.path.dirname(__file__)))
        outs.append(run.stdout)
    assert outs[0] == outs[1] and len(json.loads(outs[0])) == 128


@pytest.mark.parametrize("date, gap", [("2024-05-07", 0), ("2024-05", 0), ("2024", 0), ("2024-05-20", 13),
                                       ("2024-06", 25), (None, None), ("n.d.", None)])
def test_day_gaps_between_dates_of_every_precision(date, gap):
    lo_a, hi_a = (np.array([v]) for v in link.day_span("2024-05-07"))
    lo_b, hi_b = (np.array([v]) for v in link.day_span(date))
    assert link.day_gap(lo_a, hi_a, lo_b, hi_b) == gap


def test_the_saved_shingles_are_every_live_set_end_to_end(tmp_path):
    arts = _corpus()
    idx = StoryIndex()
    idx.add_many(arts)
    idx.remove(arts[1]["id"])
    idx.save(tmp_path)
    idx._flush()
    live = [idx.shingle_set(r) for r in np.flatnonzero(idx._alive)]
    saved = np.load(tmp_path / "stories-shingles.npy", mmap_mode="r")
    assert saved.dtype == np.uint32 and np.array_equal(saved, np.concatenate(live))


def test_an_empty_story_index_saves_and_loads(tmp_path):
    StoryIndex().save(tmp_path)
    assert StoryIndex.load(tmp_path).stories() == {}


def _band_pairs(sigs, is_new):
    """The plain definition: every pair agreeing on a whole band, one side new."""
    out = set()
    for band in range(link.minhash.BANDS):
        cut = sigs[:, band * link.minhash.ROWS:(band + 1) * link.minhash.ROWS]
        by_key = {}
        for i, row in enumerate(map(tuple, cut)):
            by_key.setdefault(row, []).append(i)
        for members in by_key.values():
            if 1 < len(members) <= link.MAX_RUN:
                out |= {(a, b) for k, a in enumerate(members) for b in members[k + 1:] if is_new[a] or is_new[b]}
    return out


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_candidate_pairs_of_some_rows_are_the_pairs_agreeing_on_a_band(seed):
    rng = np.random.default_rng(seed)
    sigs = rng.integers(0, 3, size=(40, link.minhash.PERMUTATIONS)).astype(np.uint32)
    rows = np.sort(rng.choice(40, size=25, replace=False))
    is_new = rng.random(25) < 0.4
    pairs = link.candidate_pairs(sigs, is_new, rows)
    assert {tuple(p) for p in pairs.tolist()} == _band_pairs(sigs[rows], is_new)
    assert np.array_equal(pairs, link.candidate_pairs(sigs[rows], is_new))


@pytest.mark.parametrize("chunk, max_run, values", [
    (1 << 18, 500, 3),  # the defaults
    (1, 500, 3),        # one pair at a time
    (5, 3, 2),          # small chunks, and runs too long to give pairs in many bands
    (1 << 18, 2, 4),    # only runs of two give pairs
])
def test_candidate_pairs_come_once_each_whatever_the_chunks_and_long_runs(monkeypatch, chunk, max_run, values):
    monkeypatch.setattr(link, "CHUNK_PAIRS", chunk)
    monkeypatch.setattr(link, "MAX_RUN", max_run)
    rng = np.random.default_rng(chunk + max_run)
    sigs = rng.integers(0, values, size=(36, link.minhash.PERMUTATIONS)).astype(np.uint32)
    rows = np.sort(rng.choice(36, size=30, replace=False))
    is_new = rng.random(30) < 0.5
    chunks = list(link.iter_candidate_pairs(sigs, is_new, rows))
    # a chunk holds at most ``CHUNK_PAIRS`` pairs, or the pairs of one run when a run has more
    assert chunks and all(len(c) <= max(chunk, max_run * (max_run - 1) // 2) for c in chunks)
    pairs = [tuple(p) for c in chunks for p in c.tolist()]
    assert len(pairs) == len(set(pairs))
    assert set(pairs) == _band_pairs(sigs[rows], is_new)
    assert all(a < b for a, b in pairs)


def test_articles_dated_too_far_apart_are_not_read_to_be_linked(monkeypatch):
    reads = []
    index = StoryIndex()
    for i, date in enumerate(["2020-01-01", "2020-03-01", "2020-06-01"]):
        index.add(f"a{i}", None, DISPATCH + f" Mise à jour {i}.", date)
    original = StoryIndex.shingle_set
    monkeypatch.setattr(StoryIndex, "shingle_set", lambda self, row: reads.append(row) or original(self, row))
    assert index.stories() == {}
    assert reads == []
    # measures still cover them
    measured = {(frozenset((a, b)), gap) for a, b, _jaccard, _containment, gap in index.near_pairs()}
    assert measured == {(frozenset(("a0", "a1")), 60), (frozenset(("a0", "a2")), 152), (frozenset(("a1", "a2")), 92)}
