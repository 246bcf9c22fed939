"""The hot-path operations of the broker contract (issue 9), against every backend: the
participant's first step of a send and of a poll, the guarded session append, and the page
index prefetch. Each is one atomic step over the keys of one hash tag."""

from __future__ import annotations

import json
import time

TTL = 60
P = {"record": "p:{v1}", "last": "p:{v1}:seq", "seen": "p:{v1}:seen", "inbox": "p:{v1}:in"}


def begin(broker, seq, claim_ms=0, beacon=False, **extra):
    return broker.send_begin(**P, seq=seq, now=time.time(), ttl=TTL, claim_ms=claim_ms,
                             beacon=beacon, **extra)


def test_send_begin_checks_and_takes_the_seq(broker):
    assert begin(broker, 1).status == "unknown"
    broker.set("p:{v1}", json.dumps({"id": "v1", "role": "visitor"}), ttl=TTL)
    first = begin(broker, 1)
    assert (first.status, json.loads(first.record)["id"]) == ("go", "v1")
    assert begin(broker, 1).status == "again"  # unanswered: apply again, appends dedupe
    assert (begin(broker, 3).status, begin(broker, 3).expected) == ("seq", 2)
    assert begin(broker, 3, beacon=True).status == "go"  # a leave beacon may skip ahead
    assert begin(broker, 2).expected == 4
    assert float(broker.get("p:{v1}:seen")) > time.time() - 5


def test_a_claimed_send_is_busy_until_finished_then_replays(broker):
    broker.set("p:{v1}", "{}", ttl=TTL)
    assert begin(broker, 1, claim_ms=5000).status == "go"
    assert begin(broker, 1, claim_ms=5000).status == "busy"
    broker.send_finish(last=P["last"], seq=1, status=409, body='{"ok":false}', ttl=TTL)
    replay = begin(broker, 1, claim_ms=5000)
    assert (replay.status, replay.answer) == ("replay", (409, '{"ok":false}'))
    assert begin(broker, 2, claim_ms=5000).status == "go"
    broker.send_finish(last=P["last"], seq=2, status=0, body="", ttl=TTL)  # a 5xx: release only
    assert begin(broker, 2, claim_ms=5000).status == "again"


def test_a_claim_of_a_dead_worker_is_taken_over_after_it_expires(broker):
    broker.set("p:{v1}", "{}", ttl=TTL)
    assert begin(broker, 1, claim_ms=200).status == "go"
    assert begin(broker, 1, claim_ms=200).status == "busy"
    time.sleep(0.3)
    assert begin(broker, 1, claim_ms=200).status == "again"


def test_send_begin_reads_the_inbox_version_and_prefetches_in_the_same_step(broker):
    broker.set("p:{v1}", "{}", ttl=TTL)
    broker.append("p:{v1}:in", [{"k": "chat"}, {"k": "chat"}], ttl=TTL)
    broker.hset("s:{s1}:idx", {"1": "0|0|#document", "3": "1|0|html", "4": "3|0|body",
                               "9": "4|1|input"}, ttl=TTL)
    broker.set("s:{s1}:url", "https://shop.example/", ttl=TTL)
    start = begin(broker, 1, index="s:{s1}:idx", index_ids=[9, 77], depth=5,
                  values=["s:{s1}:url"])
    assert start.version == 2
    assert start.fetched == {9: "4|1|input", 4: "3|0|body", 3: "1|0|html", 1: "0|0|#document"}
    assert start.values == ["https://shop.example/"]
    assert broker.index_fetch("s:{s1}:idx", [9], 1) == {9: "4|1|input", 4: "3|0|body"}


def test_poll_begin_releases_older_polls_of_the_same_participant_only(broker):
    broker.set("p:{v1}", '{"id":"v1"}', ttl=TTL)
    broker.append("p:{v1}:in", [{"k": "chat", "n": 1}], ttl=TTL)
    args = dict(record="p:{v1}", generation="p:{v1}:poll", seen="p:{v1}:seen",
                inbox="p:{v1}:in", limit=10, now=time.time(), ttl=TTL, owner="v1")
    first = broker.poll_begin(after=0, **args)
    assert (first.generation, first.version) == (1, 1)
    assert [json.loads(raw) for _, raw in first.inbox] == [{"k": "chat", "n": 1}]
    with broker.waiter(["p:{v1}:in"], release=("v1", first.generation)) as older, \
            broker.waiter(["x"], release=("v2", 0)) as stranger:
        second = broker.poll_begin(after=1, streams={"s:{s1}:a": 0}, **args)
        assert second.generation == 2 and second.inbox == [] and second.streams == {"s:{s1}:a": []}
        assert older.wait(5) is True and older.released
        assert stranger.wait(0.2) is False and not stranger.released
    with broker.waiter(["p:{v1}:in"], release=("v1", 2**62)) as unborn:
        third = broker.poll_begin(after=1, **args)  # its own release never releases it
        unborn.generation = third.generation
        assert unborn.wait(0.3) is False and not unborn.released
    # An unknown participant (all its keys in its own slot, as on a Redis Cluster).
    nobody = dict(record="p:{nobody}", generation="p:{nobody}:poll", seen="p:{nobody}:seen",
                  inbox="p:{nobody}:in")
    assert broker.poll_begin(after=0, **{**args, **nobody}).record is None


def test_session_append_is_guarded_by_the_session_record(broker):
    S = dict(session="s:{s1}", stream="s:{s1}:a", ttl=TTL, index="s:{s1}:idx")
    assert broker.session_append(**S, events=['{"k":"pointer"}'], dedupe=("v1", 1),
                                 member=("visitor", "v1"), need_shared=False).status == "gone"
    broker.set("s:{s1}", json.dumps({"id": "s1", "visitor": "v1", "agent": "alice",
                                     "mode": "view", "presence": "away"}), ttl=TTL)
    assert broker.session_append(**S, events=["{}"], dedupe=("v9", 1), member=("visitor", "v9"),
                                 need_shared=False).status == "gone"
    got = broker.session_append(**S, events=['{"k":"pointer"}', '{"k":"mutation"}'],
                                dedupe=("v1", 1), member=("visitor", "v1"), need_shared=False,
                                index_set={"5": "4|0|p"}, index_del=["9"])
    assert (got.status, got.mode, got.presence, got.ids) == ("ok", "view", "away", [1, 2])
    again = broker.session_append(**S, events=['{"k":"pointer"}'], dedupe=("v1", 1),
                                  member=("visitor", "v1"), need_shared=False,
                                  index_set={"6": "4|0|p"})
    assert again.status == "dup"
    assert broker.hgetall("s:{s1}:idx") == {"5": "4|0|p"}
    refused = broker.session_append(session="s:{s1}", stream="s:{s1}:v", ttl=TTL,
                                    events=['{"k":"control.click"}'], dedupe=("a1", 1),
                                    member=("agent", "alice"), need_shared=True)
    assert (refused.status, refused.mode) == ("mode", "view")
    assert broker.read("s:{s1}:v", 0, 10) == []
    assert [e for _, e in broker.read("s:{s1}:a", 0, 10)] == [{"k": "pointer"}, {"k": "mutation"}]
    assert broker.read_raw({"s:{s1}:a": 1}, 10) == {"s:{s1}:a": [(2, '{"k":"mutation"}')]}


def test_session_append_records_the_id_of_a_snapshot_with_the_events(broker):
    """Where a watcher starts reading (issue 15): the id the append gave the snapshot, written
    in the same atomic step; a duplicate or an append without a snapshot leaves it."""
    S = dict(session="s:{s1}", stream="s:{s1}:a", ttl=TTL, member=("visitor", "v1"),
             need_shared=False)
    broker.set("s:{s1}", json.dumps({"visitor": "v1", "mode": "view"}), ttl=TTL)
    broker.session_append(**S, events=['{"k":"pointer"}'], dedupe=("v1", 1),
                          snapshot=("s:{s1}:snap", 0))
    assert broker.get("s:{s1}:snap") == "1"
    got = broker.session_append(**S, events=['{"k":"scroll"}', '{"k":"snapshot"}', "{}"],
                                dedupe=("v1", 2), snapshot=("s:{s1}:snap", 1))
    assert got.ids == [2, 3, 4] and broker.get("s:{s1}:snap") == "3"
    broker.session_append(**S, events=['{"k":"snapshot"}'], dedupe=("v1", 2),
                          snapshot=("s:{s1}:snap", 0))  # a retry: deduplicated
    broker.session_append(**S, events=['{"k":"pointer"}'], dedupe=("v1", 3))
    assert broker.get("s:{s1}:snap") == "3"


def test_session_append_wakes_the_readers_of_its_stream(broker):
    broker.set("s:{s1}", json.dumps({"visitor": "v1", "mode": "shared"}), ttl=TTL)
    with broker.waiter(["s:{s1}:a"]) as w:
        broker.session_append(session="s:{s1}", stream="s:{s1}:a", events=['{"k":"scroll"}'],
                              ttl=TTL, dedupe=("v1", 1), member=("visitor", "v1"),
                              need_shared=False)
        assert w.wait(5) is True


def test_the_scripts_come_back_after_redis_forgets_them(broker):
    if broker.backend != "redis":
        return  # the memory broker has no script cache to lose
    broker.set("p:{v1}", "{}", ttl=TTL)
    broker._redis.script_flush()  # as after a restart or a failover
    assert begin(broker, 1).status == "go"
    assert broker.poll_begin(record="p:{v1}", generation="p:{v1}:poll", seen="p:{v1}:seen",
                             inbox="p:{v1}:in", after=0, limit=5, now=time.time(), ttl=TTL,
                             owner="v1").generation == 1
