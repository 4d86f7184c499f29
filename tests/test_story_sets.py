"""Story evidence on disk: shingle sets spilled to a file give the same sets, signatures and stories."""

from __future__ import annotations

import numpy as np
import pytest

from search.stories import StoryIndex, group
from search.stories import minhash
from search.stories import sets as story_sets
from search.stories.sets import ShingleSets
from tests.test_stories import _corpus


def _random_sets(seed: int, n: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [np.unique(rng.integers(0, 2**32, size=int(rng.integers(0, 300)), dtype=np.uint32)) for _ in range(n)]


@pytest.fixture
def tiny_spill(monkeypatch):
    """Spill after every few hundred bytes, so that every path reads sets back from the file."""
    monkeypatch.setattr(story_sets, "SPILL_BYTES", 600)
    monkeypatch.setattr(story_sets, "_SIGNATURE_ROWS", 7)  # signatures read back in many blocks


@pytest.mark.parametrize("seed", [1, 2])
def test_every_set_reads_back_as_appended_whether_spilled_or_not(tiny_spill, tmp_path, seed):
    sets = _random_sets(seed, 200)
    store = ShingleSets(tmp_path)
    slots = [store.append(s) for s in sets]
    assert slots == list(range(200)) and len(store) == 200
    for slot, s in enumerate(sets):
        assert np.array_equal(store[slot], s) and store.size(slot) == len(s)
    assert list(tmp_path.iterdir()) == []  # the spill file is unlinked from the start


def test_signatures_of_spilled_sets_are_those_of_the_sets_themselves(tiny_spill, tmp_path):
    sets = _random_sets(3, 150)
    store = ShingleSets(tmp_path)
    for s in sets:
        store.append(s)
    asked = np.array([0, 5, 7, 149, 60], dtype=np.int64)
    assert np.array_equal(store.take_signatures(asked), minhash.signatures([sets[i] for i in asked]))
    store.append(sets[0])
    assert np.array_equal(store.take_signatures(np.array([150])), minhash.signatures([sets[0]]))


@pytest.mark.parametrize("slots", [[], [0], [3, 4, 5, 9, 10, 199], list(range(200)), [199, 0]])
def test_written_sets_are_the_chosen_sets_end_to_end(tiny_spill, tmp_path, slots):
    sets = _random_sets(4, 200)
    store = ShingleSets(tmp_path)
    for s in sets:
        store.append(s)
    out = tmp_path / "out.bin"
    with open(out, "wb") as fh:
        store.write(fh, np.array(slots, dtype=np.int64))
    expected = np.concatenate([sets[i] for i in slots]) if slots else np.zeros(0, dtype=np.uint32)
    assert np.array_equal(np.fromfile(out, dtype="<u4"), expected)


def test_a_spilled_grouping_gives_the_stories_of_one_held_in_memory(tiny_spill, tmp_path):
    arts = _corpus()
    idx = StoryIndex(spill_dir=tmp_path)
    idx.add_many(arts)
    for gone in [a["id"] for a in arts][::4]:
        idx.remove(gone)
    left = [a for i, a in enumerate(arts) if i % 4]
    assert idx.assignments() == group(left)


def test_a_saved_grouping_loaded_then_changed_matches_a_rebuild(tiny_spill, tmp_path):
    arts = _corpus()
    half = len(arts) // 2
    idx = StoryIndex(spill_dir=tmp_path / "spill")
    idx.add_many(arts[:half])
    idx.save(tmp_path / "one")
    loaded = StoryIndex.load(tmp_path / "one", spill_dir=tmp_path / "spill")
    loaded.add_many(arts[half:])
    loaded.remove(arts[0]["id"])
    assert loaded.assignments() == group(arts[1:])
    loaded.save(tmp_path / "two")
    again = StoryIndex.load(tmp_path / "two")
    assert again.assignments() == group(arts[1:])
    for row in range(len(again._ids)):
        assert np.array_equal(again.shingle_set(row), loaded.shingle_set(loaded._row[again._ids[row]]))


def test_a_shingle_file_that_does_not_match_its_offsets_is_stale(tmp_path):
    from search.stories import StaleStories

    idx = StoryIndex()
    idx.add_many(_corpus())
    idx.save(tmp_path)
    np.save(tmp_path / "stories-shingles.npy", np.zeros(3, dtype=np.uint32))
    with pytest.raises(StaleStories):
        StoryIndex.load(tmp_path)
