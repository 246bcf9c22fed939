"""Where a click on a node of the visitor's page would take the visitor (issue 10, item 4).

``control.navigate`` off the site is refused; so must be a ``control.click`` whose effect is
the same navigation: a click on (or inside) a link to another site, on the submit button of
a form whose action is elsewhere, on a ``formaction`` pointing elsewhere, or on a label of
such a button. The sanitizer drops ``action`` and ``formaction`` from the replica, so the
facts are read from the visitor's raw tree (after it passed the sanitizer) and kept beside
the page index, one small JSON object per relevant element:

- field ``"<node id>"``: ``{"k": kind, <attr>: value, ..., "ctl": id}`` for links, forms,
  buttons, inputs and labels (``ctl``: a label's first labelable descendant);
- field ``"#<html id>"``: the node id of a form, button or input with that ``id`` (for
  ``form=`` and ``for=`` references);
- field ``"base"``: the page's first ``<base href>``.

Pure: the caller supplies the lookups (:func:`leaves_site`). No I/O.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable

from cobrowse.sanitize import urls

#: Element kinds (as in the page index: ``svg:`` prefix outside HTML) whose click may navigate.
LINK_KINDS = frozenset({"a", "area", "svg:a"})
#: Element kinds whose facts are kept.
FACT_KINDS = LINK_KINDS | {"form", "button", "input", "label"}
#: Attributes that decide where a click goes.
FACT_ATTRS = ("href", "xlink:href", "action", "formaction", "type", "form", "for", "id")
#: Controls a label forwards its click to (HTML "labelable elements").
LABELABLE = frozenset({"button", "input", "meter", "output", "progress", "select", "textarea"})
#: Longer attribute values are not resolved: such a target is treated as off the site.
MAX_VALUE = 4096
TOO_LONG = "\x00too-long"
#: Bound on every walk (the sanitizer caps depth at 512 and nodes at 250,000).
MAX_CHAIN = 1024


def _kind(node: dict) -> str | None:
    name = node.get("n")
    if type(name) is not str:
        return None
    ns = node.get("ns")
    name = name.lower()
    return f"{ns}:{name}" if ns in ("svg", "math") else name


def _attrs(node: dict) -> dict:
    raw = node.get("a")
    if type(raw) is not dict:
        return {}
    out = {}
    for key, value in raw.items():
        if type(key) is str and type(value) is str and key.lower() in FACT_ATTRS:
            out[key.lower()] = value if len(value) <= MAX_VALUE else TOO_LONG
    return out


def _children(node: dict) -> list:
    kids = [c for c in node.get("c") or () if type(c) is dict] if type(node.get("c")) is list else []
    for key in ("d", "sh"):
        if type(node.get(key)) is dict:
            kids.append(node[key])
    return kids


def _first_labelable(label: dict) -> int | None:
    stack = list(reversed(_children(label)))
    seen = 0
    while stack and seen < 10_000:
        seen += 1
        node = stack.pop()
        if node.get("t") == 1 and _kind(node) in LABELABLE and type(node.get("i")) is int:
            return node["i"]
        stack.extend(reversed(_children(node)))
    return None


def collect(root: object) -> dict[str, str]:
    """The fields to store for a raw subtree (a snapshot's ``doc`` or an ``add`` op's node)."""
    fields: dict[str, str] = {}
    stack = [root] if type(root) is dict else []
    while stack:
        node = stack.pop()
        if node.get("t") == 1 and type(node.get("i")) is int and not isinstance(node["i"], bool):
            _note(node, fields)
        stack.extend(reversed(_children(node)))
    return fields


def _note(node: dict, fields: dict[str, str]) -> None:
    kind = _kind(node)
    if kind == "base" and "base" not in fields:
        href = _attrs(node).get("href")
        if href is not None:
            fields["base"] = href
    if kind not in FACT_KINDS:
        return
    facts = {"k": kind, **_attrs(node)}
    if kind == "label" and "for" not in facts:
        ctl = _first_labelable(node)
        if ctl is not None:
            facts["ctl"] = ctl
    fields[str(node["i"])] = json.dumps(facts, separators=(",", ":"))
    if kind in ("form", "button", "input") and facts.get("id"):
        fields["#" + facts["id"]] = str(node["i"])


def with_attr(entry: str | None, kind: str, name: str, value: str | None) -> str | None:
    """The stored facts of a node after an ``attr`` op, or None if it needs none."""
    if kind not in FACT_KINDS or name.lower() not in FACT_ATTRS:
        return None
    facts = decode(entry) or {"k": kind}
    if value is None:
        facts.pop(name.lower(), None)
    else:
        facts[name.lower()] = value if len(value) <= MAX_VALUE else TOO_LONG
    return json.dumps(facts, separators=(",", ":"))


def decode(entry: str | None) -> dict | None:
    """Stored facts back as a dict (None when missing or not ours)."""
    if type(entry) is not str:
        return None
    try:
        facts = json.loads(entry)
    except ValueError:
        return None
    return facts if type(facts) is dict and type(facts.get("k")) is str else None


# --- the decision -----------------------------------------------------------------------

def may_navigate(kind: str, index_attrs: dict) -> bool:
    """From a page index entry alone: could this element's activation navigate? When no
    element of a click's chain may, the click needs no facts (and no extra round trip)."""
    if kind == "input":
        kind_type = index_attrs.get("type")
        return type(kind_type) is not str or kind_type.strip().lower() in ("submit", "image")
    return kind in FACT_KINDS and kind != "form"


def off_site(value: str, base: str, origins: Iterable[str]) -> bool:
    """Would following ``value`` (an attribute, relative to ``base``) leave the site?"""
    if value == TOO_LONG:
        return True
    url = urls.absolute_url(value, base)
    if url is None:  # javascript:, mailto:, data:, ... : not a page of this site either
        return True
    allowed = {o for o in (urls.canonical_origin(x) for x in origins) if o}
    return urls.origin_of(url) not in allowed


def is_submit(facts: dict) -> bool:
    """A button or input whose activation submits its form."""
    kind, kind_type = facts["k"], str(facts.get("type", "")).strip().lower()
    if kind == "button":
        return kind_type not in ("reset", "button")
    return kind == "input" and kind_type in ("submit", "image")


class Page:
    """The lookups :func:`leaves_site` needs, supplied by the caller (the broker's hashes)."""

    def __init__(self, chain: Callable[[int], list[int]], facts: Callable[[list[int]], dict],
                 by_html_id: Callable[[str], int | None], base: str, origins: Iterable[str]):
        self.chain, self.facts, self.by_html_id = chain, facts, by_html_id
        self.base, self.origins = base, tuple(origins)

    def off(self, value: str) -> bool:
        return off_site(value, self.base, self.origins)


def leaves_site(node_id: int, page: Page, _depth: int = 0) -> bool:
    """Would activating ``node_id`` navigate off the site's origins?"""
    chain = page.chain(node_id)[:MAX_CHAIN]
    facts = page.facts(chain)
    for at, nid in enumerate(chain):
        f = facts.get(nid)
        if not f:
            continue
        kind = f["k"]
        if kind in LINK_KINDS:
            href = f.get("href", f.get("xlink:href"))
            if href is not None and page.off(href):
                return True
        elif is_submit(f) and _submits_off_site(f, chain[at + 1:], facts, page):
            return True
        elif kind == "label" and _depth == 0:
            target = page.by_html_id(f["for"]) if f.get("for") else f.get("ctl")
            if type(target) is int and leaves_site(target, page, 1):
                return True
    return False


def _submits_off_site(control: dict, above: list[int], facts: dict, page: Page) -> bool:
    if "formaction" in control:
        return page.off(control["formaction"])
    if control.get("form"):
        fid = page.by_html_id(control["form"])
        form = page.facts([fid]).get(fid) if fid is not None else None
    else:
        form = next((facts[n] for n in above if facts.get(n) and facts[n]["k"] == "form"), None)
    if not form or form["k"] != "form":
        return False  # no form owner: the button submits nothing
    return page.off(form.get("action", ""))
