"""Agent sign-in for the workspace: passwords, throttling, the sign-in cookie.

The cookie (HttpOnly, SameSite=Strict, on the server's own origin) names a sign-in record;
the workspace trades it for a participant token at ``/workspace/api/me``. Failed sign-ins are
counted per user name and per address; past the limit both are locked out for a while.
"""

from __future__ import annotations

import json
import secrets

from cobrowse.errors import CobrowseError
from cobrowse.rules.participants import digest
from cobrowse.rules.passwords import verify_password
from cobrowse.storage import keys
from cobrowse.storage.outbox import Outbox

COOKIE = "cobrowse_signin"


class SignInError(CobrowseError):
    status = 401
    code = "signin"


class Throttled(CobrowseError):
    status = 429
    code = "throttled"


class AgentAuth:
    """Sign in, find the signed-in agent, sign out."""

    def __init__(self, core):
        self.core = core
        self.broker = core.broker
        self.config = core.config

    def _subjects(self, username: str, address: str) -> list[str]:
        return [keys.login_failures(f"u:{username.lower()[:64]}"), keys.login_failures(f"a:{address}")]

    def login(self, username: object, password: object, address: str) -> tuple[str, dict]:
        """Check the password; returns (cookie value, the ``me`` answer)."""
        if not isinstance(username, str) or not isinstance(password, str) or not username:
            raise SignInError("enter your user name and password", code="signin_missing")
        subjects = self._subjects(username, address)
        for key in subjects:
            if int(self.broker.get(key) or 0) >= self.config.login_max_failures:
                raise Throttled("too many failed sign-ins: wait a few minutes and try again",
                                retry_after=self.config.login_lockout)
        agent = self.core.directory.agent(username)
        if not verify_password(password, agent.password_hash if agent else None):
            for key in subjects:
                self.broker.incr(key, ttl=self.config.login_lockout)
            raise SignInError("wrong user name or password", code="signin_wrong")
        for key in subjects:
            self.broker.delete(key)
        display = agent.display or agent.name
        _, who = self.core.participants.create("agent", agent=agent.name, display=display)
        cookie = secrets.token_urlsafe(32)
        self.broker.set(keys.signin(digest(cookie)), json.dumps({"pid": who["id"]}),
                        ttl=self.config.agent_signin_ttl)
        self.broker.sadd(keys.agent_participants(agent.name), who["id"])
        self.broker.sadd(keys.ONLINE_AGENTS, who["id"])
        return cookie, self.me(cookie)

    def _signin(self, cookie: str | None) -> dict:
        raw = self.broker.get(keys.signin(digest(cookie))) if cookie else None
        who = self.core.participants.get(json.loads(raw)["pid"]) if raw else None
        if not who:
            raise SignInError("you are not signed in", code="signed_out")
        return who

    def me(self, cookie: str | None) -> dict:
        """The signed-in agent, with a fresh participant token for the workspace."""
        who = self._signin(cookie)
        token = self.core.participants.issue_token(who)
        seq = self.core.participants.last_seq(who["id"])
        self.broker.expire(keys.signin(digest(cookie)), self.config.agent_signin_ttl)
        return {"ok": True, "agent": {"name": who["agent"], "display": who["display"]},
                "token": token, "seq": seq, "participant": who["id"]}

    def logout(self, cookie: str | None) -> None:
        """Sign out: the agent's invitation is cancelled and its session ended."""
        try:
            who = self._signin(cookie)
        except SignInError:
            return
        name = who["agent"]
        out = Outbox()
        life = self.core.lifecycle
        self.broker.srem(keys.agent_participants(name), who["id"])
        self.broker.srem(keys.ONLINE_AGENTS, who["id"])
        if not self.broker.smembers(keys.agent_participants(name)):
            inv = life.agent_invitation(name)
            if inv:
                try:
                    life._close_invitation(inv["id"], "cancelled", out)
                except CobrowseError:
                    pass  # it was accepted, declined or expired meanwhile: nothing to cancel
            sess = life.agent_session(name)
            if sess:
                life.end(sess["id"], "signed_out", out)
        out.flush(self.broker)
        self.broker.delete(keys.signin(digest(cookie)))
        self.core.participants.remove(who)
