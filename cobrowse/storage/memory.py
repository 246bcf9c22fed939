"""The embedded broker: all state in this process, for a single-worker deployment.

A real backend, not a mock: it is the default when no Redis is configured. Plain dicts
guarded by one lock; TTLs are expiry times checked lazily on access, plus a sweep now and
then so keys nobody touches again do not pile up. It mirrors Redis semantics where the
contract leaves room (types, TTL on overwrite, list ranges), so code tested against one
behaves the same on the other.
"""

from __future__ import annotations

import bisect
import json
from dataclasses import dataclass, field
from typing import Any

from cobrowse import concurrency
from cobrowse.storage.base import (
    RELEASE_PREFIX,
    Broker,
    BrokerError,
    PollStart,
    SendStart,
    SessionAppend,
    check_ttl,
    decode_event,
    encode_event,
)
from cobrowse.storage.waiters import CARRY_MAX

#: Seconds between sweeps of expired keys (lazy expiry handles the keys that are read).
SWEEP_INTERVAL = 30.0


@dataclass
class _Stream:
    ids: list[int] = field(default_factory=list)
    events: list[str] = field(default_factory=list)  # JSON, parallel to ids
    last_id: int = 0
    dedupe: dict[str, int] = field(default_factory=dict)


@dataclass
class _Entry:
    value: Any  # str | dict | set | list | _Stream
    expires: float | None = None


class MemoryBroker(Broker):
    """The in-process broker. Thread-safe (and greenlet-safe under gevent)."""

    backend = "memory"

    def __init__(self, *, prefix: str = "cobrowse:"):
        super().__init__()
        self.prefix = prefix  # kept for stats; one process needs no namespace
        self._lock = concurrency.Lock()
        self._data: dict[str, _Entry] = {}
        self._next_sweep = concurrency.monotonic() + SWEEP_INTERVAL

    # --- internals (call with the lock held) ----------------------------------------------

    def _entry(self, key: str) -> _Entry | None:
        entry = self._data.get(key)
        if entry is not None and entry.expires is not None and entry.expires <= _now():
            del self._data[key]
            return None
        return entry

    def _value(self, key: str, kind: type) -> Any:
        entry = self._entry(key)
        if entry is None:
            return None
        if not isinstance(entry.value, kind):
            raise BrokerError(
                f"{key!r} holds a {type(entry.value).__name__}, not a {kind.__name__}"
            )
        return entry.value

    def _create(self, key: str, kind: type) -> _Entry:
        """The entry at ``key``, created empty if absent."""
        if self._value(key, kind) is None:
            self._data[key] = _Entry(kind())
        return self._data[key]

    def _sweep(self) -> None:
        now = _now()
        if now < self._next_sweep:
            return
        self._next_sweep = now + SWEEP_INTERVAL
        dead = [k for k, e in self._data.items() if e.expires is not None and e.expires <= now]
        for key in dead:
            del self._data[key]

    @staticmethod
    def _set_ttl(entry: _Entry, ttl: int | None) -> None:
        if ttl is not None:
            entry.expires = _now() + ttl

    # --- streams -------------------------------------------------------------------------

    def append(self, stream, events, *, ttl, dedupe=None):
        check_ttl(ttl, required=True)
        encoded = [encode_event(e) for e in events]  # outside the lock: may be big
        with self._lock:
            self._sweep()
            entry = self._create(stream, _Stream)
            log: _Stream = entry.value
            if dedupe is not None:
                sender, seq = dedupe
                if log.dedupe.get(sender, -1) >= seq:
                    return None
                log.dedupe[sender] = seq
            first = log.last_id + 1
            ids = list(range(first, first + len(encoded)))
            log.ids.extend(ids)
            log.events.extend(encoded)
            log.last_id += len(encoded)
            self._set_ttl(entry, ttl)
        if ids:
            self._waiters.wake(stream)
        return ids

    def read(self, stream, after, limit):
        with self._lock:
            log = self._value(stream, _Stream)
            if log is None or limit <= 0:
                return []
            start = bisect.bisect_right(log.ids, after)
            picked = list(
                zip(log.ids[start : start + limit], log.events[start : start + limit], strict=True)
            )
        return [(i, decode_event(raw)) for i, raw in picked]

    def last_id(self, stream):
        with self._lock:
            log = self._value(stream, _Stream)
            return log.last_id if log is not None else 0

    def trim(self, stream, before):
        with self._lock:
            log = self._value(stream, _Stream)
            if log is not None:
                cut = bisect.bisect_left(log.ids, before)
                del log.ids[:cut], log.events[:cut]

    def wake(self, stream):
        self._waiters.wake(stream)

    def read_raw(self, cursors, limit):
        with self._lock:
            return {stream: self._raw(stream, after, limit) for stream, after in cursors.items()}

    def _raw(self, stream: str, after: int, limit: int) -> list[tuple[int, str]]:
        log = self._value(stream, _Stream)
        if log is None or limit <= 0:
            return []
        start = bisect.bisect_right(log.ids, after)
        return list(zip(log.ids[start:start + limit], log.events[start:start + limit],
                        strict=True))

    # --- the hot path (one step under the lock, like a script on Redis) --------------------

    def _touch(self, ttl: int, *keys: str) -> None:
        for key in keys:
            entry = self._entry(key)
            if entry is not None:
                self._set_ttl(entry, ttl)

    def send_begin(self, *, record, last, seen, inbox, seq, now, ttl, claim_ms, beacon,
                   index=None, index_ids=(), depth=0, values=()):
        check_ttl(ttl, required=True)
        with self._lock:
            self._sweep()
            fetched = self._index_fetch(index, index_ids, depth) if index else {}
            plain = [self._value(key, str) for key in values]
            rec = self._value(record, str)
            if rec is None:
                return SendStart("unknown")
            self._data[seen] = _Entry(repr(float(now)))
            self._touch(ttl, seen, record, inbox)
            log = self._value(inbox, _Stream)
            common = {"record": rec, "version": log.last_id if log else 0, "fetched": fetched,
                      "values": plain}
            state = self._value(last, dict) or {}
            lseq = int(state.get("seq", 0))
            now_ms = int(now * 1000)
            if seq == lseq:
                self._touch(ttl, last)
                if "status" in state:
                    return SendStart("replay", answer=(int(state["status"]), state["body"]),
                                     **common)
                if claim_ms > 0:
                    if int(state.get("claim", 0)) > now_ms:
                        return SendStart("busy", **common)
                    state["claim"] = str(now_ms + claim_ms)
                return SendStart("again", **common)
            if seq != lseq + 1 and not (beacon and seq > lseq + 1):
                return SendStart("seq", expected=lseq + 1, **common)
            fresh = {"seq": str(seq)}
            if claim_ms > 0:
                fresh["claim"] = str(now_ms + claim_ms)
            self._data[last] = _Entry(fresh)
            self._touch(ttl, last)
            return SendStart("go", **common)

    def send_finish(self, *, last, seq, status, body, ttl):
        check_ttl(ttl, required=True)
        with self._lock:
            state = self._value(last, dict)
            if state is None or state.get("seq") != str(seq):
                return
            if status:
                state.update(status=str(status), body=body)
            state.pop("claim", None)
            self._touch(ttl, last)

    def poll_begin(self, *, record, generation, seen, inbox, after, limit, now, ttl, owner,
                   streams=None, answered=0, peek=()):
        check_ttl(ttl, required=True)
        with self._lock:
            self._sweep()
            others = {name: self._raw(name, cursor, limit) for name, cursor in (streams or {}).items()}
            values = tuple(self._value(key, str) for key in peek)
            rec = self._value(record, str)
            if rec is None:
                return PollStart(None)
            entry = self._create(generation, str)
            gen = int(entry.value or 0) + 1
            entry.value = str(gen)
            self._data[seen] = _Entry(repr(float(now)))
            self._touch(ttl, generation, seen, record, inbox)
            log = self._value(inbox, _Stream)
            result = PollStart(rec, gen, log.last_id if log else 0, self._raw(inbox, after, limit),
                               others, values)
        if gen - 1 != answered:
            self._waiters.dispatch(f"{RELEASE_PREFIX}{owner}:{gen}")
        return result

    def session_append(self, *, session, stream, events, ttl, dedupe, member, need_shared,
                       index=None, index_set=None, index_del=(), snapshot=None):
        check_ttl(ttl, required=True)
        with self._lock:
            raw = self._value(session, str)
            rec = json.loads(raw) if raw else None
            if not isinstance(rec, dict) or rec.get(member[0]) != member[1]:
                return SessionAppend("gone")
            mode = rec.get("mode") or ""
            presence = rec.get("presence") if isinstance(rec.get("presence"), str) else "here"
            if need_shared and mode != "shared":
                return SessionAppend("mode", mode, presence)
            entry = self._create(stream, _Stream)
            log: _Stream = entry.value
            sender, seq = str(dedupe[0]), int(dedupe[1])
            if log.dedupe.get(sender, -1) >= seq:
                return SessionAppend("dup", mode, presence)
            log.dedupe[sender] = seq
            if index and (index_set or index_del):
                hashed = self._create(index, dict)
                hashed.value.update(index_set or {})
                for name in index_del:
                    hashed.value.pop(name, None)
                self._set_ttl(hashed, ttl)
            first = log.last_id + 1
            ids = list(range(first, first + len(events)))
            log.ids.extend(ids)
            log.events.extend(events)
            log.last_id += len(events)
            self._set_ttl(entry, ttl)
            if snapshot is not None and 0 <= snapshot[1] < len(ids):
                self._data[snapshot[0]] = _Entry(str(ids[snapshot[1]]))
                self._set_ttl(self._data[snapshot[0]], ttl)
        if ids:
            small = sum(map(len, events)) <= CARRY_MAX
            self._waiters.wake(stream, (stream, ids[0], list(events)) if small else None)
        return SessionAppend("ok", mode, presence, ids)

    def index_fetch(self, index, ids, depth):
        with self._lock:
            return self._index_fetch(index, ids, depth)

    def _index_fetch(self, index, ids, depth) -> dict[int, str]:
        hashed = self._value(index, dict) if index else None
        out: dict[int, str] = {}
        if not hashed:
            return out
        wanted, seen = [str(int(i)) for i in ids], set()
        for _ in range(depth + 1):
            upper = []
            for node in wanted:
                if node in seen:
                    continue
                seen.add(node)
                entry = hashed.get(node)
                if entry is not None:
                    out[int(node)] = entry
                    parent = entry.split("|", 1)[0]
                    if parent.isdigit() and parent != "0":
                        upper.append(parent)
            if not upper:
                break
            wanted = upper
        return out

    def delete(self, *keys):
        with self._lock:
            for key in keys:
                self._data.pop(key, None)

    # --- strings -------------------------------------------------------------------------

    def get(self, key):
        with self._lock:
            return self._value(key, str)

    def set(self, key, value, *, ttl=None, nx=False):
        check_ttl(ttl)
        with self._lock:
            self._sweep()
            if nx and self._entry(key) is not None:
                return False
            self._data[key] = _Entry(str(value))
            self._set_ttl(self._data[key], ttl)
            return True

    def cas(self, key, expected, new, *, ttl=None):
        check_ttl(ttl)
        with self._lock:
            if self._value(key, str) != expected:
                return False
            if new is None:
                self._data.pop(key, None)
            else:
                self._data[key] = _Entry(str(new))
                self._set_ttl(self._data[key], ttl)
            return True

    def incr(self, key, *, ttl=None):
        check_ttl(ttl)
        with self._lock:
            current = self._value(key, str)
            try:
                number = int(current or 0) + 1
            except ValueError:
                raise BrokerError(f"{key!r} does not hold an integer") from None
            entry = self._create(key, str)  # keeps the expiry of an existing counter
            entry.value = str(number)
            self._set_ttl(entry, ttl)
            return number

    def expire(self, key, ttl):
        check_ttl(ttl)
        with self._lock:
            entry = self._entry(key)
            if entry is not None:
                self._set_ttl(entry, ttl)

    # --- hashes --------------------------------------------------------------------------

    def hset(self, key, mapping, *, ttl=None):
        check_ttl(ttl)
        with self._lock:
            entry = self._create(key, dict)
            entry.value.update({str(k): str(v) for k, v in mapping.items()})
            self._set_ttl(entry, ttl)

    def hget_many(self, key, fields):
        with self._lock:
            hashed = self._value(key, dict) or {}
            return [hashed.get(f) for f in fields]

    def hgetall(self, key):
        with self._lock:
            return dict(self._value(key, dict) or {})

    def hdel(self, key, fields):
        with self._lock:
            hashed = self._value(key, dict)
            if hashed is not None:
                for f in fields:
                    hashed.pop(f, None)
                if not hashed:
                    del self._data[key]

    # --- sets ----------------------------------------------------------------------------

    def sadd(self, key, *members):
        with self._lock:
            self._create(key, set).value.update(str(m) for m in members)

    def srem(self, key, *members):
        with self._lock:
            found = self._value(key, set)
            if found is not None:
                found.difference_update(members)
                if not found:
                    del self._data[key]

    def smembers(self, key):
        with self._lock:
            return set(self._value(key, set) or ())

    # --- lists ---------------------------------------------------------------------------

    def rpush(self, key, value, *, ttl=None):
        check_ttl(ttl)
        with self._lock:
            entry = self._create(key, list)
            entry.value.append(str(value))
            self._set_ttl(entry, ttl)

    def lrange(self, key, start, end):
        with self._lock:
            items = self._value(key, list) or []
            n = len(items)
            # Redis LRANGE: negative indexes from the end, out-of-range ends clamped.
            first = max(start + n if start < 0 else start, 0)
            last = min(end + n if end < 0 else end, n - 1)
            return items[first : last + 1] if first <= last else []

    # --- lifecycle -----------------------------------------------------------------------

    def ping(self):
        return True

    def close(self):
        self._waiters.close()

    def stats(self):
        with self._lock:
            keys = len(self._data)
        return {
            "backend": self.backend,
            "connections": 0,
            "waiters": len(self._waiters),
            "keys": keys,
        }


def _now() -> float:
    return concurrency.monotonic()
