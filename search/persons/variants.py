"""Spelling variants of one person merged across the corpus (transliterations, one-letter slips).

The press writes foreign and Sahelian names as it hears them: « Droukdal » and « Droukdel »,
« Prigojine » and « Prigozhine », « Sergueï Choïgou » and « Sergei Shoigu », and misspells famous
ones (« Édouard Phillipe »).  Two persons are candidates when their names agree under a
transliteration key (sh/ch, zh/j, ou/u, y/i, doubled letters, a final e of a surname…), or differ
by one letter of the surname (or of the first name, the surname being the same).  A candidate
is merged into the more mentioned spelling only when the corpus supports it: both spellings in
one article (a dispatch writing a name two ways), the same company (persons mentioned with
both), or a slip of a name mentioned ten times more.  Two names one letter apart are otherwise
two people: Michel Delpech is not Michel Delpuech, Michèle Mercier not Michel Mercier.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict

from search.persons import names

#: Shortest transliteration key of a surname that may be merged ("Ba" and "Bah" are two families).
MIN_KEY = 4
#: Shortest surname (or first name) merged on a one-letter difference.
MIN_EDIT = 6
MIN_EDIT_FIRST = 5
#: Company needed to merge two spellings: persons mentioned with both, and the cosine of who is
#: mentioned with each.
MIN_SHARED_CONTEXT = 2
MIN_CONTEXT_COSINE = 0.3
#: A spelling this many times rarer than a candidate of the same first name is a slip of it.
SLIP_RATIO = 10

_RULES = [(re.compile(p), r) for p, r in (
    (r"sch|sh", "ch"), (r"zh|dj", "j"), (r"kh", "k"), (r"dh", "d"), (r"th", "t"), (r"ph", "f"),
    (r"ck|q", "k"), (r"gu(?=[ei])", "g"), (r"ou|w", "u"), (r"y", "i"), (r"(.)\1+", r"\1"),
)]
#: A surname's final e or h is silent ("Prigojine", "Prigozhin"); a first name's final e is its
#: gender (François, Françoise).
_SILENT_END = re.compile(r"(?<=.)[eh]$")


def translit_key(word: str, surname: bool = True) -> str:
    """Return a word's transliteration key: spellings of one sound in French and English agree."""
    key = names.name_key(word).replace(" ", "")
    for pattern, repl in _RULES:
        key = pattern.sub(repl, key)
    return _SILENT_END.sub("", key) if surname else key


def _parts(display: str) -> tuple[str, str]:
    """Return (first names key, surname key) of a display name; the first names are empty when alone."""
    tokens = names.name_key(display).split(" ")
    surname = names.surname_keys(display)[-1]
    first = tokens[:len(tokens) - len(surname.split(" "))]
    return " ".join(translit_key(t, surname=False) for t in first), translit_key(surname)


def _deletions(key: str) -> set[str]:
    return {key} | {key[:i] + key[i + 1:] for i in range(len(key))}


def _contexts(by_article: dict[str, list[str]]) -> tuple[dict[str, Counter], dict[str, set[str]]]:
    """Return who is mentioned with each person, and each person's articles."""
    context: dict[str, Counter] = defaultdict(Counter)
    articles: dict[str, set[str]] = defaultdict(set)
    for aid, people in by_article.items():
        for p in people:
            articles[p].add(aid)
        if len(people) > 60:  # a list of names (a government) says nothing about one person
            continue
        for p in people:
            context[p].update(q for q in people if q != p)
    return context, articles


def _cosine(a: Counter, b: Counter) -> float:
    if not a or not b:
        return 0.0
    dot = sum(v * b[k] for k, v in a.items() if k in b)
    return dot / (math.sqrt(sum(v * v for v in a.values())) * math.sqrt(sum(v * v for v in b.values())))


def _candidates(persons: list[str]):
    """Yield pairs of persons whose names agree by transliteration or differ by one letter."""
    by_key: dict[tuple[str, str], list[str]] = defaultdict(list)
    by_deletion: dict[tuple[str, str], set[str]] = defaultdict(set)
    for p in persons:
        first, surname = _parts(p)
        if len(surname) < MIN_KEY:
            continue
        by_key[(first, surname)].append(p)
        if len(surname) >= MIN_EDIT:
            for d in _deletions(surname):
                by_deletion[(first, "s:" + d)].add(p)
        if first and " " not in first and len(first) >= MIN_EDIT_FIRST:
            for d in _deletions(first):
                by_deletion[("f:" + d, surname)].add(p)
    seen: set[tuple[str, str]] = set()
    for group in list(by_key.values()) + [sorted(g) for g in by_deletion.values()]:
        for i, a in enumerate(group):
            for b in group[i + 1:]:
                pair = (a, b) if a < b else (b, a)
                if pair not in seen:
                    seen.add(pair)
                    yield pair


def _supported(small: str, large: str, counts, context, articles) -> bool:
    """Return True when the corpus says two spellings are one person."""
    if articles[small] & articles[large]:
        return True  # one article writing the name two ways
    shared = set(context[small]) & set(context[large])
    if len(shared) >= MIN_SHARED_CONTEXT and _cosine(context[small], context[large]) >= MIN_CONTEXT_COSINE:
        return True
    return bool(_parts(small)[0]) and counts[large] >= SLIP_RATIO * counts[small]


def merge_map(by_article: dict[str, list[str]], counts: dict[str, int]) -> dict[str, str]:
    """Return ``{spelling: person}`` for the persons that are variants of a more mentioned one."""
    context, articles = _contexts(by_article)
    rank = {p: (counts[p], names.accent_score(p), p) for p in counts}
    best: dict[str, str] = {}
    for a, b in _candidates(sorted(counts)):
        small, large = sorted((a, b), key=rank.get)
        if _supported(small, large, counts, context, articles):
            if small not in best or rank[large] > rank[best[small]]:
                best[small] = large
    merges = {}
    for p in best:  # follow a chain to its most mentioned spelling, each step verified
        target, steps = best[p], 0
        while target in best and steps < 10:
            target, steps = best[target], steps + 1
        merges[p] = target
    return merges


def apply_merges(by_article: dict[str, list[str]], merges: dict[str, str]) -> dict[str, list[str]]:
    """Return each article's persons with merged spellings replaced, first mention order kept."""
    if not merges:
        return by_article
    return {aid: list(dict.fromkeys(merges.get(p, p) for p in people)) for aid, people in by_article.items()}
