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
from dataclasses import dataclass, field

from cobrowse.errors import CobrowseError
from cobrowse.storage import waiters
from cobrowse.storage.waiters import Waiter, WaiterRegistry


class BrokerError(CobrowseError):
    """The broker refused an operation (e.g. a key holding another type of value)."""

    code = "broker"


class BrokerUnavailable(BrokerError):
    """The broker cannot be reached now; the client should retry later."""

    status = 503
    code = "unavailable"


@dataclass(frozen=True)
class SendStart:
    """What ``send_begin`` found and did for one send of one participant."""

    #: "go" (apply it), "again" (the last seq, never answered: apply again; its appends
    #: dedupe), "replay" (answered before: ``answer``), "seq" (``expected`` is the next seq),
    #: "busy" (another copy of it holds the claim), "unknown" (no such participant).
    status: str
    record: str | None = None  #: the participant record (JSON)
    version: int = 0  #: last id of the participant's inbox
    expected: int = 0
    answer: tuple[int, str] | None = None  #: (HTTP status, body JSON) of a replay
    fetched: dict = field(default_factory=dict)  #: page index entries asked for (id -> entry)
    values: list = field(default_factory=list)  #: the plain values asked for, in order


@dataclass(frozen=True)
class PollStart:
    """What ``poll_begin`` found for one poll."""

    record: str | None  #: the participant record (JSON); None: no such participant
    generation: int = 0  #: this poll's generation (a newer poll releases older ones)
    version: int = 0  #: last id of the inbox
    inbox: list = field(default_factory=list)  #: [(id, event JSON)] after the inbox cursor
    streams: dict = field(default_factory=dict)  #: other streams read: name -> [(id, JSON)]
    values: tuple = ()  #: the plain keys asked with ``peek``, in order (None: missing)


@dataclass(frozen=True)
class SessionAppend:
    """The outcome of ``session_append``."""

    #: "ok", "dup" (this sender's seq was appended before), "mode" (not in shared mode),
    #: "gone" (no such session, or the sender is not in it).
    status: str
    mode: str = ""
    presence: str = "here"
    ids: list = field(default_factory=list)


#: Wake-up messages that start with this release older polls of one participant:
#: ``release:<owner>:<generation>`` (see waiters.py).
RELEASE_PREFIX = waiters.RELEASE_PREFIX


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

    def waiter(self, streams: Iterable[str], release: tuple[str, int] | None = None) -> Waiter:
        """A context manager parking a reader of ``streams``; enter it BEFORE reading.

        With ``release=(owner, generation)`` a newer poll of ``owner`` (a higher generation,
        see ``poll_begin``) releases it: ``wait`` returns and ``released`` is set."""
        return Waiter(self._waiters, streams, release)

    @abc.abstractmethod
    def delete(self, *keys: str) -> None:
        """Delete streams (with their ids and dedupe records) or plain keys alike."""

    def read_raw(self, cursors: dict[str, int], limit: int) -> dict[str, list[tuple[int, str]]]:
        """``read_many`` without decoding: events as the JSON text they are stored as."""
        return {stream: [(i, encode_event(e)) for i, e in self.read(stream, after, limit)]
                for stream, after in cursors.items()}

    # --- the hot path (issue 9): one round trip per step ----------------------------------
    # Product-shaped operations, each one atomic step over the keys of one hash tag: the
    # participant's for ``send_begin``/``send_finish``/``poll_begin``, the session's for
    # ``session_append``/``index_fetch``.

    @abc.abstractmethod
    def send_begin(
        self, *, record: str, last: str, seen: str, inbox: str, seq: int, now: float, ttl: int,
        claim_ms: int, beacon: bool, index: str | None = None, index_ids: list[int] = (),
        depth: int = 0, values: list[str] = (),
    ) -> SendStart:
        """Check ``seq`` against the ``last`` send of the participant whose record is at
        ``record`` (the hash ``last`` holds seq, status, body, claim) and start it:
        ``seq == last + 1`` (or ahead, for a ``beacon``) becomes the last seq ("go");
        ``seq == last`` replays its stored answer or, if it has none, is applied again
        ("again"); anything else answers "seq". With ``claim_ms`` > 0 the send holds a claim
        that long, and a copy of it arriving meanwhile gets "busy". Marks the participant
        seen at ``now`` and refreshes the TTLs of its record, ``last`` and ``inbox``.

        In the same round trip it reads, from other hash tags, the ``index`` entries of
        ``index_ids`` with their ancestors up to ``depth`` levels, and the strings at
        ``values``.
        """

    @abc.abstractmethod
    def send_finish(self, *, last: str, seq: int, status: int, body: str, ttl: int) -> None:
        """Store the answer of ``seq`` (if it is still the last send) and drop its claim;
        ``status=0`` only drops the claim (a 5xx: the client retries the same seq)."""

    @abc.abstractmethod
    def poll_begin(
        self, *, record: str, generation: str, seen: str, inbox: str, after: int, limit: int,
        now: float, ttl: int, owner: str, streams: dict[str, int] | None = None,
        answered: int = 0, peek: tuple[str, ...] = (),
    ) -> PollStart:
        """Start a poll: bump the participant's poll ``generation`` and release its older
        polls in every process (a wake-up ``release:<owner>:<generation>``; not needed, and
        not sent, when the poll before is known to have been ``answered``), mark it seen,
        refresh its TTLs, and read its ``inbox`` after ``after`` (at most ``limit``). In the
        same round trip it reads ``streams`` (name -> cursor) of other hash tags, and the
        plain string keys ``peek``."""

    @abc.abstractmethod
    def session_append(
        self, *, session: str, stream: str, events: list[str], ttl: int,
        dedupe: tuple[str, int], member: tuple[str, str], need_shared: bool,
        index: str | None = None, index_set: dict[str, str] | None = None,
        index_del: list[str] = (), snapshot: tuple[str, int] | None = None,
    ) -> SessionAppend:
        """Append ``events`` (JSON) to a session's ``stream`` and wake its readers, only
        while the JSON record at ``session`` exists, has ``member[0] == member[1]`` and, with
        ``need_shared``, mode "shared". Dedupes by ``(sender, seq)`` like ``append``; applies
        the page ``index`` changes with the events (not on a duplicate). ``snapshot``: (key,
        position): the id given to ``events[position]`` is stored at key (same hash tag and
        TTL), with the events (where a watcher starts reading, issue 15)."""

    @abc.abstractmethod
    def index_fetch(self, index: str, ids: list[int], depth: int) -> dict[int, str]:
        """The entries of ``ids`` in the page ``index`` and of their ancestors up to ``depth``
        levels (an entry starts with ``"<parent id>|"``)."""

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
