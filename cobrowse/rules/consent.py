"""Consent per permission (issue 10, item 5): seeing the page and operating it are separate.

An agent in a view-only session who switches to shared only *asks*: the visitor gets a
``mode.request`` (the same words as a shared invitation) and the session stays view only
until the visitor sends ``mode.accept``; ``mode.decline`` keeps it view only and tells the
agent. The visitor can drop control at any time (``mode.drop``: back to view only).
Switching down needs no consent, and cancels a request still open.

The session record holds the open request's id (``request``); every change is a
compare-and-set on the record, so an accept racing the agent's switch down has one winner.
"""

from __future__ import annotations

from cobrowse.errors import CobrowseError
from cobrowse.protocol import SHARED, VIEW
from cobrowse.rules.conversations import Conflict
from cobrowse.rules.participants import new_id
from cobrowse.storage import keys, records
from cobrowse.storage.outbox import Outbox


class _Lost(CobrowseError):
    """The record changed under a decision: the caller's conflict, raised from the update."""

    status = 409


class ControlConsent:
    """The agent's requests for control and the visitor's answers."""

    def __init__(self, broker, config, conversations, request_text: str):
        self.broker = broker
        self.config = config
        self.conversations = conversations
        self.request_text = request_text  # "{agent} would like to see this tab, click ..."

    def _update(self, sess: dict, change) -> dict:
        new = records.update(self.broker, keys.session(sess["id"]), change, self.config.session_ttl)
        if new is None:
            raise Conflict("the co-browse session has ended", code="no_session")
        return new

    #: Called as ``on_mode(session, mode, by)`` when the mode did change (the lifecycle audits
    #: it and tells its observers).
    on_mode = None

    def _both(self, sess: dict, event: dict, out: Outbox) -> None:
        self.conversations.to_visitor(out, sess["visitor"], dict(event))
        self.conversations.to_agent(out, sess["agent"], event)
        if event.get("k") == "session.mode":  # watchers' STATE shows the mode (issue 15)
            for name in sorted(sess.get("watchers") or {}):
                self.conversations.to_agent(out, name, dict(event))
        if event.get("k") == "session.mode" and self.on_mode is not None:
            self.on_mode(sess, event["mode"], event.get("by", "agent"))

    def _state(self, sess: dict, request: str, state: str, out: Outbox) -> None:
        self._both(sess, {"k": "mode.state", "session": sess["id"], "request": request,
                          "state": state}, out)

    # --- the agent ------------------------------------------------------------------------

    def agent_switch(self, sess: dict, mode: str, out: Outbox) -> dict:
        """``session.mode`` from the agent: down at once, up only by asking the visitor."""
        if mode == VIEW:
            return self._to_view(sess, "agent", out)
        rid = new_id("r_")
        before: dict = {}

        def ask(s: dict) -> dict | None:
            before.update(s)
            if s["mode"] == SHARED:
                return None
            if s.get("request"):
                raise _Lost("you already asked the visitor for control: wait for the answer",
                            code="request_open")
            return {**s, "request": rid}
        self._update(sess, ask)
        if before.get("mode") == SHARED:
            return {"mode": SHARED}
        self.conversations.to_visitor(out, sess["visitor"], {
            "k": "mode.request", "session": sess["id"], "request": rid, "mode": SHARED,
            "agent": sess["agent_display"],
            "text": self.request_text.format(agent=sess["agent_display"])})
        self.conversations.to_agent(out, sess["agent"], {
            "k": "mode.state", "session": sess["id"], "request": rid, "state": "open"})
        return {"mode": VIEW, "request": rid}

    def _to_view(self, sess: dict, by: str, out: Outbox) -> dict:
        before: dict = {}

        def down(s: dict) -> dict | None:
            before.update(s)
            if s["mode"] == VIEW and not s.get("request"):
                return None
            return {**s, "mode": VIEW, "request": None}
        self._update(sess, down)
        if before.get("request"):
            self._state(sess, before["request"], "cancelled" if by == "agent" else "declined", out)
        if before.get("mode") == SHARED:
            self._both(sess, {"k": "session.mode", "session": sess["id"], "mode": VIEW, "by": by}, out)
        return {"mode": VIEW}

    # --- the visitor ----------------------------------------------------------------------

    def visitor_answer(self, sess: dict | None, event: dict, out: Outbox) -> dict:
        """``mode.accept`` / ``mode.decline`` of the open request, or ``mode.drop``."""
        if not sess:
            raise Conflict("there is no active co-browse session", code="no_session")
        if event["k"] == "mode.drop":
            return self._to_view(sess, "visitor", out)
        rid = event["request"]
        accept = event["k"] == "mode.accept"

        def answer(s: dict) -> dict:
            if s.get("request") != rid:
                raise _Lost("this request for control is no longer open", code="request_closed")
            return {**s, "mode": SHARED if accept else VIEW, "request": None}
        self._update(sess, answer)
        self._state(sess, rid, "accepted" if accept else "declined", out)
        if accept:
            self._both(sess, {"k": "session.mode", "session": sess["id"], "mode": SHARED,
                              "by": "visitor"}, out)
        return {"mode": SHARED if accept else VIEW}
