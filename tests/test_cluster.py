"""A co-browse session on a real 3-master Redis Cluster (issue 12, item 5), through gunicorn
with two gevent workers: the hot path's scripts, the wake-ups (classic pub/sub, broadcast over
the cluster bus) and the CLI, with ``COBROWSE_REDIS_URL=redis+cluster://...``. The broker
contract suite runs on the same cluster (tests/test_broker_contract.py, ``[cluster]``)."""

from __future__ import annotations

import pytest

from tests.conftest import AGENT_PASSWORD
from tests.support.actors import http_pair
from tests.support.servers import Gunicorn
from tests.test_api import SNAPSHOT, start_session

pytestmark = pytest.mark.slow
ORIGIN = "http://shop.example"


def test_a_session_on_a_redis_cluster_with_two_workers(redis_cluster_url):
    with Gunicorn(redis_cluster_url, demo=False, workers=2) as server:
        visitor, agent = http_pair(server, "alice", AGENT_PASSWORD, ORIGIN)
        _, sid = start_session(visitor, agent, "shared")
        visitor.send(SNAPSHOT)
        for n in range(5):
            visitor.send({"k": "pointer", "i": 5, "x": n / 10, "y": 0.5})
        got = []
        for _ in range(20):
            got += agent.poll(hold=5)
            if len(got) >= 6:
                break
        assert [e["k"] for e in got] == ["snapshot"] + ["pointer"] * 5
        assert [e["x"] for e in got[1:]] == [n / 10 for n in range(5)]
        agent.send({"k": "control.click", "i": 5})
        assert visitor.kinds(visitor.poll(hold=5)) == ["control.click"]
        agent.send({"k": "session.end"})
        assert visitor.wait_for("session.ended")["reason"] == "agent"
        assert "Traceback" not in server.log()


def test_a_slot_moved_mid_session_loses_nothing(redis_cluster):
    """The session's slot (its record, streams and page index) and the agent's (its lock) move
    to other masters in the middle of the session, as ``redis-cli --cluster reshard`` moves
    them: redis-py follows the MOVED answers, the scripts are loaded where they now run, and
    every event before and after arrives once, in order."""
    with Gunicorn(redis_cluster.url, demo=False, workers=2) as server:
        visitor, agent = http_pair(server, "bob", AGENT_PASSWORD, ORIGIN)
        _, sid = start_session(visitor, agent, "shared")
        visitor.send(SNAPSHOT)

        def pointers(values):
            for x in values:
                visitor.send({"k": "pointer", "i": 5, "x": x, "y": 0.5})
            got = []
            for _ in range(20):
                got += [e for e in agent.poll(hold=5) if e["k"] in ("snapshot", "pointer")]
                if len(got) >= len(values) + (1 if got and got[0]["k"] == "snapshot" else 0):
                    break
            return got

        first = pointers([0.1, 0.2])
        assert [e["k"] for e in first] == ["snapshot", "pointer", "pointer"]
        moved = []
        for tag in (sid, "bob"):
            slot = redis_cluster.keyslot(tag)
            before = redis_cluster.owner(slot)
            target = next(p for p in redis_cluster.ports if p != before)
            moved.append(redis_cluster.migrate(slot, target))
            assert redis_cluster.owner(slot) == target
        assert moved[0] >= 3 and moved[1] >= 1  # the session's record, streams, index; the lock

        after = pointers([0.3, 0.4, 0.5])
        assert [e["x"] for e in after] == [0.3, 0.4, 0.5]
        ids = [e["id"] for e in first + after if e["k"] == "pointer"]
        assert ids == sorted(set(ids))  # once each, in order
        agent.send({"k": "control.click", "i": 5})
        assert visitor.kinds(visitor.poll(hold=5)) == ["control.click"]
        agent.send({"k": "session.end"})
        assert visitor.wait_for("session.ended")["reason"] == "agent"
        assert "Traceback" not in server.log()
