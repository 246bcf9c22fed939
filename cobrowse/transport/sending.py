"""Applying one send: sequence numbers, permissions, and routing each event.

One send in flight per participant; ``seq == last`` replays the stored answer, ``last + 1``
is applied, anything else is a 409 (DESIGN.md principle 5). The batch is checked as a whole
(shape and permission) before anything is applied.
"""

from __future__ import annotations

import json

from cobrowse import protocol
from cobrowse.errors import BadRequest, CobrowseError
from cobrowse.protocol import AGENT, LIFECYCLE_KINDS, VISITOR
from cobrowse.rules.conversations import Conflict
from cobrowse.storage import keys
from cobrowse.storage.outbox import Outbox


def _leave_beacon(who: dict, seq: int, last: int, events: list) -> bool:
    """A visitor's last batch, sent with sendBeacon on pagehide, ending with a ``page`` leave,
    may skip ahead: the send that was in flight when the page went away is often cancelled
    by the browser before it reaches us (or reaches us after the beacon). Its events are lost
    with the page; the leave must not be, or the agent never learns the visitor left. A
    skipped send arriving later gets 409 like any stale one."""
    return (who["role"] == VISITOR and seq > last + 1 and bool(events)
            and isinstance(events[-1], dict) and events[-1].get("k") == "page")


class Busy(CobrowseError):
    status = 503
    code = "busy"


class Sender:
    """Applies sends for both roles."""

    def __init__(self, core):
        self.core = core
        self.broker = core.broker
        self.config = core.config

    def send(self, body: object, who: dict | None = None) -> tuple[int, dict]:
        """Apply a send body; returns (HTTP status, JSON answer). ``who``: the participant
        of the body's token, when the caller has already looked it up."""
        token, seq, events = protocol.parse_send(body, max_events=self.config.max_events)
        who = who or self.core.participants.by_token(token)
        self.core.participants.touch(who)
        pid = who["id"]
        raw = self.broker.get(keys.last_send(pid))
        last = json.loads(raw) if raw else {"seq": 0}
        if seq == last["seq"] and "status" in last:
            return last["status"], last["body"]
        if seq != last["seq"] + 1 and not _leave_beacon(who, seq, last["seq"], events):
            raise Conflict(f"expected seq {last['seq'] + 1}, got {seq}", code="seq",
                           expected=last["seq"] + 1)
        if not self.broker.set(keys.send_claim(pid, seq), "1", ttl=30, nx=True):
            raise Busy("the same send is being applied; retry in a moment", retry_after=1)
        try:
            status, answer = self._apply(who, seq, events)
        except CobrowseError as err:
            if err.status >= 500:
                self.broker.delete(keys.send_claim(pid, seq))
                raise
            status, answer = err.status, err.to_json()
        self.broker.set(keys.last_send(pid), json.dumps({"seq": seq, "status": status, "body": answer}),
                        ttl=self.config.participant_ttl)
        return status, answer

    def _apply(self, who: dict, seq: int, events: list) -> tuple[int, dict]:
        role = who["role"]
        sess = (self.core.lifecycle.agent_session(who["agent"]) if role == AGENT
                else self.core.lifecycle.visitor_session(who))
        mode = sess["mode"] if sess else None
        clean = []
        for index, raw in enumerate(events):
            try:
                event = protocol.normalize(raw, max_chat=self.config.max_chat)
            except BadRequest as err:
                err.extra["index"] = index
                raise
            if not protocol.allowed(role, mode, event["k"]):
                err = protocol.refusal(role, mode, event["k"])
                err.extra["index"] = index
                if sess and role == AGENT:  # issue 14: refusals by reason, in the audit trail
                    self.core.lifecycle.audit.step(sess.get("invitation"), "refused",
                                                   kind=event["k"], reason=err.code)
                raise err
            clean.append(event)
        out = Outbox()
        results = []
        try:
            for index, event in enumerate(clean):
                try:
                    results.append(self._route(who, sess, event, out))
                except CobrowseError as err:
                    err.extra.update(index=index, applied=index)
                    raise
                if event["k"] in LIFECYCLE_KINDS:
                    # A lifecycle change may start or end the session the next events need.
                    sess = (self.core.lifecycle.agent_session(who["agent"]) if role == AGENT
                            else self.core.lifecycle.visitor_session(who))
        finally:
            out.flush(self.broker, dedupe=(who["id"], seq))
        return 200, {"ok": True, "seq": seq, "results": results}

    def _route(self, who: dict, sess: dict | None, event: dict, out: Outbox) -> dict:
        kind = event["k"]
        conv, life = self.core.conversations, self.core.lifecycle
        if who["role"] == VISITOR:
            if kind == "chat":
                return conv.visitor_chat(who, event["text"], out)
            if kind == "invite.accept":
                return life.accept(who, event["invitation"], out)
            if kind == "invite.decline":
                return life.decline(who, event["invitation"], out)
            if kind == "session.end":
                return life.end_by_visitor(who, out)
            return self.core.relay.from_visitor(sess, event, out)
        if kind == "chat":
            if "conversation" not in event:
                raise BadRequest("an agent's chat message needs 'conversation'")
            return conv.agent_chat(who, event["conversation"], event["text"], out)
        if kind == "conversation.take":
            return conv.take(who, event["conversation"], out)
        if kind == "conversation.close":
            return conv.close(who, event["conversation"], out)
        if kind == "invite":
            return life.invite(who, event["conversation"], event["mode"], out)
        if kind == "invite.cancel":
            return life.cancel(who, event["invitation"], out)
        if kind == "session.end":
            return life.end_by_agent(who, out)
        if kind == "session.mode":
            return life.switch_mode(who, event["mode"], out)
        return self.core.relay.from_agent(sess, event, out)
