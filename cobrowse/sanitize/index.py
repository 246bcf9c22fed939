"""Index entries: what the server remembers of each node to sanitize later mutations.

One short string per node id (the caller keeps them in a Redis hash per session):
``"<parent id>|<masked 0/1/2>|<kind>"`` (2: soft masked, by a private site's default,
issue 14) and, when the node has attributes the mask selectors
or later ops need, ``"|" + compact JSON`` of them. Kinds: an HTML tag (``"div"``),
``"svg:rect"``, ``"math:mi"``, ``"#text"``, ``"#css"`` (text of a ``<style>``),
``"#document"``, ``"#shadow"``, ``"#doctype"``, ``"#ph"`` (a placeholder).
"""

import json
from typing import NamedTuple


class Entry(NamedTuple):
    """A decoded index entry."""

    parent: int
    masked: bool
    kind: str
    attrs: dict
    #: masked by a private site's default (not by a password or mask rule): nodes added
    #: below it get the private treatment, so an ``--unmask`` element added later shows.
    soft: bool = False


def encode(parent: int, masked: bool, kind: str, attrs: dict | None = None,
           soft: bool = False) -> str:
    """The index string of one node."""
    head = f"{parent}|{(2 if soft else 1) if masked else 0}|{kind}"
    if attrs:
        return head + "|" + json.dumps(attrs, separators=(",", ":"), ensure_ascii=False)
    return head


def decode(entry: str | None) -> Entry | None:
    """The entry, or None when it is missing or not one of ours."""
    if type(entry) is not str:
        return None
    parts = entry.split("|", 3)
    if len(parts) < 3 or not parts[0].isdigit() or parts[1] not in ("0", "1", "2"):
        return None
    attrs = {}
    if len(parts) == 4:
        try:
            attrs = json.loads(parts[3])
        except ValueError:
            return None
        if type(attrs) is not dict:
            return None
    return Entry(int(parts[0]), parts[1] != "0", parts[2], attrs, parts[1] == "2")


def is_masked(entry: str | None) -> bool:
    """Whether the node of this index entry is masked (itself or by an ancestor).

    The server refuses agent input into masked nodes. An unknown node (None) is not
    masked: there is nothing of it in the replica to type into.
    """
    if type(entry) is not str:
        return False
    parts = entry.split("|", 2)
    return len(parts) > 2 and parts[1] in ("1", "2")


def element_kind(ns: str | None, tag: str) -> str:
    """The kind of an element: its tag, prefixed by ``svg:``/``math:`` outside HTML."""
    return f"{ns}:{tag}" if ns else tag


def split_kind(kind: str) -> tuple[str | None, str]:
    """(namespace, tag) of an element kind."""
    if kind.startswith("svg:"):
        return "svg", kind[4:]
    if kind.startswith("math:"):
        return "math", kind[5:]
    return None, kind
