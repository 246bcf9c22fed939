"""Metrics and logs through a real gunicorn with two gevent workers (issue 12, items 6-7):
``/metrics`` parsed with prometheus_client's own parser, its counts compared with what the
test did (requests land on either worker: the multiprocess files add them up); a refused
crafted snapshot leaves exactly one JSON log line and no traceback."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
import uuid

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import AGENT_PASSWORD
from tests.support.actors import Agent, Visitor, http_transport
from tests.support.servers import Gunicorn, cli
from tests.test_api import SNAPSHOT, start_session

pytestmark = pytest.mark.slow
ORIGIN = "http://shop.example"
TOKEN = "metrics-token-for-tests"


@pytest.fixture(scope="module")
def server(redis_url):
    gunicorn = Gunicorn(redis_url, demo=False, workers=2, env={"COBROWSE_METRICS_TOKEN": TOKEN})
    with gunicorn:
        assert cli(["site", "add", "shop", "--origin", ORIGIN], gunicorn.env).returncode == 0
        for name in ("obs1", "obs2"):
            added = cli(["agent", "add", name, "--password-stdin"], gunicorn.env,
                        stdin=AGENT_PASSWORD + "\n")
            assert added.returncode == 0, added.stderr
        yield gunicorn


def scrape(server, headers=None) -> dict[tuple, float]:
    """Every sample as {(name, sorted labels): value}."""
    request = urllib.request.Request(server.url + "/metrics", headers=headers or {})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.headers["Content-Type"].startswith("text/plain")
        text = response.read().decode()
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def value(samples, name, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def counting(transport, counts):
    def post(path, body, headers=None, **kw):
        status, answer = transport(path, body, headers, **kw)
        if path == "/api/v1/poll" and status == 200:
            counts["polls"] += 1
        return status, answer
    return post


def test_metrics_count_what_a_session_did(server):
    before = scrape(server)
    counts = {"polls": 0}
    visitor = Visitor(counting(http_transport(server.url), counts), origin=ORIGIN)
    visitor.hello()
    agent = Agent(counting(http_transport(server.url), counts))
    agent.login("obs1", AGENT_PASSWORD)
    start_session(visitor, agent, "view")
    visitor.send(SNAPSHOT)
    for n in range(3):
        visitor.send({"k": "pointer", "i": 5, "x": n / 10, "y": 0.5})
    agent.send({"k": "highlight", "i": 5, "x": 0.5, "y": 0.5})
    refusal = agent.send({"k": "control.click", "i": 5}, expect=403)
    got = []
    for _ in range(10):
        got += agent.poll(hold=5)
        if len(got) >= 4:
            break
    assert [e["k"] for e in got] == ["snapshot", "pointer", "pointer", "pointer"]

    assert visitor.kinds(visitor.poll(hold=5)) == ["highlight"]
    # A parked poll shows while it is held (on whichever worker holds it).
    parked = threading.Thread(target=visitor.poll, kwargs={"hold": 20})
    parked.start()
    during = scrape(server)
    for _ in range(50):
        if value(during, "cobrowse_polls_parked") >= 1:
            break
        time.sleep(0.1)
        during = scrape(server)
    assert value(during, "cobrowse_polls_parked") == 1
    assert value(during, "cobrowse_sessions_active") >= 1
    agent.send({"k": "highlight", "i": 5, "x": 0.1, "y": 0.1})  # wakes the parked poll
    parked.join(30)
    assert not parked.is_alive()
    after = scrape(server)

    def delta(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("cobrowse_sends_events_total", kind="pointer") == 3
    assert delta("cobrowse_sends_events_total", kind="snapshot") == 1
    assert delta("cobrowse_sends_events_total", kind="highlight") == 2
    assert delta("cobrowse_sends_events_total", kind="invite") == 1
    assert delta("cobrowse_events_relayed_total", direction="to_agent") == 4
    assert delta("cobrowse_events_relayed_total", direction="to_visitor") == 2
    assert delta("cobrowse_refusals_total", code=refusal["error"]) == 1
    assert delta("cobrowse_sanitize_seconds_count", kind="snapshot") == 1
    assert delta("cobrowse_snapshot_bytes_count") == 1
    assert delta("cobrowse_polls_answered_total") == counts["polls"]
    # Every poll and every send took at least one timed Redis round trip.
    assert delta("cobrowse_redis_round_trip_seconds_count") >= counts["polls"] + 5
    assert delta("cobrowse_redis_round_trip_seconds_sum") > 0
    assert value(after, "cobrowse_polls_parked") == 0
    assert value(after, "cobrowse_invitations_open") == 0
    # Labels are closed sets: no ids, names or page content.
    labels = {v for (_, pairs) in after for _, v in pairs}
    assert not any(x in " ".join(labels) for x in ("obs1", "shop.example", visitor.token))


def test_metrics_are_only_for_allowed_scrapers(server):
    forbidden = urllib.request.Request(server.url + "/metrics",
                                       headers={"X-Forwarded-For": "203.0.113.5"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(forbidden, timeout=10)
    assert refused.value.code == 404
    refused.value.close()
    with_token = scrape(server, {"X-Forwarded-For": "203.0.113.5",
                                 "Authorization": f"Bearer {TOKEN}"})
    assert ("cobrowse_sessions_active", ()) in with_token


def test_a_refused_crafted_snapshot_is_one_json_log_line(server):
    visitor = Visitor(http_transport(server.url), origin=ORIGIN)
    pid = visitor.hello()["participant"]
    agent = Agent(http_transport(server.url))
    agent.login("obs2", AGENT_PASSWORD)
    _, sid = start_session(visitor, agent, "view")
    crafted = {**SNAPSHOT, "doc": {"i": 1, "t": 9, "c": [{"i": 1, "t": 10, "n": "html"}]}}
    rid = uuid.uuid4().hex
    visitor.headers = lambda: {"Origin": ORIGIN, "X-Request-Id": rid}
    answer = visitor.send(crafted, expect=400)
    assert answer["error"] == "bad_snapshot"
    lines = []
    for _ in range(50):  # the worker writes its line as it answers; give stderr a moment
        lines = [line for line in server.log().splitlines() if rid in line]
        if lines:
            break
        time.sleep(0.1)
    assert len(lines) == 1, lines
    entry = json.loads(lines[0])
    assert entry["request_id"] == rid and entry["code"] == "bad_snapshot"
    assert entry["participant"] == pid
    assert entry["session"] == sid and entry["level"] == "info"
    assert "Traceback" not in server.log()
