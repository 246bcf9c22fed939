"""What only the Redis broker has: several workers on one Redis, the single pub/sub
connection per worker, recovery of that connection, and Cluster hash tags on keys."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
import redis
from redis.crc import key_slot

from cobrowse.storage import create_broker

TTL = 60


@pytest.fixture
def prefix():
    return f"t{uuid.uuid4().hex[:10]}:"


@pytest.fixture
def workers(redis_url, prefix):
    """Two brokers on one Redis and one prefix: two gunicorn workers of one deployment."""
    pair = [create_broker(redis_url, prefix=prefix) for _ in range(2)]
    yield pair
    for b in pair:
        b.close()


@pytest.fixture
def raw(redis_url):
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    yield client
    client.close()


def _pubsub_clients(raw, broker):
    """Server-side count of this broker's pub/sub connections (by client name)."""
    ids = [c for c in raw.client_list(_type="pubsub") if c["name"].endswith(broker._id + "-wake")]
    return len(ids)


def _wait_for(condition, timeout=5.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.01)


def test_append_through_one_worker_wakes_a_waiter_on_the_other(workers):
    first, second = workers
    with second.waiter(["p:{v1}:in"]) as w:
        assert second.read("p:{v1}:in", 0, 10) == []
        later = threading.Timer(0.05, first.append, ("p:{v1}:in", [{"k": "chat"}]), {"ttl": TTL})
        later.start()
        assert w.wait(5) is True
        # Joined here: an append still running when the fixture closes the brokers would
        # fail in whatever test runs next (a busy machine can delay the timer that long).
        later.join(10)
        _wait_for(lambda: second.read("p:{v1}:in", 0, 10) == [(1, {"k": "chat"})])
    with second.waiter(["p:{v1}:in"]) as w:
        first.wake("p:{v1}:in")
        assert w.wait(5) is True


def test_one_pubsub_connection_whatever_the_number_of_waiters(workers, raw):
    broker = workers[0]
    n = 100
    release = threading.Event()
    parked = threading.Barrier(n + 1)

    def park():
        with broker.waiter([f"st{threading.get_ident()}"]) as w:
            parked.wait()
            release.wait()
            w.wait(0)

    threads = [threading.Thread(target=park) for _ in range(n)]
    for t in threads:
        t.start()
    parked.wait()
    stats = broker.stats()
    assert stats["waiters"] == n
    assert stats["pubsub_connections"] == 1
    assert stats["connections"] <= 3  # commands are pooled: 100 waiters hold none
    assert _pubsub_clients(raw, broker) == 1
    release.set()
    for t in threads:
        t.join(5)


def test_listener_recovers_after_its_connection_is_killed(workers, raw):
    first, second = workers
    with second.waiter(["st"]) as w:
        killed = raw.client_kill_filter(_type="pubsub")
        assert killed >= 1
        # Wake-ups may have been lost while it was away: every waiter is woken (spurious).
        assert w.wait(5) is True
        _wait_for(lambda: second.stats()["pubsub_connections"] == 1)
        assert second.stats()["reconnects"] >= 1
        first.append("st", [{"k": "chat"}], ttl=TTL)
        assert w.wait(5) is True
        assert second.read("st", 0, 10) == [(1, {"k": "chat"})]
    assert _pubsub_clients(raw, second) == 1


def test_keys_carry_the_prefix_and_the_callers_hash_tag(workers, raw, prefix):
    broker = workers[0]
    broker.append("s:{abc123}:a", [{"k": "x"}], ttl=TTL, dedupe=("v1", 1))
    broker.set("p:{v9}:seen", "1", ttl=TTL)
    keys = set(raw.keys(prefix + "*"))
    assert keys == {
        f"{prefix}s:{{abc123}}:a",
        f"{prefix}s:{{abc123}}:a#id",
        f"{prefix}s:{{abc123}}:a#dd",
        f"{prefix}p:{{v9}}:seen",
    }
    # The stream and its derived records hash to one Cluster slot (the Lua script needs it).
    assert len({key_slot(k.encode()) for k in keys if "abc123" in k}) == 1
    assert 0 < raw.ttl(f"{prefix}s:{{abc123}}:a#dd") <= TTL


def test_a_prefix_with_a_hash_tag_is_refused(redis_url):
    with pytest.raises(ValueError):
        create_broker(redis_url, prefix="{x}:")


def test_unreachable_redis_is_a_503_error():
    from cobrowse.storage import BrokerUnavailable

    # Port 1 on localhost refuses connections at once; the broker still starts.
    broker = create_broker("redis://127.0.0.1:1/0", ready_timeout=0.2)
    try:
        assert broker.ping() is False
        with pytest.raises(BrokerUnavailable) as info:
            broker.get("k")
        assert info.value.status == 503
    finally:
        broker.close()


def test_listener_notices_a_silent_connection_and_resubscribes(redis_url, raw, prefix):
    """A link that stops answering (partition, frozen server) without closing is caught by the
    listener's own PINGs, not left hanging until TCP gives up minutes later."""
    broker = create_broker(redis_url, prefix=prefix, health_interval=0.2)
    try:
        with broker.waiter(["st"]) as w:
            raw.execute_command("CLIENT", "PAUSE", 700, "ALL")  # answers nothing for 0.7 s
            _wait_for(lambda: broker.stats()["reconnects"] >= 1)
            assert w.wait(5) is True  # woken after resubscribing: wake-ups may have been lost
            broker.append("st", [{"k": "chat"}], ttl=TTL)
            assert w.wait(5) is True
        assert broker.stats()["pubsub_connections"] == 1
    finally:
        broker.close()


GEVENT_SCRIPT = """
from gevent import monkey; monkey.patch_all()
import sys, gevent
from cobrowse.storage import create_broker
for url in (None, sys.argv[1]):
    broker = create_broker(url, prefix=sys.argv[2])
    woken = []
    def park():
        with broker.waiter(["st"]) as w:
            woken.append(w.wait(10))
    greenlets = [gevent.spawn(park) for _ in range(300)]
    for _ in range(200):  # the first waiter waits for the listener's subscription
        gevent.sleep(0.05)
        if broker.stats()["waiters"] == 300:
            break
    assert broker.stats()["waiters"] == 300
    broker.append("st", [{"k": "chat"}], ttl=10)
    gevent.joinall(greenlets, timeout=10)
    assert woken.count(True) == 300, woken
    parked = [gevent.spawn(park) for _ in range(10)]
    gevent.sleep(0.05)
    broker.close()
    gevent.joinall(parked, timeout=5)
    assert woken[300:] == [False] * 10, woken[300:]
print("ok")
"""


def test_both_backends_run_under_gevent_monkey_patching(redis_url, prefix):
    """Production runs under gunicorn's gevent worker: waiters are greenlets there."""
    root = Path(__file__).resolve().parent.parent
    done = subprocess.run(
        [sys.executable, "-c", GEVENT_SCRIPT, redis_url, prefix],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
    )
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr[-3000:]
