"""The hot path's Redis budget (issue 9), counted on a real Redis, not timed.

A counting connection class counts redis-py's network round trips (each
``send_packed_command`` is one: a pipeline sends all its commands at once, then reads their
replies), and the lean hot-path client counts its own. After a warm-up (the
per-process caches hold the token and the participant's context), the send of a session event
costs at most two round trips, the poll that delivers it at most two, and a poll that finds
nothing (and would park) exactly one.
"""

from __future__ import annotations

import threading
import time

import pytest
import redis

from cobrowse import create_app
from cobrowse.storage import create_broker
from tests.conftest import AGENT_PASSWORD, configure
from tests.support.actors import Agent, Visitor, flask_transport
from tests.test_api import SNAPSHOT, start_session


class Counting(redis.Connection):
    """A redis-py connection that counts what it sends (one call = one round trip)."""

    sent = 0

    def send_packed_command(self, command, check_health=True):
        Counting.sent += 1
        return super().send_packed_command(command, check_health)


@pytest.fixture
def pair(redis_url, tmp_path):
    broker = create_broker(redis_url, prefix=f"rt{tmp_path.name[-8:]}:", connection_class=Counting,
                           health_check_interval=0)
    app = create_app({"demo": True, "data_dir": str(tmp_path), "poll_hold": 2.0,
                      "reaper_interval": 3600, "redis_url": redis_url}, broker=broker)
    core = app.extensions["cobrowse"]
    LEAN[:] = [broker._lean] if broker._lean is not None else []
    configure(core)
    transport = flask_transport(app.test_client())
    visitor, agent = Visitor(transport), Agent(transport)
    visitor.hello()
    agent.login("alice", AGENT_PASSWORD)
    start_session(visitor, agent, mode="shared")
    visitor.send(SNAPSHOT)
    agent.poll()
    visitor.poll()
    yield visitor, agent
    core.drain()


LEAN = []  # the broker's lean hot-path client, when it has one (cobrowse/storage/resp.py)


def sent() -> int:
    return Counting.sent + sum(pool.round_trips for pool in LEAN)


def round_trips(action) -> int:
    before = sent()
    action()
    return sent() - before


def warm(visitor, agent):
    """One of each request first: caches are per process and fill on first use."""
    visitor.send({"k": "pointer", "i": 5, "x": 0.1, "y": 0.1})
    agent.poll()
    agent.send({"k": "pointer", "i": 5, "x": 0.1, "y": 0.1})
    visitor.poll()


def test_a_pointer_event_costs_two_round_trips_to_send_and_two_to_deliver(pair):
    visitor, agent = pair
    warm(visitor, agent)
    assert round_trips(lambda: visitor.send({"k": "pointer", "i": 5, "x": 0.5, "y": 0.5})) <= 2
    got = []
    assert round_trips(lambda: got.extend(agent.poll())) <= 2
    assert [e["k"] for e in got] == ["pointer"]


def test_a_poll_with_nothing_new_costs_one_round_trip(pair):
    visitor, agent = pair
    warm(visitor, agent)
    assert round_trips(lambda: agent.poll(hold=0)) == 1
    assert round_trips(lambda: visitor.poll(hold=0)) == 1


def test_mutations_and_control_cost_two_round_trips(pair):
    visitor, agent = pair
    warm(visitor, agent)
    mutation = {"k": "mutation", "m": [{"o": "text", "i": 6, "x": "Hello again"},
                                        {"o": "attr", "i": 8, "a": "placeholder", "v": "Name"}]}
    assert round_trips(lambda: visitor.send(mutation)) <= 2
    assert round_trips(lambda: agent.send({"k": "control.input", "i": 8, "value": "Ann"})) <= 2
    assert round_trips(lambda: agent.send({"k": "control.click", "i": 8})) <= 2
    delivered = agent.poll()
    assert [e["k"] for e in delivered] == ["mutation"]
    assert delivered[0]["m"][0]["x"] == "Hello again"
    assert [e["k"] for e in visitor.poll()] == ["control.input", "control.click"]


def test_a_retried_session_send_lands_once(pair):
    visitor, agent = pair
    warm(visitor, agent)
    seq = visitor.seq + 1
    first = visitor.send({"k": "pointer", "i": 5, "x": 0.3, "y": 0.3}, seq=seq)
    again = visitor.send({"k": "pointer", "i": 5, "x": 0.3, "y": 0.3}, seq=seq)
    visitor.seq = seq
    assert first == again == {"ok": True, "seq": seq, "results": [{}]}
    assert [e["k"] for e in agent.poll()] == ["pointer"]
    stale = visitor.send({"k": "pointer", "i": 5, "x": 0.3, "y": 0.3}, seq=seq - 1, expect=409)
    assert stale["error"] == "seq"


def test_a_mode_switch_is_seen_at_once_by_the_cached_context(pair):
    visitor, agent = pair
    warm(visitor, agent)
    agent.send({"k": "session.mode", "mode": "view"})
    refused = agent.send({"k": "control.click", "i": 8}, expect=403)
    assert refused["error"] == "view_only"
    rid = agent.send({"k": "session.mode", "mode": "shared"})["results"][0]["request"]
    agent.send({"k": "control.click", "i": 8}, expect=403)  # asked, not yet accepted
    visitor.send({"k": "mode.accept", "request": rid})
    agent.send({"k": "control.click", "i": 8})
    assert "control.click" in [e["k"] for e in visitor.poll()]


def test_a_parked_poll_woken_by_a_small_event_answers_without_reading_it_back(pair):
    visitor, agent = pair
    warm(visitor, agent)
    got = []
    before = sent()
    parked = threading.Thread(target=lambda: got.extend(agent.poll(hold=5)))
    parked.start()
    deadline = time.monotonic() + 10
    while sent() - before < 1:  # parked once its one round trip is done (no clock guess)
        assert time.monotonic() < deadline, "the poll never started"
        time.sleep(0.01)
    time.sleep(0.05)  # from its round trip to its wait: a few lines of Python
    visitor.send({"k": "scroll", "i": 1, "x": 0, "y": 120})  # two round trips
    parked.join(10)
    assert [e["k"] for e in got] == ["scroll"]
    assert sent() - before <= 3  # the wake-up carried the event: no read after it
