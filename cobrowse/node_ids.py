"""Implicit node ids: the tag leaves out ``"i"`` when a node's id is the previous written
id + 1 (pre-order: the node, its ``c`` children, then ``d``, then ``sh``). Ids are over half
of a gzipped snapshot, so this halves what the visitor uploads (issue 3, benchmark).

The server fills them back in before sanitizing, so everything after this sees explicit ids.
Pure, iterative (a very deep tree must not exhaust the stack).
"""

from __future__ import annotations


def expand_ids(root: object, last: int = 0) -> int:
    """Give every node without ``"i"`` the previous id + 1, in place; returns the last id.

    Malformed nodes are left alone for the sanitizer to refuse with a clear reason.
    """
    stack = [root]
    while stack:
        node = stack.pop()
        if not isinstance(node, dict):
            continue
        if "i" not in node:
            node["i"] = last + 1
        if isinstance(node["i"], int) and not isinstance(node["i"], bool):
            last = node["i"]
        following = []
        children = node.get("c")
        if isinstance(children, list):
            following.extend(children)
        for key in ("d", "sh"):
            if isinstance(node.get(key), dict):
                following.append(node[key])
        stack.extend(reversed(following))
    return last


def expand_event(event: dict) -> None:
    """Fill implicit ids of a ``snapshot`` document, of a ``mutation``'s added subtrees and
    of a ``fill`` op's children (one pre-order sequence over the list, issue 16)."""
    if event.get("k") == "snapshot":
        expand_ids(event.get("doc"))
    elif event.get("k") == "mutation" and isinstance(event.get("m"), list):
        for op in event["m"]:
            if isinstance(op, dict) and op.get("o") == "add":
                expand_ids(op.get("n"))
            elif isinstance(op, dict) and op.get("o") == "fill" and isinstance(op.get("c"), list):
                last = 0
                for child in op["c"]:
                    last = expand_ids(child, last)
