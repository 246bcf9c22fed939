"""The long poll: everything after the client's cursors, or wait for it.

A participant reads its ``inbox`` and, during a co-browse session, its side of the session
stream. The cursor it sends is its acknowledgement; a retried poll gets the same events again
(DESIGN.md principle 4). A newer poll releases an older one (principle 7).
"""

from __future__ import annotations

import json
import time

from cobrowse import concurrency
from cobrowse.errors import BadRequest
from cobrowse.protocol import AGENT, parse_cursors
from cobrowse.rules.direct import direct_pointers
from cobrowse.rules.sessions import public_presence
from cobrowse.storage import keys


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

    def poll(self, body: object, who: dict | None = None) -> dict:
        if not isinstance(body, dict):
            raise BadRequest("the body must be a JSON object")
        who = who or self.core.participants.by_token(body.get("token"))
        cursors = parse_cursors(body.get("cursors"))
        hold = body.get("hold", self.config.poll_hold)
        if not isinstance(hold, (int, float)) or isinstance(hold, bool):
            raise BadRequest("'hold' must be a number of seconds")
        hold = max(0.0, min(float(hold), self.config.poll_hold))
        pid = who["id"]
        generation = str(self.broker.incr(keys.poll_generation(pid), ttl=self.config.participant_ttl))
        self.broker.wake(keys.inbox(pid))  # releases an older poll of this participant
        self.core.participants.touch(who)
        deadline = time.monotonic() + hold
        state, sess = self.core.state(who)
        streams = self.streams(who, sess)
        woken = False
        while True:
            with self.broker.waiter(list(streams.values())) as waiter:
                events = self._read(streams, cursors)
                if events:
                    if any(e["s"] == "inbox" for e in events):
                        state, _ = self.core.state(who)  # a lifecycle change may have come
                    return self._answer(events, streams, cursors, state)
                if self.draining.is_set():
                    return self._answer([], streams, cursors, state)
                # A wake-up with nothing to read may be a newer poll releasing this one.
                if woken and self.broker.get(keys.poll_generation(pid)) != generation:
                    return {"ok": True, "events": [], "released": True, "cursors": cursors,
                            "state": state}
                left = deadline - time.monotonic()
                if left <= 0:
                    return self._answer([], streams, cursors, state)
                woken = waiter.wait(min(left, 5.0)) or woken
            if self.draining.is_set():  # the broker is closing: answer before touching it
                return self._answer([], streams, cursors, state)
            self.core.participants.touch(who)

    def _read(self, streams: dict[str, str], cursors: dict[str, int]) -> list[dict]:
        got = self.broker.read_many({key: cursors.get(name, 0) for name, key in streams.items()},
                                    self.config.poll_batch)
        events: list[dict] = []
        for name, key in streams.items():
            events.extend({"s": name, "id": eid, **event} for eid, event in got[key])
        return events[: max(1, self.config.poll_batch)]

    @staticmethod
    def _answer(events: list[dict], streams: dict, cursors: dict, state: dict) -> dict:
        new = {name: cursors.get(name, 0) for name in streams}
        for event in events:
            new[event["s"]] = max(new[event["s"]], event["id"])
        return {"ok": True, "events": events, "cursors": new, "state": state}


def _load(raw: str | None) -> dict | None:
    return json.loads(raw) if raw else None


def agent_or_visitor_state(core, who: dict) -> tuple[dict, dict | None]:
    """What the client should show now; also returns the active session record.

    Two batched round trips: the ids, then the records they name.
    """
    broker = core.broker
    if who["role"] == AGENT:
        conv = None
        sid, iid = broker.get_many([keys.agent_session(who["agent"]),
                                    keys.agent_invitation(who["agent"])])
    else:
        conv = core.conversations.get(who.get("conversation") or "")
        sid, iid = (conv.get("session"), conv.get("invitation")) if conv else (None, None)
        if not (sid or iid):  # an invitation without a conversation of ours (issue 13)
            sid, iid = direct_pointers(core, who)
    wanted = [keys.session(sid) if sid else None, keys.invitation(iid) if iid else None]
    found = broker.get_many([k for k in wanted if k])
    records = iter(found)
    sess = _load(next(records)) if sid else None
    inv = _load(next(records)) if iid else None
    inv = inv if inv and inv["state"] == "open" else None
    state = {
        "conversation": {"id": conv["id"], "status": conv["status"]} if conv else None,
        "invitation": {"id": inv["id"], "mode": inv["mode"], "agent": inv["agent_display"],
                       "conversation": inv["conversation"], "expires": inv["expires"]} if inv else None,
        "session": {"id": sess["id"], "mode": sess["mode"], "agent": sess["agent_display"],
                    "conversation": sess["conversation"], "visitor": public_presence(sess.get("presence"))}
        if sess else None,
    }
    return state, sess
