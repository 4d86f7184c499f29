"""The search state carried in URLs: a request parsed by the query layer, and links that change one thing.

Parsing and every limit live in ``search.query.request`` (the one parser, shared with the API and
``presse search``); this module only turns a parsed request back into URLs.
"""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import quote_plus

from flask import url_for

from search.query.request import (DEFAULT_FACET_LIMIT, DEFAULT_LIMIT, LIST_FIELDS, MAX_VALUE_CHARS, BadParameter,
                                  SearchRequest)

#: Multi-valued filters (several values are ORed), in the order URLs carry them.
FILTERS = LIST_FIELDS

#: Names other modules import from here (webapp/errors.py, tests/test_web_robustness.py): the query
#: layer's error and value bound, not a second set.


class SearchState:
    """A parsed search request, and URLs for the same search with one change."""

    def __init__(self, request: SearchRequest, default_limit: int = DEFAULT_LIMIT):
        """Wrap ``request``; ``default_limit`` is the page size that URLs leave out."""
        self.request = request
        self.default_limit = default_limit
        self._bases: dict[str, str] = {}  # endpoint → its path, for the many links of one page

    @classmethod
    def from_args(cls, args, default_limit: int = DEFAULT_LIMIT) -> SearchState:
        """Parse a werkzeug MultiDict of URL arguments with the one parser; raise BadParameter."""
        return cls(SearchRequest.from_params(args.to_dict(flat=False), default_limit=default_limit), default_limit)

    # -- what templates and view helpers read -------------------------------------------------

    @property
    def q(self) -> str:
        """The query text."""
        return self.request.q

    @property
    def sort(self) -> str:
        """The sort order (relevance, newest or oldest)."""
        return self.request.sort

    @property
    def scope(self) -> str:
        """Where words are looked for (all, articles or comments)."""
        return self.request.scope

    @property
    def page(self) -> int:
        """The 1-based page number."""
        return self.request.page

    @property
    def limit(self) -> int:
        """Hits per page."""
        return self.request.limit

    @property
    def facet_limit(self) -> int:
        """Values listed per facet (0: all)."""
        return self.request.facet_limit

    @property
    def selected(self) -> dict[str, list[str]]:
        """Selected values per filter."""
        return {name: getattr(self.request, name) for name in FILTERS}

    @property
    def excluded(self) -> dict[str, list[str]]:
        """Excluded values per filter."""
        return {name: getattr(self.request, f"not_{name}") for name in FILTERS}

    @property
    def filters_text(self) -> dict[str, str]:
        """The text narrowing each facet's value list (the sidebar's filter boxes)."""
        return self.request.facet_filter

    @property
    def has_filters(self) -> bool:
        """True when any filter or exclusion is active."""
        return (any(self.selected.values()) or any(self.excluded.values()) or self.has_dates
                or self.request.with_comments or bool(self.request.story))

    @property
    def has_dates(self) -> bool:
        """True when the « du … au » range has a bound."""
        return bool(self.request.date_from or self.request.date_to)

    # -- URLs --------------------------------------------------------------------------------

    def pairs(self, *, page: int | None = None) -> list[tuple[str, str]]:
        """Return the state as ordered URL pairs, defaults omitted (the filter boxes' text too)."""
        req = self.request
        pairs: list[tuple[str, str]] = []
        if req.q:
            pairs.append(("q", req.q))
        for name in FILTERS:
            pairs += [(name, v) for v in getattr(req, name)]
        for name in FILTERS:
            pairs += [(f"-{name}", v) for v in getattr(req, f"not_{name}")]
        pairs += [(name, v) for name, v in (("from", req.date_from), ("to", req.date_to)) if v]
        if req.sort != "relevance":
            pairs.append(("sort", req.sort))
        if req.scope != "all":
            pairs.append(("scope", req.scope))
        if req.facet_limit != DEFAULT_FACET_LIMIT:
            pairs.append(("facet_limit", str(req.facet_limit)))
        if req.more:
            pairs.append(("more", req.more))
        if not req.autocorrect:
            pairs.append(("autocorrect", "0"))
        if not req.collapse:
            pairs.append(("collapse", "0"))
        if req.story:
            pairs.append(("story", req.story))
        if req.with_comments:
            pairs.append(("comments", "1"))
        if req.limit != self.default_limit:
            pairs.append(("limit", str(req.limit)))
        if page and page > 1:
            pairs.append(("page", str(page)))
        return pairs

    def url(self, endpoint: str = "search.search", **changes) -> str:
        """Return the URL of this search with request fields ``changes`` applied (page goes back to 1)."""
        page = changes.pop("page", None)
        if "facet_limit" in changes and changes["facet_limit"] is None:
            changes["facet_limit"] = DEFAULT_FACET_LIMIT
        return self._link(endpoint, self._changed(**changes).pairs(page=page))

    def _link(self, endpoint: str, pairs: list[tuple[str, str]]) -> str:
        base = self._bases.get(endpoint)
        if base is None:
            base = self._bases[endpoint] = url_for(endpoint)
        # urlencode's output, with each distinct string quoted once for the page's many links
        query = "&".join(f"{_quote(k)}={_quote(v)}" for k, v in pairs)
        return f"{base}?{query}" if query else base

    def _changed(self, selected=None, excluded=None, **fields) -> SearchState:
        for name, values in (selected or {}).items():
            fields[name] = values
        for name, values in (excluded or {}).items():
            fields[f"not_{name}"] = values
        # a copy of the validated request with fields replaced: what dataclasses.replace gives,
        # without re-running __init__ for each of a page's dozens of links
        request = object.__new__(SearchRequest)
        request.__dict__.update(vars(self.request), **fields)
        return SearchState(request, self.default_limit)

    def _with(self, selected=None, excluded=None) -> str:
        return self._link("search.search", self._changed(selected, excluded).pairs())

    def toggle_url(self, name: str, value: str) -> str:
        """URL with ``value`` added to (or removed from) filter ``name``, and no longer excluded."""
        values = self.selected[name]
        values = [v for v in values if v != value] if value in values else values + [value]
        return self._with(selected={name: values}, excluded={name: [v for v in self.excluded[name] if v != value]})

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
        return self._link("search.search", self._changed(
            {n: [] for n in FILTERS}, {n: [] for n in FILTERS}, date_from="", date_to="",
            with_comments=False, story="").pairs())

    def dates_url(self, date_from: str = "", date_to: str = "") -> str:
        """URL with the « du … au » range set to these ISO days ("" for an open end)."""
        return self._link("search.search", self._changed(date_from=date_from, date_to=date_to).pairs())

    def page_url(self, page: int) -> str:
        """URL of another page of the same results."""
        return self.url(page=page)


@lru_cache(maxsize=8192)
def _quote(text: str) -> str:
    return quote_plus(text)
