"""Agent links (issue 13): the ``agent_url`` the REST API hands to a messaging platform. It
opens the co-browse widget for one invitation in the platform agent's browser, without a
password: used once, within ``agent_link_ttl`` seconds, it signs the agent in for that
invitation and its session only.

Such a sign-in is *scoped*: its participant record names the invitation, and it may do only
what the session needs (point, highlight, control, switch mode, end, cancel); it never sees
our conversations or the waiting queue.
"""

from __future__ import annotations

import json
import secrets

from cobrowse.errors import CobrowseError, Refused
from cobrowse.rules.participants import digest
from cobrowse.storage import keys

#: What a scoped sign-in may send: the session and its invitation, nothing of our chat.
SCOPED_KINDS = frozenset({
    "invite.cancel", "session.end", "session.mode", "snapshot.request", "pointer", "highlight",
    "wiggle", "selection", "scroll", "control.click", "control.input", "control.navigate",
})


class LinkRefused(CobrowseError):
    status = 410
    code = "link_used"


def platform_agent(integration: str, agent_id: str) -> str:
    """The agent name under which a platform's agent holds its one-invitation and
    one-session locks: namespaced, so it never collides with our own agents."""
    return f"x:{integration}:{agent_id}"


class AgentLinks:
    def __init__(self, core):
        self.core = core
        self.broker = core.broker
        self.config = core.config

    def create(self, inv: dict, base_url: str) -> str:
        """A single-use link for the agent of invitation ``inv``."""
        token = secrets.token_urlsafe(32)
        self.broker.set(keys.agent_link(digest(token)), json.dumps({
            "invitation": inv["id"], "agent": inv["agent"], "display": inv["agent_display"],
            "integration": inv.get("integration")}), ttl=self.config.agent_link_ttl)
        return f"{base_url.rstrip('/')}/workspace/link/{token}"

    def redeem(self, token: str) -> str:
        """Use the link: a scoped sign-in; returns its cookie value."""
        key = keys.agent_link(digest(token)) if 10 < len(token) < 200 else None
        raw = self.broker.get(key) if key else None
        # Used, expired and unknown links look the same.
        if not raw or not self.broker.cas(key, raw, None):
            raise LinkRefused("this link has been used or has expired: ask for a new one")
        link = json.loads(raw)
        inv = self.core.lifecycle.invitation(link["invitation"])
        if not inv or inv["state"] not in ("open", "accepted"):
            raise LinkRefused("this invitation is over: ask for a new one", code="invitation_over")
        _, who = self.core.participants.create(
            "agent", agent=link["agent"], display=link["display"],
            scope={"invitation": inv["id"], "integration": link["integration"]})
        self.core.participants.touch(who, force=True)  # seen now: the reaper must not end it
        return self.core.auth.cookie_for(who, ttl=self.config.session_ttl)


def check_scope(who: dict, kind: str) -> None:
    """Refuse what a scoped sign-in may not do (see SCOPED_KINDS)."""
    if who.get("scope") and kind not in SCOPED_KINDS:
        raise Refused("this sign-in is only for one co-browse session", code="scoped")
