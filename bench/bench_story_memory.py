"""Benchmark (not a test): time and peak memory of the stories step of a full reindex, alone.

Usage:
    python bench/bench_story_memory.py --source DIR [--limit N] [--spill-dir DIR]

It reads the article records of the JSONL files of ``DIR`` (``bench/gen_scale.py``'s output, or
any folder of JSONL article records), adds each one's ``id``, ``body`` and ``date`` to a new
``StoryIndex`` as a full reindex does, then saves the grouping into a temporary folder (signatures,
candidate pairs, linking, files), and prints the seconds and the RSS: before, after the adds, and
the peak of the whole step (Linux: the peak is reset through ``/proc/self/clear_refs`` once the
records are open). Bodies are read one record at a time and never kept. Run it once per code
version (``PYTHONPATH=OTHER_CHECKOUT``) to compare them side by side on the same corpus.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import tempfile
import time
from pathlib import Path

# appended, not prepended: PYTHONPATH=OTHER_CHECKOUT measures that checkout's code
sys.path.append(str(Path(__file__).resolve().parent.parent))


# self-contained (not bench.common): it runs against another checkout's code, whose bench/ may differ
def _status_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _reset_peak() -> None:
    # Linux: "5" resets the peak RSS (VmHWM) to the current RSS, so the step's own peak is measured
    Path("/proc/self/clear_refs").write_text("5")


def _records(source: Path, limit: int | None):
    """Yield ``(id, body, date)`` of the JSONL records under ``source``, in file order."""
    n = 0
    for path in sorted(p for p in source.rglob("*") if p.name.endswith((".jsonl", ".jsonl.gz"))):
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rt", encoding="utf-8") as fh:
            for line in fh:
                if limit is not None and n >= limit:
                    return
                try:
                    rec = json.loads(line)
                except ValueError:
                    continue
                n += 1
                date = rec.get("date")
                yield str(rec.get("id") or n), str(rec.get("body") or ""), date if isinstance(date, str) else None


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--source", required=True, type=Path, help="a folder of JSONL article records")
    ap.add_argument("--limit", type=int, help="only the first N records")
    ap.add_argument("--spill-dir", type=Path, help="where the evidence spills (code that spills it)")
    args = ap.parse_args(argv)

    from search.stories import StoryIndex

    try:
        index = StoryIndex(spill_dir=args.spill_dir)
    except TypeError:  # code from before the evidence spilled to disk
        index = StoryIndex()
    before = _status_mb("VmRSS")
    _reset_peak()
    t0 = time.perf_counter()
    for article_id, body, date in _records(args.source, args.limit):
        index.add(article_id, None, body, date)
    t_add = time.perf_counter() - t0
    added = _status_mb("VmRSS")
    with tempfile.TemporaryDirectory() as tmp:
        index.save(tmp)
        groups = index.stories()
    total = time.perf_counter() - t0
    print(f"{len(index)} articles, {len(groups)} stories of two or more; adds {t_add:.1f} s, "
          f"save {total - t_add:.1f} s; RSS {before:.0f} MB before, {added:.0f} MB after the adds, "
          f"peak {_status_mb('VmHWM'):.0f} MB (+{_status_mb('VmHWM') - before:.0f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
