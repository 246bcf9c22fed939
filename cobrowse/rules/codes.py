"""Support codes (issue 13): six digits a visitor reads out to an agent, who enters them to
invite that visitor without a conversation of ours.

A code is valid ``code_ttl`` seconds (10 minutes by default), used once, and unique among
live codes (SET NX on its key). Every failed attempt is counted per agent (or integration)
and per address, and past ``code_max_failures`` both are refused for ``code_lockout``
seconds, so guessing one of a million codes is slow. A wrong, expired and already used code
all get the same answer: a code never tells whether it was once valid.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import time

from cobrowse.errors import CobrowseError, Refused, Throttled
from cobrowse.rules.participants import new_id
from cobrowse.storage import keys

log = logging.getLogger(__name__)

CODE_RE = re.compile(r"^[0-9]{6}$")
#: How long an agent who entered a valid code has to choose the mode (seconds).
CLAIM_TTL = 300


class BadCode(CobrowseError):
    status = 404
    code = "bad_code"


class SupportCodes:
    """Issue, redeem and hold support codes."""

    def __init__(self, core):
        self.core = core
        self.broker = core.broker
        self.config = core.config

    def issue(self, visitor: dict) -> dict:
        """A new code for this visitor; the visitor's previous code stops working."""
        expires = time.time() + self.config.code_ttl
        record = json.dumps({"visitor": visitor["id"], "expires": expires})
        for _ in range(50):
            code = f"{secrets.randbelow(1_000_000):06d}"
            if self.broker.set(keys.support_code(code), record, ttl=self.config.code_ttl, nx=True):
                break
        else:
            raise CobrowseError("no free support code now; try again", code="busy", status=503)
        old = visitor.get("code")
        self.core.participants.update(visitor["id"], lambda r: {**r, "code": code})
        if old and old != code:
            self._drop(old, visitor["id"])
        return {"code": code, "expires": round(expires, 3), "ttl": self.config.code_ttl}

    def _drop(self, code: str, pid: str) -> None:
        raw = self.broker.get(keys.support_code(code))
        if raw and json.loads(raw).get("visitor") == pid:
            self.broker.cas(keys.support_code(code), raw, None)

    def redeem(self, code: object, subjects: list[str]) -> dict:
        """The visitor of a live ``code`` (which is used up), or one refusal for every kind of
        wrong code. ``subjects``: who is trying ("agent:alice", "addr:10.0.0.1")."""
        counters = [keys.code_failures(s) for s in subjects]
        for key in counters:
            if int(self.broker.get(key) or 0) >= self.config.code_max_failures:
                raise Throttled("too many wrong support codes: wait a few minutes and try again",
                                retry_after=self.config.code_lockout)
        text = code.strip().replace(" ", "") if isinstance(code, str) else ""
        visitor = self._take(text) if CODE_RE.match(text) else None
        if visitor is None:
            for key in counters:
                self.broker.incr(key, ttl=self.config.code_lockout)
            total = self.broker.incr(keys.CODE_FAILURES_TOTAL)
            log.warning("support code refused for %s (failures so far: %d)", ", ".join(subjects), total)
            raise BadCode("this code is not valid: ask the visitor for a new one")
        return visitor

    def _take(self, code: str) -> dict | None:
        key = keys.support_code(code)
        raw = self.broker.get(key)
        if raw is None or not self.broker.cas(key, raw, None):
            return None
        record = json.loads(raw)
        if record["expires"] <= time.time():
            return None
        visitor = self.core.participants.get(record["visitor"])
        if visitor:
            self.core.participants.update(visitor["id"], lambda r: {
                **r, "code": None} if r.get("code") == code else None)
        return visitor

    # --- the workspace: enter a code, then choose the mode -----------------------------------

    def claim(self, agent: dict, code: object, address: str) -> dict:
        """The agent entered ``code``: hold its visitor for them until they choose a mode."""
        visitor = self.redeem(code, [f"agent:{agent['agent']}", f"addr:{address}"])
        claim = new_id("k_")
        self.broker.set(keys.code_claim(claim), json.dumps({"visitor": visitor["id"],
                                                           "agent": agent["agent"]}), ttl=CLAIM_TTL)
        return {"claim": claim, "site": visitor["site"], "page": visitor.get("title") or ""}

    def invite(self, agent: dict, claim: object, mode: object, out) -> dict:
        """Invite the visitor held by ``claim`` in ``mode`` (the claim is used up)."""
        key = keys.code_claim(claim) if isinstance(claim, str) and len(claim) < 100 else None
        raw = self.broker.get(key) if key else None
        held = json.loads(raw) if raw else None
        if not held or held["agent"] != agent["agent"]:
            raise Refused("enter the visitor's code again", code="no_claim", status=404)
        visitor = self.core.participants.get(held["visitor"])
        if not visitor:
            raise Refused("this visitor has left", code="visitor_gone", status=404)
        answer = self.core.lifecycle.invite_visitor(agent, visitor, str(mode), out)
        self.broker.cas(key, raw, None)
        return answer
