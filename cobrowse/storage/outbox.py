"""Events produced while applying one send, appended at the end, each stream once.

Appending per stream with the sender's ``(participant, seq)`` as the dedupe key makes a
retried send land exactly once in every stream it touches, even if the first try died
half-way (docs/architecture.md, "exactly once").
"""

from __future__ import annotations

import time


class Outbox:
    """Collects ``stream -> [events]`` and appends them in one go per stream."""

    def __init__(self):
        self._streams: dict[str, tuple[int, list[dict]]] = {}

    def push(self, stream: str, event: dict, ttl: int) -> None:
        event.setdefault("at", round(time.time(), 3))
        entry = self._streams.setdefault(stream, (ttl, []))
        entry[1].append(event)

    def take(self, stream: str) -> list[dict]:
        """Remove and return the events queued for ``stream`` (the caller appends them)."""
        entry = self._streams.pop(stream, None)
        return entry[1] if entry else []

    def flush(self, broker, dedupe: tuple[str, int] | None = None) -> dict[str, tuple[list, list]]:
        """Append everything; returns ``stream -> (events, ids)`` of what was appended (a
        duplicate of an applied send appends nothing)."""
        written = {}
        for stream, (ttl, events) in self._streams.items():
            ids = broker.append(stream, events, ttl=ttl, dedupe=dedupe)
            if ids:
                written[stream] = (events, ids)
        self._streams.clear()
        return written

    def __bool__(self) -> bool:
        return bool(self._streams)
