"""A visitor and an agent as test actors, speaking the protocol over any transport.

``transport(path, body, headers) -> (status, json)`` is either the Flask test client or real
HTTP (``http_transport``), so the same scenario runs in-process and through gunicorn.
"""

from __future__ import annotations

import gzip
import http.client
import json
from urllib.parse import urlsplit


def flask_transport(client):
    def post(path, body, headers=None, raw=None, method="POST"):
        data = raw if raw is not None else json.dumps(body)
        headers = {"Content-Type": "text/plain;charset=UTF-8", **(headers or {})}
        if method == "GET":
            response = client.get(path, headers=headers)
        else:
            response = client.post(path, data=data, headers=headers)
        try:
            payload = response.get_json(force=True) if response.data else None
        except Exception:
            payload = None
        return response.status_code, payload
    return post


def http_transport(base_url: str, timeout: float = 40.0):
    parts = urlsplit(base_url)

    def post(path, body, headers=None, raw=None, method="POST"):
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
        data = raw if raw is not None else json.dumps(body).encode()
        try:
            conn.request(method, path, body=None if method == "GET" else data, headers={
                "Content-Type": "text/plain;charset=UTF-8", "Accept-Encoding": "gzip",
                **(headers or {})})
            response = conn.getresponse()
            content = response.read()
            if response.getheader("Content-Encoding") == "gzip":
                content = gzip.decompress(content)
            return response.status, json.loads(content) if content else None
        finally:
            conn.close()
    return post


class Participant:
    """Shared by both roles: seq-numbered sends and cursor-tracking polls."""

    origin: str | None = None

    def __init__(self, transport):
        self.post = transport
        self.token = None
        self.seq = 0
        self.cursors: dict[str, int] = {}
        self.seen: list[dict] = []
        self.state: dict = {}

    def headers(self):
        return {"Origin": self.origin} if self.origin else {}

    def send(self, *events, seq=None, expect=200):
        if seq is None:
            self.seq += 1
            seq = self.seq
        status, body = self.post("/api/v1/send", {"token": self.token, "seq": seq,
                                                  "events": list(events)}, self.headers())
        assert expect is None or status == expect, (status, body)
        return body if expect is not None else (status, body)

    def send_in_parts(self, events, slice_len, *, upload="u1", order=None, skip=(), expect=200):
        """Send ``events`` as one big send cut into parts (docs/protocol.md "Parts and lanes"):
        the parts before the last in ``order`` (default: in index order), leaving out the
        indexes in ``skip``, then the last part with the seq. Returns the last part's answer."""
        text = json.dumps(events)
        slices = [text[at:at + slice_len] for at in range(0, len(text), slice_len)]
        count = len(slices)
        for index in (order if order is not None else range(count - 1)):
            if index in skip:
                continue
            status, body = self.post("/api/v1/send", {"token": self.token, "upload": upload,
                                     "part": [index, count], "data": slices[index]}, self.headers())
            assert status == 200 and body["part"] == [index, count], (status, body)
        self.seq += 1
        status, body = self.post("/api/v1/send", {
            "token": self.token, "seq": self.seq, "upload": upload, "part": [count - 1, count],
            "data": slices[-1]}, self.headers())
        if status == 409:
            self.seq -= 1  # not applied: the seq is not consumed
        assert expect is None or status == expect, (status, body)
        return body if expect is not None else (status, body)

    def poll(self, hold=0):
        status, body = self.post("/api/v1/poll", {"token": self.token, "cursors": self.cursors,
                                                  "hold": hold}, self.headers())
        assert status == 200, (status, body)
        fresh = [e for e in body["events"] if e["id"] > self.cursors.get(e["s"], 0)]
        self.cursors.update(body["cursors"])
        self.seen.extend(fresh)
        self.state = body["state"]
        return fresh

    def wait_for(self, kind: str, hold: float = 5, rounds: int = 10) -> dict:
        """Poll until an event of ``kind`` has come (at most ``rounds`` polls); returns it."""
        for _ in range(rounds):
            if any(e["k"] == kind for e in self.seen):
                break
            self.poll(hold=hold)
        return self.last(kind)

    def kinds(self, events=None):
        return [e["k"] for e in (self.seen if events is None else events)]

    def last(self, kind):
        return [e for e in self.seen if e["k"] == kind][-1]


class Visitor(Participant):
    def __init__(self, transport, site="shop", origin="http://shop.example"):
        super().__init__(transport)
        self.site, self.origin = site, origin

    def hello(self, token=None, expect=200):
        status, body = self.post("/api/v1/visitor/hello", {"site": self.site, "token": token,
                                 "url": f"{self.origin}/page"}, self.headers())
        assert status == expect, (status, body)
        if status == 200:
            self.token, self.seq = body["token"], body["seq"]
            self.state = body["state"]
        return body


class Agent(Participant):
    def __init__(self, transport, origin=None):
        super().__init__(transport)
        self.origin = origin

    def login(self, name, password, expect=200):
        status, body = self.post("/workspace/api/login", {"username": name, "password": password},
                                 {"Content-Type": "application/json", **self.headers()})
        assert status == expect, (status, body)
        if status == 200:
            self.token, self.seq = body["token"], body["seq"]
        return body

    def conversations(self):
        status, body = self.post("/api/v1/agent/conversations", {"token": self.token}, self.headers())
        assert status == 200, body
        return body["conversations"]

    def transcript(self, cid):
        status, body = self.post("/api/v1/agent/transcript", {"token": self.token, "conversation": cid},
                                 self.headers())
        assert status == 200, body
        return body["messages"]


def pooled_transport(base_url: str, timeout: float = 40.0):
    """Like ``http_transport`` but over kept-alive connections, as browsers do: a load
    generator that opened a TCP connection per request would measure itself, not the server."""
    parts = urlsplit(base_url)
    idle: list[http.client.HTTPConnection] = []

    def post(path, body, headers=None, raw=None, method="POST"):
        conn = idle.pop() if idle else http.client.HTTPConnection(parts.hostname, parts.port,
                                                                  timeout=timeout)
        data = raw if raw is not None else json.dumps(body).encode()
        try:
            conn.request(method, path, body=None if method == "GET" else data, headers={
                "Content-Type": "text/plain;charset=UTF-8", "Accept-Encoding": "gzip",
                **(headers or {})})
            response = conn.getresponse()
            content = response.read()
        except (OSError, http.client.HTTPException):
            conn.close()
            raise
        if response.getheader("Content-Encoding") == "gzip":
            content = gzip.decompress(content)
        if response.will_close:
            conn.close()
        else:
            idle.append(conn)
        return response.status, json.loads(content) if content else None
    return post


def http_pair(server, agent_name: str, password: str, origin: str) -> tuple[Visitor, Agent]:
    """Through a real server (tests/support/servers.py): the site ``shop`` for ``origin``, the
    agent ``agent_name`` added with the CLI as an operator would, a visitor said hello and the
    agent signed in."""
    from tests.support.servers import cli

    assert cli(["site", "add", "shop", "--origin", origin], server.env).returncode == 0
    added = cli(["agent", "add", agent_name, "--password-stdin"], server.env, stdin=password + "\n")
    assert added.returncode == 0, added.stderr
    visitor = Visitor(http_transport(server.url), origin=origin)
    visitor.hello()
    agent = Agent(http_transport(server.url))
    agent.login(agent_name, password)
    return visitor, agent
