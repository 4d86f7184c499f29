"""Corpus-wide identity: the mentions of a whole corpus resolved to one canonical name per person.

``resolve`` strips titles, ignores accents, resolves surnames, applies aliases and displays the
most common accented spelling.  A surname used alone is resolved to the full name given in the
same article, else to the alias file, else to the only full name with that surname in the
corpus; when none or several match it is dropped: an analyst filtering on "Keita" would
otherwise get several people counted as one, and the word stays searchable in the text.
"""

from __future__ import annotations

import json
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from search.persons import gazetteer, names, ner, variants

#: Bumped when resolution rules change in code (the name runs kept in the state are then renewed).
RULES_VERSION = 3  # 3: verified variant merges; 2: variant merging and the dictionary pass


@dataclass
class Resolution:
    """Canonical persons per article, the spellings merged into each, and article counts."""

    by_article: dict[str, list[str]] = field(default_factory=dict)
    variants: dict[str, dict[str, int]] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    unresolved: dict[str, int] = field(default_factory=dict)
    #: the persons of each article found by the dictionary pass only (the others by the NER)
    by_dictionary: dict[str, list[str]] = field(default_factory=dict)
    dictionary_seconds: float = 0.0

    def persons(self) -> list[dict]:
        """Return ``[{name, count, dictionary, variants}]``, most mentioned first."""
        from_dictionary = Counter(p for people in self.by_dictionary.values() for p in people)
        rows = [
            {"name": name, "count": count, "dictionary": from_dictionary.get(name, 0),
             "variants": sorted(self.variants.get(name, {}), key=lambda v: (-self.variants[name][v], v))}
            for name, count in self.counts.items()
        ]
        rows.sort(key=lambda r: (-r["count"], names.name_key(r["name"])))
        return rows

    def to_json(self) -> dict:
        """Return a JSON-serialisable form (saved as persons.json in each index generation)."""
        return {
            "persons": self.persons(),
            "variants": self.variants,
            "unresolved": dict(sorted(self.unresolved.items(), key=lambda kv: (-kv[1], kv[0]))),
        }


def _choose_display(forms: Counter) -> str:
    # Most common spelling, an accented one first: "Goita" is usually a lazily typed "Goïta".
    return max(forms, key=lambda f: (names.accent_score(f) > 0, forms[f], names.accent_score(f),
                                     sum(c.islower() for c in f), f))


def _is_shorter_form(short_key: str, long_key: str) -> bool:
    """Return True if ``short_key`` is ``long_key`` with middle or first names left out."""
    short, long = short_key.split(" "), long_key.split(" ")
    if len(short) >= len(long):
        return False
    if short[-1] != long[-1]:
        return len(short) >= 2 and long[:len(short)] == short  # "Ousmane Issoufi [Maïga]"
    it = iter(long)
    return all(tok in it for tok in short)  # an ordered subsequence


#: One cleaned mention of an article: ``(surface, name, short)``, ``name`` after aliases, ``short``
#: when it is a surname alone.
Item = tuple[str, str, bool]


def _clean_items(raw_by_id: dict[str, list[str]], rules: names.NameRules) -> dict[str, list[Item]]:
    """Return each article's mentions cleaned, with aliases applied to full names."""
    # Cleaned again because the data files may have changed since the mentions were cached; short
    # mentions (a surname alone) wait for the article's context.
    per_article: dict[str, list[Item]] = {}
    for art_id, mentions in raw_by_id.items():
        items = []
        for mention in mentions or ():
            surface = names.clean_mention(mention, rules) if isinstance(mention, str) else None
            if not surface:
                continue
            short = names.is_short(surface)
            name = surface
            canonical = None if short else rules.alias(surface)
            # An alias that differs only by accents changes nothing: identity already ignores
            # them, and the display spelling is chosen from the corpus.
            if canonical and names.name_key(canonical) != names.name_key(surface):
                name = canonical
            items.append((surface, name, short))
        per_article[art_id] = items
    return per_article


def _surname_inventory(per_article: dict[str, list[Item]]) -> dict[str, set[str]]:
    """Return the identity keys of the corpus's full names that each surname may stand for."""
    by_surname: dict[str, set[str]] = defaultdict(set)
    for items in per_article.values():
        for _surface, name, short in items:
            if not short:
                for key in names.surname_keys(name):
                    by_surname[key].add(names.name_key(name))
    return by_surname


def _in_article(short_key: str, full_keys: list[str]) -> str | None:
    """Return the one full name of the article a surname stands for, or None."""
    by_last = {k for k in full_keys if short_key in names.surname_keys(k)}
    if len(by_last) == 1:
        return next(iter(by_last))
    if by_last:
        return None  # two people of that surname in the article: don't guess
    by_any = {k for k in full_keys if short_key in k.split(" ")}
    return next(iter(by_any)) if len(by_any) == 1 else None


def _shorter_merges(full_keys: list[str]) -> dict[str, str]:
    """Map each full name to the one longer full name of the same article it is a shorter form of."""
    # "Ibrahim Keïta" beside "Ibrahim Boubacar Keïta" in one article is the same person.
    merge = {}
    for k in full_keys:
        longer = [o for o in full_keys if o != k and _is_shorter_form(k, o)]
        if len(longer) == 1:
            merge[k] = longer[0]
    return merge


@dataclass
class _Tally:
    """What resolving the articles one by one gathers for the whole corpus."""

    by_surname: dict[str, set[str]]
    forms: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))  # key -> spelling -> articles
    variants: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))  # key -> surface -> articles
    keys_by_article: dict[str, list[str]] = field(default_factory=dict)
    unresolved: Counter = field(default_factory=Counter)


def _short_key(surface: str, full_keys: list[str], rules: names.NameRules, tally: _Tally,
               seen_forms: dict[str, set[str]]) -> str | None:
    """Return the identity key of a surname used alone (same article, alias file, corpus), or None."""
    skey = names.name_key(surface)
    key = _in_article(skey, full_keys)
    if key is None:
        canonical = rules.alias(surface)
        if canonical:
            key = names.name_key(canonical)
            seen_forms[key].add(canonical)
        elif len(tally.by_surname.get(skey, ())) == 1:
            key = next(iter(tally.by_surname[skey]))
    return key


def _resolve_article(items: list[Item], rules: names.NameRules, tally: _Tally) -> list[str]:
    """Return an article's identity keys in order of first mention, counting its spellings in ``tally``."""
    full_keys = list(dict.fromkeys(names.name_key(n) for _s, n, short in items if not short))
    merge = _shorter_merges(full_keys)
    resolved: list[str] = []
    seen_forms: dict[str, set[str]] = defaultdict(set)
    seen_surfaces: dict[str, set[str]] = defaultdict(set)
    for surface, name, short in items:
        if short:
            key = _short_key(surface, full_keys, rules, tally, seen_forms)
            if key is None:
                tally.unresolved[surface] += 1
                continue
        else:
            key = names.name_key(name)
            seen_forms[key].add(name)
        key = merge.get(key, key)
        seen_surfaces[key].add(surface)
        if key not in resolved:
            resolved.append(key)
    for key, spellings in seen_forms.items():
        tally.forms[merge.get(key, key)].update(spellings)
    for key, surfaces in seen_surfaces.items():
        tally.variants[key].update(surfaces)
    return resolved


def _resolution(tally: _Tally) -> Resolution:
    """Return the display names, their articles, counts and merged spellings."""
    variants = tally.variants
    display = {}
    for key in {k for ks in tally.keys_by_article.values() for k in ks}:
        display[key] = _choose_display(tally.forms[key]) if tally.forms.get(key) else names.display_case(
            max(variants[key], key=lambda v: (variants[key][v], v)))
    counts: Counter = Counter()
    by_article = {}
    for art_id, keys in tally.keys_by_article.items():
        people = list(dict.fromkeys(display[k] for k in keys))
        by_article[art_id] = people
        counts.update(people)
    merged_variants: dict[str, dict[str, int]] = {}
    for key, surfaces in variants.items():
        if key in display:
            bucket = merged_variants.setdefault(display[key], {})
            for surface, n in surfaces.items():
                bucket[surface] = bucket.get(surface, 0) + n
    return Resolution(by_article=by_article, variants=merged_variants, counts=dict(counts),
                      unresolved=dict(tally.unresolved))


def resolve(raw_by_id: dict[str, list[str]], rules: names.NameRules | None = None,
            runs: dict[str, list[str]] | None = None) -> Resolution:
    """Resolve mentions to corpus-wide canonical persons (surnames, aliases, accents, variants).

    With ``runs`` (each article's capitalised-word runs, see ``gazetteer.name_runs``) the
    dictionary pass then tags every article naming a resolved person the NER missed there.
    """
    rules = rules or names.load_rules()
    per_article = _clean_items(raw_by_id, rules)
    tally = _Tally(by_surname=_surname_inventory(per_article))
    for art_id, items in per_article.items():
        tally.keys_by_article[art_id] = _resolve_article(items, rules, tally)
    res = _merge_variants(_resolution(tally))
    if runs:
        started = time.perf_counter()
        dictionary = gazetteer.build(res.variants, res.by_article, runs, rules)
        res.by_dictionary = gazetteer.tag(dictionary, res.by_article, runs)
        for art_id, added in res.by_dictionary.items():
            res.by_article[art_id] = list(res.by_article.get(art_id) or ()) + added
        res.counts = dict(Counter(p for people in res.by_article.values() for p in people))
        res.dictionary_seconds = time.perf_counter() - started
    return res


def _merge_variants(res: Resolution) -> Resolution:
    """Return ``res`` with the spellings of one person (transliterations, one-letter slips) merged."""
    for name in res.counts:
        res.variants.setdefault(name, {name: res.counts[name]})
    merges = variants.merge_map(res.by_article, res.counts)
    if not merges:
        return res
    by_article = variants.apply_merges(res.by_article, merges)
    merged: dict[str, dict[str, int]] = {}
    for name, surfaces in res.variants.items():
        bucket = merged.setdefault(merges.get(name, name), {})
        for surface, n in surfaces.items():
            bucket[surface] = bucket.get(surface, 0) + n
    counts = dict(Counter(p for people in by_article.values() for p in people))
    return Resolution(by_article=by_article, variants={k: v for k, v in merged.items() if k in counts},
                      counts=counts, unresolved=res.unresolved)


def annotate(articles, cache=None) -> None:
    """Fill ``persons`` of each article in place, resolving across the given articles."""
    articles = list(articles)
    mentions = ner.raw_mentions(articles, cache=cache)
    res = resolve(mentions, runs=mentions.runs)
    for art in articles:
        art["persons"] = res.by_article.get(art["id"], [])
        art["persons_dictionary"] = res.by_dictionary.get(art["id"], [])


PERSONS_FILE = "persons.json"


def list_persons(index_dir) -> list[dict]:
    """Return persons of the live index with counts and variants, most frequent first."""
    from search.index import folder as store

    gen = store.live_path(index_dir)
    if gen is None:
        raise store.NoIndex(f"no index in {index_dir}; run `presse reindex` first")
    try:
        data = json.loads((Path(gen) / PERSONS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []  # indexed without persons, or an unreadable file: nothing to list
    rows = data.get("persons") if isinstance(data, dict) else None
    out = []
    for row in rows or ():
        if isinstance(row, dict) and isinstance(row.get("name"), str):
            count = row.get("count")
            out.append({"name": row["name"], "count": count if isinstance(count, int) else 0,
                        "variants": [v for v in row.get("variants") or [] if isinstance(v, str)]})
    out.sort(key=lambda r: (-r["count"], names.name_key(r["name"])))
    return out
