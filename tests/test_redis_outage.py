"""A Redis outage mid-session (issue 12, item 3): the tag gets readable ``503`` answers with
``retry_after`` and CORS headers (never a 500, never an answer the page cannot read), and
the session carries on once Redis is back. Real gunicorn, a real redis-server (with AOF, so
its data survives the restart) stopped and started again on the same port."""

from __future__ import annotations

import http.client
import json

import pytest

from tests.conftest import AGENT_PASSWORD
from tests.support.actors import http_pair
from tests.support.redis_server import RedisServer
from tests.support.servers import Gunicorn
from tests.test_api import SNAPSHOT, start_session

pytestmark = pytest.mark.slow
ORIGIN = "http://shop.example"


def raw_post(port: int, path: str, body: dict) -> tuple[int, dict, dict]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("POST", path, body=json.dumps(body),
                     headers={"Content-Type": "text/plain", "Origin": ORIGIN})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), json.loads(response.read())
    finally:
        conn.close()


def test_redis_stopped_mid_session_gives_readable_503s_then_the_session_carries_on():
    with RedisServer(appendonly=True) as redis_server, \
            Gunicorn(redis_server.url, demo=False,
                     # Refuse a Redis without persistence: this one has AOF, so it starts.
                     env={"COBROWSE_REDIS_EPHEMERAL": "0"}) as server:
        visitor, agent = http_pair(server, "alice", AGENT_PASSWORD, ORIGIN)
        start_session(visitor, agent, "view")
        visitor.send(SNAPSHOT)
        assert [e["k"] for e in agent.poll(hold=5)] == ["snapshot"]

        redis_server.pause()
        for path, body in (("/api/v1/send", {"token": visitor.token, "seq": visitor.seq + 1,
                                             "events": [{"k": "scroll", "i": 5, "x": 0, "y": 10}]}),
                           ("/api/v1/poll", {"token": visitor.token, "cursors": visitor.cursors,
                                             "hold": 0}),
                           ("/api/v1/visitor/hello", {"site": "shop", "token": visitor.token})):
            status, headers, answer = raw_post(server.port, path, body)
            assert status == 503, (path, status, answer)
            assert answer["error"] == "unavailable" and answer["retry_after"] > 0
            assert headers["Access-Control-Allow-Origin"] == ORIGIN
            assert headers["Retry-After"] == str(answer["retry_after"])

        redis_server.resume()
        # The same send again (it was never applied), then the session goes on as before.
        assert visitor.send({"k": "scroll", "i": 5, "x": 0, "y": 10}, expect=None)[0] == 200
        visitor.send({"k": "pointer", "i": 5, "x": 0.5, "y": 0.6})
        got = []
        for _ in range(10):
            got += agent.poll(hold=5)
            if len(got) >= 2:
                break
        assert [e["k"] for e in got] == ["scroll", "pointer"]
        agent.send({"k": "session.end"})
        assert visitor.wait_for("session.ended")["reason"] == "agent"
        # No request crashed (the wake listener may log its own reconnection attempts).
        assert "unhandled error on" not in server.log()
