"""The broker contract, run against every backend (the ``broker`` fixture is parametrized).

A behaviour belongs here if callers rely on it; backend details (pub/sub connection
counts, reconnection) live in test_broker_redis.py.
"""

from __future__ import annotations

import threading
import time

import pytest

from cobrowse.storage import BrokerError

TTL = 60


def ev(n):
    return {"k": "chat", "n": n}


# --- streams -----------------------------------------------------------------------------------


def test_append_gives_increasing_ids_and_read_returns_in_order(broker):
    assert broker.append("s:{a}:in", [ev(1), ev(2)], ttl=TTL) == [1, 2]
    assert broker.append("s:{a}:in", [ev(3)], ttl=TTL) == [3]
    assert broker.read("s:{a}:in", 0, 100) == [(1, ev(1)), (2, ev(2)), (3, ev(3))]
    assert broker.last_id("s:{a}:in") == 3


def test_streams_are_independent(broker):
    broker.append("s:{a}:in", [ev(1)], ttl=TTL)
    assert broker.append("s:{b}:in", [ev(9)], ttl=TTL) == [1]
    assert broker.read("s:{b}:in", 0, 10) == [(1, ev(9))]


def test_read_after_cursor_and_limit(broker):
    broker.append("st", [ev(i) for i in range(1, 8)], ttl=TTL)
    assert [i for i, _ in broker.read("st", 3, 100)] == [4, 5, 6, 7]
    assert [i for i, _ in broker.read("st", 3, 2)] == [4, 5]
    assert broker.read("st", 7, 10) == []
    assert broker.read("st", 0, 0) == []


def test_missing_stream_reads_empty(broker):
    assert broker.read("nothing", 0, 10) == []
    assert broker.last_id("nothing") == 0


def test_events_round_trip_as_json(broker):
    event = {
        "k": "snapshot",
        "doc": {"t": 9, "c": [{"x": "héllo ✓"}]},
        "t": (1, 2),
        "f": 0.5,
        "n": None,
        "b": True,
    }
    broker.append("st", [event], ttl=TTL)
    ((_, got),) = broker.read("st", 0, 1)
    assert got == {**event, "t": [1, 2]}
    got["k"] = "mutated"  # the stored copy is not aliased
    assert broker.read("st", 0, 1)[0][1]["k"] == "snapshot"


def test_empty_append_returns_no_ids(broker):
    assert broker.append("st", [], ttl=TTL) == []
    assert broker.last_id("st") == 0


def test_dedupe_applies_a_retried_send_once(broker):
    assert broker.append("st", [ev(1)], ttl=TTL, dedupe=("v_1", 5)) == [1]
    assert broker.append("st", [ev(1)], ttl=TTL, dedupe=("v_1", 5)) is None
    assert broker.append("st", [ev(0)], ttl=TTL, dedupe=("v_1", 4)) is None  # older seq
    assert broker.append("st", [ev(2)], ttl=TTL, dedupe=("v_1", 6)) == [2]
    assert broker.read("st", 0, 10) == [(1, ev(1)), (2, ev(2))]


def test_dedupe_is_per_sender_and_per_stream(broker):
    assert broker.append("st", [ev(1)], ttl=TTL, dedupe=("v_1", 5)) == [1]
    assert broker.append("st", [ev(2)], ttl=TTL, dedupe=("a_1", 5)) == [2]
    assert broker.append("other", [ev(3)], ttl=TTL, dedupe=("v_1", 5)) == [1]
    assert broker.append("st", [ev(4)], ttl=TTL) == [3]  # no dedupe: always appended


def test_trim_drops_older_events_and_keeps_ids(broker):
    broker.append("st", [ev(i) for i in range(1, 6)], ttl=TTL)
    broker.trim("st", 4)
    assert [i for i, _ in broker.read("st", 0, 10)] == [4, 5]
    broker.trim("st", 100)
    assert broker.read("st", 0, 10) == []
    assert broker.last_id("st") == 5
    assert broker.append("st", [ev(6)], ttl=TTL) == [6]


def test_delete_stream_drops_events_ids_and_dedupe(broker):
    broker.append("st", [ev(1)], ttl=TTL, dedupe=("v", 1))
    broker.set("plain", "x")
    broker.delete("st", "plain", "never-existed")
    assert broker.read("st", 0, 10) == [] and broker.last_id("st") == 0
    assert broker.get("plain") is None
    assert broker.append("st", [ev(1)], ttl=TTL, dedupe=("v", 1)) == [1]


# --- expiry ------------------------------------------------------------------------------------


def test_everything_expires_after_its_ttl_unless_refreshed(broker):
    broker.append("st", [ev(1)], ttl=1, dedupe=("v", 1))
    broker.set("str", "x", ttl=1)
    broker.hset("hash", {"f": "v"}, ttl=1)
    broker.rpush("list", "a", ttl=1)
    broker.incr("counter", ttl=1)
    broker.incr("counter")  # keeps the expiry, like Redis INCR
    broker.set("plain", "z")
    broker.expire("plain", 1)
    # Refreshed or persisted: these survive the sleep.
    broker.append("kept-st", [ev(1)], ttl=1)
    broker.append("kept-st", [ev(2)], ttl=TTL)
    broker.set("kept", "v", ttl=1)
    broker.set("kept", "v2")  # replaces the value and its expiry, like Redis SET
    time.sleep(1.2)
    assert broker.read("st", 0, 10) == [] and broker.last_id("st") == 0
    assert broker.get("str") is None and broker.get("plain") is None
    assert broker.hgetall("hash") == {}
    assert broker.lrange("list", 0, -1) == []
    assert broker.get("counter") is None
    assert broker.get("kept") == "v2"
    assert len(broker.read("kept-st", 0, 10)) == 2
    # An expired stream starts over, and so does its dedupe record.
    assert broker.append("st", [ev(2)], ttl=TTL, dedupe=("v", 1)) == [1]


def test_ttl_must_be_positive(broker):
    with pytest.raises(ValueError):
        broker.append("st", [ev(1)], ttl=0)
    with pytest.raises(ValueError):
        broker.set("k", "v", ttl=-1)


# --- wake-ups ------------------------------------------------------------------------------------


def _later(seconds, fn, *args, **kwargs):
    timer = threading.Timer(seconds, fn, args, kwargs)
    timer.daemon = True
    timer.start()
    return timer


def test_waiter_is_woken_by_append_from_another_thread(broker):
    with broker.waiter(["st"]) as w:
        assert broker.read("st", 0, 10) == []
        later = _later(0.05, broker.append, "st", [ev(1)], ttl=TTL)
        started = time.monotonic()
        assert w.wait(5) is True
        assert time.monotonic() - started < 2
    later.join(10)  # never left running into the broker's teardown
    assert broker.read("st", 0, 10) == [(1, ev(1))]


def test_waiter_times_out_with_false(broker):
    with broker.waiter(["st"]) as w:
        started = time.monotonic()
        assert w.wait(0.2) is False
        assert time.monotonic() - started >= 0.19


def test_waiter_only_woken_by_its_streams(broker):
    with broker.waiter(["mine", "also-mine"]) as w:
        broker.append("other", [ev(1)], ttl=TTL)
        assert w.wait(0.3) is False
        broker.append("also-mine", [ev(1)], ttl=TTL)
        assert w.wait(5) is True


def test_no_lost_wakeup_when_append_lands_between_read_and_wait(broker):
    with broker.waiter(["st"]) as w:
        assert broker.read("st", 0, 10) == []
        broker.append("st", [ev(1)], ttl=TTL)  # before wait: must not be missed
        assert w.wait(5) is True


def test_wake_without_append(broker):
    with broker.waiter(["st"]) as w:
        later = _later(0.05, broker.wake, "st")
        assert w.wait(5) is True
    later.join(10)
    assert broker.read("st", 0, 10) == []


def test_waiter_can_wait_again_after_a_wakeup(broker):
    with broker.waiter(["st"]) as w:
        broker.append("st", [ev(1)], ttl=TTL)
        assert w.wait(5) is True
        assert w.wait(0.2) is False  # the first wake-up was consumed
        broker.append("st", [ev(2)], ttl=TTL)
        assert w.wait(5) is True


def test_wait_outside_the_with_block_is_refused(broker):
    with pytest.raises(RuntimeError):
        broker.waiter(["st"]).wait(0)


def test_close_wakes_parked_waiters_and_later_waits_return_at_once(broker):
    results = []

    def park():
        with broker.waiter(["st"]) as w:
            results.append(w.wait(10))

    threads = [threading.Thread(target=park) for _ in range(5)]
    for t in threads:
        t.start()
    _wait_for(lambda: broker.stats()["waiters"] == 5)
    started = time.monotonic()
    broker.close()
    for t in threads:
        t.join(5)
    assert results == [False] * 5 and time.monotonic() - started < 3
    assert broker.closed
    with broker.waiter(["st"]) as w:
        assert w.wait(10) is False


def test_many_concurrent_waiters_all_wake(broker):
    n = 200
    woken = []
    ready = threading.Barrier(n + 1)

    def park():
        with broker.waiter(["st"]) as w:
            ready.wait()
            woken.append(w.wait(10))

    threads = [threading.Thread(target=park) for _ in range(n)]
    for t in threads:
        t.start()
    ready.wait()
    started = time.monotonic()
    broker.append("st", [ev(1)], ttl=TTL)
    for t in threads:
        t.join(10)
    assert woken.count(True) == n
    assert time.monotonic() - started < 5
    assert broker.stats()["waiters"] == 0


def _wait_for(condition, timeout=5.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.01)


# --- strings -----------------------------------------------------------------------------------


def test_get_set_and_nx(broker):
    assert broker.get("k") is None
    assert broker.set("k", "v") is True
    assert broker.set("k", "w", nx=True) is False
    assert broker.get("k") == "v"
    assert broker.set("fresh", "x", nx=True, ttl=TTL) is True
    assert broker.get("fresh") == "x"


def test_cas(broker):
    assert broker.cas("k", "x", "y") is False  # absent, but something expected
    assert broker.get("k") is None
    assert broker.cas("k", None, "a", ttl=TTL) is True  # must be absent: it is
    assert broker.cas("k", None, "b") is False  # must be absent: it is not
    assert broker.cas("k", "wrong", "b") is False
    assert broker.cas("k", "a", "b") is True
    assert broker.get("k") == "b"
    assert broker.cas("k", "b", None) is True  # delete
    assert broker.get("k") is None
    assert broker.cas("k", None, None) is True  # absent stays absent


def test_cas_races_have_one_winner(broker):
    broker.set("lock", "0")
    wins = []

    def bump():
        for _ in range(20):
            while True:
                current = broker.get("lock")
                if broker.cas("lock", current, str(int(current) + 1)):
                    wins.append(1)
                    break

    threads = [threading.Thread(target=bump) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    assert broker.get("lock") == "100" and len(wins) == 100


def test_incr(broker):
    assert broker.incr("n") == 1
    assert broker.incr("n", ttl=TTL) == 2
    assert broker.get("n") == "2"
    broker.set("text", "abc")
    with pytest.raises(BrokerError):
        broker.incr("text")


def test_wrong_type_is_a_broker_error(broker):
    broker.sadd("a-set", "x")
    with pytest.raises(BrokerError):
        broker.get("a-set")
    with pytest.raises(BrokerError):
        broker.hset("a-set", {"f": "v"})


# --- hashes, sets, lists -------------------------------------------------------------------------


def test_hashes(broker):
    broker.hset("h", {"a": "1", "b": "2"}, ttl=TTL)
    broker.hset("h", {"b": "3"})
    assert broker.hgetall("h") == {"a": "1", "b": "3"}
    assert broker.hget_many("h", ["b", "zz", "a"]) == ["3", None, "1"]
    assert broker.hget_many("missing", ["a"]) == [None]
    broker.hdel("h", ["a", "zz"])
    assert broker.hgetall("h") == {"b": "3"}
    broker.hdel("h", ["b"])
    assert broker.hgetall("h") == {}
    assert broker.hgetall("missing") == {}


def test_sets(broker):
    broker.sadd("s", "a", "b", "c")
    broker.sadd("s", "a")
    broker.srem("s", "b", "zz")
    assert broker.smembers("s") == {"a", "c"}
    broker.srem("s", "a", "c")
    assert broker.smembers("s") == set()
    assert broker.smembers("missing") == set()


def test_lists(broker):
    for item in "abcde":
        broker.rpush("l", item, ttl=TTL)
    assert broker.lrange("l", 0, -1) == list("abcde")
    assert broker.lrange("l", 1, 2) == ["b", "c"]
    assert broker.lrange("l", -2, -1) == ["d", "e"]
    assert broker.lrange("l", 3, 100) == ["d", "e"]
    assert broker.lrange("l", -100, 0) == ["a"]
    assert broker.lrange("l", 4, 1) == []
    assert broker.lrange("missing", 0, -1) == []


# --- lifecycle -----------------------------------------------------------------------------------


def test_ping_and_stats(broker):
    assert broker.ping() is True
    stats = broker.stats()
    assert stats["backend"] in ("memory", "redis", "redis-cluster")
    assert stats["waiters"] == 0 and "connections" in stats


def test_waiter_after_close_without_earlier_waiters(broker):
    broker.close()
    with broker.waiter(["st"]) as w:
        assert w.wait(10) is False


def test_get_many_and_read_many_batch_reads(broker):
    broker.set("k:{a}", "1")
    broker.set("k:{b}", "2")
    assert broker.get_many(["k:{a}", "k:{missing}", "k:{b}"]) == ["1", None, "2"]
    assert broker.get_many([]) == []
    broker.append("s:{x}", [{"n": 1}, {"n": 2}], ttl=60)
    broker.append("s:{y}", [{"n": 3}], ttl=60)
    got = broker.read_many({"s:{x}": 1, "s:{y}": 0, "s:{none}": 0}, 10)
    assert got == {"s:{x}": [(2, {"n": 2})], "s:{y}": [(1, {"n": 3})], "s:{none}": []}


def test_a_site_added_elsewhere_is_found_at_once(broker):
    """``cobrowse site add`` writes while the server runs: a worker that cached the sites a
    moment before still finds the new one on its first request (a miss reads again), and
    the tag's first hello is not refused as an unknown site."""
    from cobrowse.storage.directory import SITE_MISS_SECONDS, BrokerStore, Directory, Site

    server, cli = Directory(BrokerStore(broker)), Directory(BrokerStore(broker))
    assert server.site("shop") is None  # cached now, without it
    time.sleep(SITE_MISS_SECONDS + 0.05)
    cli.put_site(Site(id="shop", origins=["https://shop.example"]))
    assert server.site("shop") is not None
    assert server.site("nowhere") is None
