"""The broker contract: every piece of shared state of the server goes through it.

Two backends implement it (``memory`` for one process, ``redis`` for any number of workers
and hosts) and one test suite (tests/test_broker_contract.py) holds both to it. Callers pass
keys with Redis Cluster hash tags (``"s:{abc}:a"``, see cobrowse/storage/keys.py); backends keep
them as given and derive their own keys by appending a suffix, so the tag is kept.

TTLs are whole seconds. ``ttl=None`` on ``set``/``cas`` stores a value without expiry (the
value is replaced, like Redis ``SET``); on ``incr``/``hset``/``rpush`` it leaves the key's
current expiry alone (like Redis ``INCR``/``HSET``/``RPUSH``). A ttl ≤ 0 is refused.
"""

from __future__ import annotations

import abc
import json
from collections.abc import Iterable

from cobrowse.errors import CobrowseError
from cobrowse.storage.waiters import Waiter, WaiterRegistry


class BrokerError(CobrowseError):
    """The broker refused an operation (e.g. a key holding another type of value)."""

    code = "broker"


class BrokerUnavailable(BrokerError):
    """The broker cannot be reached now; the client should retry later."""

    status = 503
    code = "unavailable"


def encode_event(event: dict) -> str:
    """Events are stored as compact JSON by both backends, so both give back equal copies
    (tuples become lists, the caller's dict is never aliased)."""
    return json.dumps(event, separators=(",", ":"), ensure_ascii=False)


def decode_event(raw: str | bytes) -> dict:
    return json.loads(raw)


def check_ttl(ttl: int | None, *, required: bool = False) -> None:
    if ttl is None:
        if required:
            raise ValueError("ttl is required")
        return
    if isinstance(ttl, bool) or not isinstance(ttl, int) or ttl <= 0:
        raise ValueError(f"ttl must be a positive number of seconds, not {ttl!r}")


class Broker(abc.ABC):
    """Streams (ordered logs with integer ids), strings, hashes, sets and lists, with TTLs,
    plus cross-process wake-ups for long polls."""

    backend = "abstract"

    def __init__(self) -> None:
        self._waiters = WaiterRegistry()

    # --- streams -------------------------------------------------------------------------

    @abc.abstractmethod
    def append(
        self, stream: str, events: list[dict], *, ttl: int, dedupe: tuple[str, int] | None = None
    ) -> list[int] | None:
        """Atomically append ``events`` to ``stream`` and wake its waiters in every process.

        With ``dedupe=(sender, seq)``: if this stream already recorded a seq ≥ ``seq`` for
        ``sender``, nothing is appended and None is returned (a retried send lands once).
        Ids are 1, 2, 3, ... per stream. The stream's TTL (and its dedupe record's) is set to
        ``ttl`` seconds. Returns the new ids (``[]`` for no events, which wakes nobody).
        """

    @abc.abstractmethod
    def read(self, stream: str, after: int, limit: int) -> list[tuple[int, dict]]:
        """Events with id > ``after``, oldest first, at most ``limit``."""

    @abc.abstractmethod
    def last_id(self, stream: str) -> int:
        """The last id given in ``stream`` (kept by ``trim``); 0 if empty or missing."""

    @abc.abstractmethod
    def trim(self, stream: str, before: int) -> None:
        """Drop the events with id < ``before`` (a newer full snapshot supersedes them)."""

    @abc.abstractmethod
    def wake(self, stream: str) -> None:
        """Wake the waiters of ``stream`` in every process without appending."""

    def waiter(self, streams: Iterable[str]) -> Waiter:
        """A context manager parking a reader of ``streams``; enter it BEFORE reading."""
        return Waiter(self._waiters, streams)

    @abc.abstractmethod
    def delete(self, *keys: str) -> None:
        """Delete streams (with their ids and dedupe records) or plain keys alike."""

    # --- strings -------------------------------------------------------------------------

    @abc.abstractmethod
    def get(self, key: str) -> str | None:
        """The string at ``key``, or None."""

    def get_many(self, keys: list[str]) -> list[str | None]:
        """Several strings at once (one round trip where the backend can)."""
        return [self.get(key) for key in keys]

    def read_many(self, cursors: dict[str, int], limit: int) -> dict[str, list[tuple[int, dict]]]:
        """``read`` of several streams at once (one round trip where the backend can)."""
        return {stream: self.read(stream, after, limit) for stream, after in cursors.items()}

    @abc.abstractmethod
    def set(self, key: str, value: str, *, ttl: int | None = None, nx: bool = False) -> bool:
        """Store ``value``; with ``nx`` only if absent. Returns whether it was stored."""

    @abc.abstractmethod
    def cas(
        self, key: str, expected: str | None, new: str | None, *, ttl: int | None = None
    ) -> bool:
        """Atomically replace ``expected`` by ``new``. ``expected=None``: the key must be
        absent; ``new=None``: delete. Returns whether the swap happened."""

    @abc.abstractmethod
    def incr(self, key: str, *, ttl: int | None = None) -> int:
        """Add one to the integer at ``key`` (0 if absent); ``ttl`` is (re)set every call."""

    @abc.abstractmethod
    def expire(self, key: str, ttl: int) -> None:
        """Set the TTL of an existing key (a stream's derived records too); no-op if absent."""

    # --- hashes --------------------------------------------------------------------------

    @abc.abstractmethod
    def hset(self, key: str, mapping: dict[str, str], *, ttl: int | None = None) -> None:
        """Set fields of the hash at ``key``."""

    @abc.abstractmethod
    def hget_many(self, key: str, fields: list[str]) -> list[str | None]:
        """Values of ``fields`` (None for a missing one), in order."""

    @abc.abstractmethod
    def hgetall(self, key: str) -> dict[str, str]:
        """The whole hash ({} if absent)."""

    @abc.abstractmethod
    def hdel(self, key: str, fields: list[str]) -> None:
        """Remove ``fields``; the hash disappears with its last field."""

    # --- sets ----------------------------------------------------------------------------

    @abc.abstractmethod
    def sadd(self, key: str, *members: str) -> None:
        """Add members to the set at ``key``."""

    @abc.abstractmethod
    def srem(self, key: str, *members: str) -> None:
        """Remove members; the set disappears with its last member."""

    @abc.abstractmethod
    def smembers(self, key: str) -> set[str]:
        """All members (an empty set if absent)."""

    # --- lists ---------------------------------------------------------------------------

    @abc.abstractmethod
    def rpush(self, key: str, value: str, *, ttl: int | None = None) -> None:
        """Append ``value`` to the list at ``key``."""

    @abc.abstractmethod
    def lrange(self, key: str, start: int, end: int) -> list[str]:
        """Items ``start`` to ``end`` inclusive; negative indexes count from the end."""

    # --- lifecycle -----------------------------------------------------------------------

    @abc.abstractmethod
    def ping(self) -> bool:
        """True if the broker answers."""

    @abc.abstractmethod
    def close(self) -> None:
        """Stop background work and wake every waiter for good (shutdown)."""

    def wake_all(self) -> int:
        """Wake every parked waiter of this process once (a draining worker); no I/O."""
        return self._waiters.wake_all()

    @property
    def closed(self) -> bool:
        return self._waiters.closed

    @abc.abstractmethod
    def stats(self) -> dict:
        """Figures for /healthz and metrics: backend, connections, waiters, ..."""
