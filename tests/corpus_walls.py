"""What each wall stopped, per payload, in the browser corpus test (issue 10, Tests).

Three walls stand between a visitor's page and the agent: the tag, the server sanitizer,
and the replica (its DOM policy, sandbox and CSP). Each must hold alone, so the corpus test
looks at each one's output with the independent checker (``find_dangers``): what reached
the server (``sent``: the tag's sends, or the crafted events), and what reached the agent's
browser (``delivered``: the poll responses, before the replica touched them). A payload that
is dangerous as delivered was stopped, if at all, only by the replica: a sanitizer failure.

Dangers are charged to payloads through their containers: every payload's nodes sit in an
element carrying ``data-cbx="<k>"`` (or are seeded by id), and later ops find their payload
through the ids of the nodes they touch.
"""

from __future__ import annotations

import gzip
import json
from collections import Counter, defaultdict

from cobrowse.node_ids import expand_event
from tests.sanitize_corpus_support import find_dangers

OWNER_ATTRIBUTE = "data-cbx"


class Walls:
    """Per-payload dangers as sent to the server and as delivered to the agent."""

    def __init__(self, names: dict[int, str], allowed: tuple[str, ...]):
        self.names = names
        self.allowed = allowed
        self.seeds: dict[int, int] = {}
        # Node id -> payload, one map per wall (the tag's ids restart on every page).
        self.owner: dict[str, dict[int, int]] = {"sent": {}, "delivered": {}}
        self.found: dict[str, dict[int, list[str]]] = {
            "sent": defaultdict(list), "delivered": defaultdict(list)}
        self.unowned = {"sent": Counter(), "delivered": Counter()}
        self.events = Counter()
        self.parts: dict[str, list[str]] = {}

    @property
    def sent(self) -> dict[int, list[str]]:
        return self.found["sent"]

    @property
    def delivered(self) -> dict[int, list[str]]:
        return self.found["delivered"]

    def seed(self, owners: dict[int, int]) -> None:
        """Node ids known to belong to a payload (a crafted snapshot's head nodes)."""
        self.seeds = dict(owners)

    # --- reading events ---------------------------------------------------------------

    def look_at_send(self, body: bytes, gzipped: bool) -> None:
        """A visitor's send as the tag posted it."""
        data = json.loads(gzip.decompress(body) if gzipped else body)
        for event in data.get("events", []):
            if isinstance(event, dict) and event.get("k") in ("snapshot", "mutation"):
                expand_event(event)
                self.look(event, "sent")

    def look_at_poll(self, body: bytes) -> None:
        """One poll response of the agent, as the server answered it; an event delivered in
        ``part`` events (capped answers, docs/protocol.md) is looked at once joined."""
        for event in json.loads(body).get("events", []):
            if event.get("k") == "part":
                event = self._join(event)
            if event and event.get("k") in ("snapshot", "mutation"):
                self.look(event, "delivered")

    def _join(self, part: dict) -> dict | None:
        index, count = part["part"]
        slices = self.parts.setdefault(part["s"], [])
        if index == 0:
            slices.clear()
        assert len(slices) == index, "parts out of order"
        slices.append(part["data"])
        if index < count - 1:
            return None
        self.events["joined"] += 1
        return json.loads("".join(self.parts.pop(part["s"])))

    def look(self, event: dict, wall: str) -> None:
        """Charge the dangers of one snapshot or mutation event to their payloads."""
        self.events[wall] += 1
        owner = self.owner[wall]
        total = Counter(find_dangers(event, self.allowed))
        charged: Counter = Counter()
        if event["k"] == "snapshot":
            owner.clear()
            owner.update(self.seeds)
            roots = list(self._owned_roots(event["doc"], owner))
        else:
            roots = []
            for op in _as_adds(event.get("m", [])):
                if not isinstance(op, dict):
                    continue
                if op.get("o") == "add" and isinstance(op.get("n"), dict):
                    k = self._mark(op["n"], owner) or owner.get(op.get("p"))
                    if k is None:
                        roots += self._owned_roots(op["n"], owner)
                        continue
                    _register(op["n"], k, owner)
                k = owner.get(op.get("i", op.get("p")))
                if k is not None:
                    found = find_dangers({"k": "mutation", "m": [op]}, self.allowed)
                    self.found[wall][k] += found
                    charged.update(found)
        for k, root in roots:
            found = find_dangers({"k": "snapshot", "doc": root}, self.allowed)
            self.found[wall][k] += found
            charged.update(found)
        self.unowned[wall].update(total - charged)

    def _owned_roots(self, root: dict, owner: dict) -> list[tuple[int, dict]]:
        """(payload, node) for every topmost node of a payload in ``root``; records ids."""
        out, stack = [], [root]
        while stack:
            node = stack.pop()
            if not isinstance(node, dict):
                continue
            k = self._mark(node, owner)
            if k is None:
                stack.extend(_children(node))
            else:
                _register(node, k, owner)
                out.append((k, node))
        return out

    @staticmethod
    def _mark(node: dict, owner: dict):
        attrs = node.get("a") if isinstance(node.get("a"), dict) else {}
        mark = attrs.get(OWNER_ATTRIBUTE)
        if isinstance(mark, str) and mark.isdigit():
            return int(mark)
        return owner.get(node.get("i")) if node.get("t") != 9 else None

    # --- the verdict ------------------------------------------------------------------

    def failures(self) -> dict[str, list[str]]:
        """Payloads dangerous as delivered to the agent: the server sanitizer let them by."""
        return {self.names.get(k, str(k)): sorted(set(v))[:5]
                for k, v in sorted(self.delivered.items()) if v}

    def report(self, what: str) -> str:
        sent = sum(1 for v in self.sent.values() if v)
        delivered = sum(1 for v in self.delivered.values() if v)
        by_source = Counter(self.names.get(k, "?").split(":")[0]
                            for k, v in self.delivered.items() if v)
        return (f"{what}: {len(self.names)} payloads; dangerous as sent to the server: {sent}"
                f" (+{sum(self.unowned['sent'].values())} unattributed constructs); "
                f"dangerous as delivered to the agent (server wall failed): {delivered} "
                f"{dict(by_source)} (+{sum(self.unowned['delivered'].values())} unattributed); "
                f"events read: {dict(self.events)}")


def _register(node: dict, k: int, owner: dict) -> None:
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if isinstance(item.get("i"), int):
                owner[item["i"]] = k
            stack.extend(_children(item))


def _children(node: dict) -> list:
    out = list(node.get("c") or []) if isinstance(node.get("c"), list) else []
    for key in ("sh", "d"):
        if isinstance(node.get(key), dict):
            out.append(node[key])
    return out


def _as_adds(ops) -> list:
    """Mutation ops with every ``fill`` (visible first, issue 16) as the ``add`` ops it
    amounts to: its children appended to the shell."""
    out = []
    for op in ops if isinstance(ops, list) else []:
        if isinstance(op, dict) and op.get("o") == "fill" and isinstance(op.get("c"), list):
            out += [{"o": "add", "p": op.get("i"), "b": None, "n": child} for child in op["c"]]
        else:
            out.append(op)
    return out
