"""Web messaging: conversations between a visitor and an agent, and their transcripts.

A visitor's first chat message opens a waiting conversation; any signed-in agent sees it
and one takes it. The transcript keeps chat messages only: co-browse invitations and
session events never enter it (issue 2, item 6).
"""

from __future__ import annotations

import json
import time

from cobrowse.errors import CobrowseError, Refused
from cobrowse.rules.participants import new_id
from cobrowse.storage import keys, records
from cobrowse.storage.outbox import Outbox


class Conflict(CobrowseError):
    status = 409
    code = "conflict"


class Conversations:
    """Conversation records, transcripts and the waiting queue."""

    def __init__(self, broker, config, participants):
        self.broker = broker
        self.config = config
        self.participants = participants

    # --- delivery helpers ---------------------------------------------------------------------

    def agent_inboxes(self, name: str) -> list[str]:
        """Inbox streams of every live workspace sign-in of agent ``name``."""
        return [keys.inbox(pid) for pid in sorted(self.broker.smembers(keys.agent_participants(name)))]

    def to_agent(self, out: Outbox, name: str, event: dict) -> None:
        for stream in self.agent_inboxes(name):
            out.push(stream, dict(event), self.config.participant_ttl)

    def to_visitor(self, out: Outbox, pid: str, event: dict) -> None:
        out.push(keys.inbox(pid), event, self.config.participant_ttl)

    def announce_queue(self, out: Outbox) -> None:
        """Tell every signed-in agent that the list of waiting conversations changed."""
        for pid in sorted(self.broker.smembers(keys.ONLINE_AGENTS)):
            out.push(keys.inbox(pid), {"k": "queue"}, self.config.participant_ttl)

    # --- records ------------------------------------------------------------------------------

    def get(self, cid: str) -> dict | None:
        return records.load(self.broker, keys.conversation(cid))

    def update(self, cid: str, change) -> dict | None:
        return records.update(self.broker, keys.conversation(cid), change, self.config.transcript_ttl)

    def of_agent(self, agent: dict, cid: str) -> dict:
        """The conversation ``cid`` if it is this agent's own, else a refusal."""
        conv = self.get(cid)
        if not conv:
            raise CobrowseError("no such conversation", code="unknown_conversation", status=404)
        if conv["agent"] != agent["agent"]:
            raise Refused("this conversation is not yours: take it first", code="not_yours")
        return conv

    # --- visitor side -------------------------------------------------------------------------

    def visitor_chat(self, visitor: dict, text: str, out: Outbox) -> dict:
        conv = self.get(visitor["conversation"]) if visitor.get("conversation") else None
        if not conv or conv["status"] == "closed":
            conv = self._open(visitor, out)
        self._append(conv, {"from": "visitor", "text": text}, out)
        return {"conversation": conv["id"]}

    def _open(self, visitor: dict, out: Outbox) -> dict:
        cid = new_id("c_")
        conv = {"id": cid, "site": visitor["site"], "visitor": visitor["id"], "status": "waiting",
                "agent": None, "started": time.time(), "last": None, "invitation": None,
                "session": None, "page": visitor.get("url")}
        records.save(self.broker, keys.conversation(cid), conv, self.config.transcript_ttl)
        self.broker.sadd(keys.WAITING, cid)
        self.participants.update(visitor["id"], lambda r: {**r, "conversation": cid})
        visitor["conversation"] = cid
        self.announce_queue(out)
        return conv

    def _append(self, conv: dict, message: dict, out: Outbox) -> None:
        message = {**message, "at": round(time.time(), 3)}
        self.broker.rpush(keys.transcript(conv["id"]), json.dumps(message),
                          ttl=self.config.transcript_ttl)
        self.update(conv["id"], lambda c: {**c, "last": message})
        event = {"k": "chat", "conversation": conv["id"], **message}
        self.to_visitor(out, conv["visitor"], dict(event))
        if conv["agent"]:
            self.to_agent(out, conv["agent"], event)
        else:
            self.announce_queue(out)

    # --- agent side ---------------------------------------------------------------------------

    def agent_chat(self, agent: dict, cid: str, text: str, out: Outbox) -> dict:
        conv = self.of_agent(agent, cid)
        if conv["status"] != "open":
            raise Conflict("this conversation is closed", code="closed")
        self._append(conv, {"from": "agent", "agent": agent["display"], "text": text}, out)
        return {}

    def take(self, agent: dict, cid: str, out: Outbox) -> dict:
        def claim(conv):
            if conv["status"] != "waiting":
                return None
            return {**conv, "status": "open", "agent": agent["agent"]}

        conv = self.update(cid, claim)
        if not conv:
            raise CobrowseError("no such conversation", code="unknown_conversation", status=404)
        if conv["agent"] != agent["agent"]:
            raise Conflict("another agent has already taken this conversation", code="taken")
        self.broker.srem(keys.WAITING, cid)
        self.broker.sadd(keys.OPEN, cid)
        self.broker.sadd(keys.agent_conversations(agent["agent"]), cid)
        self.announce_queue(out)
        self.to_visitor(out, conv["visitor"], {"k": "conversation.taken", "conversation": cid,
                                               "agent": agent["display"]})
        return {}

    def close(self, agent: dict, cid: str, out: Outbox) -> dict:
        conv = self.of_agent(agent, cid)
        self.update(cid, lambda c: {**c, "status": "closed"})
        self.broker.srem(keys.OPEN, cid)
        self.broker.srem(keys.agent_conversations(agent["agent"]), cid)
        self.to_agent(out, agent["agent"], {"k": "queue"})
        # Every change a client shows is announced in its inbox: the inbox is the version of
        # the participant's cached context (cobrowse/transport/context.py).
        self.to_visitor(out, conv["visitor"], {"k": "conversation.closed", "conversation": cid})
        return {}

    def listing(self, agent: dict) -> list[dict]:
        """Waiting conversations and the agent's own, newest activity first."""
        ids = self.broker.smembers(keys.WAITING) | self.broker.smembers(
            keys.agent_conversations(agent["agent"]))
        items = []
        for cid in ids:
            conv = self.get(cid)
            if not conv:
                self.broker.srem(keys.WAITING, cid)
                continue
            if conv["status"] == "closed" or conv["agent"] not in (None, agent["agent"]):
                continue
            items.append({"id": cid, "site": conv["site"], "status": conv["status"],
                          "agent": conv["agent"], "mine": conv["agent"] == agent["agent"],
                          "started": conv["started"], "last": conv["last"],
                          "page": conv.get("page")})
        items.sort(key=lambda c: (c["last"] or {}).get("at", c["started"]), reverse=True)
        return items

    def transcript(self, agent: dict, cid: str) -> list[dict]:
        conv = self.get(cid)
        if not conv:
            raise CobrowseError("no such conversation", code="unknown_conversation", status=404)
        if conv["agent"] not in (None, agent["agent"]):
            raise Refused("this conversation belongs to another agent", code="not_yours")
        return [json.loads(m) for m in self.broker.lrange(keys.transcript(cid), 0, -1)]
