"""Index entries: what the server remembers of each node to sanitize later mutations.

One short string per node id (the caller keeps them in a Redis hash per session):
``"<parent id>|<flags>|<kind>"``, flags a number: 0 shown, 1 masked, 2 soft masked (by a
private site's default), plus 4 when the agent may not operate the node (issue 14), plus 8
while the node is a pending shell of a visible-first snapshot (issue 16: its children come
in ``fill`` ops); then,
when the node has children or attributes, ``"|" + <child ids, comma-separated>`` and, when
it has attributes the mask selectors or later ops need, ``"|" + compact JSON`` of them.
Kinds: an HTML tag (``"div"``),
``"svg:rect"``, ``"math:mi"``, ``"#text"``, ``"#css"`` (text of a ``<style>``),
``"#document"``, ``"#shadow"``, ``"#doctype"``, ``"#ph"`` (a placeholder).

The child ids let a removal drop the whole subtree from the index, so that later ops on a
removed descendant are refused like ops on any unknown node (issue 10, item 9). Entries
written before child lists existed (``"p|m|kind|{json}"``) still decode, without children.

Child lists are run-length coded: ``"12+3*500"`` is the 500 ids 12, 15, ..., 1509 (the tag
numbers nodes depth first, so the children of a long list or table step by the same amount).
A container of 10,000 rows then costs a few bytes, not 60 KB, in every read and write of
its entry (a mutation under it reads and rewrites it). A single id is written as itself.
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
    #: the ids of its children, for removing its whole subtree later (issue 10, item 9).
    children: tuple = ()
    #: a shell of a visible-first snapshot whose children still come in ``fill`` ops.
    pending: bool = False


_FLAGS = frozenset(str(base + shell) for base in range(7) for shell in (0, 8))
PENDING = 8
_ID_CHARS = frozenset("0123456789,+*")


def encode_ids(ids) -> str:
    """Child ids as runs: ``start+step*count`` for 3 or more ids in a step, else the id."""
    ids = list(ids)
    out, at, n = [], 0, len(ids)
    while at < n:
        start = ids[at]
        if at + 2 < n:
            step = ids[at + 1] - start
            end = at + 1
            while end + 1 < n and ids[end + 1] - ids[end] == step:
                end += 1
            if step > 0 and end - at >= 2:
                out.append(f"{start}+{step}*{end - at + 1}")
                at = end + 1
                continue
        out.append(str(start))
        at += 1
    return ",".join(out)


def decode_ids(text: str) -> tuple | None:
    """The ids of :func:`encode_ids` (plain comma-separated ids too), or None if malformed."""
    if not text:
        return ()
    if not _ID_CHARS.issuperset(text):
        return None
    ids: list[int] = []
    for run in text.split(","):
        if not run:
            continue
        start, plus, rest = run.partition("+")
        if not plus:
            if not start.isdigit():
                return None
            ids.append(int(start))
            continue
        step, star, count = rest.partition("*")
        if not (start.isdigit() and step.isdigit() and star and count.isdigit()):
            return None
        first, by, many = int(start), int(step), int(count)
        if by == 0 or many > 1_000_000:
            return None
        ids.extend(range(first, first + by * many, by))
    return tuple(ids)


def encode(parent: int, masked: bool, kind: str, attrs: dict | None = None,
           soft: bool = False, no_control: bool = False, children=(),
           pending: bool = False) -> str:
    """The index string of one node."""
    flags = (((2 if soft else 1) if masked else 0) + (4 if no_control else 0)
             + (PENDING if pending else 0))
    head = f"{parent}|{flags}|{kind}"
    if attrs:
        data = json.dumps(attrs, separators=(",", ":"), ensure_ascii=False)
        return f"{head}|{encode_ids(children)}|{data}"
    if children:
        return f"{head}|{encode_ids(children)}"
    return head


def with_children(entry: str, children) -> str:
    """``entry`` with these child ids in place of the ones it had."""
    parts = entry.split("|", 3)
    kids = encode_ids(children)
    head = "|".join(parts[:3])
    rest = parts[3] if len(parts) == 4 else ""
    attrs = rest if rest.startswith("{") else rest.partition("|")[2]
    if attrs:
        return f"{head}|{kids}|{attrs}"
    return f"{head}|{kids}" if kids else head


def decode(entry: str | None) -> Entry | None:
    """The entry, or None when it is missing or not one of ours."""
    if type(entry) is not str:
        return None
    parts = entry.split("|", 3)
    if len(parts) < 3 or not parts[0].isdigit() or parts[1] not in _FLAGS:
        return None
    attrs, children = {}, ()
    if len(parts) == 4:
        rest = parts[3]
        if not rest.startswith("{"):
            kids, _, rest = rest.partition("|")
            if kids:
                children = decode_ids(kids)
                if children is None:
                    return None
        if rest:
            try:
                attrs = json.loads(rest)
            except ValueError:
                return None
            if type(attrs) is not dict:
                return None
    flags = int(parts[1])
    return Entry(int(parts[0]), bool(flags & 3), parts[2], attrs, flags & 3 == 2, bool(flags & 4),
                 children, bool(flags & PENDING))


def add_children(index: dict, records) -> None:
    """Write into ``index`` (entries fresh from :func:`encode`, without children) the child
    ids of every node of ``records`` (id, parent, ...) whose parent is in it."""
    kids: dict = {}
    for record in records:
        parent = record[1]
        if parent in index:
            if parent in kids:
                kids[parent].append(record[0])
            else:
                kids[parent] = [record[0]]
    for parent, ids in kids.items():
        entry = index[parent]
        # Fresh entries are "p|m|kind" or "p|m|kind||{json}": the first "||" is ours.
        head, sep, attrs = entry.partition("||")
        text = encode_ids(ids)
        index[parent] = f"{head}|{text}|{attrs}" if sep else f"{entry}|{text}"


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
    return encode(e.parent, e.masked, e.kind, e.attrs, soft=e.soft, no_control=True,
                  children=e.children, pending=e.pending)


def with_pending(entry: str, pending: bool) -> str:
    """The same entry with the pending-shell flag set or cleared (issue 16)."""
    parent, flags, rest = entry.split("|", 2)
    value = (int(flags) | PENDING) if pending else (int(flags) & ~PENDING)
    return f"{parent}|{value}|{rest}"


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
