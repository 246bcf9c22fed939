"""What a messaging platform's server may do through the REST API (issue 13): invite a
visitor (by visitor reference or support code) on behalf of one of its agents, read and
cancel its invitations, read and end its sessions.

A key reaches only its own invitations and sessions: anything else answers 404, the same as
an id that never existed. The one-invitation and one-session rules apply per platform agent
id (``x:<integration>:<agent id>``). Calls are throttled per key (``api_rate`` a minute).
"""

from __future__ import annotations

import json
import re
import time

from cobrowse.errors import BadRequest, CobrowseError, Throttled
from cobrowse.rules.agent_links import platform_agent
from cobrowse.storage import keys, records
from cobrowse.storage.outbox import Outbox

AGENT_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$")
#: How long a session's summary stays readable after it ends (seconds).
SUMMARY_TTL = 7 * 24 * 3600


class NotFound(CobrowseError):
    status = 404
    code = "not_found"


def _agent(body: dict) -> tuple[str, str]:
    agent = body.get("agent")
    if not isinstance(agent, dict):
        raise BadRequest("'agent' must be an object: {\"id\": \"...\", \"display\": \"...\"}")
    aid, display = agent.get("id"), agent.get("display")
    if not isinstance(aid, str) or not AGENT_ID_RE.match(aid):
        raise BadRequest("'agent.id' must be 1-64 letters, digits, '.', '_', '@' or '-'")
    if not isinstance(display, str) or not 0 < len(display.strip()) <= 80:
        raise BadRequest("'agent.display' must be a name of 1-80 characters")
    return aid, display.strip()


class Platform:
    """The REST API's rules, for one integration at a time."""

    def __init__(self, core):
        self.core = core
        self.broker = core.broker
        self.config = core.config

    def throttle(self, name: str) -> None:
        window = int(time.time() // 60)
        if self.broker.incr(keys.api_rate(name, window), ttl=120) > self.config.api_rate:
            raise Throttled("too many API calls: slow down", retry_after=60 - int(time.time() % 60))

    def invite(self, name: str, body: object, address: str, base_url: str) -> dict:
        """Create an invitation; returns its id and the agent's single-use link."""
        if not isinstance(body, dict):
            raise BadRequest("the body must be a JSON object")
        aid, display = _agent(body)
        mode = body.get("mode", "view")
        if mode not in ("view", "shared"):
            raise BadRequest("'mode' must be 'view' or 'shared'")
        if ("visitor" in body) == ("code" in body):
            raise BadRequest("give either 'visitor' (a visitor reference) or 'code' (a support code)")
        if "visitor" in body:
            visitor = self.core.visitor_refs.visitor(body["visitor"])
            if not visitor:
                raise NotFound("no such visitor: the reference is unknown or the visitor left",
                               code="unknown_visitor")
        else:
            visitor = self.core.codes.redeem(body["code"], [f"integration:{name}", f"addr:{address}"])
        agent = {"agent": platform_agent(name, aid), "display": display}
        out = Outbox()
        try:
            iid = self.core.lifecycle.invite_visitor(agent, visitor, mode, out, integration=name,
                                                     agent_id=aid)["invitation"]
        finally:
            out.flush(self.broker)
        inv = self.core.lifecycle.invitation(iid)
        return {"ok": True, "invitation": iid, "expires": inv["expires"],
                "agent_url": self.core.agent_links.create(inv, base_url)}

    def _own_invitation(self, name: str, iid: str) -> dict:
        inv = self.core.lifecycle.invitation(iid)
        if not inv or inv.get("integration") != name:
            raise NotFound("no such invitation", code="unknown_invitation")
        return inv

    def invitation(self, name: str, iid: str) -> dict:
        inv = self._own_invitation(name, iid)
        state = "expired" if inv["state"] == "open" and inv["expires"] <= time.time() else inv["state"]
        return {"ok": True, "invitation": inv["id"], "state": state, "mode": inv["mode"],
                "agent": {"id": inv.get("agent_id"), "display": inv["agent_display"]},
                "created": inv["created"], "expires": inv["expires"], "session": inv.get("session")}

    def cancel(self, name: str, iid: str) -> dict:
        inv = self._own_invitation(name, iid)
        out = Outbox()
        try:
            self.core.lifecycle.cancel({"agent": inv["agent"]}, iid, out)
        finally:
            out.flush(self.broker)
        return {"ok": True, "invitation": iid, "state": "cancelled"}

    def session(self, name: str, sid: str) -> dict:
        summary = records.load(self.broker, keys.integration_session(sid)) if _ok_id(sid) else None
        if not summary or summary.get("integration") != name:
            raise NotFound("no such session", code="unknown_session")
        live = self.core.lifecycle.session(sid)
        if live:
            summary["mode"] = live["mode"]
        return {"ok": True, **{k: v for k, v in summary.items() if k != "integration"}}

    def end(self, name: str, sid: str) -> dict:
        self.session(name, sid)
        out = Outbox()
        try:
            ended = self.core.lifecycle.end(sid, "api", out)
        finally:
            out.flush(self.broker)
        if not ended:
            raise CobrowseError("this session has already ended", code="session_ended", status=409)
        return self.session(name, sid)

    # --- lifecycle observer: what GET sessions/ID answers, also after the end ----------------

    def observe(self, kind: str, record: dict) -> None:
        name = record.get("integration")
        if not name or not kind.startswith("session."):
            return
        key = keys.integration_session(record["id"])
        summary = {"session": record["id"], "integration": name, "invitation": record.get("invitation"),
                   "state": "ended" if kind == "session.ended" else "active", "mode": record["mode"],
                   "agent": {"id": record.get("agent_id"), "display": record.get("agent_display")},
                   "started": record.get("started"), "ended": record.get("ended"),
                   "reason": record.get("reason")}
        self.broker.set(key, json.dumps(summary), ttl=SUMMARY_TTL)


def _ok_id(value: str) -> bool:
    return isinstance(value, str) and 3 < len(value) < 100 and value.isascii()
