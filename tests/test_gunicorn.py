"""Through real gunicorn with gevent workers and a real Redis: the operator contract, no sticky
sessions, a hostile network, shutdown, and bad configurations refused."""

import http.client
import json
import signal
import threading
import time

import pytest
import redis

from cobrowse.storage import keys
from tests.conftest import AGENT_PASSWORD
from tests.support.actors import Agent, Visitor, http_transport
from tests.support.chaos_proxy import ChaosProxy
from tests.support.resilient import retrying
from tests.support.servers import Gunicorn, cli
from tests.test_api import SNAPSHOT, open_conversation, start_session

pytestmark = pytest.mark.slow
ORIGIN = "http://shop.example"


@pytest.fixture(scope="module")
def servers(redis_url):
    """Two gunicorn processes sharing one Redis: any request may land on either."""
    a = Gunicorn(redis_url, demo=False).start()
    b = Gunicorn(redis_url, demo=False, env={"COBROWSE_DATA_DIR": a.dir}).start()
    env = a.env
    assert cli(["site", "add", "shop", "--origin", ORIGIN, "--mask", "#card"], env).returncode == 0
    for name in ("alice", "bob", "carol"):
        added = cli(["agent", "add", name, "--password-stdin"], env, stdin=AGENT_PASSWORD + "\n")
        assert added.returncode == 0, added.stderr
    yield a, b
    a.stop()
    b.stop()


def test_cli_lists_what_the_running_server_uses(servers):
    a, _ = servers
    listed = cli(["agent", "list"], a.env).stdout
    assert "alice" in listed and "bob" in listed
    assert '"shop"' in cli(["site", "list"], a.env).stdout
    bad = cli(["site", "add", "x", "--origin", "javascript:alert(1)"], a.env)
    assert bad.returncode == 1 and "origin" in bad.stderr
    bad = cli(["site", "add", "x", "--origin", "https://x.example", "--mask", "input[[["], a.env)
    assert bad.returncode == 1 and "not valid CSS" in bad.stderr


def test_full_flow_with_visitor_and_agent_on_different_servers(servers):
    a, b = servers
    visitor = Visitor(http_transport(a.url), origin=ORIGIN)
    visitor.hello()
    agent = Agent(http_transport(b.url))
    agent.origin = b.url
    agent.login("alice", AGENT_PASSWORD)
    _, sid = start_session(visitor, agent, "view")
    visitor.send(SNAPSHOT)
    got = agent.poll(hold=5)
    assert [e["k"] for e in got] == ["snapshot"]
    agent.send({"k": "highlight", "i": 5, "x": 0.5, "y": 0.5})
    assert visitor.kinds(visitor.poll(hold=5)) == ["highlight"]
    agent.send({"k": "session.end"})
    visitor.poll(hold=5)
    assert visitor.last("session.ended")["reason"] == "agent"


def test_a_parked_poll_on_one_server_wakes_on_a_send_to_the_other(servers):
    a, b = servers
    visitor = Visitor(http_transport(a.url), origin=ORIGIN)
    visitor.hello()
    agent = Agent(http_transport(b.url))
    agent.origin = b.url
    agent.login("bob", AGENT_PASSWORD)
    cid = open_conversation(visitor, agent)
    visitor.poll()
    got, started = [], time.monotonic()
    parked = threading.Thread(target=lambda: got.extend(visitor.poll(hold=20)))
    parked.start()
    time.sleep(0.5)
    agent.send({"k": "chat", "conversation": cid, "text": "across workers"})
    parked.join(10)
    assert [e["text"] for e in got] == ["across workers"]
    assert time.monotonic() - started < 5


def _pump(sender, receiver, total, batch, errors):
    """Send ``total`` numbered pointer events in batches; return the receiver's numbers."""
    try:
        for start in range(1, total + 1, batch):
            numbers = range(start, min(start + batch, total + 1))
            sender.send(*[{"k": "pointer", "i": n, "x": 0, "y": 0} for n in numbers])
    except Exception as err:  # surfaced by the test below
        errors.append(err)


def test_hostile_network_exactly_once_and_in_order(servers):
    a, b = servers
    proxies = [ChaosProxy(("127.0.0.1", a.port), seed=1), ChaosProxy(("127.0.0.1", b.port), seed=2)]
    try:
        visitor = Visitor(retrying(http_transport(proxies[0].url, timeout=10)), origin=ORIGIN)
        visitor.hello()
        agent = Agent(retrying(http_transport(proxies[1].url, timeout=10)))
        agent.origin = proxies[1].url
        agent.login("carol", AGENT_PASSWORD)
        start_session(visitor, agent, "view")
        total, errors = 2000, []
        senders = [threading.Thread(target=_pump, args=(visitor, agent, total, 40, errors)),
                   threading.Thread(target=_pump, args=(agent, visitor, total, 40, errors))]
        for t in senders:
            t.start()
        received = {"agent": [], "visitor": []}
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and (
                len(received["agent"]) < total or len(received["visitor"]) < total):
            for who, actor in (("agent", agent), ("visitor", visitor)):
                if len(received[who]) < total:
                    received[who] += [e["i"] for e in actor.poll(hold=1) if e["k"] == "pointer"]
        for t in senders:
            t.join(30)
        assert not errors
        assert received["agent"] == list(range(1, total + 1))
        assert received["visitor"] == list(range(1, total + 1))
        assert all(p.fates[f] > 0 for p in proxies for f in ChaosProxy.FATES)
    finally:
        for p in proxies:
            p.close()


def _keep_alive_request(conn, path, body):
    """One request on an open keep-alive connection: (status, json, Connection header)."""
    conn.request("POST", path, body=json.dumps(body).encode(),
                 headers={"Content-Type": "text/plain;charset=UTF-8"})
    response = conn.getresponse()
    return response.status, json.loads(response.read()), response.getheader("Connection")


def test_shutdown_answers_parked_polls_and_exits_cleanly(redis_url):
    """Issue 10, item 7: on SIGTERM the parked poll is answered, a keep-alive connection
    still gets a real answer (Redis is still usable) and is told to close, the worker exits
    0 and the log holds no traceback."""
    server = Gunicorn(redis_url, demo=True).start()
    origin = f"http://127.0.0.1:{server.port}"
    visitor = Visitor(http_transport(server.url), site="demo", origin=origin)
    pid = visitor.hello()["participant"]
    kept = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    status, _, _ = _keep_alive_request(kept, "/api/v1/poll", {"token": visitor.token, "hold": 0})
    assert status == 200
    answers = []

    def park():
        answers.append(visitor.post("/api/v1/poll", {"token": visitor.token, "hold": 25},
                                    visitor.headers()))
    parked = threading.Thread(target=park)
    parked.start()
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and _polls_seen(redis_url, pid) < 2:
        time.sleep(0.05)
    server.proc.send_signal(signal.SIGTERM)
    parked.join(15)
    assert answers and answers[0][0] == 200 and answers[0][1]["events"] == []
    # The worker is still waiting for the idle keep-alive connection: its next request is
    # served from Redis as usual, then the connection is closed.
    status, body, connection = _keep_alive_request(kept, "/api/v1/poll",
                                                   {"token": visitor.token, "hold": 0})
    assert status == 200 and body["ok"] is True
    assert (connection or "").lower() == "close"
    kept.close()
    code = server.stop(timeout=20)
    log = server.log()
    assert code == 0, log
    assert "Traceback" not in log and "BlockingSwitchOutError" not in log, log
    assert "exited with code" not in log, log
    assert "graceful timeout" not in log.lower(), log


def _polls_seen(redis_url: str, pid: str) -> int:
    """How many polls of ``pid`` the server has started (its poll generation counter)."""
    client = redis.Redis.from_url(redis_url)
    try:
        return int(client.get("cobrowse:" + keys.poll_generation(pid)) or 0)
    finally:
        client.close()


def test_the_embedded_broker_refuses_several_workers():
    server = Gunicorn(None, workers=2)
    with pytest.raises(RuntimeError) as err:
        server.start(timeout=15)
    assert "COBROWSE_REDIS_URL" in str(err.value)


def test_a_missing_secret_key_is_refused_outside_demo_mode():
    server = Gunicorn(None, demo=False, env={"COBROWSE_SECRET_KEY": ""})
    with pytest.raises(RuntimeError) as err:
        server.start(timeout=15)
    assert "COBROWSE_SECRET_KEY" in str(err.value)


def test_demo_mode_prints_the_urls_and_a_fresh_password():
    server = Gunicorn(None, demo=True, env={"COBROWSE_DEMO_PASSWORD": ""}).start()
    try:
        log = server.log()
        assert f"http://localhost:{server.port}/demo/" in log and "/workspace/" in log
        password = log.split("password '")[1].split("'")[0]
        agent = Agent(http_transport(server.url))
        agent.login("demo", password)
    finally:
        server.stop()


def test_parts_of_one_snapshot_through_two_workers_and_chaos(servers):
    """Parts land on either gunicorn (state is in Redis) and through the chaos proxy (parts
    lost, duplicated, delayed, cut): the snapshot arrives once, whole, after the pointer
    events sent between its parts, and before the mutation sent after it."""
    a, b = servers
    proxies = [ChaosProxy(("127.0.0.1", a.port), seed=3), ChaosProxy(("127.0.0.1", b.port), seed=4)]
    try:
        posts = [retrying(http_transport(p.url, timeout=10)) for p in proxies]
        turn = iter(range(10 ** 6))

        def alternate(path, body, headers=None, **kw):
            return posts[next(turn) % 2](path, body, headers, **kw)

        visitor = Visitor(alternate, origin=ORIGIN)
        visitor.hello()
        agent = Agent(retrying(http_transport(a.url, timeout=10)))
        agent.origin = a.url
        agent.login("bob", AGENT_PASSWORD)
        start_session(visitor, agent, "view")
        agent.poll()
        snapshot = dict(SNAPSHOT, title="Big " + "z" * 30000)
        text = json.dumps([snapshot])
        count = -(-len(text) // 2000)
        for index in range(count - 1):  # each part, then a pointer event on the live lane
            status, body = visitor.post("/api/v1/send", {
                "token": visitor.token, "upload": "snap", "part": [index, count],
                "data": text[index * 2000:(index + 1) * 2000]}, visitor.headers())
            assert status == 200, (status, body)
            visitor.send({"k": "pointer", "i": 5, "x": index / count, "y": 0.5})
        visitor.send_in_parts([snapshot], 2000, upload="snap", order=[])
        visitor.send({"k": "mutation", "m": [{"o": "text", "i": 6, "x": "after"}]})
        got = []
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and (not got or got[-1]["k"] != "mutation"):
            got += agent.poll(hold=1)
        kinds = [e["k"] for e in got]
        assert kinds == ["pointer"] * (count - 1) + ["snapshot", "mutation"]
        assert got[-2]["title"] == snapshot["title"]
        assert sum(p.fates["pass"] for p in proxies) > 0
        assert sum(p.fates[f] for p in proxies for f in ("drop_response", "duplicate")) > 0
    finally:
        for p in proxies:
            p.close()
