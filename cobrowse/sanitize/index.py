"""Index entries: what the server remembers of each node to sanitize later mutations.

One short string per node id (the caller keeps them in a Redis hash per session):
``"<parent id>|<flags>|<kind>"``, flags a digit: 0 shown, 1 masked, 2 soft masked (by a
private site's default), plus 4 when the agent may not operate the node (issue 14) and, when the node has attributes the mask selectors
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
    #: the agent may not operate it (a ``--no-control`` match, below one, or its label).
    no_control: bool = False


_FLAGS = frozenset("0124356")


def encode(parent: int, masked: bool, kind: str, attrs: dict | None = None,
           soft: bool = False, no_control: bool = False) -> str:
    """The index string of one node."""
    flags = ((2 if soft else 1) if masked else 0) + (4 if no_control else 0)
    head = f"{parent}|{flags}|{kind}"
    if attrs:
        return head + "|" + json.dumps(attrs, separators=(",", ":"), ensure_ascii=False)
    return head


def decode(entry: str | None) -> Entry | None:
    """The entry, or None when it is missing or not one of ours."""
    if type(entry) is not str:
        return None
    parts = entry.split("|", 3)
    if len(parts) < 3 or not parts[0].isdigit() or parts[1] not in _FLAGS:
        return None
    attrs = {}
    if len(parts) == 4:
        try:
            attrs = json.loads(parts[3])
        except ValueError:
            return None
        if type(attrs) is not dict:
            return None
    flags = int(parts[1])
    return Entry(int(parts[0]), bool(flags & 3), parts[2], attrs, flags & 3 == 2, bool(flags & 4))


def is_masked(entry: str | None) -> bool:
    """Whether the node of this index entry is masked (itself or by an ancestor).

    The server refuses agent input into masked nodes. An unknown node (None) is not
    masked: there is nothing of it in the replica to type into.
    """
    if type(entry) is not str:
        return False
    parts = entry.split("|", 2)
    return len(parts) > 2 and parts[1] in _FLAGS and bool(int(parts[1]) & 3)


def is_no_control(entry: str | None) -> bool:
    """Whether the agent may not operate the node of this index entry (issue 14)."""
    if type(entry) is not str:
        return False
    parts = entry.split("|", 2)
    return len(parts) > 2 and parts[1] in _FLAGS and bool(int(parts[1]) & 4)


def with_no_control(entry: str) -> str:
    """The same entry with the no-control flag set."""
    e = decode(entry)
    if e is None:
        return entry
    return encode(e.parent, e.masked, e.kind, e.attrs, soft=e.soft, no_control=True)


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
