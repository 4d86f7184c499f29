"""The scale corpus generator (bench/gen_scale.py): reproducible recombined articles the indexer reads."""

import json
from collections import Counter

import pytest

from bench import gen_scale
from search.index import reindex as indexer
from search.index import storyfile
from search.index import folder as store
from tests.conftest import CORPUS

ARTICLES = CORPUS / "articles.jsonl.gz"
pytestmark = pytest.mark.skipif(not ARTICLES.is_file(), reason="shared corpus absent")
N = 240


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    out = tmp_path_factory.mktemp("scale") / "one"
    count, files = gen_scale.write(gen_scale.generate(ARTICLES, N, seed=3, pool=20_000, copies=0.2), out, per_file=100)
    return out, count, files


def _records(folder):
    return [json.loads(line) for path in sorted(folder.glob("part-*.jsonl"))
            for line in path.read_text(encoding="utf-8").splitlines()]


def test_the_generator_writes_n_articles_in_files_of_the_asked_size(generated):
    out, count, files = generated
    assert (count, files) == (N, 3)
    assert [len(p.read_text(encoding="utf-8").splitlines()) for p in sorted(out.glob("part-*.jsonl"))] == [100, 100, 40]
    assert not list(out.glob("*.tmp"))


def test_the_same_seed_gives_the_same_files_and_another_seed_other_ones(generated, tmp_path):
    out, _count, _files = generated
    gen_scale.write(gen_scale.generate(ARTICLES, N, seed=3, pool=20_000, copies=0.2), tmp_path / "same", per_file=100)
    gen_scale.write(gen_scale.generate(ARTICLES, N, seed=4, pool=20_000, copies=0.2), tmp_path / "other", per_file=100)
    assert _records(tmp_path / "same") == _records(out)
    assert _records(tmp_path / "other") != _records(out)


def test_articles_have_unique_ids_real_outlets_years_and_some_syndicated_copies(generated):
    records = _records(generated[0])
    assert len({r["id"] for r in records}) == N
    assert all(r["body"] and r["title"] and r["date"] for r in records)
    assert len({r["outlet"] for r in records}) >= 3 and len({r["date"][:4] for r in records}) >= 3
    bodies = Counter(r["body"] for r in records)
    copied = [b for b, n in bodies.items() if n > 1]
    assert len(copied) >= N // 50  # about one article in five is followed by a copy
    assert any(len({r["outlet"] for r in records if r["body"] == b}) > 1 for b in copied)


def test_the_indexer_reads_the_generated_folder_and_groups_the_copies(generated, tmp_path):
    out, _count, _files = generated
    report = indexer.reindex(out, tmp_path / "ix", full=True, persons=False)
    assert report.total_docs == N
    groups = storyfile.read_groups(store.live_path(tmp_path / "ix"))
    assert groups  # the syndicated copies form stories
