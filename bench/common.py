"""Helpers shared by the benchmark scripts: corpus preparation and percentiles."""

from __future__ import annotations

import gzip
import shutil
import statistics
from pathlib import Path


def prepare_source(corpus: Path, workdir: Path, limit: int | None = None) -> Path:
    """Return a source folder holding the corpus as one JSONL file (first ``limit`` records)."""
    source = workdir / f"source-{limit or 'all'}"
    target = source / "corpus.jsonl"
    if target.exists():
        return source
    source.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".tmp")
    opener = gzip.open if corpus.suffix == ".gz" else open
    with opener(corpus, "rt", encoding="utf-8") as src, open(tmp, "w", encoding="utf-8") as dst:
        if limit is None:
            shutil.copyfileobj(src, dst)
        else:
            for n, line in enumerate(src):
                if n >= limit:
                    break
                dst.write(line)
    tmp.rename(target)
    return source


def percentile(values: list[float], p: float) -> float:
    """Return the p-th percentile (0-100) of ``values`` by linear interpolation."""
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[max(0, min(98, int(round(p)) - 1))]
