"""Agent sign-in for the workspace: passwords, throttling, the sign-in cookie.

The cookie (HttpOnly, SameSite=Strict, on the server's own origin) names a sign-in record;
the workspace trades it for a participant token at ``/workspace/api/me``. Failed sign-ins are
counted per user name and per address, apart (issue 12, item 2): past the limit the *name*
is locked for a while, and the *address* is slowed (each further attempt from it waits a
little longer, up to ``login_slowdown_max`` seconds), never locked: behind a proxy or a NAT
many agents share one address, and failures on other names must not lock a real agent out.
"""

from __future__ import annotations

import json
import secrets

from cobrowse import concurrency
from cobrowse.errors import CobrowseError, Throttled
from cobrowse.rules.participants import digest
from cobrowse.rules.passwords import verify_password
from cobrowse.storage import keys
from cobrowse.storage.outbox import Outbox

COOKIE = "cobrowse_signin"


class SignInError(CobrowseError):
    status = 401
    code = "signin"


class AgentAuth:
    """Sign in, find the signed-in agent, sign out."""

    def __init__(self, core):
        self.core = core
        self.broker = core.broker
        self.config = core.config

    def _name_key(self, username: str) -> str:
        return keys.login_failures(f"u:{username.lower()[:64]}")

    def _address_key(self, address: str) -> str:
        return keys.login_failures(f"a:{address[:64]}")

    def slowdown(self, failures: int) -> float:
        """Seconds an address with ``failures`` recent failures waits before its next try."""
        over = failures - self.config.login_max_failures + 1
        return 0.0 if over <= 0 else min(self.config.login_slowdown_max, 0.5 * over)

    def login(self, username: object, password: object, address: str) -> tuple[str, dict]:
        """Check the password; returns (cookie value, the ``me`` answer)."""
        if not self.config.password_signin:
            raise SignInError("password sign-in is turned off here: sign in with single sign-on",
                              status=403, code="password_signin_off")
        if not isinstance(username, str) or not isinstance(password, str) or not username:
            raise SignInError("enter your user name and password", code="signin_missing")
        name_key, address_key = self._name_key(username), self._address_key(address)
        if int(self.broker.get(name_key) or 0) >= self.config.login_max_failures:
            raise Throttled("too many failed sign-ins for this user: wait a few minutes and "
                            "try again", retry_after=self.config.login_lockout)
        delay = self.slowdown(int(self.broker.get(address_key) or 0))
        if delay:
            concurrency.sleep(delay)  # a greenlet waits; the worker serves everyone else
        agent = self.core.directory.agent(username)
        if not verify_password(password, agent.password_hash if agent else None):
            for key in (name_key, address_key):
                self.broker.incr(key, ttl=self.config.login_lockout)
            raise SignInError("wrong user name or password", code="signin_wrong")
        # The address keeps its count: one valid account must not reset an attacker's slowdown.
        self.broker.delete(name_key)
        return self.sign_in(agent)

    def sign_in(self, agent) -> tuple[str, dict]:
        """Start a workspace sign-in for ``agent`` (password checked, or single sign-on done):
        returns (cookie value, the ``me`` answer)."""
        display = agent.display or agent.name
        _, who = self.core.participants.create("agent", agent=agent.name, display=display)
        cookie = self.issue_cookie(who, ttl=self.config.agent_signin_ttl)
        self.broker.sadd(keys.ONLINE_AGENTS, who["id"])
        return cookie, self.me(cookie)

    def issue_cookie(self, who: dict, ttl: int) -> str:
        """A sign-in cookie for agent participant ``who``; deliveries to its agent reach it."""
        cookie = secrets.token_urlsafe(32)
        self.broker.set(keys.signin(digest(cookie)), json.dumps({"pid": who["id"]}), ttl=ttl)
        self.broker.sadd(keys.agent_participants(who["agent"]), who["id"])
        return cookie

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
        if not who.get("scope"):
            self.broker.expire(keys.signin(digest(cookie)), self.config.agent_signin_ttl)
        return {"ok": True, "agent": {"name": who["agent"], "display": who["display"]},
                "token": token, "seq": seq, "participant": who["id"],
                "scoped": bool(who.get("scope"))}

    def logout(self, cookie: str | None) -> None:
        """Sign out: the agent's invitation is cancelled, its session ended and its watch of a
        colleague's session left."""
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
            watched = self.broker.get(keys.agent_watch(name))
            if watched:  # a watcher signing out leaves; the session goes on (issue 15)
                self.core.watchers.drop(name, watched, "signed_out", out)
        out.flush(self.broker)
        self.broker.delete(keys.signin(digest(cookie)))
        self.core.participants.remove(who)
