"""Reader-comment threads: nesting flat comments under their parent by ``reply_to``."""

from __future__ import annotations


def nest(nodes: list[dict]) -> list[dict]:
    """Attach each node to the ``replies`` of its parent and return the roots.

    Nodes are dicts with ``id``, ``reply_to`` and an empty ``replies`` list. Orphans, self-replies
    and anything that would close a cycle stay at the top level, so a broken thread scraped from a
    page still shows every comment exactly once.
    """
    by_id: dict[str, dict] = {}
    for node in nodes:
        if node.get("id") is not None:
            by_id.setdefault(str(node["id"]), node)
    roots = []
    for node in nodes:
        reply_to = node.get("reply_to")
        parent = by_id.get(str(reply_to)) if reply_to is not None else None
        ok = parent is not None and parent is not node
        ancestor, steps = parent, 0
        while ok and ancestor is not None and steps <= len(nodes):
            nxt = ancestor.get("reply_to")
            ancestor = by_id.get(str(nxt)) if nxt is not None else None
            if ancestor is node:
                ok = False
            steps += 1
        (parent["replies"] if ok else roots).append(node)
    return roots
