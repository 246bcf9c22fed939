"""A short cache of proxied assets: in memory per worker, and in the broker when Redis is
configured, so every worker and host shares one fetch per asset and TTL.

Failures are cached too, for a shorter time: a missing font asked for by every replica
costs the brand's server one request per half minute, not one per page view.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import time
from collections import OrderedDict

from cobrowse.assets.fetch import Fetched
from cobrowse.assets.rules import AssetError
from cobrowse.storage import keys

#: Failures are kept at most this long (seconds).
FAILURE_TTL = 30
#: Memory per worker: this many entries and bytes at most (oldest out first).
MAX_ENTRIES = 512
MAX_BYTES = 64 * 1024 * 1024


def digest(kind: str, url: str) -> str:
    """The cache key of one asset."""
    return hashlib.sha256(f"{kind}\n{url}".encode()).hexdigest()[:40]


def _encode(entry) -> str:
    if isinstance(entry, Fetched):
        return json.dumps({"t": entry.content_type, "b": base64.b64encode(entry.body).decode()})
    return json.dumps({"e": entry.code, "s": entry.status, "m": entry.message})


def _decode(raw: str):
    data = json.loads(raw)
    if "e" in data:
        return AssetError(data["m"], code=data["e"], status=data["s"])
    return Fetched(data["t"], base64.b64decode(data["b"]))


class AssetCache:
    """``get(key)`` -> Fetched, AssetError or None; ``put(key, entry)``."""

    def __init__(self, ttl: int, broker=None):
        self.ttl = ttl
        self.broker = broker
        self._memory: OrderedDict[str, tuple[float, object, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def _ttl(self, entry) -> int:
        return self.ttl if isinstance(entry, Fetched) else min(self.ttl, FAILURE_TTL)

    def get(self, key: str):
        with self._lock:
            hit = self._memory.get(key)
            if hit and hit[0] > time.monotonic():
                self._memory.move_to_end(key)
                return hit[1]
        if self.broker is None or self.ttl <= 0:
            return None
        raw = self.broker.get(keys.asset(key))
        if raw is None:
            return None
        entry = _decode(raw)
        self._remember(key, entry)
        return entry

    def put(self, key: str, entry) -> None:
        ttl = self._ttl(entry)
        if ttl <= 0:
            return
        self._remember(key, entry)
        if self.broker is not None:
            self.broker.set(keys.asset(key), _encode(entry), ttl=ttl)

    def _remember(self, key: str, entry) -> None:
        size = len(entry.body) if isinstance(entry, Fetched) else 100
        with self._lock:
            old = self._memory.pop(key, None)
            if old:
                self._bytes -= old[2]
            self._memory[key] = (time.monotonic() + self._ttl(entry), entry, size)
            self._bytes += size
            while self._memory and (len(self._memory) > MAX_ENTRIES or self._bytes > MAX_BYTES):
                _, (_, _, dropped) = self._memory.popitem(last=False)
                self._bytes -= dropped
