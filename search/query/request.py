"""The one parser of search parameters, shared by ``/search``, ``/api/search``, htmx and ``presse search``.

``SearchRequest.from_params`` reads ``{name: str | list[str]}`` (URL arguments as lists, CLI
options) and enforces one set of limits; anything it cannot accept raises ``BadParameter``,
whose French message the web app shows with a 400 and the CLI prints with exit status 2.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from search.query import dates
from search.query.facets import MAX_FACET_VALUES

#: Hits per page: default and maximum.
DEFAULT_LIMIT = 20
MAX_LIMIT = 100
#: Highest page number accepted (a cheap guard against absurd numbers; deep pages are allowed).
MAX_PAGE = 100_000
#: Facet values returned by default per facet (``facet_limit=0``: all, up to MAX_FACET_VALUES).
DEFAULT_FACET_LIMIT = 10
#: Values of the one facet that « voir plus » expands (``more=person``); the filter box finds the rest.
MORE_FACET_VALUES = 100
#: Most values one filter (or its exclusions) may carry, and the longest value: above the longest
#: name the index holds (search.index.documents.MAX_NAME_CHARS), so that every facet link works.
MAX_FILTER_VALUES = 50
MAX_VALUE_CHARS = 300
#: The query text kept: twice what the query language reads, so that it still sees the query was
#: longer and says so (search.query.language.MAX_QUERY_CHARS).
MAX_QUERY_CHARS = 1000

#: Multi-valued filters: repeated values are ORed, different filters ANDed; each can be excluded.
LIST_FIELDS = ("outlet", "year", "month", "person", "author")
#: Accepted spellings of ``sort`` and ``scope`` (the first value of each is what URLs carry).
SORTS = {"relevance": "relevance", "pertinence": "relevance", "newest": "newest", "recent": "newest",
         "récent": "newest", "date": "newest", "oldest": "oldest", "ancien": "oldest"}
SCOPES = {"all": "all", "tout": "all", "articles": "articles", "article": "articles",
          "comments": "comments", "commentaires": "comments"}

_YEAR = re.compile(r"\d{4}")
_MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
#: ``facet_filter_person``, ``facet_filter[person]``, ``facet_filter.person`` and the web form's
#: ``person_filter`` all narrow the value list of one facet.
_FACET_FILTER_KEY = re.compile(r"facet_filter(?:_|\[|\.)(\w+)\]?|(\w+)_filter")


class BadParameter(ValueError):
    """An invalid request parameter; the message is French and safe to show (HTTP 400)."""


def _date_bounds(params: Mapping) -> tuple[str, str]:
    """Return the « du … au » range as ISO days (``from``/``to`` or ``date_from``/``date_to``), in order."""
    periods = []
    for key, label in (("from", "date de début"), ("to", "date de fin")):
        raw = _scalar(params, key) or _scalar(params, f"date_{key}")
        try:
            periods.append(dates.parse_period(raw[:MAX_VALUE_CHARS]) if raw else None)
        except dates.DateError as exc:
            raise BadParameter(f"« {key} » ({label}) : {exc} ; "
                               "JJ/MM/AAAA, AAAA-MM-JJ, AAAA-MM ou AAAA attendu") from None
    lo, hi = periods
    if lo is not None and hi is not None and lo.first > hi.last:
        lo, hi = hi, lo
    return (dates.iso_day(lo.first) if lo else "", dates.iso_day(hi.last) if hi else "")


def clean_text(value) -> str:
    """Return a parameter value with control characters turned into spaces and the ends stripped."""
    return _CONTROL.sub(" ", str(value)).strip()


def _values(params: Mapping, key: str) -> list[str]:
    raw = params.get(key)
    if raw is None:
        return []
    items = raw if isinstance(raw, (list, tuple)) else [raw]
    return [text for text in (clean_text(item) for item in items if item is not None) if text]


def _scalar(params: Mapping, key: str) -> str | None:
    values = _values(params, key)
    return values[-1] if values else None


def _int(params: Mapping, key: str, default: int, lo: int, hi: int, label: str) -> int:
    raw = _scalar(params, key)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadParameter(f"« {key} » doit être un nombre entier ({label})") from None
    if not lo <= value <= hi:
        raise BadParameter(f"« {key} » doit être compris entre {lo} et {hi} ({label})")
    return value


def _checked(label: str, values: list[str], kind: str) -> list[str]:
    """Return ``values`` without duplicates, or raise BadParameter for too many, too long or malformed ones."""
    # Counted before duplicates are dropped: the bound is on what the request carries.
    if len(values) > MAX_FILTER_VALUES:
        raise BadParameter(f"trop de valeurs pour « {label} » (au plus {MAX_FILTER_VALUES})")
    for v in values:
        if len(v) > MAX_VALUE_CHARS:
            raise BadParameter(f"valeur trop longue pour « {label} » (au plus {MAX_VALUE_CHARS} caractères)")
        if kind == "year" and not _YEAR.fullmatch(v):
            raise BadParameter(f"année invalide : « {v[:40]} » (AAAA attendu, par exemple 2023)")
        if kind == "month" and not _MONTH.fullmatch(v):
            raise BadParameter(f"mois invalide : « {v[:40]} » (AAAA-MM attendu, par exemple 2023-08)")
    return list(dict.fromkeys(values))


def _choice(params: Mapping, key: str, choices: dict[str, str], default: str, message: str) -> str:
    raw = _scalar(params, key)
    if raw is None:
        return default
    if raw.lower() not in choices:
        raise BadParameter(f"{message} « {raw[:40]} » : {', '.join(dict.fromkeys(choices.values()))} attendu")
    return choices[raw.lower()]


def _facet_filters(params: Mapping) -> dict[str, str]:
    """Return ``{facet: text}`` from every spelling of a facet's value filter."""
    found: list[tuple[str, str, str]] = []  # (facet, text, parameter name for messages)
    for value in _values(params, "facet_filter"):
        name, sep, text = value.partition(":")
        if sep and name.strip() in LIST_FIELDS and text.strip():
            found.append((name.strip(), text.strip(), "facet_filter"))
    for key in params:
        m = _FACET_FILTER_KEY.fullmatch(str(key))
        name = m and (m.group(1) or m.group(2))
        if name in LIST_FIELDS and (text := _scalar(params, key)):
            found.append((name, text, str(key)))
    filters = {}
    for name, text, key in found:
        if len(text) > MAX_VALUE_CHARS:
            raise BadParameter(f"valeur trop longue pour « {key} » (au plus {MAX_VALUE_CHARS} caractères)")
        filters[name] = text
    return filters


_YES, _NO = ("1", "oui", "true"), ("0", "non", "false")


def _flag(params: Mapping, names: tuple[str, ...], default: bool) -> bool:
    """Return a 0/1 parameter (also oui/non, true/false) read under any of ``names``; empty is the default."""
    values = [v for name in names for v in _values(params, name)]
    text = clean_text(values[0]).lower() if values else ""
    if text and text not in _YES + _NO:
        raise BadParameter(f"« {names[0]} » vaut 0 ou 1")
    return default if not text else text in _YES


@dataclass
class SearchRequest:
    """A validated search: query, filters, exclusions, sort, scope, page and facet options."""

    q: str = ""
    outlet: list[str] = field(default_factory=list)
    year: list[str] = field(default_factory=list)
    month: list[str] = field(default_factory=list)
    person: list[str] = field(default_factory=list)
    author: list[str] = field(default_factory=list)
    not_outlet: list[str] = field(default_factory=list)
    not_year: list[str] = field(default_factory=list)
    not_month: list[str] = field(default_factory=list)
    not_person: list[str] = field(default_factory=list)
    not_author: list[str] = field(default_factory=list)
    sort: str = "relevance"
    scope: str = "all"
    page: int = 1
    limit: int = DEFAULT_LIMIT
    facet_limit: int = DEFAULT_FACET_LIMIT
    facet_filter: dict[str, str] = field(default_factory=dict)
    more: str = ""  # the facet « voir plus » expands
    date_from: str = ""  # « du … au »: first and last days (YYYY-MM-DD), "" for an open end
    date_to: str = ""
    autocorrect: bool = True  # a query finding nothing shows the results of its correction
    collapse: bool = True  # one hit per story (``collapse=0``: every copy)
    story: str = ""  # only the articles of one story (« N autres versions »)
    with_comments: bool = False  # only articles with reader comments (``comments=1``)

    @classmethod
    def from_params(cls, params: Mapping | None, *, default_limit: int = DEFAULT_LIMIT) -> SearchRequest:
        """Build a request from ``{name: str | list[str]}`` (URL args or CLI options); raise BadParameter."""
        params = params or {}
        req = cls(q=" ".join(_values(params, "q"))[:MAX_QUERY_CHARS])
        for name in LIST_FIELDS:
            setattr(req, name, _checked(name, _values(params, name), name))
            excluded = _values(params, f"-{name}") + _values(params, f"not_{name}")
            setattr(req, f"not_{name}", _checked(f"-{name}", excluded, name))
        req.sort = _choice(params, "sort", SORTS, "relevance", "tri inconnu")
        req.scope = _choice(params, "scope", SCOPES, "all", "portée inconnue")
        req.page = _int(params, "page", 1, 1, MAX_PAGE, "numéro de page")
        req.limit = _int(params, "limit", default_limit, 1, MAX_LIMIT, "résultats par page")
        req.facet_limit = _int(params, "facet_limit", DEFAULT_FACET_LIMIT, 0, MAX_FACET_VALUES,
                               "valeurs par facette, 0 = toutes")
        req.facet_filter = _facet_filters(params)
        req.date_from, req.date_to = _date_bounds(params)
        more = _values(params, "more")
        req.more = clean_text(more[0]) if more else ""
        if req.more and req.more not in LIST_FIELDS:
            raise BadParameter("facette inconnue pour « more » (outlet, year, month, person ou author)")
        req.autocorrect = _flag(params, ("autocorrect",), True)
        req.collapse = _flag(params, ("collapse",), True)
        req.with_comments = _flag(params, ("comments", "avec_commentaires"), False)
        story = _values(params, "story")
        req.story = clean_text(story[0]) if story else ""
        if len(req.story) > MAX_VALUE_CHARS:
            raise BadParameter(f"valeur trop longue pour « story » (au plus {MAX_VALUE_CHARS} caractères)")
        return req

    def to_params(self) -> dict[str, list[str]]:
        """Return the request as URL parameters (only non-default values)."""
        out: dict[str, list[str]] = {}
        if self.q:
            out["q"] = [self.q]
        for name in LIST_FIELDS:
            if getattr(self, name):
                out[name] = list(getattr(self, name))
            if getattr(self, f"not_{name}"):
                out[f"-{name}"] = list(getattr(self, f"not_{name}"))
        for name, default in (("sort", "relevance"), ("scope", "all"), ("page", 1), ("limit", DEFAULT_LIMIT),
                              ("facet_limit", DEFAULT_FACET_LIMIT)):
            if getattr(self, name) != default:
                out[name] = [str(getattr(self, name))]
        for name, text in self.facet_filter.items():
            out[f"facet_filter_{name}"] = [text]
        if self.more:
            out["more"] = [self.more]
        for name, value in (("from", self.date_from), ("to", self.date_to)):
            if value:
                out[name] = [value]
        if not self.autocorrect:
            out["autocorrect"] = ["0"]
        if not self.collapse:
            out["collapse"] = ["0"]
        if self.story:
            out["story"] = [self.story]
        if self.with_comments:
            out["comments"] = ["1"]
        return out
