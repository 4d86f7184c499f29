"""The search state carried in URLs: parsing, validation, and links that change one thing."""

from __future__ import annotations

import re
from urllib.parse import urlencode

from flask import url_for

from search.query.service import MAX_FACET_VALUES, MAX_VALUE_CHARS

#: Multi-valued filters (several values are ORed), in the order the sidebar shows them.
FILTERS = ("outlet", "year", "month", "person", "author")
EXCLUDABLE = ("outlet", "year", "person", "author")
SORTS = ("relevance", "newest", "oldest")
SCOPES = ("all", "articles", "comments")
#: Facets whose value list can be filtered with a text box, as `<facet>_filter=` in the URL.
FILTER_BOXES = ("person", "author", "outlet")

MAX_QUERY = 1000
MAX_PAGE = 100_000
MAX_VALUES = 50  # selected values per filter
#: Longest filter value: the query layer's bound, above the longest name the index holds
#: (search.index.documents.MAX_NAME_CHARS), so that every facet and person link works.
MAX_VALUE_LEN = MAX_VALUE_CHARS

_YEAR = re.compile(r"^\d{4}$")
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class ParamError(ValueError):
    """A URL parameter that cannot be understood; the message is French and shown to the user."""


def _clean(value: str) -> str:
    return _CONTROL.sub(" ", value).strip()


def _int(name: str, raw: str, low: int, high: int, label: str) -> int:
    try:
        value = int(raw.strip())
    except ValueError:
        raise ParamError(f"Le paramètre « {name} » doit être un nombre entier ({label}).") from None
    if not low <= value <= high:
        raise ParamError(f"Le paramètre « {name} » doit être compris entre {low} et {high} ({label}).")
    return value


class SearchState:
    """Validated search parameters, and URLs for the same search with one change."""

    def __init__(self, args, *, max_limit: int = 100, default_limit: int = 20, allow_limit: bool = False):
        """Read a werkzeug MultiDict of URL arguments; raise ParamError on values that make no sense."""
        self.q = _clean(args.get("q", ""))[:MAX_QUERY]
        self.selected: dict[str, list[str]] = {}
        self.excluded: dict[str, list[str]] = {}
        for name in FILTERS:
            self.selected[name] = self._values(args.getlist(name), name)
        for name in EXCLUDABLE:
            self.excluded[name] = self._values(args.getlist(f"-{name}") + args.getlist(f"not_{name}"), name)
        self.sort = args.get("sort", "relevance").strip() or "relevance"
        if self.sort not in SORTS:
            raise ParamError(f"Tri inconnu « {self.sort[:40]} » : choisissez pertinence, plus récents ou plus anciens.")
        self.scope = args.get("scope", "all").strip() or "all"
        if self.scope not in SCOPES:
            raise ParamError(f"Portée inconnue « {self.scope[:40]} » : tout, articles ou commentaires.")
        raw_page = args.get("page", "").strip()
        self.page = _int("page", raw_page, 1, MAX_PAGE, "numéro de page") if raw_page else 1
        raw_fl = args.get("facet_limit", "").strip()
        self.facet_limit = _int("facet_limit", raw_fl, 0, MAX_FACET_VALUES, "valeurs par facette, 0 = toutes") if raw_fl else None
        raw_limit = args.get("limit", "").strip() if allow_limit else ""
        self.limit = _int("limit", raw_limit, 1, max_limit, "résultats par page") if raw_limit else default_limit
        self.allow_limit = allow_limit
        self.default_limit = default_limit
        self.filters_text = {}
        for name in FILTER_BOXES:
            text = _clean(args.get(f"{name}_filter", ""))[:MAX_VALUE_LEN]
            if text:
                self.filters_text[name] = text

    @staticmethod
    def _values(raw: list[str], name: str) -> list[str]:
        out: list[str] = []
        for value in raw:
            value = _clean(value)
            if not value or value in out:
                continue
            if len(value) > MAX_VALUE_LEN:
                raise ParamError(f"Valeur trop longue pour le filtre « {name} ».")
            if name == "year" and not _YEAR.match(value):
                raise ParamError(f"Année invalide « {value[:40]} » : quatre chiffres attendus, par exemple 2023.")
            if name == "month" and not _MONTH.match(value):
                raise ParamError(f"Mois invalide « {value[:40]} » : format AAAA-MM attendu, par exemple 2023-08.")
            out.append(value)
        if len(out) > MAX_VALUES:
            raise ParamError(f"Trop de valeurs pour le filtre « {name} » (au plus {MAX_VALUES}).")
        return out

    # -- the request for the query layer -------------------------------------------------------

    def to_params(self) -> dict:
        """Return the parameters for ``SearchRequest.from_params`` (lists for filters)."""
        params: dict = {"q": self.q, "sort": self.sort, "scope": self.scope, "page": self.page,
                        "limit": self.limit}
        for name, values in self.selected.items():
            if values:
                params[name] = list(values)
        for name, values in self.excluded.items():
            if values:
                params[f"not_{name}"] = list(values)
        if self.facet_limit is not None:
            params["facet_limit"] = self.facet_limit
        return params

    @property
    def has_filters(self) -> bool:
        """True when any filter or exclusion is active."""
        return any(self.selected.values()) or any(self.excluded.values())

    # -- URLs --------------------------------------------------------------------------------

    def pairs(self, *, page: int | None = None, keep_filters_text: bool = False) -> list[tuple[str, str]]:
        """Return the state as ordered URL pairs, defaults omitted."""
        pairs: list[tuple[str, str]] = []
        if self.q:
            pairs.append(("q", self.q))
        for name in FILTERS:
            pairs += [(name, v) for v in self.selected[name]]
        for name in EXCLUDABLE:
            pairs += [(f"-{name}", v) for v in self.excluded[name]]
        if self.sort != "relevance":
            pairs.append(("sort", self.sort))
        if self.scope != "all":
            pairs.append(("scope", self.scope))
        if self.facet_limit is not None:
            pairs.append(("facet_limit", str(self.facet_limit)))
        if self.allow_limit and self.limit != self.default_limit:
            pairs.append(("limit", str(self.limit)))
        if keep_filters_text:
            pairs += [(f"{k}_filter", v) for k, v in self.filters_text.items()]
        if page and page > 1:
            pairs.append(("page", str(page)))
        return pairs

    def url(self, endpoint: str = "search.search", **changes) -> str:
        """Return the URL of this search with ``changes`` applied (page goes back to 1)."""
        clone = self.copy()
        page = changes.pop("page", None)
        for key, value in changes.items():
            setattr(clone, key, value)
        query = urlencode(clone.pairs(page=page))
        base = url_for(endpoint)
        return f"{base}?{query}" if query else base

    def copy(self) -> SearchState:
        """Return an independent copy."""
        clone = object.__new__(SearchState)
        clone.__dict__.update(self.__dict__)
        clone.selected = {k: list(v) for k, v in self.selected.items()}
        clone.excluded = {k: list(v) for k, v in self.excluded.items()}
        clone.filters_text = dict(self.filters_text)
        return clone

    def _with(self, selected=None, excluded=None, **extra) -> str:
        clone = self.copy()
        if selected:
            clone.selected.update(selected)
        if excluded:
            clone.excluded.update(excluded)
        for key, value in extra.items():
            setattr(clone, key, value)
        return clone.url()

    def toggle_url(self, name: str, value: str) -> str:
        """URL with ``value`` added to (or removed from) filter ``name``."""
        values = list(self.selected[name])
        values = [v for v in values if v != value] if value in values else values + [value]
        excluded = {name: [v for v in self.excluded.get(name, []) if v != value]} if name in self.excluded else None
        return self._with(selected={name: values}, excluded=excluded)

    def only_url(self, name: str, value: str) -> str:
        """URL with filter ``name`` set to just ``value`` (timeline bars)."""
        selected = {name: [value]}
        if name == "year":
            selected["month"] = []
        return self._with(selected=selected)

    def exclude_url(self, name: str, value: str) -> str:
        """URL with ``value`` excluded from filter ``name`` (and no longer selected)."""
        excluded = [v for v in self.excluded[name] if v != value] + [value]
        selected = [v for v in self.selected[name] if v != value]
        return self._with(selected={name: selected}, excluded={name: excluded})

    def unexclude_url(self, name: str, value: str) -> str:
        """URL with the exclusion of ``value`` lifted."""
        return self._with(excluded={name: [v for v in self.excluded[name] if v != value]})

    def clear_url(self) -> str:
        """URL with the same words and no filters."""
        return self._with(selected={n: [] for n in FILTERS}, excluded={n: [] for n in EXCLUDABLE})

    def page_url(self, page: int) -> str:
        """URL of another page of the same results."""
        return self.url(page=page)
