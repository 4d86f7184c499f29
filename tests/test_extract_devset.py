"""Extraction scored on the development set of real pages (skipped when the dev set is absent).

The dev set (pages, crawler sidecars, gold annotations and its scorer) is never copied into the project:
``PRESSE_DEVSET_DIR=/path/to/devset pytest tests/test_extract_devset.py -q -s`` (default: ``devset/`` in the
shared folder beside the checkout, like the corpus).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from search.extract.files import load_file
from tests.conftest import SHARED

#: Field scores reached when the test was written (96 % and 98 %), less a margin (text alone, with crawler sidecars).
MIN_FIELDS_TEXT_ONLY = 0.95
MIN_FIELDS_WITH_SIDECARS = 0.97


@pytest.fixture(scope="module")
def devset() -> Path:
    path = Path(os.environ.get("PRESSE_DEVSET_DIR") or SHARED / "devset")
    if not (path / "gold.jsonl").is_file() or not (path / "score_extract.py").is_file():
        pytest.skip(f"no dev set in {path}")
    return path


def _score(devset: Path, pages: Path, out: Path, raw_dir: bool) -> float:
    import json

    with open(out, "w", encoding="utf-8") as fh:
        for page in sorted(pages.glob("*.txt")):
            for article in load_file(page):
                fh.write(json.dumps(article, ensure_ascii=False) + "\n")
    cmd = [sys.executable, str(devset / "score_extract.py"), str(devset / "gold.jsonl"), str(out)]
    if raw_dir:
        cmd += ["--raw-dir", str(devset / "raw")]
    result = subprocess.run(cmd, capture_output=True, text=True, check=False)
    m = re.search(r"fields (\d+)/(\d+)", result.stdout)
    assert m, result.stdout + result.stderr
    print(f"\n{'text only' if raw_dir else 'with sidecars'}: {result.stdout.strip().splitlines()[-1]}")
    return int(m.group(1)) / int(m.group(2))


def test_devset_fields_from_the_page_text_alone(devset, tmp_path):
    assert _score(devset, devset / "raw", tmp_path / "out.jsonl", raw_dir=True) >= MIN_FIELDS_TEXT_ONLY


def test_devset_fields_with_the_crawler_sidecars(devset, tmp_path):
    pages = tmp_path / "pages"
    pages.mkdir()
    for path in [*(devset / "raw").glob("*.txt"), *(devset / "sidecars").glob("*.json")]:
        shutil.copy(path, pages / path.name)
    assert _score(devset, pages, tmp_path / "out.jsonl", raw_dir=False) >= MIN_FIELDS_WITH_SIDECARS
