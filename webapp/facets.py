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
        showing_all = state.facet_limit == 0
        truncated = total > len(rows) and not showing_all
        out.append({
            "name": name,
            "label": LABELS[name],
            "options": values,
            "total": total,
            "truncated": truncated,
            "more_url": state.url(facet_limit=0) if truncated else None,
            "less_url": state.url(facet_limit=None) if showing_all and total > 10 else None,
            "filterable": name in ("person", "author", "outlet") and (total >= FILTER_BOX_MIN or name in state.filters_text),
            "filter_text": state.filters_text.get(name, ""),
        })
    return out


def build_chips(state: SearchState) -> list[dict]:
    """Return the active filters as removable chips (label and the URL without it)."""
    chips = []
    for name, values in state.selected.items():
        for value in values:
            chips.append({"facet": LABELS[name], "label": value_label(name, value), "excluded": False,
                          "remove_url": state.toggle_url(name, value)})
    for name, values in state.excluded.items():
        for value in values:
            chips.append({"facet": LABELS[name], "label": f"{EXCLUDED_PREFIX} {value_label(name, value)}",
                          "excluded": True, "remove_url": state.unexclude_url(name, value)})
    return chips
