"""Co-browse lifecycle: invitation -> accepted / declined / expired / cancelled -> session
-> ended, with at most one open invitation and one active session per agent.

The per-agent rules are two broker locks (``ag:{name}:invite`` and ``ag:{name}:session``)
taken with SET NX, so they hold across workers and hosts. State changes of one invitation
or session are compare-and-set on its record, so concurrent accept / cancel / expiry have
exactly one winner (issue 2, item 7).
"""

from __future__ import annotations

import json
import time

from cobrowse import concurrency
from cobrowse.errors import CobrowseError, Refused
from cobrowse.protocol import MODES
from cobrowse.rules.audit import Audit
from cobrowse.rules.consent import ControlConsent
from cobrowse.rules.conversations import Conflict
from cobrowse.rules.participants import new_id
from cobrowse.rules.watchers import end_watches
from cobrowse.storage import keys, records
from cobrowse.storage.outbox import Outbox

INVITE_TEXT = {
    "view": "{agent} would like to see this tab with you. They will not be able to click or type.",
    "shared": "{agent} would like to see this tab, click and fill in forms with you.",
}


def public_presence(presence: str | None) -> str:
    """What the agent is told: "here" or "away" (a visitor who left the page is away)."""
    return "here" if presence in (None, "here") else "away"


class Lifecycle:
    """Invitations and sessions; notifications go through an Outbox."""

    def __init__(self, broker, config, conversations):
        self.broker = broker
        self.config = config
        self.conversations = conversations
        self.audit = Audit(broker, config)
        #: Called as ``observer(kind, record)`` after each change ("invitation.accepted",
        #: "session.started", ...): the webhooks of issue 13 listen here.
        self.observers: list = []
        self.consent = ControlConsent(broker, config, conversations, INVITE_TEXT["shared"])
        self.consent.on_mode = self._mode_changed

    def _notify(self, kind: str, record: dict) -> None:
        for observer in self.observers:
            observer(kind, record)

    notify = _notify

    def to_agents(self, out: Outbox, sess: dict, event: dict) -> None:
        """A notice about the session to its owner and every watcher (issue 15, item 2):
        their STATE shows it, so it must move their inboxes on."""
        self.conversations.to_agent(out, sess["agent"], dict(event))
        for name in sorted(sess.get("watchers") or {}):
            self.conversations.to_agent(out, name, dict(event))

    def _link(self, record: dict, field: str, value: str | None, only_if: str | None = None) -> None:
        """Point the visitor's conversation (or, for an invitation without a conversation of
        ours, the visitor's participant record) at an invitation or session, or clear it."""
        def change(r):
            if only_if is not None and r.get(field) != only_if:
                return None
            return {**r, field: value}
        if record.get("conversation"):
            self.conversations.update(record["conversation"], change)
        else:
            self.conversations.participants.update(record["visitor"], change)

    # --- lookups ------------------------------------------------------------------------------

    def session(self, sid: str | None) -> dict | None:
        return records.load(self.broker, keys.session(sid)) if sid else None

    def invitation(self, iid: str | None) -> dict | None:
        return records.load(self.broker, keys.invitation(iid)) if iid else None

    def agent_session(self, name: str) -> dict | None:
        return self.session(self.broker.get(keys.agent_session(name)))

    def agent_invitation(self, name: str) -> dict | None:
        inv = self.invitation(self.broker.get(keys.agent_invitation(name)))
        return inv if inv and inv["state"] == "open" else None

    def visitor_session(self, visitor: dict) -> dict | None:
        conv = self.conversations.get(visitor.get("conversation") or "")
        return self.session((conv or {}).get("session") or visitor.get("session"))

    def visitor_invitation(self, visitor: dict) -> dict | None:
        conv = self.conversations.get(visitor.get("conversation") or "")
        inv = self.invitation((conv or {}).get("invitation") or visitor.get("invitation"))
        return inv if inv and inv["state"] == "open" else None

    # --- invitations --------------------------------------------------------------------------

    def invite(self, agent: dict, cid: str, mode: str, out: Outbox) -> dict:
        conv = self.conversations.of_agent(agent, cid)
        if conv["status"] != "open":
            raise Conflict("this conversation is closed", code="closed")
        return self.open_invitation(agent, {"conversation": cid, "visitor": conv["visitor"],
                                            "site": conv["site"]}, mode, out)

    def invite_visitor(self, agent: dict, visitor: dict, mode: str, out: Outbox, **extra) -> dict:
        """Invite a visitor who has no conversation with this agent (a support code, or the
        REST API of a messaging platform): the invitation and its session hang on the
        visitor's participant record instead. ``extra`` goes into the records (e.g. the
        integration that asked)."""
        if self.visitor_session(visitor) or self.visitor_invitation(visitor):
            raise Conflict("this visitor is already asked or co-browsing", code="visitor_busy")
        return self.open_invitation(agent, {"conversation": None, "visitor": visitor["id"],
                                            "site": visitor["site"], **extra}, mode, out)

    def open_invitation(self, agent: dict, target: dict, mode: str, out: Outbox) -> dict:
        """The invitation itself, under the agent's one-invitation and one-session locks.
        ``target``: conversation (or None), visitor, site, and any extra fields."""
        if mode not in MODES:
            raise Refused("mode must be 'view' or 'shared'", code="bad_mode", status=400)
        name = agent["agent"]
        cid = target["conversation"]
        iid = new_id("i_")
        lock_ttl = self.config.invite_ttl + 60
        if not self.broker.set(keys.agent_invitation(name), iid, ttl=lock_ttl, nx=True):
            raise Conflict("you already have an open co-browse invitation: cancel it first",
                           code="invitation_open")
        if self.broker.get(keys.agent_session(name)):
            self.broker.cas(keys.agent_invitation(name), iid, None)
            raise Conflict("you are already in a co-browse session: end it first",
                           code="session_active")
        if self.broker.get(keys.agent_watch(name)):
            self.broker.cas(keys.agent_invitation(name), iid, None)
            raise Conflict("you are watching a colleague's co-browse session: leave it first",
                           code="watching")
        inv = {**target, "id": iid, "agent": name, "agent_display": agent["display"],
               "mode": mode, "state": "open",
               "created": time.time(), "expires": time.time() + self.config.invite_ttl}
        records.save(self.broker, keys.invitation(iid), inv, lock_ttl)
        self.audit.opened(inv)
        self.broker.sadd(keys.OPEN_INVITATIONS, iid)
        self._link(inv, "invitation", iid)
        # The invitation text goes to the visitor's inbox only, never into the transcript.
        self.conversations.to_visitor(out, inv["visitor"], {
            "k": "invite", "invitation": iid, "conversation": cid, "mode": mode,
            "agent": agent["display"], "text": INVITE_TEXT[mode].format(agent=agent["display"])})
        self.conversations.to_agent(out, name, {"k": "invite.state", "invitation": iid,
                                                "conversation": cid, "state": "open", "mode": mode})
        return {"invitation": iid}

    def _close_invitation(self, iid: str, state: str, out: Outbox, check=None) -> dict:
        """Move an open invitation to ``state``; exactly one caller wins."""
        key = keys.invitation(iid)
        for _ in range(20):
            raw = self.broker.get(key)
            if raw is None:
                raise CobrowseError("no such invitation", code="unknown_invitation", status=404)
            inv = json.loads(raw)
            if check:
                check(inv)
            if inv["state"] != "open":
                raise Conflict(f"this invitation is already {inv['state']}", code="invitation_closed")
            new = {**inv, "state": state, "closed": time.time()}
            if self.broker.cas(key, raw, json.dumps(new), ttl=self.config.invite_ttl + 60):
                break
        else:
            raise CobrowseError("invitation busy, try again", code="contention", status=503)
        self.broker.cas(keys.agent_invitation(inv["agent"]), iid, None)
        self.broker.srem(keys.OPEN_INVITATIONS, iid)
        self.audit.step(iid, "invitation", outcome=state)
        self._link(inv, "invitation", None, only_if=iid)
        event = {"k": "invite.state", "invitation": iid, "conversation": inv["conversation"],
                 "state": state}
        self.conversations.to_visitor(out, inv["visitor"], dict(event))
        self.conversations.to_agent(out, inv["agent"], event)
        self._notify(f"invitation.{state}", new)
        return new

    def cancel(self, agent: dict, iid: str, out: Outbox) -> dict:
        def mine(inv):
            if inv["agent"] != agent["agent"]:
                raise Refused("this invitation is not yours", code="not_yours")
        self._close_invitation(iid, "cancelled", out, mine)
        return {}

    def decline(self, visitor: dict, iid: str, out: Outbox) -> dict:
        self._close_invitation(iid, "declined", out, self._for_visitor(visitor))
        return {}

    def accept(self, visitor: dict, iid: str, out: Outbox) -> dict:
        inv = self._close_invitation(iid, "accepted", out, self._for_visitor(visitor))
        sid = self._start(inv, out)["id"]
        records.update(self.broker, keys.invitation(iid), lambda i: {**i, "session": sid},
                       self.config.invite_ttl + 60)
        return {"session": sid}

    def expire(self, iid: str, out: Outbox, now: float | None = None) -> None:
        """Called by the reaper for invitations past their time."""
        now = time.time() if now is None else now

        def due(inv):
            if inv["expires"] > now:
                raise Conflict("not yet due", code="not_due")
        try:
            self._close_invitation(iid, "expired", out, due)
        except CobrowseError:
            inv = self.invitation(iid)
            if not inv or inv["state"] != "open":
                self.broker.srem(keys.OPEN_INVITATIONS, iid)

    @staticmethod
    def _for_visitor(visitor: dict):
        def check(inv):
            if inv["visitor"] != visitor["id"]:
                raise Refused("this invitation is for someone else", code="not_yours")
            if inv["expires"] <= time.time() and inv["state"] == "open":
                raise Conflict("this invitation has expired", code="invitation_expired")
        return check

    # --- sessions -----------------------------------------------------------------------------

    def _start(self, inv: dict, out: Outbox) -> dict:
        sid = new_id("s_")
        ttl = self.config.session_ttl
        sess = {"id": sid, "conversation": inv["conversation"], "agent": inv["agent"],
                "agent_display": inv["agent_display"], "visitor": inv["visitor"],
                "site": inv["site"], "mode": inv["mode"], "started": time.time(),
                "presence": "here", "url": None, "invitation": inv["id"]}
        for field in ("integration", "agent_id"):  # a platform's invitation (issue 13)
            if inv.get(field):
                sess[field] = inv[field]
        # The record before any pointer to it (the agent's lock, the conversation's link): a
        # pointer whose record is missing then always means the record was lost (see lost()).
        records.save(self.broker, keys.session(sid), sess, ttl)
        if not self.broker.set(keys.agent_session(inv["agent"]), sid, ttl=ttl, nx=True):
            self.broker.delete(keys.session(sid))
            raise Conflict("the agent is already in another co-browse session",
                           code="session_active")
        self.audit.linked(inv["id"], sid)
        self.audit.step(inv["id"], "session.started", session=sid, mode=inv["mode"])
        self.broker.sadd(keys.ACTIVE_SESSIONS, sid)
        self._link(inv, "session", sid)
        started = {"k": "session.started", "session": sid, "conversation": inv["conversation"],
                   "mode": inv["mode"], "agent": inv["agent_display"], "site": inv["site"]}
        self.conversations.to_visitor(out, inv["visitor"], dict(started))
        # No snapshot.request here: the tag sends a full snapshot as soon as it sees the
        # session start, and a second one would double the upload of a 2 MB page.
        self.conversations.to_agent(out, inv["agent"], started)
        if inv["conversation"]:  # colleagues' lists show who co-browses (issue 15, item 2)
            self.conversations.announce_queue(out)
        self._notify("session.started", sess)
        return sess

    def switch_mode(self, agent: dict, mode: str, out: Outbox) -> dict:
        sess = self._own_session(agent)
        if mode not in MODES:
            raise Refused("unknown mode", code="bad_mode")
        # Control is a permission of its own: switching up asks the visitor (issue 10).
        return self.consent.agent_switch(sess, mode, out)

    def answer_mode(self, sess: dict | None, event: dict, out: Outbox) -> dict:
        """The visitor accepts or declines the agent's request for control, or drops it."""
        return self.consent.visitor_answer(sess, event, out)

    def _mode_changed(self, sess: dict, mode: str, by: str) -> None:
        """The mode did change (the agent switched down, the visitor accepted or dropped
        control): audited, and the platform's observers told (issue 13, 14)."""
        self.audit.step(sess.get("invitation"), "mode", mode=mode, by=by)
        self._notify("session.mode", {**sess, "mode": mode})

    def _own_session(self, agent: dict) -> dict:
        sess = self.agent_session(agent["agent"])
        if not sess:
            raise Conflict("you have no active co-browse session", code="no_session")
        return sess

    def end_by_agent(self, agent: dict, out: Outbox) -> dict:
        self.end(self._own_session(agent)["id"], "agent", out)
        return {}

    def end_by_visitor(self, visitor: dict, out: Outbox) -> dict:
        sess = self.visitor_session(visitor)
        if not sess:
            raise Conflict("there is no active co-browse session", code="no_session")
        self.end(sess["id"], "visitor", out)
        return {}

    def end(self, sid: str, reason: str, out: Outbox) -> bool:
        """End a session and delete everything it stored. Returns False if already ended."""
        key = keys.session(sid)
        while True:
            raw = self.broker.get(key)
            if raw is None:
                return False
            if self.broker.cas(key, raw, None):
                break
        sess = json.loads(raw)
        self.audit.ended(sess.get("invitation"), keys.session_stream(sid, "visitor"), reason)
        # Sessions are never recorded: their streams and page index go with them.
        self.broker.delete(*keys.session_keys(sid))
        self.broker.cas(keys.agent_session(sess["agent"]), sid, None)
        self.broker.srem(keys.ACTIVE_SESSIONS, sid)
        self._link(sess, "session", None, only_if=sid)
        event = {"k": "session.ended", "session": sid, "reason": reason}
        self.conversations.to_visitor(out, sess["visitor"], dict(event))
        self.conversations.to_agent(out, sess["agent"], event)
        end_watches(self.broker, self.conversations, sess, reason, out)
        if sess.get("conversation"):
            self.conversations.announce_queue(out)
        self._notify("session.ended", {**sess, "reason": reason, "ended": time.time()})
        return True

    def lost(self, sid: str, who: dict, conv: dict | None) -> bool:
        """A pointer to session ``sid`` (the agent's lock, a conversation's or a visitor's
        link) whose record is gone: Redis lost it (a restart without persistence, a failover
        that dropped the latest writes, eviction). End it cleanly on what is left, instead of
        leaving an agent locked out of new sessions and two clients guessing: free the lock,
        drop the links and tell both sides ``session.ended`` with reason ``lost``, as far as
        the surviving records name them. Returns True if it did.

        Records are saved before any pointer to them (``_start``), so a missing record is
        never one being created; ``end()`` drops the record first and the pointers a moment
        later, so the check waits that moment out before deciding."""
        for delay in (0.0, 0.2, 0.8):
            if delay:
                concurrency.sleep(delay)  # other requests go on meanwhile
            if self.broker.get(keys.session(sid)) is not None or not self._points_at(sid, who, conv):
                return False
        agent = who["agent"] if who.get("role") == "agent" else (conv or {}).get("agent")
        visitor = who["id"] if who.get("role") == "visitor" else None
        if conv is None and agent:
            conv = self._conversation_of(agent, sid)
        if conv is not None:
            visitor = visitor or conv.get("visitor")
            self.conversations.update(
                conv["id"], lambda r: {**r, "session": None} if r.get("session") == sid else None)
        if visitor:
            self.conversations.participants.update(
                visitor, lambda r: {**r, "session": None} if r.get("session") == sid else None)
        self.broker.delete(*keys.session_keys(sid))  # whatever of it is left
        self.broker.srem(keys.ACTIVE_SESSIONS, sid)
        out = Outbox()
        event = {"k": "session.ended", "session": sid, "reason": "lost"}
        if agent:
            self.broker.cas(keys.agent_session(agent), sid, None)
            self.conversations.to_agent(out, agent, dict(event))
        if visitor:
            self.conversations.to_visitor(out, visitor, dict(event))
        out.flush(self.broker)
        self._notify("session.ended", {"id": sid, "agent": agent, "visitor": visitor,
                                       "conversation": (conv or {}).get("id"), "reason": "lost",
                                       "ended": time.time()})
        return True

    def _points_at(self, sid: str, who: dict, conv: dict | None) -> bool:
        if who.get("role") == "agent":
            return self.broker.get(keys.agent_session(who["agent"])) == sid
        if conv is not None:
            return (self.conversations.get(conv["id"]) or {}).get("session") == sid
        return (self.conversations.participants.get(who["id"]) or {}).get("session") == sid

    def _conversation_of(self, agent: str, sid: str) -> dict | None:
        for cid in self.broker.smembers(keys.agent_conversations(agent)):
            conv = self.conversations.get(cid)
            if conv and conv.get("session") == sid:
                return conv
        return None

    def set_paused(self, sess: dict, by: str | None, out: Outbox) -> None:
        """Record that the visitor paused sharing (``by``: "visitor" from the frame bar,
        "page" on a ``--pause`` page) or resumed it (None). Updates ``sess`` in place too, so
        the events after it in the same send see it (issue 14). ``session.paused`` in both
        inboxes moves their versions on, so every worker's cached view of the session (the
        hot path's contexts) is recomputed before it decides on the next control event."""
        sess["paused"] = by
        self.audit.step(sess.get("invitation"), "paused" if by else "resumed", by=by)
        records.update(self.broker, keys.session(sess["id"]), lambda s: {**s, "paused": by},
                       self.config.session_ttl)
        event = {"k": "session.paused", "session": sess["id"], "by": by}
        self.conversations.to_visitor(out, sess["visitor"], dict(event))
        self.to_agents(out, sess, event)

    def set_presence(self, sess: dict, presence: str, out: Outbox) -> None:
        """Record whether the visitor is here, away (silent) or left (its page went away:
        shown to the agent as away), and tell the agent once."""
        before = sess.get("presence", "here")
        if before == presence:
            return
        records.update(self.broker, keys.session(sess["id"]), lambda s: {**s, "presence": presence},
                       self.config.session_ttl)
        if public_presence(before) != public_presence(presence):
            self.to_agents(out, sess, {
                "k": "presence", "session": sess["id"], "visitor": public_presence(presence)})
