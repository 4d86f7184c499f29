"""The reindex state of an OpenSearch index, kept in the cluster beside the index it describes.

The state is the Whoosh index's ``sources.json`` (``search.index.state``: per source file its
signature, content hash and per article its change hash, raw mentions, name runs and persons,
under a header with the schema, analysis, id-rule and persons-data fingerprints), plus what only
OpenSearch needs: the fingerprint of its settings and mapping (``opensearch_fingerprint``), each
grouped article's story and story size (``s``, ``n``: the fields its document holds), and the ids
whose document may differ from the state (``uncertain``).

**Where.** A dedicated index ``<index>.state`` beside the index the alias names, not the mapping's
``_meta``: the state of a corpus weighs megabytes (mentions and name runs of every article),
and ``_meta`` is cluster state, copied to every node and rewritten on every mapping change.
The state index is created, moved and dropped with its article index, so a state never
describes another index than its own. The mapping's ``_meta`` holds only a small stamp (the
run's token, when it ended), which searchers read to know that the index changed.

**How.** The state is JSON cut into parts (``PART_CHARS`` each), written under the run's token;
one ``head`` document names the token to read and is written last (one document write is atomic),
so a run that stops while writing parts leaves the previous state whole. Before writing articles,
a run adds every id it is about to touch to the head's ``uncertain`` list; the next run that
finds ids there rewrites their articles (their files are read again) or deletes them, so a
failure in the middle never leaves the state claiming what the index does not hold. A failed
bulk item stays uncertain in the new state, and is retried the same way.

The story grouping's evidence (``search.stories.StoryIndex``) is kept on the machine that
reindexes, in the ``--index`` folder beside the NER cache, tagged with the token of the state it
matches (``load_stories``, ``save_stories``): a missing or other one costs a regrouping from the
index's own articles, never a wrong story.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import datetime, timezone
from pathlib import Path

from search.engines import opensearch_index as osi

STATE_SUFFIX = ".state"
#: Characters of state JSON in one stored part (a request stays far below the cluster's 100 MB limit).
PART_CHARS = 1_000_000
#: Parts written in one bulk request.
PARTS_PER_REQUEST = 8
HEAD = "head"
STORIES_CACHE = "opensearch-stories"
TOKEN_FILE = "token"


def state_index(index: str) -> str:
    """Return the name of the state index written beside the article index ``index``."""
    return index + STATE_SUFFIX


def opensearch_fingerprint(shards: int) -> str:
    """Return a hash of the index settings and mapping that documents are written under (a change: full rebuild)."""
    body = osi.index_body(shards, 0)
    blob = json.dumps({"analysis": body["settings"]["analysis"], "mapping": body["mappings"], "shards": shards},
                      sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:16]


def write_stamp(client: osi.Client, index: str, token: str) -> None:
    """Write the run's token and end time into the mapping's ``_meta`` (searchers poll it)."""
    built = datetime.now(timezone.utc).isoformat(timespec="seconds")
    client.request("PUT", f"/{index}/_mapping", {"_meta": {"presse": {"token": token, "built": built}}})


def read_stamps(client: osi.Client, alias: str) -> dict[str, dict]:
    """Return index → stamp (``token``, ``built``; empty before any run wrote one) of the indexes behind ``alias``."""
    try:
        # ``dynamic`` is always there: every index answers, with a stamp or without
        answer = client.request("GET", f"/{alias}/_mapping?filter_path=*.mappings._meta,*.mappings.dynamic")
    except osi.OpenSearchError as exc:
        if exc.status == 404:
            return {}
        raise
    return {name: dict(((body.get("mappings") or {}).get("_meta") or {}).get("presse") or {})
            for name, body in answer.items()}


def create(client: osi.Client, index: str, shards: int = 1, replicas: int = 0) -> None:
    """Create the empty state index of ``index``."""
    stored = {"type": "keyword", "index": False, "doc_values": False}
    client.request("PUT", f"/{state_index(index)}", {
        "settings": {"index": {"number_of_shards": shards, "number_of_replicas": replicas}},
        "mappings": {"dynamic": "strict", "properties": {
            "kind": {"type": "keyword"}, "token": {"type": "keyword"}, "part": {"type": "integer"},
            "parts": {"type": "integer"}, "data": stored, "uncertain": stored}}})


def _get(client: osi.Client, index: str, doc_id: str) -> dict | None:
    answer = client.request("GET", f"/{state_index(index)}/_doc/{doc_id}", ok=(200, 404))
    return answer.get("_source") if answer.get("found") else None


def load(client: osi.Client, index: str) -> tuple[dict | None, list[str]]:
    """Return ``(state, uncertain ids)`` of ``index``; the state is None when missing, partial or unreadable."""
    try:
        head = _get(client, index, HEAD)
    except osi.OpenSearchError as exc:
        if exc.status == 404:  # no state index: an index written without one
            return None, []
        raise
    if not head or not head.get("token"):
        return None, []
    uncertain = [str(i) for i in head.get("uncertain") or []]
    token, parts = head["token"], int(head.get("parts") or 0)
    ids = [f"{token}:{i}" for i in range(parts)]
    docs = client.request("POST", f"/{state_index(index)}/_mget", {"ids": ids})["docs"] if ids else []
    if len(docs) != parts or not all(d.get("found") for d in docs):
        return None, uncertain
    try:
        state = json.loads("".join(d["_source"]["data"] for d in docs))
    except (ValueError, KeyError, TypeError):
        return None, uncertain
    if not isinstance(state, dict) or not isinstance(state.get("files"), dict):
        return None, uncertain
    state["token"] = token
    return state, uncertain


def mark_uncertain(client: osi.Client, index: str, state: dict | None, ids) -> None:
    """Add ``ids`` to the uncertain ids of the state of ``index`` before the run touches their documents."""
    head = _get(client, index, HEAD) or {"kind": HEAD, "token": (state or {}).get("token"), "parts": 0}
    head["uncertain"] = sorted(set(head.get("uncertain") or []) | set(ids))
    client.request("PUT", f"/{state_index(index)}/_doc/{HEAD}?refresh=true", head)


def save(client: osi.Client, index: str, state: dict, token: str, uncertain) -> None:
    """Write ``state`` under ``token``, then point the head at it (with ``uncertain``); drop older parts."""
    name = state_index(index)
    blob = json.dumps({k: v for k, v in state.items() if k != "token"}, ensure_ascii=False,
                      separators=(",", ":"))
    parts = [blob[i:i + PART_CHARS] for i in range(0, len(blob), PART_CHARS)] or [""]
    for start in range(0, len(parts), PARTS_PER_REQUEST):
        lines = []
        for i in range(start, min(start + PARTS_PER_REQUEST, len(parts))):
            lines.append(json.dumps({"index": {"_index": name, "_id": f"{token}:{i}"}}))
            lines.append(json.dumps({"kind": "part", "token": token, "part": i, "data": parts[i]},
                                    ensure_ascii=False))
        answer = client.request("POST", "/_bulk", "\n".join(lines) + "\n", ndjson=True)
        if answer.get("errors"):
            bad = [i["index"].get("error") for i in answer.get("items", []) if i["index"].get("error")]
            raise osi.OpenSearchError(f"reindex state not written: {bad[:2]}")
    head = {"kind": HEAD, "token": token, "parts": len(parts), "uncertain": sorted(set(uncertain))}
    client.request("PUT", f"/{name}/_doc/{HEAD}?refresh=true", head)
    osi.delete_where(client, name, {"bool": {"filter": [{"term": {"kind": "part"}}],
                                             "must_not": [{"term": {"token": token}}]}})


def repair(state: dict, uncertain) -> set[str]:
    """Make the next steps rewrite every uncertain article; return the uncertain ids the state does not hold.

    An uncertain article's file is read again (its signature and hash forgotten) and the article
    compared as changed (its change hash forgotten); an id the state does not know (written by a
    run that stopped before saving its state) is deleted unless a file still yields it.
    """
    wanted = set(uncertain)
    for entry in state["files"].values():
        hit = wanted.intersection(entry.get("articles") or ())
        if hit:
            entry["sig"], entry["hash"] = None, None
            for aid in hit:
                entry["articles"][aid]["h"] = None
            wanted -= hit
    return wanted


# --------------------------------------------------------------------------- stored articles


class StoredArticles:
    """An OpenSearch index read as the reindex steps read a Whoosh index: stored fields by id, or all of them."""

    def __init__(self, client: osi.Client, index: str):
        self.client = client
        self.index = index

    def searcher(self) -> StoredArticles:
        """Return itself (the steps open a searcher and close it)."""
        return self

    def __enter__(self) -> StoredArticles:
        return self

    def __exit__(self, *exc) -> None:
        return None

    def close(self) -> None:
        """Nothing to release."""

    def document(self, id: str) -> dict | None:  # noqa: A002 (Whoosh's keyword)
        """Return the stored fields (``_source``) of one article, or None."""
        return self.many([id]).get(id)

    def many(self, ids: list[str], fields: list[str] | None = None) -> dict[str, dict]:
        """Return id → ``_source`` (only ``fields`` when given) of the given articles that the index holds."""
        out = {}
        query = "" if fields is None else "?_source_includes=" + ",".join(fields)
        for start in range(0, len(ids), osi.WALK_BATCH):
            chunk = ids[start:start + osi.WALK_BATCH]
            docs = self.client.request("POST", f"/{self.index}/_mget{query}", {"ids": chunk})["docs"]
            out.update((d["_id"], d["_source"]) for d in docs if d.get("found"))
        return out

    def all_stored_fields(self, fields: list[str] | None = None):
        """Yield the ``_source`` of every article (only ``fields`` when given), in id order, from one point in time."""
        pit = osi.open_pit(self.client, self.index)
        try:
            body = {"query": {"match_all": {}}, "sort": [{"id": "asc"}]}
            if fields is not None:
                body["_source"] = fields
            for hit in osi.walk(self.client, self.index, pit, body):
                yield hit.get("_source") or {}
        finally:
            osi.close_pit(self.client, pit)


# --------------------------------------------------------------------------- the stories' evidence


def stories_dir(local: Path, alias: str) -> Path:
    """Return the folder where the story evidence of ``alias`` is kept on this machine."""
    return Path(local) / STORIES_CACHE / re.sub(r"[^a-z0-9._-]", "_", alias.lower())


def load_stories(folder: Path, token: str | None) -> Path | None:
    """Return ``folder`` when it holds the story evidence of the state ``token``, else None (regroup)."""
    try:
        saved = (folder / TOKEN_FILE).read_text(encoding="utf-8").strip()
    except OSError:
        return None
    return folder if token and saved == token else None


def save_stories(folder: Path, stories, token: str) -> None:
    """Keep the story evidence of the state ``token`` (replaced whole; the token written last)."""
    from search.index import storyfile

    folder.mkdir(parents=True, exist_ok=True)
    (folder / TOKEN_FILE).unlink(missing_ok=True)  # no stale token over half-written evidence
    storyfile.install(folder, storyfile.stage(folder, stories))
    (folder / TOKEN_FILE).write_text(token, encoding="utf-8")
