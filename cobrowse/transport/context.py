"""A participant's context (its STATE and active session), cached per process and checked
against the participant's inbox at every use.

Every change of a conversation, invitation or session that a participant's client shows is
announced in that participant's inbox (rules/conversations.py, rules/sessions.py). So the
last id of the inbox is a version of the context: ``send_begin`` and ``poll_begin`` return it
in their one round trip, and a cached context is used only while its version is still the
inbox's. Nothing a later request depends on can go stale (DESIGN.md principle 6): a context
is never used past the next inbox event, and the one decision that must not lag behind a mode
change (control in shared mode only) is checked again by ``session_append`` on the session
record itself.

The version is read BEFORE the records the context is computed from, so a change that lands
in between makes the cached version older than the inbox: the next request recomputes.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from cobrowse.rules.views import agent_or_visitor_state
from cobrowse.storage import keys

#: Contexts kept per process before the cache is cleared (one per live participant).
CACHE_LIMIT = 100_000
#: Seconds after which an idle poll checks that its context's session still exists.
VERIFY_AFTER = 20.0


@dataclass(frozen=True, slots=True)
class Context:
    """What a request needs to know about its participant beyond the participant record."""

    version: int  #: last id of the participant's inbox when this was computed
    state: dict  #: the STATE of docs/protocol.md
    session: dict | None  #: the active session's record, or None
    at: float = field(default_factory=time.monotonic)  #: when it was computed

    @property
    def session_id(self) -> str | None:
        return self.session["id"] if self.session else None

    @property
    def watching(self) -> str | None:
        """The colleague's session this agent watches, admitted (issue 15, item 2)."""
        watch = self.state.get("watch")
        return watch["session"] if watch and watch["state"] == "watching" else None

    @property
    def stream_session_id(self) -> str | None:
        """The session whose stream to the agent this participant reads: its own, or the
        one it watches (the same stream the owner reads: nothing is copied per watcher)."""
        return self.session_id or self.watching


class Contexts:
    """The per-process cache of contexts, by participant id."""

    def __init__(self, core):
        self.core = core
        self._by_pid: dict[str, Context] = {}

    def peek(self, pid: str) -> Context | None:
        """The cached context, whatever its version (to guess which streams to read)."""
        return self._by_pid.get(pid)

    def get(self, who: dict, version: int) -> Context:
        """The context of ``who`` as of inbox ``version``: cached, or computed now."""
        cached = self._by_pid.get(who["id"])
        if cached is not None and cached.version == version:
            return cached
        return self.compute(who, version)

    def compute(self, who: dict, version: int) -> Context:
        """Read the records (a few round trips: a lifecycle change happened) and cache."""
        state, sess = agent_or_visitor_state(self.core, who)
        context = Context(version, state, sess)
        if len(self._by_pid) > CACHE_LIMIT:
            self._by_pid.clear()
        self._by_pid[who["id"]] = context
        return context

    def verified(self, who: dict, context: Context) -> Context:
        """``context``, checked against Redis when it names a session and is older than
        VERIFY_AFTER seconds: a session record that Redis lost is announced in no inbox, so
        only a read notices it (then ``Lifecycle.lost`` ends it, through compute). Called when
        a poll is answered empty at the end of its hold: one read per participant in a session
        per VERIFY_AFTER at most, never on the event path."""
        sid = context.stream_session_id  # its own session, or the one it watches (issue 15)
        if sid is None or time.monotonic() - context.at < VERIFY_AFTER:
            return context
        if self.core.broker.get(keys.session(sid)) is not None:
            fresh = Context(context.version, context.state, context.session)
            self._by_pid[who["id"]] = fresh
            return fresh
        return self.compute(who, context.version)

    def forget(self, pid: str) -> None:
        self._by_pid.pop(pid, None)
