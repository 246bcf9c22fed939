"""The sanitizer's page index of one session, as one send sees it.

The index (node id -> entry, see cobrowse/sanitize/index.py) lives in a per-session hash, so
any worker can check a mutation. A send reads the entries it needs in its first round trip
(``send_begin`` prefetches the ids its events name, with their ancestors), reads more only if
the sanitizer asks for ids nobody could foresee, and keeps its own changes pending: later
events of the same send see them, and they are written with the events, atomically
(``session_append``), or by ``flush`` on the slow path.
"""

from __future__ import annotations

from cobrowse.storage import keys

#: Ancestor levels prefetched with each id (the mask selectors read the chain of ancestors).
PREFETCH_DEPTH = 24


def node_ids(events: list) -> list[int]:
    """The node ids a batch of raw events names, for the prefetch (unchecked input: only
    plain positive ints are kept; the sanitizer checks everything again)."""
    found: list[int] = []

    def take(value) -> None:
        if type(value) is int and 0 < value < 2**53:
            found.append(value)

    for event in events:
        if type(event) is not dict:
            continue
        if event.get("k") == "mutation" and type(event.get("m")) is list:
            for op in event["m"][:2000]:
                if type(op) is dict:
                    take(op.get("i"))
                    take(op.get("p"))
                    take(op.get("b"))
        elif str(event.get("k", "")).startswith("control."):
            take(event.get("i"))
    return list(dict.fromkeys(found))


class PageIndex:
    """Entries read for one send, overlaid with the send's own pending changes."""

    def __init__(self, broker, sid: str, prefetched: dict[int, str] | None = None,
                 page_url: str | None = None, url_known: bool = False):
        self.broker = broker
        self.sid = sid
        self.key = keys.session_index(sid)
        self._entries: dict[int, str | None] = dict(prefetched or {})
        self._page_url = page_url
        self._url_known = url_known
        self.pending: dict[int, str | None] = {}

    def lookup(self, ids: list[int]) -> dict[int, str | None]:
        """Entries of ``ids`` (None: unknown), reading the missing ones in one round trip."""
        ids = list(dict.fromkeys(ids))
        missing = [i for i in ids if i not in self.pending and i not in self._entries]
        if missing:
            found = self.broker.index_fetch(self.key, missing, PREFETCH_DEPTH)
            for i in missing:
                self._entries[i] = found.get(i)
            for i, entry in found.items():
                self._entries.setdefault(i, entry)
        return {i: self.pending[i] if i in self.pending else self._entries.get(i) for i in ids}

    def page_url(self) -> str:
        if not self._url_known:
            self._page_url = self.broker.get(keys.session_page_url(self.sid)) or ""
            self._url_known = True
        return self._page_url or ""

    def record(self, changes: dict[int, str | None]) -> None:
        """Keep the sanitizer's changes (None: removed) for the later events and the write."""
        self.pending.update(changes)

    def reset(self, page_url: str) -> None:
        """A snapshot rewrote the whole index: forget what was read and pending."""
        self._entries.clear()
        self.pending.clear()
        self._page_url, self._url_known = page_url, True

    def split(self) -> tuple[dict[str, str], list[str]]:
        """Pending changes as (fields to set, fields to delete)."""
        kept = {str(k): v for k, v in self.pending.items() if v is not None}
        gone = [str(k) for k, v in self.pending.items() if v is None]
        return kept, gone

    def flush(self, ttl: int) -> None:
        """Write the pending changes (the slow path; the hot path gives them to
        ``session_append``)."""
        kept, gone = self.split()
        if gone:
            self.broker.hdel(self.key, gone)
        if kept:
            self.broker.hset(self.key, kept, ttl=ttl)
        self.pending.clear()
