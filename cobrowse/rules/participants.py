"""Participants (a visitor in one browser tab, or an agent's workspace sign-in) and tokens.

A token is 192 random bits; only its SHA-256 is stored, so a copy of the store does not
let anyone act as a participant. A token reaches only its own participant, and through it
only that participant's conversation and session.
"""

from __future__ import annotations

import hashlib
import secrets
import time

from cobrowse.errors import CobrowseError
from cobrowse.storage import keys, records


class UnknownToken(CobrowseError):
    status = 401
    code = "unknown_token"


def new_id(prefix: str) -> str:
    """A random identifier, unguessable, safe in URLs and in key names."""
    return prefix + secrets.token_hex(12)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


#: Entries kept in the per-process caches below before they are cleared.
CACHE_LIMIT = 100_000
#: Refresh "last seen" and TTLs at most this often per participant (seconds), where a
#: request does not do it in its own first step (hello, sign-in).
TOUCH_EVERY = 5.0
#: Refresh a token's TTL at most this often per process (seconds): it lives as long as its
#: participant (a day by default); sends and polls refresh everything else themselves.
TOKEN_REFRESH_EVERY = 3600.0


def role_of(pid: str) -> str:
    """A participant's role, from its id's prefix (``v_`` visitor, ``a_`` agent)."""
    return "agent" if pid.startswith("a_") else "visitor"


class Participants:
    """Create, find and refresh participants.

    Two per-process caches save round trips on every request, without holding state a
    later request depends on: token digest -> participant id (never changes), and when a
    participant was last touched (touching again within seconds changes nothing).
    """

    def __init__(self, broker, config):
        self.broker = broker
        self.ttl = config.participant_ttl
        self._pids: dict[str, tuple[str, float]] = {}
        self._touched: dict[str, float] = {}

    def create(self, role: str, **fields) -> tuple[str, dict]:
        """A new participant and its token (the token is returned once, never stored)."""
        pid = new_id("v_" if role == "visitor" else "a_")
        token = secrets.token_urlsafe(24)
        record = {"id": pid, "role": role, "token": digest(token), "created": time.time(), **fields}
        records.save(self.broker, keys.participant(pid), record, self.ttl)
        self.broker.set(keys.token(record["token"]), pid, ttl=self.ttl)
        return token, record

    def pid_for(self, token: object) -> str:
        """The participant id of ``token`` (a per-process cache: it never changes), or
        UnknownToken (401). Whether the participant still exists is for the caller's first
        step to find out (``send_begin``/``poll_begin`` read its record)."""
        if not isinstance(token, str) or not 10 < len(token) < 200:
            raise UnknownToken("missing or malformed token")
        hashed = digest(token)
        cached = self._pids.get(hashed)
        now = time.monotonic()
        if cached is not None and now - cached[1] < TOKEN_REFRESH_EVERY:
            return cached[0]
        if cached is not None:
            self.broker.expire(keys.token(hashed), self.ttl)
            pid = cached[0]
        else:
            pid = self.broker.get(keys.token(hashed))
            if not pid:
                raise UnknownToken("this token is unknown or has expired: start again")
        if len(self._pids) > CACHE_LIMIT:
            self._pids.clear()
        self._pids[hashed] = (pid, now)
        return pid

    def last_seq(self, pid: str) -> int:
        """The seq of the participant's last send (0 before the first)."""
        raw = self.broker.hget_many(keys.last_send(pid), ["seq"])[0]
        return int(raw) if raw else 0

    def by_token(self, token: object) -> dict:
        """The participant of ``token``, or UnknownToken (401)."""
        try:
            pid = self.pid_for(token)
        except UnknownToken:
            pid = None
        record = records.load(self.broker, keys.participant(pid)) if pid else None
        if not record:
            raise UnknownToken("this token is unknown or has expired: start again")
        return record

    def issue_token(self, record: dict) -> str:
        """Another token for an existing participant (an agent reloading the workspace)."""
        token = secrets.token_urlsafe(24)
        self.broker.set(keys.token(digest(token)), record["id"], ttl=self.ttl)
        return token

    def get(self, pid: str) -> dict | None:
        return records.load(self.broker, keys.participant(pid))

    def update(self, pid: str, change) -> dict | None:
        return records.update(self.broker, keys.participant(pid), change, self.ttl)

    def touch(self, record: dict, force: bool = False) -> None:
        """Mark the participant alive now and keep its records from expiring."""
        pid = record["id"]
        now = time.monotonic()
        if not force and now - self._touched.get(pid, -TOUCH_EVERY) < TOUCH_EVERY:
            return
        if len(self._touched) > CACHE_LIMIT:
            self._touched.clear()
        self._touched[pid] = now
        self.broker.set(keys.seen(pid), str(time.time()), ttl=self.ttl)
        self.broker.expire(keys.participant(pid), self.ttl)
        self.broker.expire(keys.token(record["token"]), self.ttl)
        # An inbox that expired would restart its ids at 1 under a client's higher cursor.
        self.broker.expire(keys.inbox(pid), self.ttl)

    def last_seen(self, pid: str) -> float:
        raw = self.broker.get(keys.seen(pid))
        return float(raw) if raw else 0.0

    def remove(self, record: dict) -> None:
        pid = record["id"]
        self.broker.delete(keys.participant(pid), keys.token(record["token"]), keys.inbox(pid),
                           keys.last_send(pid), keys.poll_generation(pid), keys.seen(pid))
