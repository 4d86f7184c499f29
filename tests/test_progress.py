"""Progress of a reindex: every step says how far it is, how fast, and how long it has run."""

from __future__ import annotations

import io
import json
import re

import pytest

from search.index import reindex as indexer
from search.index.progress import Progress
from search.persons import ner
from search.persons import resolve as resolving


def _log(**kwargs) -> tuple[io.StringIO, Progress]:
    out = io.StringIO()
    return out, Progress(out, tty=False, **kwargs)


def test_the_last_state_of_a_step_is_shown_when_the_next_step_starts():
    out, progress = _log(interval=3600)  # nothing between the first and the last line of a step
    progress("persons", 0, 10)
    progress("persons", 7, 10)  # throttled
    progress("stories", 0, 4)
    progress.close()
    lines = out.getvalue().splitlines()
    assert any("personnes" in line and "7/10" in line for line in lines)
    assert "reprises" in lines[-1] and "0/4" in lines[-1]


@pytest.mark.parametrize("stage, done, total, detail, expected", [
    ("write", 50, 100, "", r"écriture des segments +50% 50/100 articles [\d.]+/s ETA \d+:\d\d, \d+:\d\d écoulé"),
    ("commit", 0, 0, "vocabulaire", r"validation +vocabulaire, \d+:\d\d écoulé"),
    ("extract", 3, 10, "1200 articles", r"extraction .*3/10 fichiers .*ETA .*, 1200 articles, \d+:\d\d écoulé"),
    ("merge", 4000, 0, "", r"fusion +4000 postings [\d.]+/s, \d+:\d\d écoulé"),
])
def test_a_log_line_says_done_total_rate_eta_and_elapsed_time(stage, done, total, detail, expected):
    out, progress = _log(interval=0)
    progress(stage, done, total, detail=detail)
    progress.close()
    assert re.search(expected, out.getvalue()), out.getvalue()


@pytest.fixture
def fake_ner(monkeypatch):
    def raw_mentions(articles, *, cache=None, n_process=1):
        return ner.Mentions({a["id"]: [w[1:] for w in a["body"].split() if w.startswith("@")] for a in articles})

    monkeypatch.setattr(ner, "raw_mentions", raw_mentions)
    monkeypatch.setattr(resolving, "resolve", lambda raw, runs=None: resolving.Resolution(
        by_article={k: sorted(set(v)) for k, v in raw.items()}, variants={}))


def test_a_reindex_reports_every_step_in_a_log(tmp_path, fake_ner, monkeypatch):
    monkeypatch.setattr("search.index.personstep.NER_BATCH", 4)
    src = tmp_path / "src"
    src.mkdir()
    with open(src / "a.jsonl", "w", encoding="utf-8") as fh:
        for i in range(10):
            fh.write(json.dumps({"id": f"a{i}", "title": f"Titre {i}",
                                 "body": f"La sécurité au Mali selon @Goïta, épisode {i}."}) + "\n")
    out, progress = _log(interval=0)
    indexer.reindex(src, tmp_path / "ix", persons=True, procs=1, progress=progress)
    text = out.getvalue()
    for label in ("parcours", "extraction", "personnes", "résolution", "reprises", "écriture des segments",
                  "fusion", "validation"):
        assert f"presse reindex: {label}" in text, (label, text)
    # the counted steps end at their total, with a rate
    for label, unit in (("personnes", "10/10 articles"), ("écriture des segments", "10/10 articles"),
                        ("reprises", "10/10 articles"), ("extraction", "1/1 fichiers")):
        assert re.search(rf"{label} +100% {unit} [\d.]+/s ETA 0:00", text), (label, text)
    assert re.search(r"fusion +100% (\d+)/\1 postings", text), text
    assert "personnes" in text and "4/10 articles" in text  # batch by batch, not all at once at the end
