"""The timeline histogram as SVG geometry computed in Python (bars per year, or per month in one year)."""

from __future__ import annotations

from webapp.dates import MONTHS_SHORT, month_label
from webapp.params import SearchState

WIDTH = 600
HEIGHT = 120
AXIS = 1  # labels are HTML under the SVG: text in a stretched SVG would be distorted
MAX_BARS = 80
GAP = 0.2  # fraction of a slot left empty between bars
MIN_BAR_H = 2.5
MAX_BAR_W = 56  # a few years should still read as a histogram, not as blocks


def _plural(n: int) -> str:
    return f"{n} article{'s' if n != 1 else ''}"


def _bins(rows: list[dict]) -> tuple[list[dict], str]:
    """Return contiguous bins (gaps filled with zeros) and their kind: ``year`` or ``month``."""
    by_value = {}
    for row in rows:
        value = str(row.get("value", ""))
        if value:
            by_value[value] = row
    if not by_value:
        return [], "year"
    kind = "month" if all(len(v) == 7 and v[4] == "-" for v in by_value) else "year"
    if kind == "year":
        try:
            years = sorted(int(v) for v in by_value)
        except ValueError:
            return [by_value[v] for v in sorted(by_value)], kind
        span = range(max(years[0], years[-1] - MAX_BARS + 1), years[-1] + 1)
        return [by_value.get(str(y), {"value": str(y), "count": 0}) for y in span], kind
    year = sorted(by_value)[0][:4]
    if all(v[:4] == year for v in by_value):
        values = [f"{year}-{m:02d}" for m in range(1, 13)]
        return [by_value.get(v, {"value": v, "count": 0}) for v in values], kind
    return [by_value[v] for v in sorted(by_value)][-MAX_BARS:], kind


def build_timeline(rows: list[dict] | None, state: SearchState | None, link=None,
                   undated: int = 0) -> dict | None:
    """Return the histogram (bars with geometry, titles and filter URLs), or None with nothing to draw.

    ``link(kind, value)`` gives a bar's URL; by default the bar filters the current search.
    ``undated`` articles cannot be drawn; the summary says how many there are.
    """
    bins, kind = _bins(list(rows or []))
    if not bins or not any(int(b.get("count") or 0) for b in bins):
        return None
    if link is None and state is not None:
        def link(kind, value):
            return state.only_url(kind, value)
    peak = max(int(b.get("count") or 0) for b in bins)
    slot = WIDTH / len(bins)
    bar_w = max(min(slot * (1 - GAP), MAX_BAR_W), 1.0)
    plot_h = HEIGHT - AXIS
    label_every = max(1, round(len(bins) / 12))
    selected = set()
    if state is not None:
        selected = set(state.selected.get(kind, []))
    bars = []
    for i, b in enumerate(bins):
        value = str(b["value"])
        count = int(b.get("count") or 0)
        estimated = min(int(b.get("estimated") or 0), count)
        # A bar for one article among hundreds must still be visible, hence the floor.
        h = max(plot_h * count / peak, MIN_BAR_H) if count else 0
        h_est = plot_h * estimated / peak if peak else 0
        if kind == "month":
            label = MONTHS_SHORT[int(value[5:7]) - 1] if value[5:7].isdigit() and 1 <= int(value[5:7]) <= 12 else value
            name = month_label(value)
        else:
            label = value
            name = value
        title = f"{name} : {_plural(count)}"
        if estimated:
            title += f" (dont {estimated} à date estimée)"
        bars.append({
            "value": value,
            "count": count,
            "x": round(i * slot + (slot - bar_w) / 2, 2),
            "w": round(bar_w, 2),
            "y": round(plot_h - h, 2),
            "h": round(h, 2),
            "est_y": round(plot_h - h_est, 2),
            "est_h": round(h_est, 2),
            "label": label if i % label_every == 0 else "",
            "title": title,
            "url": link(kind, value) if (link and count) else None,
            "selected": value in selected,
        })
    first, last = bins[0]["value"], bins[-1]["value"]
    if kind == "month":
        span = f"en {first[:4]}" if first[:4] == last[:4] else f"{month_label(first)} – {month_label(last)}"
    else:
        span = f"en {first}" if first == last else f"{first} – {last}"
    total = sum(b["count"] for b in bars)
    return {
        "kind": kind,
        "bars": bars,
        "width": WIDTH,
        "height": HEIGHT,
        "plot_h": plot_h,
        "heading": "Articles par mois" if kind == "month" else "Articles par année",
        "summary": (f"{_plural(total)} {span}" if span.startswith("en ") else f"{_plural(total)}, {span}")
                   + (f" ; {_plural(undated)} sans date" if undated > 0 else ""),
    }
