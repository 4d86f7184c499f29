"""Extraction: source files → article dicts.

Enters: a path to a scraped page (``.txt`` visible text or ``.html``, with an optional ``NAME.json``
crawler sidecar), a ``.json`` article or a ``.jsonl``/``.jsonl.gz`` bulk file. Leaves: article dicts
(the contract described in ``docs/ARCHITECTURE.md``) and ``SkippedRecord`` reasons for what could
not be read; a file that cannot be read at all raises ``SkipFile`` with a one-line reason.
Callers import ``iter_file``/``load_file``/``extract_text`` from here; the modules inside are
``files`` (opening source files, sidecars, bulk files), ``decode`` (bytes → clean text),
``textpage`` (a page's visible text → article), ``html`` (HTML parsing, page regions, metadata),
``records`` (completing partial records), ``dates``, ``comments``, ``bylines`` and ``outlets``
(the outlet table ``outlets.toml``).
"""

from search.extract.files import SkipFile, SkippedRecord, extract_text, iter_file, load_file

__all__ = ["SkipFile", "SkippedRecord", "extract_text", "iter_file", "load_file"]
