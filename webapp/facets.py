"""Facet sidebar and filter chips as plain data, so that templates only loop."""

from __future__ import annotations

import re

from webapp.dates import month_label
from webapp.params import SearchState

SIDEBAR = ("outlet", "year", "person", "author")
LABELS = {"outlet": "Média", "year": "Année", "month": "Mois", "person": "Personne", "author": "Auteur"}
#: Shown before a value on an exclusion chip.
EXCLUDED_PREFIX = "sauf"
#: A facet list longer than this gets a filter box.
FILTER_BOX_MIN = 8


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40]


def value_label(name: str, value: str) -> str:
    """Return how a facet value is displayed (months in French, empty as « inconnu »)."""
    if not value:
        return "inconnu"
    if name == "month":
        return month_label(value)
    return value


def build_facets(result: dict, state: SearchState) -> list[dict]:
    """Return the sidebar facets: values with counts, selection state and the URLs that change them."""
    facets = result.get("facets") or {}
    totals = result.get("facet_totals") or {}
    out = []
    for name in SIDEBAR:
        rows = list(facets.get(name) or [])
        seen = {str(r.get("value", "")) for r in rows}
        # A selected or excluded value must stay visible (and in the form) even with a zero count.
        for value in state.selected[name]:
            if value not in seen:
                rows.append({"value": value, "count": 0, "selected": True})
                seen.add(value)
        for value in state.excluded.get(name, []):
            if value not in seen:
                rows.append({"value": value, "count": 0, "excluded": True})
                seen.add(value)
        values = []
        for i, row in enumerate(rows):
            value = str(row.get("value", ""))
            if not value:
                continue
            selected = value in state.selected[name]
            excluded = value in state.excluded.get(name, [])
            values.append({
                "value": value,
                "label": value_label(name, value),
                "count": int(row.get("count") or 0),
                "estimated": int(row.get("estimated") or 0),
                "selected": selected,
                "excluded": excluded,
                "id": f"f-{name}-{i}-{_slug(value)}",
                "toggle_url": state.unexclude_url(name, value) if excluded else state.toggle_url(name, value),
                "exclude_url": None if excluded else state.exclude_url(name, value),
            })
        total = int(totals.get(name) or len(values))
        expanded = state.facet_limit == 0 or state.request.more == name
        truncated = total > len(rows)
        out.append({
            "name": name,
            "label": LABELS[name],
            "options": values,
            "total": total,
            "truncated": truncated,
            # « voir plus » expands this facet only; the filter box searches all its values
            "more_url": state.url(more=name) if truncated and not expanded else None,
            "hidden_count": total - len(rows) if truncated and expanded else 0,
            "less_url": state.url(more="", facet_limit=None)
            if state.request.more == name or state.facet_limit == 0 and total > 10 else None,
            "filterable": name in ("person", "author", "outlet") and (total >= FILTER_BOX_MIN or name in state.filters_text),
            "filter_text": state.filters_text.get(name, ""),
        })
    out.append(_comments_facet(facets.get("comments") or [], state))
    return out


def _comments_facet(rows: list[dict], state: SearchState) -> dict:
    """Return the « avec commentaires » filter: one value, the articles with reader comments."""
    count = int(rows[0].get("count") or 0) if rows else 0
    selected = state.request.with_comments
    option = {"value": "1", "label": "avec commentaires des lecteurs", "count": count, "estimated": 0,
              "selected": selected, "excluded": False, "id": "f-comments",
              "toggle_url": state.url(with_comments=not selected), "exclude_url": None}
    return {"name": "comments", "label": "Commentaires", "options": [option] if count or selected else [],
            "total": 1, "truncated": False, "more_url": None, "hidden_count": 0, "less_url": None,
            "filterable": False, "filter_text": ""}


def _story_chip(state: SearchState) -> list[dict]:
    """Return the chip of a « versions of one article » filter, when there is one."""
    if not state.request.story:
        return []
    return [{"facet": "Versions", "label": "d’un même article", "excluded": False,
             "remove_url": state.url(story="", collapse=True)}]


def build_chips(state: SearchState) -> list[dict]:
    """Return the active filters as removable chips (label and the URL without it).

    Ticked persons combine with AND, and their chips say so: « Personnes : A et B ».
    """
    chips = []
    for name, values in state.selected.items():
        joined = name == "person" and len(values) > 1
        for i, value in enumerate(values):
            facet, joiner = LABELS[name], None
            if joined:  # « Personnes : A et B »
                facet, joiner = ("Personnes", None) if i == 0 else (None, "et")
            chips.append({"facet": facet, "joiner": joiner, "label": value_label(name, value), "excluded": False,
                          "remove_url": state.toggle_url(name, value)})
    for name, values in state.excluded.items():
        for value in values:
            chips.append({"facet": LABELS[name], "label": f"{EXCLUDED_PREFIX} {value_label(name, value)}",
                          "excluded": True, "remove_url": state.unexclude_url(name, value)})
    if state.has_dates:
        lo, hi = ("/".join(reversed(d.split("-"))) for d in (state.request.date_from, state.request.date_to))
        label = f"Du {lo} au {hi}" if lo and hi else f"Depuis le {lo}" if lo else f"Jusqu’au {hi}"
        chips.append({"facet": "Période", "label": label, "excluded": False, "remove_url": state.dates_url()})
    if state.request.with_comments:
        chips.append({"facet": "Commentaires", "label": "avec commentaires", "excluded": False,
                      "remove_url": state.url(with_comments=False)})
    return chips + _story_chip(state)
