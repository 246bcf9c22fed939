"""``sanitize_mutation``: mutation ops checked against what the server knows of each node.

Each op is cleaned with the same rules as a snapshot, using the index entries stored when
the nodes were first seen (tag, namespace, masked flag, attributes the mask selectors
read). Ops on unknown ids, on dropped nodes (scripts...), on placeholders, or malformed
ops are dropped; a node subtree that is malformed or over a limit raises SanitizeError.
A removal drops the node's whole subtree from the index (the entries list their
children), so ops on the removed descendants are dropped like any unknown id.
"""

import re
from collections.abc import Callable

from . import urls
from .attrs import CLEANERS
from .controls import mark_no_control
from .errors import MAX_ATTRIBUTE, MAX_DEPTH, SanitizeError
from .index import Entry, add_children, decode, encode, split_kind, with_children, with_pending
from .mask import matching_ids, self_masked
from .policy import FORM_ELEMENTS, MASK_PLACEHOLDER, SVG_ATTRIBUTE_CASE
from .private import mask_private, soft_keep
from .run import Run
from .site import SitePolicy, compile_site
from .snapshot import mark_pending, mask_matches
from .tree import children_allowed, form_state, walk

Lookup = Callable[[list[int]], dict[int, str | None]]

#: Attributes whose new value may be refused: the op then removes the old value.
_VALUE_CHECKED = frozenset(
    "href xlink:href src srcset poster background cite usemap style type".split()
)
_ATTRIBUTE_NAME = re.compile(r"[A-Za-z_:][\w:.\-]{0,127}\Z")
_NOT_ELEMENTS = ("#text", "#css", "#doctype", "#document", "#shadow", "#ph")


class Known:
    """Index entries read through ``lookup`` (batched), overlaid with this event's changes."""

    def __init__(self, lookup: Lookup):
        self._lookup = lookup
        self._cache: dict[int, str | None] = {}
        self.changes: dict[int, str | None] = {}

    def fetch(self, ids) -> None:
        missing = list({i for i in ids if _is_id(i) and i not in self._cache})
        if missing:
            found = self._lookup(missing) or {}
            for i in missing:
                self._cache[i] = found.get(i)

    def get(self, i) -> Entry | None:
        if not _is_id(i):
            return None
        if i not in self._cache:
            self.fetch([i])
        return decode(self._cache[i])

    def raw(self, i: int) -> str | None:
        """The entry of ``i`` as stored (after this event's changes)."""
        self.get(i)
        return self._cache.get(i) if _is_id(i) else None

    def put(self, i: int, entry: str | None) -> None:
        self._cache[i] = entry
        self.changes[i] = entry

    def set_children(self, i: int, children) -> None:
        """Give the known node ``i`` these child ids."""
        raw = self._cache.get(i)
        if raw is not None:
            self.put(i, with_children(raw, children))

    def chain(self, i: int) -> list[tuple]:
        """Records of ``i`` and its ancestors, root first (for the mask selectors)."""
        out = []
        while i and len(out) <= MAX_DEPTH:
            entry = self.get(i)
            if entry is None:
                break
            out.append((i, entry.parent, entry.kind, entry.masked, entry.attrs))
            i = entry.parent
        out.reverse()
        return out


def _is_id(value) -> bool:
    return type(value) is int and value > 0


def sanitize_mutation(
    event: dict, policy: SitePolicy, lookup: Lookup, page_url: str
) -> tuple[dict, dict[int, str | None]]:
    """Sanitize a ``mutation`` event; return (clean event, index changes; None = delete).

    ``lookup(ids)`` returns the stored index entries of those ids (None when unknown);
    ``page_url`` is the URL of the page's last snapshot (relative URLs resolve against it).
    """
    if type(event) is not dict or type(event.get("m")) is not list:
        raise SanitizeError("A mutation event needs 'm', a list of ops.")
    base = (
        urls.absolute_url(page_url, "https://invalid.invalid/") if type(page_url) is str else None
    )
    if base is None:
        raise SanitizeError("The session has no page URL to resolve the mutations against.")
    site = compile_site(policy.for_page(base or ""))  # the rules of this page (issue 14)
    run = Run(site)
    known = Known(lookup)
    ops = [op for op in event["m"] if type(op) is dict]
    known.fetch([op.get("i", op.get("p")) for op in ops] + [op.get("b") for op in ops])
    known.fetch(
        [
            e.parent
            for op in ops
            if op.get("o") in ("text", "prop", "rm")
            if (e := known.get(op.get("i"))) is not None
        ]
    )
    out = []
    for op in ops:
        handler = _HANDLERS.get(op.get("o"))
        clean = handler(op, run, known, base) if handler else None
        if clean is not None:
            out.extend(clean if type(clean) is list else [clean])
    return {"k": "mutation", "m": out}, known.changes


def _masked(entry: Entry, known: Known) -> bool:
    if entry.masked:
        return True
    parent = known.get(entry.parent)
    return parent is not None and parent.masked


def _add(op, run: Run, known: Known, base: str):
    parent_id, node = op.get("p"), op.get("n")
    parent = known.get(parent_id)
    if parent is None or parent.kind in ("#text", "#css", "#doctype", "#ph"):
        return None
    before = op.get("b")
    before_entry = known.get(before)
    if before_entry is None or before_entry.parent != parent_id:
        before = None
    clean = _subtree(parent_id, parent, node, run, known, base)
    if clean is None:
        return None
    parent = known.get(parent_id)  # again: the subtree may reuse the parent's id
    if parent is not None and clean["i"] not in parent.children:
        known.set_children(parent_id, parent.children + (clean["i"],))
    return {"o": "add", "p": parent_id, "b": before, "n": clean}


def _subtree(parent_id: int, parent: Entry, node, run: Run, known: Known, base: str):
    """The clean copy of a subtree added under a known node, its index entries written to
    ``known`` (the parent's child list is the caller's)."""
    run.seen, run.records, run.nodes, run.index, run.pending = set(), [], {}, {}, []
    allowed = children_allowed(parent.kind)  # text added to a <style> is CSS
    hard = parent.masked and not parent.soft  # soft: a private site's default, see below
    clean = walk(
        node,
        run,
        parent_id=parent_id,
        parent_kind=parent.kind,
        masked=hard,
        base=base,
        depth=1,
        allowed=allowed,
    )
    if clean is None:
        return None
    rules = run.site.rules
    found = set()
    if rules.active and not hard:
        found = matching_ids(rules, known.chain(parent_id) + run.records)
        if found:
            mask_matches(run, found, set())
    if parent.soft:
        unmask = run.site.unmask
        lift = matching_ids(unmask, known.chain(parent_id) + run.records) if unmask.active else ()
        mask_private(run, set(found), set(lift))
    mark_no_control(run, known.chain(parent_id), parent_id, parent.no_control)
    add_children(run.index, run.records)
    mark_pending(run)
    for rid, entry in run.index.items():
        known.put(rid, entry)
    return clean


def _fill(op, run: Run, known: Known, base: str):
    """Children of a pending shell of a visible-first snapshot (issue 16), sanitized like
    added subtrees under it. ``more``: further fills of it follow; without it the shell is
    complete. A fill of anything but a pending shell of this page refuses the mutation."""
    i, children = op.get("i"), op.get("c")
    shell = known.get(i)
    if shell is None or not shell.pending:
        raise SanitizeError(f"A fill names node {i!r}, which is not a pending shell of this page "
                            "(fills follow their snapshot, in order).")
    if type(children) is not list:
        raise SanitizeError(f"The fill of node {i} needs 'c', a list of nodes.")
    more = op.get("more") is True
    clean = []
    for child in children:
        node = _subtree(i, shell, child, run, known, base)
        if node is not None:
            clean.append(node)
    shell = known.get(i)  # again: a child may have reused the shell's id
    if shell is not None:
        had = set(shell.children)
        known.set_children(i, shell.children + tuple(n["i"] for n in clean if n["i"] not in had))
        if not more:
            known.put(i, with_pending(known.raw(i), False))
    out = {"o": "fill", "i": i, "c": clean}
    if more:
        out["more"] = True
    return out


def _remove(op, run: Run, known: Known, base: str):
    i = op.get("i")
    entry = known.get(i)
    if entry is None:
        return None
    parent = known.get(entry.parent)
    if parent is not None and i in parent.children:
        known.set_children(entry.parent, tuple(c for c in parent.children if c != i))
    _drop_subtree(known, i, entry)
    return {"o": "rm", "i": i}


def _drop_subtree(known: Known, i: int, entry: Entry) -> None:
    """Delete ``i`` and every descendant from the index, one batched lookup per level.

    A listed child counts only while its own entry still names this parent: an id the
    page moved elsewhere, or reused, keeps its new place.
    """
    known.put(i, None)
    level = [(i, entry)]
    for _ in range(MAX_DEPTH + 2):
        kids = [(child, pid) for pid, e in level for child in e.children]
        if not kids:
            return
        known.fetch([child for child, _ in kids])
        level = []
        for child, pid in kids:
            found = known.get(child)
            if found is not None and found.parent == pid:
                known.put(child, None)
                level.append((child, found))


def _element(op, known: Known) -> tuple[Entry, str | None, str] | None:
    entry = known.get(op.get("i"))
    if entry is None or entry.kind in _NOT_ELEMENTS:
        return None
    ns, tag = split_kind(entry.kind)
    return entry, ns, tag


def _attribute(op, run: Run, known: Known, base: str):
    found = _element(op, known)
    name, value = op.get("a"), op.get("v")
    if found is None or type(name) is not str or not _ATTRIBUTE_NAME.match(name):
        return None
    if value is not None and type(value) is not str:
        return None
    entry, ns, tag = found
    i = op["i"]
    key = SVG_ATTRIBUTE_CASE.get(name.lower(), name.lower()) if ns == "svg" else name.lower()
    if tag in ("link", "iframe") and ns is None:
        return None  # their URLs decide what is fetched: only a new snapshot changes them
    if value is None:
        clean_value = None
    else:
        if len(value) > MAX_ATTRIBUTE:
            CLEANERS[ns](tag, {name: value}, run, base, entry.masked)  # raises on the limit
        raw = {"type": entry.attrs.get("type", "")} if tag == "input" else {}
        raw[name] = value
        # A soft mask (a private site's default) keeps image sources, SVG geometry and
        # layout attributes: a lazy-loaded image still shows (issue 14).
        cleaned = CLEANERS[ns](tag, raw, run, base, _masked(entry, known) and not entry.soft)
        clean_value = cleaned.get(key)
        if entry.soft and not soft_keep(entry.kind, key):
            clean_value = None
        if clean_value is None and key not in _VALUE_CHECKED:
            return None
    extra = _remask(entry, ns, tag, key, value, i, run, known)
    return [{"o": "attr", "i": i, "a": key, "v": clean_value}] + extra


def _remask(entry: Entry, ns, tag, key, value, i, run: Run, known: Known) -> list:
    """Track attributes the masking reads; mask the element if it now must be."""
    rules = run.site.rules
    if key not in rules.attributes and key not in ("type", "data-cobrowse-mask"):
        return []
    attrs = dict(entry.attrs)
    if value is None:
        attrs.pop(key, None)
    elif key in rules.attributes or key == "type":
        attrs[key] = value
    raw = dict(attrs)
    if key == "data-cobrowse-mask" and value is not None:
        raw[key] = value
    masked = entry.masked or (ns is None and self_masked(tag, raw, None))
    if not masked and rules.active:
        chain = known.chain(entry.parent) + [(i, entry.parent, entry.kind, False, attrs)]
        masked = i in matching_ids(rules, chain)
    soft = entry.soft and not (ns is None and self_masked(tag, raw, None))
    known.put(i, encode(entry.parent, masked, entry.kind, attrs, soft=soft,
                        no_control=entry.no_control, children=entry.children,
                        pending=entry.pending))
    if masked and not entry.masked and ns is None and tag in FORM_ELEMENTS:
        return [{"o": "prop", "i": i, "p": {"value": MASK_PLACEHOLDER}}]
    return []


def _text(op, run: Run, known: Known, base: str):
    i, x = op.get("i"), op.get("x")
    entry = known.get(i)
    if entry is None or entry.kind not in ("#text", "#css") or type(x) is not str:
        return None
    if _masked(entry, known):
        x = MASK_PLACEHOLDER
    elif entry.kind == "#css":
        x = run.stylesheet(x, base)
    return {"o": "text", "i": i, "x": x}


def _property(op, run: Run, known: Known, base: str):
    found = _element(op, known)
    if found is None or found[1] is not None or found[2] not in FORM_ELEMENTS:
        return None
    state = form_state(op.get("p"), _masked(found[0], known))
    return {"o": "prop", "i": op["i"], "p": state} if state else None


def _sheet(op, run: Run, known: Known, base: str):
    found = _element(op, known)
    text = op.get("css")
    if found is None or found[2] not in ("style", "link") or type(text) is not str:
        return None
    sheet_base = found[0].attrs.get("base")
    if type(sheet_base) is not str or urls.absolute_url(sheet_base, base) != sheet_base:
        sheet_base = base
    return {"o": "css", "i": op["i"], "css": run.stylesheet(text, sheet_base)}


def _adopted(op, run: Run, known: Known, base: str):
    entry = known.get(op.get("i"))
    sheets = op.get("ss")
    if entry is None or entry.kind not in ("#document", "#shadow") or type(sheets) is not list:
        return None
    return {
        "o": "ss",
        "i": op["i"],
        "ss": [run.stylesheet(s, base) for s in sheets if type(s) is str],
    }


def _canvas(op, run: Run, known: Known, base: str):
    found = _element(op, known)
    image = op.get("img")
    if found is None or found[2] != "canvas" or _masked(found[0], known) or type(image) is not str:
        return None
    clean = urls.data_image(image)
    return {"o": "img", "i": op["i"], "img": clean} if clean else None


_HANDLERS = {
    "add": _add,
    "fill": _fill,
    "rm": _remove,
    "attr": _attribute,
    "text": _text,
    "prop": _property,
    "css": _sheet,
    "ss": _adopted,
    "img": _canvas,
}
