"""A lean Redis client for the hot path: pipelines of a few commands, one round trip each.

redis-py is the client for everything else; under the relay benchmark its per-command
machinery (pool checkout with a ``can_read`` probe per command, pipeline objects, response
callbacks, observability hooks) was about a third of a worker's CPU (issue 9). Sends and
polls only ever need "run these 1-3 commands and give me the replies": this does exactly
that, with hiredis for packing and parsing, over a small pool of plain sockets (cooperative
under gevent's monkey-patching, like every socket of the worker).

Safety over speed where they meet: a connection whose round trip did not complete cleanly
(any exception, a greenlet killed mid-read) is closed, never returned to the pool, so a
later caller can never read someone else's reply. Only plain TCP URLs are served here
(``redis://``); TLS and Unix sockets stay with redis-py (``lean_pool`` returns None).
"""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

import hiredis
import redis
from redis.connection import parse_url

from cobrowse import concurrency


class RespPool:
    """A bounded LIFO pool of connections to one Redis server."""

    def __init__(self, host: str, port: int, *, db: int = 0, username: str | None = None,
                 password: str | None = None, client_name: str | None = None,
                 max_connections: int = 16, timeout: float = 20.0, socket_timeout: float = 5.0,
                 connect_timeout: float = 3.0):
        self.address = (host, port)
        self.db, self.username, self.password = db, username, password
        self.client_name = client_name
        self.timeout, self.socket_timeout, self.connect_timeout = (timeout, socket_timeout,
                                                                   connect_timeout)
        self._idle: list[_Connection] = []
        self._slots = concurrency.Semaphore(max_connections)
        self.round_trips = 0  # for tests that count them (tests/test_round_trips.py)

    def execute(self, commands: list[tuple]) -> list:
        """Send ``commands`` at once and return their replies (errors as ``ReplyError``)."""
        if not self._slots.acquire(timeout=self.timeout):
            raise redis.ConnectionError("no Redis connection free in time")
        conn = None
        try:
            conn = self._idle.pop() if self._idle else self._connect()
            self.round_trips += 1
            replies = conn.round_trip(commands)
            self._idle.append(conn)
            conn = None
            return replies
        finally:
            if conn is not None:
                conn.close()
            self._slots.release()

    def _connect(self) -> _Connection:
        try:
            sock = socket.create_connection(self.address, timeout=self.connect_timeout)
        except OSError as exc:
            raise redis.ConnectionError(f"cannot connect to Redis at {self.address}: {exc}") from exc
        sock.settimeout(self.socket_timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        conn = _Connection(sock)
        setup: list[tuple] = []
        if self.password is not None:
            setup.append(("AUTH", self.username, self.password) if self.username
                         else ("AUTH", self.password))
        if self.db:
            setup.append(("SELECT", self.db))
        if self.client_name:
            setup.append(("CLIENT", "SETNAME", self.client_name))
        if setup:
            try:
                for reply in conn.round_trip(setup):
                    if isinstance(reply, hiredis.ReplyError):
                        raise redis.AuthenticationError(str(reply))
            except BaseException:
                conn.close()
                raise
        return conn

    def close(self) -> None:
        while self._idle:
            self._idle.pop().close()


class _Connection:
    __slots__ = ("sock", "reader")

    def __init__(self, sock: socket.socket):
        self.sock = sock
        self.reader = hiredis.Reader(encoding="utf-8")

    def round_trip(self, commands: list[tuple]) -> list:
        payload = b"".join(hiredis.pack_command(c) for c in commands)
        try:
            self.sock.sendall(payload)
            replies: list = []
            while len(replies) < len(commands):
                reply = self.reader.gets()
                if reply is False:
                    data = self.sock.recv(65536)
                    if not data:
                        raise redis.ConnectionError("Redis closed the connection")
                    self.reader.feed(data)
                    continue
                replies.append(reply)
            return replies
        except TimeoutError as exc:
            raise redis.TimeoutError(f"Redis did not answer in time: {exc}") from exc
        except OSError as exc:
            raise redis.ConnectionError(f"Redis connection failed: {exc}") from exc

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass


def lean_pool(url: str, options: dict, client_name: str) -> RespPool | None:
    """A pool for ``url`` when it is plain TCP, else None (redis-py serves it)."""
    if urlsplit(url).scheme != "redis":
        return None
    parsed = parse_url(url)
    if "path" in parsed or "host" not in parsed:
        return None
    return RespPool(parsed["host"], int(parsed.get("port", 6379)), db=int(parsed.get("db", 0)),
                    username=parsed.get("username"), password=parsed.get("password"),
                    client_name=client_name,
                    max_connections=int(parsed.get("max_connections", options["max_connections"])),
                    timeout=float(options.get("timeout") or 20),
                    socket_timeout=float(parsed.get("socket_timeout", options["socket_timeout"])),
                    connect_timeout=float(parsed.get("socket_connect_timeout",
                                                     options["socket_connect_timeout"])))
