"""Time-driven rules: invitations expire, absent visitors are marked away and then end the
session, departed agents free their session, departed watchers leave the one they watch. One sweep at a time across all workers (a
short broker lock), every ``reaper_interval`` seconds.
"""

from __future__ import annotations

import logging
import time

from cobrowse import concurrency
from cobrowse.storage import keys
from cobrowse.storage.outbox import Outbox

log = logging.getLogger(__name__)


def sweep(core, now: float | None = None) -> None:
    """One pass over open invitations, active sessions and signed-in agents."""
    broker, life, config = core.broker, core.lifecycle, core.config
    now = time.time() if now is None else now
    out = Outbox()
    for iid in broker.smembers(keys.OPEN_INVITATIONS):
        inv = life.invitation(iid)
        if not inv or inv["state"] != "open" or inv["expires"] <= now:
            life.expire(iid, out, now)
    for sid in broker.smembers(keys.ACTIVE_SESSIONS):
        sess = life.session(sid)
        if not sess:
            broker.srem(keys.ACTIVE_SESSIONS, sid)
            continue
        visitor_age = now - core.participants.last_seen(sess["visitor"])
        agent_pids = broker.smembers(keys.agent_participants(sess["agent"]))
        # Counted from the start at the latest: a platform's agent (issue 13) may open its
        # agent link only after the visitor accepted, and poll a moment after that.
        agent_age = now - max([core.participants.last_seen(p) for p in agent_pids]
                              + [sess.get("started", 0)])
        if visitor_age > config.gone_after:
            life.end(sid, "visitor_gone", out)
            continue
        if agent_age > config.gone_after:
            life.end(sid, "agent_gone", out)
            continue
        if visitor_age > config.away_after:
            life.set_presence(sess, "away", out)
        if sess.get("watchers") or sess.get("joins"):
            core.watchers.gone(sess, lambda name: _agent_age(core, name, now) > config.gone_after)
    for pid in broker.smembers(keys.ONLINE_AGENTS):
        if core.participants.get(pid) is None:
            broker.srem(keys.ONLINE_AGENTS, pid)
    out.flush(broker)


def _agent_age(core, name: str, now: float) -> float:
    """Seconds since any workspace sign-in of agent ``name`` was last seen."""
    pids = core.broker.smembers(keys.agent_participants(name))
    return now - max([core.participants.last_seen(p) for p in pids] + [0.0])


class Reaper:
    """A background greenlet (or thread) running ``sweep`` periodically."""

    def __init__(self, core):
        self.core = core
        self.stopped = concurrency.Event()
        self.started = False

    def start(self) -> None:
        if not self.started:
            self.started = True
            concurrency.spawn(self._run)

    def stop(self) -> None:
        self.stopped.set()

    def _run(self) -> None:
        interval = self.core.config.reaper_interval
        while not self.stopped.wait(interval):
            try:
                lock_ttl = max(1, int(interval))
                if self.core.broker.set(keys.REAPER_LOCK, "1", ttl=lock_ttl, nx=True):
                    sweep(self.core)
            except Exception:  # keep sweeping: one bad record must not stop expiry for all
                log.exception("reaper sweep failed")
