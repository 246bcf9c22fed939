"""Elements the agent may not operate (issue 14, ``--no-control SELECTOR``).

The matches of the site's no-control selectors, their descendants, and the labels that point
at them (``for``) or hold them (with their own descendants) are flagged in the page index, so
the relay refuses a ``control.click`` or ``control.input`` there, and marked ``"nc": 1`` in
the clean tree, so the workspace says why before it sends anything. The element stays
visible.

A mutation's added nodes are flagged below a flagged parent or when they match; a label added
later that points at an older element is left to the tag (the first wall).
"""

from .index import with_no_control
from .mask import matching_ids


def mark_no_control(run, chain: list | tuple = (), parent: int | None = None,
                    parent_blocked: bool = False) -> None:
    """Flag the no-control nodes among ``run.records`` (call it after the masking passes).

    For a mutation: ``chain`` holds the ancestors' records, ``parent`` the added subtree's
    parent id and ``parent_blocked`` whether that parent is flagged.
    """
    rules = run.site.no_control
    if not rules.active:
        return
    found = matching_ids(rules, [*chain, *run.records], run.yield_hook)
    blocked = {parent} if parent_blocked else set()
    element_ids = set()
    for rid, parent_id, _kind, _masked, attrs in run.records:
        if rid in found or parent_id in blocked:
            blocked.add(rid)
            if attrs and attrs.get("id"):
                element_ids.add(attrs["id"])
    blocked |= _labels(run.records, blocked, element_ids)
    for rid, parent_id, *_ in run.records:  # a label's descendants (its text, a span)
        if parent_id in blocked:
            blocked.add(rid)
    for rid in blocked:
        entry = run.index.get(rid)
        if entry is None:
            continue  # the mutation's parent: flagged already
        run.index[rid] = with_no_control(entry)
        node = run.nodes.get(rid)
        if node is not None:
            node["nc"] = 1


def _labels(records, blocked: set, element_ids: set) -> set:
    """Labels pointing at a blocked element (``for``) or holding one."""
    up = {rid: (parent, kind) for rid, parent, kind, *_ in records}
    labels = {rid for rid, _p, kind, _m, attrs in records
              if kind == "label" and attrs and attrs.get("for") in element_ids}
    for rid in blocked:
        seen = 0
        cur = up.get(rid, (None, ""))[0]
        while cur in up and seen < 256:
            parent, kind = up[cur]
            if kind == "label":
                labels.add(cur)
            cur, seen = parent, seen + 1
    return labels
