"""Benchmark (not a test): time and peak memory of the stories step's last part, on a saved grouping.

Usage:
    python bench/bench_story_memory.py --stories GEN/stories

It rebuilds what a full reindex holds when it saves its stories (every article's evidence in
memory, none grouped yet: ``StoryIndex._pending``) from a generation's saved files, then saves
it as the reindex does (signatures, candidate pairs, linking, files) into a temporary folder, and
prints the seconds, the RSS before the save and its peak during it (Linux: the peak is reset
through ``/proc/self/clear_refs`` first). Run it once per code version
(``PYTHONPATH=OTHER_CHECKOUT``) to compare them side by side on the same evidence.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

# appended, not prepended: PYTHONPATH=OTHER_CHECKOUT measures that checkout's code
sys.path.append(str(Path(__file__).resolve().parent.parent))


# self-contained (not bench.common): it runs against another checkout's code, whose bench/ may differ
def _status_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _reset_peak() -> None:
    # Linux: "5" resets the peak RSS (VmHWM) to the current RSS, so the save's own peak is measured
    Path("/proc/self/clear_refs").write_text("5")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--stories", required=True, type=Path, help="a generation's stories/ folder")
    args = ap.parse_args(argv)

    from search.stories import StoryIndex, store

    saved = StoryIndex.load(args.stories)
    with np.load(args.stories / store.COLUMNS) as columns:
        offsets = columns["offsets"]
    data = np.load(args.stories / store.SHINGLES, mmap_mode="r")
    index = StoryIndex(saved.thresholds)
    for row, article_id in enumerate(saved._ids):
        sets = np.array(data[offsets[row]:offsets[row + 1]])  # in memory, as the run holds them
        index._pending[article_id] = (int(saved._key[row]), int(saved._lo[row]), int(saved._hi[row]), sets)
    del saved, data
    before = _status_mb("VmRSS")
    _reset_peak()
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        index.save(tmp)
        stories = len(set(index.assignments().values()))
    print(f"{len(index._ids)} articles, {stories} stories; save {time.perf_counter() - t0:.1f} s; "
          f"RSS {before:.0f} MB before the save, peak during it {_status_mb('VmHWM'):.0f} MB "
          f"(+{_status_mb('VmHWM') - before:.0f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
