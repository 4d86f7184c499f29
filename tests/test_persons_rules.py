"""Table-driven tests of the context rules on person spans, on synthetic sentences."""

from types import SimpleNamespace

import pytest

from search.persons import context, names, ner, nertext


@pytest.mark.parametrize("span, text, dropped", [
    ("Karim Sané", "Il a été soigné au CHU Karim Sané de la capitale.", True),
    ("Karim Sané", "Le match se joue au stade Karim Sané ce dimanche.", True),
    ("Karim Sané", "Une prière au sanctuaire de Notre Karim Sané.", True),
    ("Karim Sané", "Les élèves du lycée de la Karim Sané défilent.", True),
    ("Karim Sané", "Les élèves du lycée Karim Sané ont rencontré Karim Sané lui-même.", False),
    ("Karim Sané", "Karim Sané a inauguré la route.", False),
    ("Karim Sané", "Le ministre a remplacé Karim Sané.", False),
    ("Karim Sané", "Elle a consulté à la clinique de Karim Sané.", False),
])
def test_a_name_right_after_a_place_word_is_the_place(span, text, dropped):
    assert context.names_place(span, text) is dropped


@pytest.mark.parametrize("span, text, dropped", [
    ("Alpha Beta Gamma", "La coalition Alpha Beta Gamma (ABG) a gagné.", True),
    ("Beta Gamma", "Le champ Alpha Beta Gamma (abg) produit du gaz.", True),
    ("Awa Diop", "La ministre Awa Diop (PDS) a parlé.", False),
    ("Amadou Toumani Touré", "Le général Amadou Toumani Touré (ATT) revient.", False),
    ("Awa Diop", "Awa Diop a parlé.", False),
])
def test_a_span_whose_initials_follow_in_brackets_is_an_organisation(span, text, dropped):
    people = frozenset(a.replace(".", "").upper() for a in names.load_rules().acronyms)
    assert context.defines_acronym(span, text, people) is dropped


@pytest.mark.parametrize("text, expected", [
    ("Monsieur Samba Kéita", ["Samba Kéita"]),
    ("Nous avons reçu SEM Issa Garba hier.", ["Issa Garba"]),
    ("Son Excellence Issa Garba est arrivé.", ["Issa Garba"]),
    ("Monsieur le ministre a parlé.", []),
    ("Un homme sans titre, Samba Kéita.", []),
])
def test_the_words_after_a_person_title_are_a_mention(text, expected):
    assert context.titled_mentions(text) == expected


@pytest.mark.parametrize("span, text, expected", [
    ("Ould Salem", "Le ministre Sidi Ould Salem a parlé.", "Sidi Ould Salem"),
    ("Ag Moussa", "selon Ag Moussa, le chef", "Ag Moussa"),
    ("Ould Salem", "Ould Salem a parlé.", "Ould Salem"),
    ("Ould Salem", "Il est venu. Selon Ould Salem, tout va bien.", "Ould Salem"),
    ("Ben Kalla", "le reporter de la BBC Ben Kalla", "Ben Kalla"),
    ("Awa Diop", "Fatou Awa Diop a parlé.", "Awa Diop"),
])
def test_a_span_starting_with_a_particle_takes_the_given_name_before_it(span, text, expected):
    assert context.extend_particle(span, text) == expected


@pytest.mark.parametrize("span, expected", [
    ("Karim Sané de l’Égypte", "Karim Sané"),
    ("Karim Sané du Plessis", "Karim Sané du Plessis"),
    ("José Luis de la Cruz", "José Luis de la Cruz"),
    ("Jan Van de Berg", "Jan Van de Berg"),
])
def test_a_place_of_origin_after_a_full_name_is_cut(span, expected):
    assert names.clean_mention(span) == expected


@pytest.mark.parametrize("label, text, expected", [
    ("MISC", "« Le Matin » Samba Kéita", "Samba Kéita"),
    ("ORG", "L’Écho » Awa Binta Diop", "Awa Binta Diop"),
    ("MISC", "« Le Matin » diplomatique", None),
    ("PER", "« Le Matin » Samba Kéita", None),
    ("LOC", "Bamako", None),
])
def test_a_name_after_a_closing_quote_in_another_entity_is_kept(label, text, expected):
    assert ner._quoted_tail(SimpleNamespace(label_=label, text=text)) == expected


@pytest.mark.parametrize("body, expected", [
    ("Il expliqueSamba Kéita est venu.", "explique Samba Kéita"),
    ("La chaîne YouTube est active.", "YouTube"),
    ("Le maire McCain parle.", "McCain"),
    ("Son profil LinkedIn est public.", "LinkedIn"),
])
def test_words_glued_by_a_lost_space_are_split_for_the_ner(body, expected):
    assert expected in nertext.ner_text({"title": "", "body": body})


@pytest.mark.parametrize("mention, expected", [
    ("Bazoum Mohamed", "Mohamed Bazoum"),
])
def test_surname_first_spellings_map_to_the_canonical_name(mention, expected):
    assert names.load_rules().alias(mention) == expected


@pytest.mark.parametrize("mention", ["Hygiène Publique", "Commune IV", "Notre Dame de la Paix", "Gabriel Touré"])
def test_places_and_public_bodies_named_like_people_are_not_persons(mention):
    assert names.clean_mention(mention) is None
