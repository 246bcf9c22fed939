"""Webhooks through real gunicorn (two gevent workers) and a Redis of their own (issue 13):
the receiver is dead while a session happens, one worker is killed while the deliveries
wait, and once the receiver is back every event arrives, signed, from the other worker."""

from __future__ import annotations

import json
import os
import signal
import urllib.request

import pytest

from cobrowse.rules.integrations import Integrations
from cobrowse.storage import create_broker, keys, records
from cobrowse.storage.directory import BrokerStore
from tests.acceptance.flows import eventually
from tests.support.actors import Visitor, http_transport
from tests.support.redis_server import RedisServer
from tests.support.servers import Gunicorn, free_port
from tests.support.webhook_receiver import Receiver

pytestmark = pytest.mark.slow


def workers_of(master: int) -> list[int]:
    found = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/stat") as fh:
                    fields = fh.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == master:
                found.append(int(name))
    return found


@pytest.fixture
def two_workers():
    redis = RedisServer().start()
    server = Gunicorn(redis.url, workers=2, demo=False, env={
        "COBROWSE_WEBHOOK_MAX_DELAY": "2", "COBROWSE_REAPER_INTERVAL": "1"}).start()
    broker = create_broker(redis.url)
    try:
        yield server, broker
    finally:
        broker.close()
        server.stop()
        redis.stop()


def test_a_dead_receiver_gets_every_event_once_back_even_after_a_worker_died(two_workers):
    server, broker = two_workers
    store = BrokerStore(broker)
    store.put("sites", "shop", json.dumps({"id": "shop", "origins": ["http://shop.example"],
                                           "mask": [], "resource_origins": [], "ui": True}))
    port = free_port()  # nothing listens here yet: the receiver is dead
    item, key = Integrations(store).add("crm", f"http://127.0.0.1:{port}/hooks")
    post = http_transport(server.url)
    visitor = Visitor(post)
    visitor.hello()
    ref = post("/api/v1/visitor/ref", {"token": visitor.token}, visitor.headers())[1]["ref"]
    request = urllib.request.Request(
        f"{server.url}/api/v1/integration/invitations", method="POST",
        data=json.dumps({"visitor": ref, "agent": {"id": "pat", "display": "Pat"}}).encode(),
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        iid = json.loads(response.read())["invitation"]
    visitor.send({"k": "invite.accept", "invitation": iid})
    visitor.send({"k": "session.end"})

    def failed_deliveries():
        pending = broker.smembers(keys.WEBHOOKS_PENDING)
        tries = [(records.load(broker, keys.webhook(e)) or {}).get("attempts", 0) for e in pending]
        return len(pending) == 3 and all(t >= 1 for t in tries)
    eventually(failed_deliveries, timeout=60, what="three deliveries tried and failed")
    victim = workers_of(server.proc.pid)[0]
    os.kill(victim, signal.SIGKILL)
    receiver = Receiver(item.secret, port=port)
    try:
        receiver.wait_for(lambda: len({e["id"] for e in receiver.events}) == 3, timeout=60)
        unique = {e["id"]: e["type"] for e in receiver.events}
        assert sorted(unique.values()) == ["invitation.accepted", "session.ended", "session.started"]
        assert receiver.bad == []
        eventually(lambda: not broker.smembers(keys.WEBHOOKS_PENDING), timeout=30,
                   what="the queue to empty")
    finally:
        receiver.close()
