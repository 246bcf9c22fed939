"""The Redis broker: state shared by any number of workers on any number of hosts.

Streams are Redis Streams with explicit ids ``N-0`` taken from a counter, so ids are the
small integers of the contract. Appending is one Lua script (dedupe check, ids, XADD, TTLs,
PUBLISH of the wake-up): a waiter either sees the events or gets the wake-up, never neither.
Each broker keeps one pooled set of command connections (a ``BlockingConnectionPool``: a
burst of requests waits for a free connection instead of opening hundreds) and one pub/sub
connection for wake-ups (cobrowse/storage/listener.py), never a connection per parked poll.

Derived keys are the caller's key plus a suffix, so they keep its Cluster hash tag:
``<stream>#id`` (the id counter) and ``<stream>#dd`` (the dedupe record).
"""

from __future__ import annotations

import functools
import os
import time
import uuid

import redis

from cobrowse import concurrency
from cobrowse.storage import scripts
from cobrowse.storage.base import (
    RELEASE_PREFIX,
    Broker,
    BrokerError,
    BrokerUnavailable,
    PollStart,
    SendStart,
    SessionAppend,
    check_ttl,
    decode_event,
    encode_event,
)
from cobrowse.storage.listener import WakeListener
from cobrowse.storage.resp import lean_pool
from cobrowse.storage.waiters import WaiterRegistry


def _is_noscript(reply) -> bool:
    return isinstance(reply, Exception) and str(reply).startswith("NOSCRIPT")


def _entries(found) -> list[tuple[int, str]]:
    """XRANGE replies (from a command or a script) as [(id, event JSON)]."""
    out = []
    for eid, fields in found or ():
        if isinstance(fields, dict):
            raw = fields.get("e")
        else:  # a script's reply: a flat field/value list
            raw = fields[fields.index("e") + 1] if "e" in fields else None
        if raw is not None:
            out.append((int(eid.split("-", 1)[0]), raw))
    return out


ID_SUFFIX = "#id"
DEDUPE_SUFFIX = "#dd"

#: Connection defaults; any of them can be overridden in the URL's query string
#: (``redis://host/0?max_connections=100&socket_timeout=2``).
POOL_DEFAULTS = {
    "max_connections": 16,  # per worker; a parked poll holds none, a command is brief
    "timeout": 20,  # seconds to wait for a free pooled connection (queueing beats a 503)
    "socket_timeout": 5,
    "socket_connect_timeout": 3,
    "socket_keepalive": True,
    "health_check_interval": 15,  # PING a connection idle longer than this before use
}


def _translate_errors(cls):
    """Turn redis-py errors into the project's errors, so the web layer answers 503."""

    def wrap(method):
        @functools.wraps(method)
        def translated(*args, **kwargs):
            try:
                return method(*args, **kwargs)
            except (redis.ConnectionError, redis.TimeoutError) as exc:
                raise BrokerUnavailable(f"Redis is unreachable: {exc}") from exc
            except redis.RedisError as exc:
                raise BrokerError(f"Redis refused: {exc}") from exc

        return translated

    for name in (Broker.__abstractmethods__ | {"get_many", "read_many", "read_raw"}) - {
            "close", "stats", "ping"}:
        setattr(cls, name, wrap(getattr(cls, name)))
    return cls


@_translate_errors
class RedisBroker(Broker):
    """Broker on a Redis server (5.0+ for streams; 7.0+ for same-instant TTLs in scripts)."""

    backend = "redis"
    #: Called with the seconds each hot-path round trip took (set by Core: a metric).
    observe_round_trip = None

    def __init__(
        self,
        url: str,
        *,
        prefix: str = "cobrowse:",
        ready_timeout: float = 3.0,
        health_interval: float = 5.0,
        **pool_options,
    ):
        if "{" in prefix or "}" in prefix:
            raise ValueError("the key prefix must not contain a hash tag")
        super().__init__()
        self.prefix = prefix
        self._id = uuid.uuid4().hex[:8]
        name = f"{prefix.rstrip(':')}-{os.getpid()}-{self._id}"
        options = {**POOL_DEFAULTS, **pool_options, "decode_responses": True}
        pool = redis.BlockingConnectionPool.from_url(url, client_name=name, **options)
        self._redis = redis.Redis(connection_pool=pool)
        # The listener's own pool: its connection never competes with commands for a slot.
        sub_pool = redis.ConnectionPool.from_url(
            url,
            client_name=f"{name}-wake",
            decode_responses=True,
            max_connections=2,
            socket_connect_timeout=options["socket_connect_timeout"],
            socket_keepalive=True,
        )
        self._sub_redis = redis.Redis(connection_pool=sub_pool)
        self._append = self._redis.register_script(scripts.APPEND)
        self._cas = self._redis.register_script(scripts.CAS)
        self._expire = self._redis.register_script(scripts.EXPIRE_GROUP)
        self._send_begin = self._redis.register_script(scripts.SEND_BEGIN)
        self._send_finish = self._redis.register_script(scripts.SEND_FINISH)
        self._poll_begin = self._redis.register_script(scripts.POLL_BEGIN)
        self._session_append = self._redis.register_script(scripts.SESSION_APPEND)
        self._index_fetch = self._redis.register_script(scripts.INDEX_FETCH)
        self._hot_scripts = (self._send_begin, self._send_finish, self._poll_begin,
                             self._session_append, self._index_fetch)
        self._lean = lean_pool(url, options, name)
        self.channel = f"{prefix}wake"
        self._health_interval = health_interval
        self._ready_timeout = ready_timeout
        # Started by the first waiter() of each process: commands-only users (the CLI) never
        # subscribe, and a broker built before a fork gets its own listener in the child.
        self._listener: WakeListener | None = None
        self._listener_pid: int | None = None
        self._claim = concurrency.Lock()  # held for a few assignments, never across I/O

    def waiter(self, streams, release=None):
        if self._listener_pid != os.getpid():
            self._start_listener()
        # Until the first subscription, a wake-up published now would be lost: hold the
        # first waiters back (instant afterwards). If Redis is down the worker carries on;
        # the listener keeps retrying and wakes every waiter once subscribed.
        if self._listener is not None:  # None only when closed before any waiter
            self._listener.first_subscription.wait(self._ready_timeout)
        return super().waiter(streams, release)

    def _start_listener(self) -> None:
        with self._claim:
            if self._listener_pid == os.getpid() or self.closed:
                return
            if self._listener_pid is not None:
                # A fork (gunicorn's preload_app): the parent's listener thread did not come
                # along, and its registry's lock may predate gevent's patching.
                self._waiters = WaiterRegistry()
            self._listener_pid = os.getpid()
            self._listener = WakeListener(
                self._sub_redis,
                self.channel,
                f"{self.prefix}wake-ctl:{self._id}",
                self._waiters,
                health_interval=self._health_interval,
            )
            self._listener.start()

    def _k(self, key: str) -> str:
        return self.prefix + key

    def _group(self, key: str) -> list[str]:
        """A key and the keys derived from it (same hash tag)."""
        k = self._k(key)
        return [k, k + ID_SUFFIX, k + DEDUPE_SUFFIX]

    # --- streams -------------------------------------------------------------------------

    def append(self, stream, events, *, ttl, dedupe=None):
        check_ttl(ttl, required=True)
        sender, seq = ("", 0) if dedupe is None else (str(dedupe[0]), int(dedupe[1]))
        if dedupe is not None and not sender:
            raise ValueError("dedupe sender must be a non-empty string")
        args = [ttl, self.channel, stream, sender, seq, *(encode_event(e) for e in events)]
        ids = self._append(keys=self._group(stream), args=args)
        return None if ids is None else [int(i) for i in ids]

    def read(self, stream, after, limit):
        if limit <= 0:
            return []
        entries = self._redis.xrange(self._k(stream), min=f"{int(after) + 1}-0", count=limit)
        return [(int(eid.split("-", 1)[0]), decode_event(fields["e"])) for eid, fields in entries]

    def read_many(self, cursors, limit):
        if limit <= 0:
            return {stream: [] for stream in cursors}
        # A plain (non-transactional) pipeline: one round trip, and fine across Cluster slots.
        pipe = self._redis.pipeline(transaction=False)
        for stream, after in cursors.items():
            pipe.xrange(self._k(stream), min=f"{int(after) + 1}-0", count=limit)
        return {
            stream: [(int(eid.split("-", 1)[0]), decode_event(f["e"])) for eid, f in entries]
            for stream, entries in zip(cursors, pipe.execute(), strict=True)
        }

    # --- the hot path --------------------------------------------------------------------

    def _run(self, commands: list[tuple]) -> list:
        """Run ``commands`` as one round trip (the lean client where the URL allows it) and
        return their replies. Scripts go as EVALSHA; if Redis lost them (a restart, a
        failover) they are loaded and the commands run once more (a script that answered
        NOSCRIPT did not run, and the other commands of the hot path only read)."""
        for attempt in (1, 2):
            if self.observe_round_trip is None:
                found = self._round_trip(commands)
            else:
                began = time.perf_counter()
                found = self._round_trip(commands)
                self.observe_round_trip(time.perf_counter() - began)
            if attempt == 2 or not any(_is_noscript(r) for r in found):
                break
            for script in self._hot_scripts:  # the same SHA1: the commands run as they are
                self._redis.script_load(script.script)
        for result in found:
            if isinstance(result, Exception):
                raise redis.ResponseError(str(result))
        return found

    def _round_trip(self, commands: list[tuple]) -> list:
        if self._lean is not None:
            return self._lean.execute(commands)
        pipe = self._redis.pipeline(transaction=False)
        for command in commands:
            pipe.execute_command(*command)
        return pipe.execute(raise_on_error=False)

    def send_begin(self, *, record, last, seen, inbox, seq, now, ttl, claim_ms, beacon,
                   index=None, index_ids=(), depth=0, values=()):
        commands = [("EVALSHA", self._send_begin.sha, 6, self._k(record), self._k(last),
                     self._k(seen), *self._group(inbox), int(seq), repr(float(now)), int(ttl),
                     int(claim_ms), "1" if beacon else "0", int(now * 1000))]
        if index and index_ids:
            commands.append(("EVALSHA", self._index_fetch.sha, 1, self._k(index), int(depth),
                             *map(int, index_ids)))
        commands.extend(("GET", self._k(key)) for key in values)
        found = self._run(commands)
        head = found[0]
        fetched = {}
        if index and index_ids:
            flat = found[1]
            fetched = {int(flat[i]): flat[i + 1] for i in range(0, len(flat), 2)}
        plain = found[2 if index and index_ids else 1:]
        status = head[0]
        if status == "unknown":
            return SendStart("unknown")
        common = {"record": head[1], "version": int(head[2]), "fetched": fetched,
                  "values": plain}
        if status == "replay":
            return SendStart(status, answer=(int(head[3]), head[4]), **common)
        if status == "seq":
            return SendStart(status, expected=int(head[3]), **common)
        return SendStart(status, **common)

    def send_finish(self, *, last, seq, status, body, ttl):
        self._run([("EVALSHA", self._send_finish.sha, 1, self._k(last), int(seq), int(status),
                    body, int(ttl))])

    def poll_begin(self, *, record, generation, seen, inbox, after, limit, now, ttl, owner,
                   streams=None, answered=0, peek=()):
        names = list(streams or ())
        commands = [("EVALSHA", self._poll_begin.sha, 6, self._k(record), self._k(generation),
                     self._k(seen), *self._group(inbox), repr(float(now)), int(ttl), int(after),
                     int(limit), self.channel, f"{RELEASE_PREFIX}{owner}:", int(answered))]
        commands.extend(("XRANGE", self._k(name), f"{int(streams[name]) + 1}-0", "+", "COUNT",
                         int(limit)) for name in names)
        commands.extend(("GET", self._k(key)) for key in peek)
        found = self._run(commands)
        head = found[0]
        if head[0] == "unknown":
            return PollStart(None)
        read = found[1:1 + len(names)]
        return PollStart(head[1], int(head[2]), int(head[3]), _entries(head[4]),
                         {name: _entries(got) for name, got in zip(names, read, strict=True)},
                         tuple(found[1 + len(names):]))

    def read_raw(self, cursors, limit):
        if limit <= 0:
            return {stream: [] for stream in cursors}
        names = list(cursors)
        found = self._run([("XRANGE", self._k(name), f"{int(cursors[name]) + 1}-0", "+",
                            "COUNT", int(limit)) for name in names])
        return {name: _entries(got) for name, got in zip(names, found, strict=True)}

    def session_append(self, *, session, stream, events, ttl, dedupe, member, need_shared,
                       index=None, index_set=None, index_del=(), snapshot=None):
        index_set = index_set or {}
        flat = [x for pair in index_set.items() for x in pair]
        mark, at = snapshot or (session + ":snap", -1)
        got = self._run([("EVALSHA", self._session_append.sha, 6, self._k(session),
                          *self._group(stream), self._k(index or session + ":idx"),
                          self._k(mark), int(ttl),
                          self.channel, stream, str(dedupe[0]), int(dedupe[1]), member[0],
                          member[1], "1" if need_shared else "0", len(index_set),
                          len(index_del), int(at) + 1, *flat, *index_del, *events)])[0]
        if got[0] == "gone":
            return SessionAppend("gone")
        return SessionAppend(got[0], got[1], got[2], [int(i) for i in got[3:]])

    def index_fetch(self, index, ids, depth):
        if not ids:
            return {}
        flat = self._run([("EVALSHA", self._index_fetch.sha, 1, self._k(index), int(depth),
                           *map(int, ids))])[0]
        return {int(flat[i]): flat[i + 1] for i in range(0, len(flat), 2)}

    def last_id(self, stream):
        return int(self._redis.get(self._k(stream) + ID_SUFFIX) or 0)

    def trim(self, stream, before):
        self._redis.xtrim(self._k(stream), minid=f"{int(before)}-0", approximate=False)

    def wake(self, stream):
        self._redis.publish(self.channel, stream)

    def delete(self, *keys):
        if not keys:
            return
        # One DEL per caller key: each groups keys of one hash tag (Cluster-safe).
        with self._redis.pipeline(transaction=False) as pipe:
            for key in keys:
                pipe.delete(*self._group(key))
            pipe.execute()

    # --- strings -------------------------------------------------------------------------

    def get(self, key):
        return self._redis.get(self._k(key))

    def get_many(self, keys):
        if not keys:
            return []
        pipe = self._redis.pipeline(transaction=False)
        for key in keys:
            pipe.get(self._k(key))
        return pipe.execute()

    def set(self, key, value, *, ttl=None, nx=False):
        check_ttl(ttl)
        return bool(self._redis.set(self._k(key), value, ex=ttl, nx=nx))

    def cas(self, key, expected, new, *, ttl=None):
        check_ttl(ttl)
        args = [
            0 if expected is None else 1,
            expected or "",
            0 if new is None else 1,
            new or "",
            ttl or 0,
        ]
        return bool(self._cas(keys=[self._k(key)], args=args))

    def incr(self, key, *, ttl=None):
        check_ttl(ttl)
        if ttl is None:
            return int(self._redis.incr(self._k(key)))
        with self._redis.pipeline(transaction=True) as pipe:
            pipe.incr(self._k(key))
            pipe.expire(self._k(key), ttl)
            number, _ = pipe.execute()
        return int(number)

    def expire(self, key, ttl):
        check_ttl(ttl)
        self._expire(keys=self._group(key), args=[ttl])

    # --- hashes --------------------------------------------------------------------------

    def hset(self, key, mapping, *, ttl=None):
        check_ttl(ttl)
        with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(self._k(key), mapping=mapping)
            if ttl is not None:
                pipe.expire(self._k(key), ttl)
            pipe.execute()

    def hget_many(self, key, fields):
        if not fields:
            return []
        return self._redis.hmget(self._k(key), fields)

    def hgetall(self, key):
        return self._redis.hgetall(self._k(key))

    def hdel(self, key, fields):
        if fields:
            self._redis.hdel(self._k(key), *fields)

    # --- sets ----------------------------------------------------------------------------

    def sadd(self, key, *members):
        if members:
            self._redis.sadd(self._k(key), *members)

    def srem(self, key, *members):
        if members:
            self._redis.srem(self._k(key), *members)

    def smembers(self, key):
        return set(self._redis.smembers(self._k(key)))

    # --- lists ---------------------------------------------------------------------------

    def rpush(self, key, value, *, ttl=None):
        check_ttl(ttl)
        with self._redis.pipeline(transaction=True) as pipe:
            pipe.rpush(self._k(key), value)
            if ttl is not None:
                pipe.expire(self._k(key), ttl)
            pipe.execute()

    def lrange(self, key, start, end):
        return self._redis.lrange(self._k(key), start, end)

    # --- lifecycle -----------------------------------------------------------------------

    def ping(self):
        try:
            return bool(self._redis.ping())
        except redis.RedisError:
            return False

    def close(self):
        """Wake every waiter (parked polls answer at once), stop the listener, disconnect."""
        self._waiters.close()
        if self._listener is not None:
            self._listener.stop()
        self._redis.connection_pool.disconnect()
        self._sub_redis.connection_pool.disconnect()
        if self._lean is not None:
            self._lean.close()

    def stats(self):
        pool = self._redis.connection_pool
        listener = self._listener
        subscribed = listener is not None and listener.subscribed.is_set()
        return {
            "backend": self.backend,
            # redis-py keeps no public count of a pool's open connections.
            "connections": len(getattr(pool, "_connections", ())) + int(subscribed),
            "pubsub_connections": int(subscribed),
            "max_connections": pool.max_connections,
            "waiters": len(self._waiters),
            "reconnects": listener.reconnects if listener else 0,
            "wake_messages": listener.messages if listener else 0,
        }
