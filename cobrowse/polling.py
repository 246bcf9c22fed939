"""The long poll: everything after the client's cursors, or wait for it.

A participant reads its ``inbox`` and, during a co-browse session, its side of the session
stream. The cursor it sends is its acknowledgement; a retried poll gets the same events again
(DESIGN.md principle 4). A newer poll releases an older one (principle 7).
"""

from __future__ import annotations

import time

from . import concurrency, keys
from .errors import BadRequest
from .protocol import AGENT, parse_cursors


class Poller:
    """Answers polls for both roles."""

    def __init__(self, core):
        self.core = core
        self.broker = core.broker
        self.config = core.config
        self.draining = concurrency.Event()

    def streams(self, who: dict, sess: dict | None) -> dict[str, str]:
        """Client stream name -> broker key, for what this participant may read now."""
        names = {"inbox": keys.inbox(who["id"])}
        if sess:
            names[f"s_{sess['id']}"] = keys.session_stream(sess["id"], who["role"])
        return names

    def poll(self, body: object) -> dict:
        if not isinstance(body, dict):
            raise BadRequest("the body must be a JSON object")
        who = self.core.participants.by_token(body.get("token"))
        cursors = parse_cursors(body.get("cursors"))
        hold = body.get("hold", self.config.poll_hold)
        if not isinstance(hold, (int, float)) or isinstance(hold, bool):
            raise BadRequest("'hold' must be a number of seconds")
        hold = max(0.0, min(float(hold), self.config.poll_hold))
        pid = who["id"]
        generation = self.broker.incr(keys.poll_generation(pid), ttl=self.config.participant_ttl)
        self.broker.wake(keys.inbox(pid))  # releases an older poll of this participant
        self.core.participants.touch(who)
        deadline = time.monotonic() + hold
        while True:
            state, sess = self.core.state(who)
            streams = self.streams(who, sess)
            with self.broker.waiter(list(streams.values())) as waiter:
                events = self._read(streams, cursors)
                if events or self.draining.is_set():
                    return self._answer(events, streams, cursors, state)
                if self.broker.get(keys.poll_generation(pid)) != str(generation):
                    return {"ok": True, "events": [], "released": True, "cursors": cursors,
                            "state": state}
                left = deadline - time.monotonic()
                if left <= 0:
                    return self._answer([], streams, cursors, state)
                waiter.wait(min(left, 5.0))
            if self.draining.is_set():
                return self._answer([], streams, cursors, state)
            self.core.participants.touch(who)

    def _read(self, streams: dict[str, str], cursors: dict[str, int]) -> list[dict]:
        events: list[dict] = []
        budget = self.config.poll_batch
        for name, key in streams.items():
            if budget <= 0:
                break
            for eid, event in self.broker.read(key, cursors.get(name, 0), budget):
                events.append({"s": name, "id": eid, **event})
            budget = self.config.poll_batch - len(events)
        return events

    @staticmethod
    def _answer(events: list[dict], streams: dict, cursors: dict, state: dict) -> dict:
        new = {name: cursors.get(name, 0) for name in streams}
        for event in events:
            new[event["s"]] = max(new[event["s"]], event["id"])
        return {"ok": True, "events": events, "cursors": new, "state": state}


def agent_or_visitor_state(core, who: dict) -> tuple[dict, dict | None]:
    """What the client should show now; also returns the active session record."""
    life = core.lifecycle
    if who["role"] == AGENT:
        sess = life.agent_session(who["agent"])
        inv = life.agent_invitation(who["agent"])
        conv = None
    else:
        conv = core.conversations.get(who.get("conversation") or "")
        sess = life.session(conv.get("session")) if conv else None
        inv = life.invitation(conv.get("invitation")) if conv else None
        inv = inv if inv and inv["state"] == "open" else None
    state = {
        "conversation": {"id": conv["id"], "status": conv["status"]} if conv else None,
        "invitation": {"id": inv["id"], "mode": inv["mode"], "agent": inv["agent_display"],
                       "conversation": inv["conversation"], "expires": inv["expires"]} if inv else None,
        "session": {"id": sess["id"], "mode": sess["mode"], "agent": sess["agent_display"],
                    "conversation": sess["conversation"], "visitor": sess.get("presence", "here")}
        if sess else None,
    }
    return state, sess
