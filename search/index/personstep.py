"""The persons step of a reindex: NER mentions, corpus-wide resolution, persons of each article.

``_persons_outdated`` says whether anything the persons depend on changed (articles, the persons
data files, a failed NER); ``_gather_mentions`` sends the articles to write (and, when the rules
changed or an earlier NER failed, the stored ones concerned) to the NER ``NER_BATCH`` at a time
through the mention cache, and returns every article's raw mentions and name runs;
``_resolve`` resolves them over the whole corpus; ``_apply_persons`` gives each article its
persons and lists the unchanged ones to re-index.  A failure costs persons, never the run: the
articles it hits keep the last run's mentions, or resolution is skipped, and the summary says so.
"""

from __future__ import annotations

import itertools
import time
from pathlib import Path
from typing import TYPE_CHECKING

from search.index import documents
from search.index import faults
from search.index import state as statefile  # the fingerprint read where it is defined: one name to patch
from search.index.sources import _one_line
from search.index.state import load_state
from search.persons import ner
from search.persons import resolve as resolving
from search.streams import batched, release_memory

if TYPE_CHECKING:  # annotations only: reindex imports this module, never the reverse
    from search.index.reindex import ReindexReport, _Run

#: Articles sent to the NER at a time: a batch's texts are all that the persons step holds.
NER_BATCH = 500


def _mentions(articles, total: int, index_dir: Path, procs: int, report: ReindexReport, progress,
              last_state=lambda: None) -> tuple[dict[str, list[str]], set[str], dict]:
    """Return raw person mentions by article id, the ids whose NER failed (given the last run's),
    and the name runs by article id.

    The articles (an iterable of ``total``) go to the NER batch by batch.  A failure (MemoryError,
    an error in spaCy, a killed worker) costs only the articles it hits: each keeps the mentions
    of the last run's state (``last_state()``) and the summary says so.
    """
    if not total:
        return {}, set(), {}
    cache = None
    try:
        cache = ner.NerCache(index_dir / "persons-cache.sqlite")
    except Exception as exc:  # a broken cache costs speed, not the run
        report.warnings.append(f"NER cache unavailable: {_one_line(exc)}")
    progress("persons", 0, total)
    mentions, failed, runs, done, words = {}, {}, {}, 0, 0
    started = time.monotonic()
    try:
        faults.checkpoint("ner")  # inside: a failure here must close the cache too
        for batch in batched(articles, NER_BATCH):
            words += sum(len(str(a.get("body") or "").split()) for a in batch)
            try:
                raw = ner.raw_mentions(batch, cache=cache, n_process=procs)
                failed.update(raw.failed)
                runs.update((k, statefile.interned(v)) for k, v in raw.runs.items())
                mentions.update((k, statefile.interned(v or [])) for k, v in raw.items() if k not in raw.failed)
            except Exception as exc:  # MemoryError too: the persons step must not wipe the persons
                failed.update(dict.fromkeys((a["id"] for a in batch), _reason(exc)))
            done += len(batch)
            rate = words / max(time.monotonic() - started, 1e-6)
            progress("persons", done, total, detail=f"{words / 1000:.0f}k mots, {rate:.0f} mots/s")
    finally:
        if cache is not None:
            cache.close()
        ner.unload_nlp()
        release_memory()
    progress("persons", done, done)
    if failed:
        last = last_state() or {}
        before = {aid: info for entry in (last.get("files") or {}).values()
                  for aid, info in (entry.get("articles") or {}).items()}
        kept = 0
        for aid in failed:
            old = (before.get(aid) or {}).get("m")
            kept += isinstance(old, list)
            mentions[aid] = [str(m) for m in old] if isinstance(old, list) else []
        which = "" if len(failed) == done else (
            f" for {len(failed)} of {done} articles ("
            + ", ".join(sorted(failed)[:3]) + (", …" if len(failed) > 3 else "") + ")")
        reasons = list(failed.values())
        reason = max(dict.fromkeys(reasons), key=reasons.count)  # the most common
        outcome = ("previous persons kept" if kept
                   else "persons not extracted (no previous persons to keep)")
        report.warnings.append(f"persons step failed{which}: {reason}; {outcome}")
    return mentions, set(failed), runs


def _reason(exc: BaseException) -> str:
    text = _one_line(exc)
    return text if text == type(exc).__name__ else f"{type(exc).__name__}: {text}"


def _resolve(gathered: tuple[dict[str, list[str]], dict[str, list[str]]], report: ReindexReport,
             progress):
    raw_all, runs = gathered
    n = len(raw_all)
    mentions = sum(len(m) for m in raw_all.values())
    # one call of the resolver: its start and its end (with the dictionary pass's share) are shown
    progress("resolve", 0, n, detail=f"{mentions} mentions")
    try:
        res = resolving.resolve(raw_all, runs=runs)
        progress("resolve", n, n, detail=f"{mentions} mentions, dictionnaire {res.dictionary_seconds:.1f} s")
        return res
    except Exception as exc:
        report.warnings.append(f"persons step failed: {_reason(exc)} while resolving names; "
                               "persons of unchanged articles kept")
        return None


def _persons_outdated(run: _Run) -> bool:
    """Return True unless nothing the persons depend on changed (articles, rules, failed NER)."""
    if run.to_write or run.deleted or not run.state:
        return True
    if run.state["meta"].get("persons_data") != statefile.persons_data_fingerprint():
        return True
    return any(info.get("m_stale") or "r" not in info
               for entry in run.new_files.values() for info in entry["articles"].values())


def _gather_mentions(run: _Run) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """Return the raw mentions and name runs of every article, tagging those written, stale or
    under changed rules."""
    state = run.state
    old_rules = state["meta"].get("persons_data") if state else None
    rules_changed = old_rules != statefile.persons_data_fingerprint()
    # articles whose NER failed in an earlier run kept older mentions: they are tagged again
    stale = [aid for entry in run.new_files.values() for aid, info in entry["articles"].items()
             if info.get("m_stale") and aid not in run.to_write]
    searcher = None
    extra, n_extra = (), 0
    if run.ix is not None and state and (rules_changed or stale):
        searcher = run.ix.searcher()
        # the person rules changed: clean every article's mentions again (NER itself is
        # cached by text, so only the rules run), from the stored fields; else the stale ones
        stored = (searcher.all_stored_fields() if rules_changed
                  else filter(None, (searcher.document(id=aid) for aid in stale)))
        extra = (documents.from_stored(fields) for fields in stored
                 if fields.get("id") in run.current_ids and fields.get("id") not in run.to_write)
        n_extra = (sum(1 for aid in run.current_ids if aid not in run.to_write) if rules_changed
                   else len(stale))
    try:
        raw, failed, runs = _mentions(itertools.chain(run.to_write.values(), extra),
                                      len(run.to_write) + n_extra, run.index_dir, run.procs, run.report,
                                      run.progress,
                                      lambda: state or (load_state(run.live) if run.live is not None else None))
    finally:
        if searcher is not None:
            searcher.close()
    raw_all, runs_all = {}, {}
    for entry in run.new_files.values():
        for aid, info in entry["articles"].items():
            if aid in raw:
                info["m"] = raw[aid]
                if aid in failed:
                    info["m_stale"] = True
                else:
                    info.pop("m_stale", None)
            if aid in runs:
                info["r"] = runs[aid]
            raw_all[aid] = info.get("m") or []
            runs_all[aid] = info.get("r") or []
    return raw_all, runs_all


def _apply_persons(run: _Run) -> None:
    """Give every article its persons: resolved, else the source's own; list the re-indexed ones."""
    for entry in run.new_files.values():
        for aid, info in entry["articles"].items():
            new_d = info.get("pd", [])
            if run.resolution is not None:
                new_p = statefile.interned(documents.clean_persons(run.resolution.by_article.get(aid, [])))
                new_d = statefile.interned(documents.clean_persons(run.resolution.by_dictionary.get(aid, [])))
            elif aid in run.to_write:  # no NER: keep persons the source itself carries
                new_p = statefile.interned(documents.clean_persons(run.source_persons.get(aid)))
                new_d = statefile.NO_NAMES
            else:
                new_p = info.get("p", [])
            if aid in run.to_write:
                run.to_write.set_fields(aid, persons=new_p, persons_dictionary=new_d)
            elif new_p != info.get("p", []) or new_d != info.get("pd", []):
                run.persons_changed.append(aid)
            info["p"] = new_p
            if new_d:
                info["pd"] = new_d
            else:
                info.pop("pd", None)
