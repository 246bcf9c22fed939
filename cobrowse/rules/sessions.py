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

from cobrowse.errors import CobrowseError, Refused
from cobrowse.protocol import MODES
from cobrowse.rules.consent import ControlConsent
from cobrowse.rules.conversations import Conflict
from cobrowse.rules.participants import new_id
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
        self.consent = ControlConsent(broker, config, conversations, INVITE_TEXT["shared"])

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
        return self.session(conv.get("session")) if conv else None

    def visitor_invitation(self, visitor: dict) -> dict | None:
        conv = self.conversations.get(visitor.get("conversation") or "")
        inv = self.invitation(conv.get("invitation")) if conv else None
        return inv if inv and inv["state"] == "open" else None

    # --- invitations --------------------------------------------------------------------------

    def invite(self, agent: dict, cid: str, mode: str, out: Outbox) -> dict:
        conv = self.conversations.of_agent(agent, cid)
        if conv["status"] != "open":
            raise Conflict("this conversation is closed", code="closed")
        name = agent["agent"]
        iid = new_id("i_")
        lock_ttl = self.config.invite_ttl + 60
        if not self.broker.set(keys.agent_invitation(name), iid, ttl=lock_ttl, nx=True):
            raise Conflict("you already have an open co-browse invitation: cancel it first",
                           code="invitation_open")
        if self.broker.get(keys.agent_session(name)):
            self.broker.cas(keys.agent_invitation(name), iid, None)
            raise Conflict("you are already in a co-browse session: end it first",
                           code="session_active")
        inv = {"id": iid, "conversation": cid, "agent": name, "agent_display": agent["display"],
               "visitor": conv["visitor"], "site": conv["site"], "mode": mode, "state": "open",
               "created": time.time(), "expires": time.time() + self.config.invite_ttl}
        records.save(self.broker, keys.invitation(iid), inv, lock_ttl)
        self.broker.sadd(keys.OPEN_INVITATIONS, iid)
        self.conversations.update(cid, lambda c: {**c, "invitation": iid})
        # The invitation text goes to the visitor's inbox only, never into the transcript.
        self.conversations.to_visitor(out, conv["visitor"], {
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
        self.conversations.update(inv["conversation"], lambda c: {
            **c, "invitation": None} if c.get("invitation") == iid else None)
        event = {"k": "invite.state", "invitation": iid, "conversation": inv["conversation"],
                 "state": state}
        self.conversations.to_visitor(out, inv["visitor"], dict(event))
        self.conversations.to_agent(out, inv["agent"], event)
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
        return {"session": self._start(inv, out)["id"]}

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
        if not self.broker.set(keys.agent_session(inv["agent"]), sid, ttl=ttl, nx=True):
            raise Conflict("the agent is already in another co-browse session",
                           code="session_active")
        sess = {"id": sid, "conversation": inv["conversation"], "agent": inv["agent"],
                "agent_display": inv["agent_display"], "visitor": inv["visitor"],
                "site": inv["site"], "mode": inv["mode"], "started": time.time(),
                "presence": "here", "url": None}
        records.save(self.broker, keys.session(sid), sess, ttl)
        self.broker.sadd(keys.ACTIVE_SESSIONS, sid)
        self.conversations.update(inv["conversation"], lambda c: {**c, "session": sid})
        started = {"k": "session.started", "session": sid, "conversation": inv["conversation"],
                   "mode": inv["mode"], "agent": inv["agent_display"]}
        self.conversations.to_visitor(out, inv["visitor"], dict(started))
        # No snapshot.request here: the tag sends a full snapshot as soon as it sees the
        # session start, and a second one would double the upload of a 2 MB page.
        self.conversations.to_agent(out, inv["agent"], started)
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
        # Sessions are never recorded: their streams and page index go with them.
        self.broker.delete(*keys.session_keys(sid))
        self.broker.cas(keys.agent_session(sess["agent"]), sid, None)
        self.broker.srem(keys.ACTIVE_SESSIONS, sid)
        self.conversations.update(sess["conversation"], lambda c: {
            **c, "session": None} if c.get("session") == sid else None)
        event = {"k": "session.ended", "session": sid, "reason": reason}
        self.conversations.to_visitor(out, sess["visitor"], dict(event))
        self.conversations.to_agent(out, sess["agent"], event)
        return True

    def set_presence(self, sess: dict, presence: str, out: Outbox) -> None:
        """Record whether the visitor is here, away (silent) or left (its page went away:
        shown to the agent as away), and tell the agent once."""
        before = sess.get("presence", "here")
        if before == presence:
            return
        records.update(self.broker, keys.session(sess["id"]), lambda s: {**s, "presence": presence},
                       self.config.session_ttl)
        if public_presence(before) != public_presence(presence):
            self.conversations.to_agent(out, sess["agent"], {
                "k": "presence", "session": sess["id"], "visitor": public_presence(presence)})
