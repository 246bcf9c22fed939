"""JSON records in the broker, with compare-and-set updates.

Two workers may change one record at once (a visitor accepting while the agent cancels);
``update`` retries on a lost race so neither change is lost and each sees a consistent state.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from cobrowse.errors import CobrowseError


def load(broker, key: str) -> dict | None:
    raw = broker.get(key)
    return json.loads(raw) if raw else None


def save(broker, key: str, value: dict, ttl: int | None) -> None:
    broker.set(key, json.dumps(value, separators=(",", ":")), ttl=ttl)


def update(broker, key: str, change: Callable[[dict], dict | None], ttl: int | None) -> dict | None:
    """Apply ``change`` to the record atomically; it returns the new record or None to keep it.

    Returns the record as stored afterwards (None if it does not exist).
    """
    for _ in range(50):
        raw = broker.get(key)
        if raw is None:
            return None
        new = change(json.loads(raw))
        if new is None:
            return json.loads(raw)
        if broker.cas(key, raw, json.dumps(new, separators=(",", ":")), ttl=ttl):
            return new
    raise CobrowseError("the record is changing too fast; try again", code="contention", status=503)
