"""Events bigger than a poll answer may be, stored as parts the workspace joins.

A poll answer is capped like a send (``max_answer``, docs/protocol.md "Answers are capped
the same way"). Most events are far under the cap; a sanitized snapshot of a big page, sent
by a tag in one go, is not. Such an event is stored in its stream as several consecutive
``part`` events, each an ordinary event with its own id::

    {"k": "part", "part": [index, count], "of": "<the event's kind>", "data": "<slice of its JSON text>"}

so cursors, retries and exactly-once stay what they are: the workspace joins the slices of
consecutive parts and handles the event when the last one came. Pure.
"""

from __future__ import annotations

import json
import time

#: Room left in an answer for the envelope (state, cursors) and a part's own keys.
ENVELOPE = 8 * 1024


def _escaped_size(text: str) -> int:
    """Bytes of ``text`` as a JSON string inside an answer."""
    return len(json.dumps(text, ensure_ascii=False).encode())


def cut(text: str, budget: int) -> list[str]:
    """``text`` in slices whose JSON string form is at most ``budget`` bytes each."""
    out = []
    at = 0
    size = max(1, budget // 2)
    while at < len(text):
        n = size
        while True:
            piece = text[at:at + n]
            got = _escaped_size(piece)
            if got <= budget or n == 1:
                break
            n = max(1, int(n * budget / got * 0.95))
        out.append(piece)
        at += len(piece)
    return out


def as_parts(event: dict, max_answer: int) -> list[dict]:
    """``[event]`` when it fits an answer, else the ``part`` events that carry it."""
    event.setdefault("at", round(time.time(), 3))
    text = json.dumps(event, separators=(",", ":"), ensure_ascii=False)
    budget = max_answer - ENVELOPE
    if len(text.encode()) <= budget:
        return [event]
    slices = cut(text, budget)
    kind = event.get("k")
    return [{"k": "part", "part": [n, len(slices)], "of": kind, "data": piece}
            for n, piece in enumerate(slices)]
