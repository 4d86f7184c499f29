"""Stories kept beside each index generation: the grouping state and the groups the searcher reads.

The grouping (``search.stories``) keeps each article's evidence, never its body, in
``stories/``; an incremental reindex loads it, removes the deleted articles, adds the written
ones, and so a new copy joins its story without a full rebuild.  The groups of two articles or
more are written to ``stories.json`` (``{"stories": {story id: [article ids, earliest first]}}``),
small enough for every searcher to read per generation.  Stories are not in the Whoosh schema:
regrouping never rewrites a document.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

from search.index import folder as store
from search.stories import StaleStories, StoryIndex, shingles

STORIES_DIR = "stories"
STORIES_FILE = "stories.json"


def _evidence(art: dict) -> tuple[str, str, str | None]:
    date = art.get("date")
    return str(art.get("title") or ""), str(art.get("body") or ""), date if isinstance(date, str) else None


def load_or_new(generation: Path | None) -> StoryIndex | None:
    """Return the grouping state saved in ``generation``, or None when there is none to use."""
    if generation is None or not (generation / STORIES_DIR).is_dir():
        return None
    try:
        # new evidence spills beside the generations, on the index's disk
        return StoryIndex.load(generation / STORIES_DIR, spill_dir=generation.parent)
    except (StaleStories, OSError, ValueError, KeyError):
        return None  # another evidence version or a damaged file: the caller regroups everything


def update(index: StoryIndex | None, to_write, deleted, unchanged, progress=None, spill_dir=None) -> StoryIndex:
    """Return the grouping after this run: ``unchanged()`` yields the articles kept, read only when regrouping.

    ``to_write`` maps ids to articles (its ``items()`` may stream them from disk); ``progress``,
    when given, is called as ``progress("stories", done, total)``; a new grouping spills its
    evidence into ``spill_dir`` (the index folder), a temporary folder when None.
    """
    report = progress or (lambda *a, **k: None)
    total, done = len(to_write), 0
    if index is None:
        index = StoryIndex(spill_dir=spill_dir)
        for art in unchanged():
            index.add(str(art["id"]), *_evidence(art))
    for aid in deleted:
        index.remove(aid)
    report("stories", 0, total)
    for aid, art in to_write.items():
        index.add(aid, *_evidence(art))
        done += 1
        if done % 500 == 0:
            report("stories", done, total)
    report("stories", total, total)
    # every article of the run is shingled: the words' hashes (up to about 60 MB) go before the write
    shingles.forget_words()
    return index


def save(generation: Path, index: StoryIndex) -> None:
    """Write the grouping state and the groups file into ``generation`` (each replaced whole)."""
    # staged beside the generation: what a killed run leaves there goes with the next run's pruning
    install(generation, stage(generation.parent, index))


def stage(folder: Path, index: StoryIndex) -> Path:
    """Write the grouping state and the groups file into a new hidden folder of ``folder``; return it.

    A full reindex stages its grouping before the write, so that the evidence of every article
    (about 2 KB each) is not held in memory beside the writer; ``install`` moves it into the
    generation once written.
    """
    staged = Path(tempfile.mkdtemp(prefix=f"{store.STAGED_PREFIX}stories-", dir=folder))
    try:
        index.save(staged / STORIES_DIR)
        groups = index.stories()
        (staged / STORIES_FILE).write_text(json.dumps({"stories": groups}, ensure_ascii=False), encoding="utf-8")
    except BaseException:
        shutil.rmtree(staged, ignore_errors=True)
        raise
    return staged


def install(generation: Path, staged: Path) -> None:
    """Move a staged grouping into ``generation``, replacing its own; the staged folder goes."""
    target = generation / STORIES_DIR
    old = generation / ".stories-old"
    try:
        if target.exists():
            shutil.rmtree(old, ignore_errors=True)
            target.rename(old)
        (staged / STORIES_DIR).rename(target)
        shutil.rmtree(old, ignore_errors=True)
        # the groups file last: a searcher reads it per generation, the state only a reindex does
        os.replace(staged / STORIES_FILE, generation / STORIES_FILE)
    finally:
        shutil.rmtree(staged, ignore_errors=True)


def discard(staged: Path | None) -> None:
    """Remove a staged grouping that was not installed (nothing when there is none)."""
    if staged is not None:
        shutil.rmtree(staged, ignore_errors=True)


def read_groups(generation: Path | None) -> dict[str, list[str]]:
    """Return ``{story id: member ids}`` of a generation (empty when it has no stories file)."""
    if generation is None:
        return {}
    try:
        data = json.loads((Path(generation) / STORIES_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    groups = data.get("stories") if isinstance(data, dict) else None
    if not isinstance(groups, dict):
        return {}
    return {str(k): [str(m) for m in v] for k, v in groups.items() if isinstance(v, list) and len(v) > 1}
