"""The tree walk: validate structure and rebuild a clean copy of a snapshot (sub)tree.

Iterative (an explicit stack), so a 100,000-deep tree raises SanitizeError at the depth
limit instead of RecursionError. Every node is checked (a dict, a positive integer id seen
once, a known type in a place the DOM allows it) and copied key by key: keys outside the
snapshot format (docs/protocol.md) never reach the output.
"""

import re

from . import urls
from .attrs import CLEANERS
from .errors import MAX_ATTRIBUTE, MAX_DEPTH, MAX_NODE_ID, SanitizeError
from .mask import mask_form_state
from .policy import (
    CUSTOM_ELEMENT,
    DROPPED_HTML_ELEMENTS,
    FORM_ELEMENTS,
    HTML_ELEMENTS,
    MASK_PLACEHOLDER,
    MASKED_ATTRIBUTES,
    MATH_ELEMENTS,
    PAGE_HTML_ELEMENTS,
    PLACEHOLDER_ATTRIBUTE,
    PLACEHOLDER_HTML_ELEMENTS,
    RESERVED_CUSTOM,
    SHADOW_HOSTS,
    SVG_CASE,
)
from .run import YIELD_EVERY_NODES

TEXT, ELEMENT, DOCUMENT, DOCTYPE, SHADOW = 3, 1, 9, 10, 11
#: Node types allowed in each place of the tree.
IN_DOCUMENT = frozenset({ELEMENT, DOCTYPE})
IN_ELEMENT = frozenset({ELEMENT, TEXT})
#: A ``<style>`` holds text only (its sheet); an element in it is dropped with its subtree.
IN_STYLE = frozenset({TEXT})
AS_SHADOW = frozenset({SHADOW})
AS_DOCUMENT = frozenset({DOCUMENT})
KNOWN_TYPES = frozenset({TEXT, ELEMENT, DOCUMENT, DOCTYPE, SHADOW})

_HTML_KEEP = HTML_ELEMENTS | PAGE_HTML_ELEMENTS
#: Kinds of element whose text children are a style sheet.
STYLE_KINDS = frozenset({"style", "svg:style"})
_SIZE = re.compile(r"\s*(\d{1,6})(?:\.\d*)?\s*(?:px)?\s*\Z")
_YIELD_MASK = YIELD_EVERY_NODES - 1
_MASK_ATTRIBUTE = "data-cobrowse-mask"


def walk(
    root,
    run,
    *,
    parent_id: int,
    parent_kind: str,
    masked: bool,
    base: str,
    depth: int,
    allowed: frozenset,
) -> dict | None:
    """The clean copy of ``root`` (None when it is dropped).

    Fills ``run.records`` (document order, parents first) and ``run.index``.
    """
    holder: list = []
    slots: list = []
    stack = [(root, holder, (parent_id, parent_kind, depth, masked, base, allowed))]
    seen, records, index, hook = run.seen, run.records, run.index, run.yield_hook
    count, limit = run.count, run.node_limit
    pop = stack.pop
    while stack:
        node, out, ctx = pop()
        pid, pkind, depth, masked, base, allowed = ctx
        if type(node) is not dict:
            raise SanitizeError(f"A child of node {pid} is not a node object.")
        i = node.get("i")
        if type(i) is not int or not 0 < i <= MAX_NODE_ID:
            raise SanitizeError(f"A child of node {pid} has no valid id (a positive integer).")
        if i in seen:
            raise SanitizeError(f"Node id {i} appears more than once; ids must be unique.")
        seen.add(i)
        count += 1
        if count > limit:
            raise SanitizeError(f"The page has more than {limit:,} nodes; that is over the limit.")
        if depth > MAX_DEPTH:
            raise SanitizeError(f"The page is nested deeper than {MAX_DEPTH} levels.")
        if hook is not None and not count & _YIELD_MASK:
            hook()
        t = node.get("t")
        if t == TEXT and allowed is IN_ELEMENT and pkind not in STYLE_KINDS:
            x = node.get("x")
            if type(x) is not str:
                raise SanitizeError(f"Text node {i} has no text string.")
            if masked:
                out.append({"i": i, "t": TEXT, "x": MASK_PLACEHOLDER})
                index[i] = f"{pid}|1|#text"
            else:
                out.append({"i": i, "t": TEXT, "x": x})
                index[i] = f"{pid}|0|#text"
            records.append((i, pid, "#text", masked, None))
            continue
        if t not in allowed:
            if t not in KNOWN_TYPES:
                raise SanitizeError(f"Node {i} has an unknown type {t!r}.")
            continue  # a node the DOM does not allow here: dropped with its subtree
        if t == TEXT:
            x = node.get("x")
            if type(x) is not str:
                raise SanitizeError(f"Text node {i} has no text string.")
            out.append(
                {"i": i, "t": TEXT, "x": MASK_PLACEHOLDER if masked else run.stylesheet(x, base)}
            )
            run.record(i, pid, "#css", masked, None)
        elif t == ELEMENT:
            if pkind == "#document" and any(c["t"] == ELEMENT for c in out):
                continue  # a document has one root element
            _element(node, i, out, ctx, run, stack, slots)
        elif t == DOCTYPE:
            if out:
                continue  # the doctype comes first, once
            out.append({"i": i, "t": DOCTYPE, "n": "html"})
            run.record(i, pid, "#doctype", masked, None)
        else:  # DOCUMENT or SHADOW: a container of nodes
            kind = "#document" if t == DOCUMENT else "#shadow"
            clean = {"i": i, "t": t, "c": []}
            sheets = _sheets(node.get("ss"), run, base)
            if sheets is not None:
                clean["ss"] = sheets
            out.append(clean)
            run.record(i, pid, kind, masked, None)
            inner = IN_DOCUMENT if t == DOCUMENT else IN_ELEMENT
            _push_children(node, i, clean["c"], (i, kind, depth + 1, masked, base, inner), stack)
    run.count = count
    for parent, key, box in slots:
        if box:
            parent[key] = box[0]
    return holder[0] if holder else None


def children_allowed(kind: str) -> frozenset:
    """Node types allowed as children of a node of this kind."""
    if kind == "#document":
        return IN_DOCUMENT
    return IN_STYLE if kind in STYLE_KINDS else IN_ELEMENT


def can_host_shadow(ns: str | None, name: str) -> bool:
    """Whether ``attachShadow`` works on this element (the name as the visitor sent it)."""
    if ns is not None:
        return False
    tag = name.lower()
    return tag in SHADOW_HOSTS or (bool(CUSTOM_ELEMENT.match(tag)) and tag not in RESERVED_CUSTOM)


def _push_children(node, i, out, ctx, stack) -> None:
    children = node.get("c")
    if children is None:
        return
    if type(children) is not list:
        raise SanitizeError(f"The children of node {i} are not a list.")
    push = stack.append
    for child in reversed(children):
        push((child, out, ctx))


def _sheets(value, run, base: str) -> list | None:
    if type(value) is not list:
        return None
    return [run.stylesheet(s, base) for s in value if type(s) is str]


def _element(node, i, out, ctx, run, stack, slots) -> None:
    pid, _, depth, masked, base, _ = ctx
    n = node.get("n")
    if type(n) is not str:
        raise SanitizeError(f"Element {i} has no tag name.")
    raw = node.get("a")
    if raw is None:
        raw = {}
    elif type(raw) is not dict:
        raise SanitizeError(f"The attributes of element {i} are not an object.")
    ns = node.get("ns")
    if node.get("sh") is not None and not can_host_shadow(ns, n):
        raise SanitizeError(
            f"Element {i} <{n[:40]}> has a shadow root, but it cannot host one; only the "
            "HTML standard's shadow hosts and custom elements can."
        )
    if ns is None:
        tag = n.lower()
        if tag not in _HTML_KEEP:
            if tag in DROPPED_HTML_ELEMENTS:
                return
            if tag in PLACEHOLDER_HTML_ELEMENTS:
                return _placeholder(i, raw, out, pid, masked, base, run)
            if not CUSTOM_ELEMENT.match(tag) or tag in RESERVED_CUSTOM:
                tag = "span"  # unknown elements render inline, like a span
        elif tag == "iframe":
            return _iframe(node, i, raw, out, pid, depth, masked, base, run, stack, slots)
        elif tag == "link":
            return _link(node, i, raw, out, pid, masked, base, run)
        kind = tag
    elif ns == "svg":
        tag = SVG_CASE.get(n.lower())
        if tag is None:
            return
        kind = "svg:" + tag
    elif ns == "math":
        tag = n.lower()
        if tag not in MATH_ELEMENTS:
            return
        kind = "math:" + tag
    else:
        return
    attrs = CLEANERS[ns](tag, raw, run, base, masked) if raw else {}
    if not masked and _self_masked(node, tag, attrs):
        masked = True
        attrs = {k: v for k, v in attrs.items() if k in MASKED_ATTRIBUTES}
    children: list = []
    clean = {"i": i, "t": ELEMENT, "n": tag, "a": attrs, "c": children}
    if ns is not None:
        clean["ns"] = ns
    if masked:
        clean["m"] = 1
    if len(node) > 5 or ns is not None:
        _optional_keys(node, clean, tag, ns, masked, base, run)
    if node.get("f") == 1:
        # A pending shell of a visible-first snapshot: its children come in fills (issue 16).
        clean["f"] = 1
        run.pending.append(i)
        height = node.get("fh")
        if type(height) in (int, float) and 0 < height <= 1_000_000:
            clean["fh"] = int(height)  # its height on the visitor's page, kept meanwhile
    out.append(clean)
    run.nodes[i] = clean
    rules = run.site.rules
    extra = rules.pick(raw) if rules.active and raw else None
    if tag == "input":
        extra = extra or {}
        extra["type"] = attrs.get("type", "")
    run.record(i, pid, kind, masked, extra)
    inner = (i, kind, depth + 1, masked, base, children_allowed(kind))
    shadow = node.get("sh")
    if shadow is not None:
        box: list = []
        slots.append((clean, "sh", box))
        stack.append((shadow, box, (i, kind, depth + 1, masked, base, AS_SHADOW)))
    _push_children(node, i, children, inner, stack)


def _self_masked(node: dict, tag: str, attrs: dict) -> bool:
    """Masked whatever the site configures: the tag said so, a marked element, a password."""
    return (
        node.get("m") == 1
        or _MASK_ATTRIBUTE in attrs
        or (tag == "input" and attrs.get("type") == "password")
    )


def _optional_keys(node, clean, tag, ns, masked, base, run) -> None:
    if ns is None and tag in FORM_ELEMENTS and "p" in node:
        state = form_state(node["p"], masked)
        if state:
            clean["p"] = state
    if tag == "style" and type(node.get("css")) is str:
        clean["css"] = run.stylesheet(node["css"], base)
    if ns is None and tag == "canvas" and not masked and type(node.get("img")) is str:
        image = urls.data_image(node["img"])
        if image:
            clean["img"] = image
    scroll = scroll_position(node.get("sc"))
    if scroll is not None:
        clean["sc"] = scroll


def form_state(state, masked: bool) -> dict | None:
    """Form state ``p`` (value, checked, selected) checked; the placeholder when masked."""
    if type(state) is not dict:
        return None
    out: dict = {}
    value = state.get("value")
    if type(value) is str:
        if len(value) > MAX_ATTRIBUTE:
            raise SanitizeError(
                f"A form value is {len(value):,} characters long; the limit is {MAX_ATTRIBUTE:,}."
            )
        out["value"] = value
    if type(state.get("checked")) is bool:
        out["checked"] = state["checked"]
    selected = state.get("selected")
    if type(selected) is bool or (
        type(selected) is list
        and len(selected) <= 10_000
        and all(type(n) is int and 0 <= n < 1_000_000 for n in selected)
    ):
        out["selected"] = selected
    return mask_form_state(out) if masked else out


def scroll_position(value) -> list | None:
    """``sc`` as two finite numbers, or None."""
    if type(value) is not list or len(value) != 2:
        return None
    out = []
    for n in value:
        if type(n) not in (int, float) or n != n or abs(n) > 1e9:
            return None
        out.append(n)
    return out


def _size(raw: dict, name: str) -> int | None:
    for key, value in raw.items():
        if type(key) is str and key.lower() == name and type(value) is str:
            match = _SIZE.match(value)
            return min(int(match.group(1)), 100_000) if match else None
    return None


def _attr(raw: dict, name: str) -> str | None:
    for key, value in raw.items():
        if type(key) is str and key.lower() == name and type(value) is str:
            return value
    return None


def _placeholder(i, raw, out, pid, masked, base, run, reason="plugin") -> None:
    source = _attr(raw, "src") or _attr(raw, "data") or _attr(raw, "code")
    url = urls.absolute_url(source, base, run.url_cache) if source else None
    host = url.split("/")[2] if url else None
    what = "Embedded page" if reason.startswith("frame") else "Embedded object"
    attrs = {PLACEHOLDER_ATTRIBUTE: f"{what} from {host}" if host else what}
    width, height = _size(raw, "width"), _size(raw, "height")
    sizes = [f"{k}:{v}px" for k, v in (("width", width), ("height", height)) if v is not None]
    if sizes:
        attrs["style"] = ";".join(sizes)
    clean = {"i": i, "t": ELEMENT, "n": "div", "a": attrs, "c": []}
    if masked:
        clean["m"] = 1
    out.append(clean)
    run.record(i, pid, "#ph", masked, None)
    run.fidelity[reason] += 1


def _iframe(node, i, raw, out, pid, depth, masked, base, run, stack, slots) -> None:
    doc = node.get("d")
    src = (_attr(raw, "src") or "").strip()
    url = urls.absolute_url(src, base, run.url_cache) if src else None
    same_origin = url is not None and urls.origin_of(url) in run.site.origins
    if src and src.lower() != "about:blank" and not same_origin:
        return _placeholder(i, raw, out, pid, masked, base, run, "frame")
    if type(doc) is not dict:
        return _placeholder(i, raw, out, pid, masked, base, run, "frame_uncaptured")
    attrs = CLEANERS[None]("iframe", raw, run, base, masked)
    if not masked and _self_masked(node, "iframe", attrs):
        masked = True
        attrs = {k: v for k, v in attrs.items() if k in MASKED_ATTRIBUTES}
    clean = {"i": i, "t": ELEMENT, "n": "iframe", "a": attrs, "c": []}
    if masked:
        clean["m"] = 1
    out.append(clean)
    run.nodes[i] = clean
    rules = run.site.rules
    run.record(i, pid, "iframe", masked, rules.pick(raw) if rules.active else None)
    box: list = []
    slots.append((clean, "d", box))
    inner_base = url if same_origin else base
    stack.append((doc, box, (i, "iframe", depth + 1, masked, inner_base, AS_DOCUMENT)))


def _link(node, i, raw, out, pid, masked, base, run) -> None:
    rel = (_attr(raw, "rel") or "").lower().split()
    if rel != ["stylesheet"]:
        return  # icons, preloads, alternates and the rest change nothing the agent sees
    href_raw = _attr(raw, "href")
    href = (
        urls.resource_url(href_raw, base, run.resource_origins, run.url_cache) if href_raw else None
    )
    text = node.get("css")
    attrs = {"rel": "stylesheet"}
    if href:
        attrs["href"] = run.proxied(href, "style")
    for name in ("media", "title"):
        value = _attr(raw, name)
        if value is not None and len(value) <= MAX_ATTRIBUTE:
            attrs[name] = value
    clean = {"i": i, "t": ELEMENT, "n": "link", "a": attrs, "c": []}
    if masked:
        clean["m"] = 1
    sheet_base = href or (urls.absolute_url(href_raw, base, run.url_cache) if href_raw else None)
    sheet_base = sheet_base or base
    if type(text) is str:
        clean["css"] = run.stylesheet(text, sheet_base)
    elif not href:
        if href_raw:
            run.fidelity["stylesheet"] += 1
        return
    out.append(clean)
    run.nodes[i] = clean
    extra = run.site.rules.pick(raw) if run.site.rules.active else {}
    if sheet_base != base:
        extra["base"] = sheet_base
    run.record(i, pid, "link", masked, extra or None)
