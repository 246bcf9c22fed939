"""A second agent joins a co-browse session (issue 15, item 2): colleagues and supervisors
watch, view only, without control.

An agent asks to join (``join``). A colleague needs the owner's agreement first; a supervisor
(``cobrowse agent add NAME --supervisor``) does not. Then the visitor is asked, always,
before the watcher sees anything; a decline at either step keeps the watcher out and tells it.

An admitted watcher reads the session's stream to the agent: the very stream the owner reads,
so the visitor's events are sanitized and stored once whatever the number of watchers. Its
poll starts that stream at cursor 0, like the owner's after a reload: the stored snapshot and
what followed it build its replica. Watchers send nothing into the session: every session
event of a watcher is refused (403 ``watcher``), pointers included.

State lives on the session record (``joins``: open asks by id, each with its ``stage``,
"owner" or "visitor"; ``watchers``: admitted agents, name -> display name) and in one lock
per watcher (``ag:{name}:watch`` = the session id, SET NX): an agent watches or asks to watch
one session at a time, and never while it owns or invites to a session of its own. Every
change is announced in the inbox of each participant whose STATE shows it (the watcher, the
owner, the visitor, the other watchers), so the hot path's cached contexts stay right.
Leaving (``join.leave``, sign-out, going offline) does not end the session; the session
ending ends every watch.
"""

from __future__ import annotations

import json

from cobrowse.errors import CobrowseError
from cobrowse.protocol import AGENT
from cobrowse.rules.conversations import Conflict
from cobrowse.rules.participants import new_id
from cobrowse.storage import keys, records
from cobrowse.storage.outbox import Outbox

JOIN_TEXT = ("{agent}, a colleague of {owner}, would also like to see this tab. They will not "
             "be able to click, type or point.")


def watcher_names(sess: dict) -> list[str]:
    """Display names of the admitted watchers, in a stable order."""
    return sorted((sess.get("watchers") or {}).values())


def watch_view(sess: dict, name: str) -> dict | None:
    """What agent ``name``'s STATE shows of a session it watches or asked to watch."""
    join = next((jid for jid, j in (sess.get("joins") or {}).items() if j["agent"] == name), None)
    if name in (sess.get("watchers") or {}):
        state = "watching"
    elif join:
        state = sess["joins"][join]["stage"]
    else:
        return None
    return {"session": sess["id"], "join": join, "state": state, "owner": sess["agent_display"],
            "conversation": sess.get("conversation"), "site": sess["site"], "mode": sess["mode"],
            "visitor": "here" if sess.get("presence") in (None, "here") else "away",
            "paused": sess.get("paused"), "watchers": watcher_names(sess)}


def end_watches(broker, conversations, sess: dict, reason: str, out: Outbox) -> None:
    """The session ended: every watch and open ask ends with it (the locks are freed)."""
    names = set(sess.get("watchers") or {}) | {j["agent"] for j in (sess.get("joins") or {}).values()}
    for name in sorted(names):
        broker.cas(keys.agent_watch(name), sess["id"], None)
        conversations.to_agent(out, name, {"k": "join.state", "session": sess["id"],
                                           "state": "ended", "reason": reason})


class Watchers:
    """Asks to join, the owner's and the visitor's answers, leaving."""

    def __init__(self, broker, config, conversations, lifecycle, directory):
        self.broker = broker
        self.config = config
        self.conversations = conversations
        self.lifecycle = lifecycle
        self.directory = directory

    # --- helpers ------------------------------------------------------------------------------

    def _update(self, sid: str, change) -> dict:
        new = records.update(self.broker, keys.session(sid), change, self.config.session_ttl)
        if new is None:
            raise Conflict("the co-browse session has ended", code="no_session")
        return new

    def _release(self, name: str, sid: str) -> None:
        self.broker.cas(keys.agent_watch(name), sid, None)

    def _owns_or_invites(self, name: str) -> bool:
        return bool(self.broker.get(keys.agent_session(name))
                    or self.lifecycle.agent_invitation(name))

    def _audit(self, sess: dict, name: str, outcome: str, **fields) -> None:
        self.lifecycle.audit.step(sess.get("invitation"), "join", agent=name, outcome=outcome,
                                  **fields)

    def _to_watchers(self, out: Outbox, sess: dict, event: dict) -> None:
        for name in sorted(sess.get("watchers") or {}):
            self.conversations.to_agent(out, name, dict(event))

    def _announce(self, sess: dict, out: Outbox) -> None:
        """The list of watchers changed: the owner, the visitor and every watcher see it."""
        event = {"k": "session.watchers", "session": sess["id"], "watchers": watcher_names(sess)}
        self.conversations.to_visitor(out, sess["visitor"], dict(event))
        self.conversations.to_agent(out, sess["agent"], dict(event))
        self._to_watchers(out, sess, event)

    def _state(self, sess: dict, jid: str, join: dict, state: str, out: Outbox, *,
               visitor: bool, **extra) -> None:
        """``join.state`` to the watcher and the owner (and the visitor, if it was asked)."""
        event = {"k": "join.state", "session": sess["id"], "join": jid, "agent": join["display"],
                 "state": state, **extra}
        self.conversations.to_agent(out, sess["agent"], dict(event))
        if visitor:
            self.conversations.to_visitor(out, sess["visitor"], dict(event))
        mine = {**event, **(watch_view(sess, join["agent"]) or {}), "state": state}
        self.conversations.to_agent(out, join["agent"], mine)

    def _ask(self, sess: dict, jid: str, out: Outbox) -> None:
        """Ask whoever must agree next: the owner, or the visitor."""
        join = sess["joins"][jid]
        request = {"k": "join.request", "session": sess["id"], "join": jid,
                   "agent": join["display"], "supervisor": join["supervisor"]}
        if join["stage"] == "owner":
            self.conversations.to_agent(out, sess["agent"], request)
        else:
            self.conversations.to_visitor(out, sess["visitor"], {
                **request, "owner": sess["agent_display"],
                "text": JOIN_TEXT.format(agent=join["display"], owner=sess["agent_display"])})
        self._state(sess, jid, join, join["stage"], out, visitor=False)

    # --- the watcher --------------------------------------------------------------------------

    def ask(self, agent: dict, sid: str, out: Outbox) -> dict:
        """``join`` {session}: ask to watch a colleague's session."""
        name = agent["agent"]
        sess = self.lifecycle.session(sid)
        if not sess:
            raise CobrowseError("no such co-browse session: it may have ended",
                                code="unknown_session", status=404)
        if sess["agent"] == name:
            raise Conflict("this co-browse session is your own", code="own_session")
        busy = Conflict("you have a co-browse session or invitation of your own: end it before "
                        "watching a colleague's", code="session_active")
        if self._owns_or_invites(name):
            raise busy
        held = self.broker.get(keys.agent_watch(name))
        if held and self.lifecycle.session(held) is None:
            self._release(name, held)  # a watch of a session that is gone (lost by Redis)
        if not self.broker.set(keys.agent_watch(name), sid, ttl=self.config.session_ttl, nx=True):
            raise Conflict("you already watch, or asked to watch, a co-browse session: leave it "
                           "first", code="watching")
        if self._owns_or_invites(name):  # an invitation of ours raced with this ask
            self._release(name, sid)
            raise busy
        record = self.directory.agent(name)
        supervisor = bool(record and record.supervisor)
        jid = new_id("j_")
        join = {"agent": name, "display": agent["display"], "supervisor": supervisor,
                "stage": "visitor" if supervisor else "owner"}
        try:
            sess = self._update(sid, lambda s: {**s, "joins": {**(s.get("joins") or {}), jid: join}})
        except CobrowseError:
            self._release(name, sid)
            raise
        self._audit(sess, name, "asked", by="supervisor" if supervisor else "colleague")
        self._ask(sess, jid, out)
        return {"join": jid, "state": join["stage"]}

    def leave(self, agent: dict, out: Outbox) -> dict:
        """``join.leave``: stop watching, or withdraw an open ask. The session goes on."""
        sid = self.broker.get(keys.agent_watch(agent["agent"]))
        if not sid:
            raise Conflict("you are not watching a co-browse session", code="not_watching")
        self.drop(agent["agent"], sid, "left", out)
        return {}

    def drop(self, name: str, sid: str, reason: str, out: Outbox) -> None:
        """Agent ``name`` no longer watches ``sid`` (it left, signed out or went away)."""
        found: dict = {}

        def remove(s: dict) -> dict | None:
            joins = s.get("joins") or {}
            found["joins"] = {k: v for k, v in joins.items() if v["agent"] == name}
            watchers = dict(s.get("watchers") or {})
            found["watching"] = watchers.pop(name, None) is not None
            if not found["watching"] and not found["joins"]:
                return None
            return {**s, "watchers": watchers,
                    "joins": {k: v for k, v in joins.items() if k not in found["joins"]}}
        sess = records.update(self.broker, keys.session(sid), remove, self.config.session_ttl)
        self._release(name, sid)
        self.conversations.to_agent(out, name, {"k": "join.state", "session": sid,
                                                "state": "left", "reason": reason})
        if sess is None:
            return
        if found["watching"] or found["joins"]:
            self._audit(sess, name, "left", reason=reason)
        for jid, join in found["joins"].items():
            self._state(sess, jid, join, "cancelled", out, visitor=join["stage"] == "visitor")
        if found["watching"]:
            self._announce(sess, out)
            self.lifecycle.notify("session.watcher_left", {**sess, "watcher": name,
                                                           "reason": reason})

    # --- the owner and the visitor ------------------------------------------------------------

    def answer(self, who: dict, jid: str, accept: bool, out: Outbox) -> dict:
        """``join.accept`` / ``join.decline`` {join}: the owner's agreement (a colleague's
        ask), then the visitor's consent."""
        if who["role"] == AGENT:
            sess, stage = self.lifecycle.agent_session(who["agent"]), "owner"
        else:
            sess, stage = self.lifecycle.visitor_session(who), "visitor"
        if not sess:
            raise Conflict("there is no active co-browse session", code="no_session")
        found: dict = {}

        def decide(s: dict) -> dict:
            join = (s.get("joins") or {}).get(jid)
            if not join or join["stage"] != stage:
                raise Conflict("this request to join is no longer open", code="join_closed")
            found.update(join)
            others = {k: v for k, v in s["joins"].items() if k != jid}
            if not accept:
                return {**s, "joins": others}
            if stage == "owner":
                return {**s, "joins": {**others, jid: {**join, "stage": "visitor"}}}
            return {**s, "joins": others,
                    "watchers": {**(s.get("watchers") or {}), join["agent"]: join["display"]}}
        sess = self._update(sess["id"], decide)
        name = found["agent"]
        if not accept:
            self._release(name, sess["id"])
            self._audit(sess, name, "declined", by=stage)
            self._state(sess, jid, found, "declined", out, visitor=stage == "visitor", by=stage)
            return {}
        if stage == "owner":
            self._audit(sess, name, "agreed", by="owner")
            self._ask(sess, jid, out)
            return {}
        self._audit(sess, name, "accepted", by="visitor")
        self._state(sess, jid, found, "accepted", out, visitor=True, by="visitor")
        self._announce(sess, out)
        self.lifecycle.notify("session.watcher_joined", {**sess, "watcher": name})
        return {}

    # --- lookups ------------------------------------------------------------------------------

    def joinable(self, agent: dict) -> list[dict]:
        """Colleagues' active sessions with a conversation, for the workspace's list (one
        batched read of the active sessions)."""
        ids = sorted(self.broker.smembers(keys.ACTIVE_SESSIONS))
        found = self.broker.get_many([keys.session(sid) for sid in ids]) if ids else []
        items = []
        for raw in found:
            sess = json.loads(raw) if raw else None
            if not sess or sess["agent"] == agent["agent"] or not sess.get("conversation"):
                continue
            view = watch_view(sess, agent["agent"])
            items.append({"session": sess["id"], "conversation": sess["conversation"],
                          "site": sess["site"], "agent": sess["agent_display"],
                          "mode": sess["mode"], "started": sess.get("started"),
                          "watchers": watcher_names(sess),
                          "watch": view["state"] if view else None})
        items.sort(key=lambda item: item.get("started") or 0, reverse=True)
        return items

    def gone(self, sess: dict, is_gone) -> None:
        """The reaper: watchers (and askers) that went offline leave (``is_gone(name)``)."""
        names = set(sess.get("watchers") or {}) | {j["agent"] for j in (sess.get("joins") or {}).values()}
        out = Outbox()
        for name in sorted(names):
            if is_gone(name):
                self.drop(name, sess["id"], "agent_gone", out)
        out.flush(self.broker)
