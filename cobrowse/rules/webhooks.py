"""Signed webhooks (issue 13): the integration's server hears of its invitations and sessions.

Events: ``invitation.accepted``, ``invitation.declined``, ``invitation.expired``,
``session.started``, ``session.mode``, ``session.ended``, ``session.watcher_joined`` and
``session.watcher_left`` (``watcher``: the agent's name), as a JSON POST, never with page
content. ``X-Cobrowse-Signature: sha256=<hex HMAC-SHA256 of the raw body with the webhook
secret>`` and ``X-Cobrowse-Event-Id`` (the receiver drops repeats).

The queue lives in the broker: each delivery is a record plus a member of a pending set.
Any worker's deliverer takes a due one under a short claim (SET NX with a TTL), posts it,
and on success deletes it; on failure it sets the next attempt with exponential backoff
(capped at ``webhook_max_delay``) until ``webhook_retry_for`` seconds have passed. A worker
that dies mid-delivery leaves its claim to expire and another worker sends again: delivery
is at least once, so receivers must drop repeated event ids.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import random
import time
import urllib.error
import urllib.request

from cobrowse import concurrency
from cobrowse.rules.participants import new_id
from cobrowse.storage import keys, records

log = logging.getLogger(__name__)

#: Lifecycle changes an integration hears of (``invitation.cancelled`` is its own doing).
EVENTS = frozenset({"invitation.accepted", "invitation.declined", "invitation.expired",
                    "session.started", "session.mode", "session.ended",
                    "session.watcher_joined", "session.watcher_left"})


def sign(secret: str, body: bytes) -> str:
    """The value of ``X-Cobrowse-Signature`` for ``body``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def payload(kind: str, record: dict, visitor_ref: str | None) -> dict:
    """What the integration is told: ids, mode, agent, times, reason. No page content, no
    URL, no title: only what it needs to track its own invitations and sessions."""
    agent = {"id": record.get("agent_id"), "display": record.get("agent_display")}
    if kind.startswith("invitation."):
        data = {"invitation": record["id"], "state": record["state"], "mode": record["mode"]}
    else:
        data = {"session": record["id"], "invitation": record.get("invitation"),
                "mode": record["mode"], "started": record.get("started")}
        if kind == "session.ended":
            data.update(reason=record.get("reason"), ended=record.get("ended"))
        if kind.startswith("session.watcher_"):  # a second agent joins (issue 15, item 2)
            data["watcher"] = record.get("watcher")
            if kind == "session.watcher_left":
                data["reason"] = record.get("reason")
    return {**data, "agent": agent, "visitor": visitor_ref}


class Webhooks:
    """Queue webhook deliveries and send them from any worker."""

    def __init__(self, core):
        self.core = core
        self.broker = core.broker
        self.config = core.config
        self.stopped = concurrency.Event()
        self.started = False

    # --- queueing -----------------------------------------------------------------------------

    def observe(self, kind: str, record: dict) -> None:
        """Lifecycle observer: queue the event if the record belongs to an integration."""
        name = record.get("integration")
        if kind not in EVENTS or not name:
            return
        visitor = self.core.participants.get(record["visitor"]) or {}
        self.enqueue(name, kind, payload(kind, record, visitor.get("ref")))

    def enqueue(self, integration: str, kind: str, data: dict) -> str:
        eid = new_id("evt_")
        body = json.dumps({"id": eid, "type": kind, "created": round(time.time(), 3),
                           "integration": integration, "data": data}, separators=(",", ":"))
        records.save(self.broker, keys.webhook(eid), {
            "id": eid, "integration": integration, "body": body, "attempts": 0,
            "created": time.time(), "next": 0.0}, self._ttl())
        self.broker.sadd(keys.WEBHOOKS_PENDING, eid)
        return eid

    def _ttl(self) -> int:
        return int(self.config.webhook_retry_for) + 3600

    # --- delivering ---------------------------------------------------------------------------

    def deliver_due(self, now: float | None = None) -> int:
        """Send every due delivery this worker can claim; returns how many were sent."""
        now = time.time() if now is None else now
        due = []
        for eid in self.broker.smembers(keys.WEBHOOKS_PENDING):
            item = records.load(self.broker, keys.webhook(eid))
            if item is None:
                self.broker.srem(keys.WEBHOOKS_PENDING, eid)
            elif item["next"] <= now:
                due.append(item)
        sent = 0
        for item in sorted(due, key=lambda i: i["created"]):
            claim_ttl = int(self.config.webhook_timeout) + 20
            if self.broker.set(keys.webhook_claim(item["id"]), "1", ttl=claim_ttl, nx=True):
                try:
                    sent += self._attempt(item)
                finally:
                    self.broker.delete(keys.webhook_claim(item["id"]))
        return sent

    def _attempt(self, item: dict) -> int:
        eid = item["id"]
        integration = self.core.integrations.get(item["integration"])
        if not integration or not integration.webhook:
            self._forget(eid)  # removed, or no URL: nobody to tell
            return 0
        error = self._post(integration.webhook, integration.secret, eid, item["body"].encode())
        if error is None:
            self._forget(eid)
            return 1
        attempts = item["attempts"] + 1
        if time.time() - item["created"] > self.config.webhook_retry_for:
            log.error("webhook %s to %s given up after %d attempts: %s", eid, integration.name,
                      attempts, error)
            self._forget(eid)
            return 0
        delay = min(2 ** attempts, self.config.webhook_max_delay) * random.uniform(0.8, 1.2)
        log.warning("webhook %s to %s failed (attempt %d, next in %.0f s): %s", eid,
                    integration.name, attempts, delay, error)
        records.update(self.broker, keys.webhook(eid), lambda i: {
            **i, "attempts": attempts, "next": time.time() + delay, "error": error}, self._ttl())
        return 0

    def _forget(self, eid: str) -> None:
        self.broker.srem(keys.WEBHOOKS_PENDING, eid)
        self.broker.delete(keys.webhook(eid))

    def _post(self, url: str, secret: str, eid: str, body: bytes) -> str | None:
        """POST one delivery; None on a 2xx answer, else what went wrong."""
        request = urllib.request.Request(url, data=body, method="POST", headers={
            "Content-Type": "application/json", "User-Agent": "cobrowse-webhooks/1",
            "X-Cobrowse-Signature": sign(secret, body), "X-Cobrowse-Event-Id": eid})
        try:
            with urllib.request.urlopen(request, timeout=self.config.webhook_timeout) as response:
                return None if 200 <= response.status < 300 else f"HTTP {response.status}"
        except urllib.error.HTTPError as err:
            return f"HTTP {err.code}"
        except (OSError, ValueError) as err:
            return str(err) or type(err).__name__

    # --- the background loop ------------------------------------------------------------------

    def start(self) -> None:
        if not self.started:
            self.started = True
            concurrency.spawn(self._run, name="webhooks")

    def stop(self) -> None:
        self.stopped.set()

    def _run(self) -> None:
        while not self.stopped.wait(self.config.webhook_interval):
            try:
                self.deliver_due()
            except Exception:  # keep delivering: one bad record must not stop the others
                log.exception("webhook delivery pass failed")
