"""A small scripted fake of the server for the visitor tag's browser tests.

It speaks the wire contract of docs/protocol.md (hello, send, poll with cursors) for one
visitor and records every byte the tag sends, so capture, masking and robustness can be
tested in real Chromium without the full server (tests/test_tag_e2e.py runs the real one).
"""

from __future__ import annotations

import gzip
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

ROOT = Path(__file__).resolve().parents[2]
PAGES = ROOT / "tests" / "pages"
TAG = ROOT / "tag"
EXTRA_FILES = {"/pages/tag_hard.css": (".from-link { color: rgb(7, 7, 7); }", "text/css")}


class FakeServer:
    """hello/send/poll per docs/protocol.md, one visitor, scripted by the test."""

    def __init__(self):
        self.lock = threading.Condition()
        self.bodies: list[bytes] = []       # every request body, decompressed
        self.hellos: list[dict] = []        # every hello body
        self.events: list[dict] = []        # every event the tag sent, in order
        self.outbox: list[dict] = []        # events for the visitor (with s, id)
        # In a conversation by default: an idle tag (nothing to receive) holds no poll.
        self.state = {"conversation": {"id": "c1", "status": "open"}, "invitation": None, "session": None}
        self.config = {"mask": ["#card"], "hold": 2, "origins": []}
        self.seq = 0
        self.sends = 0
        self.polls = 0
        self.fail_sends = 0                 # answer the next n sends with 503
        self.refuse_fills = 0               # answer the next n sends of fill ops with 400
        self.parts: dict[str, dict[int, str]] = {}   # upload id -> index -> slice
        self.requests: list[str] = []       # "send", "part", "poll", in order
        self.part_delay = 0.0               # seconds each part takes (a slow uplink)
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.httpd.daemon_threads = True
        self.httpd.handle_error = lambda request, address: None  # the tag aborts requests on purpose
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.config["origins"] = [self.url]
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05},
                         daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()

    def push(self, stream: str, **event):
        with self.lock:
            ids = [e["id"] for e in self.outbox if e["s"] == stream]
            self.outbox.append({"s": stream, "id": (max(ids) if ids else 0) + 1, **event})
            self.lock.notify_all()

    def start_session(self, mode="view", sid="abc"):
        with self.lock:
            self.state = {"conversation": {"id": "c1", "status": "open"}, "invitation": None,
                          "session": {"id": sid, "mode": mode, "agent": "Alice", "visitor": "here"}}
        self.push("inbox", k="session.started", session=sid, conversation="c1", mode=mode, agent="Alice")

    def ops(self):
        """Every mutation op the tag sent, in order."""
        with self.lock:
            return [op for e in self.events if e["k"] == "mutation" for op in e["m"]]

    def kinds(self):
        return [e["k"] for e in self.events]

    def last(self, kind):
        found = [e for e in self.events if e["k"] == kind]
        return found[-1] if found else None

    def wait_for(self, predicate, timeout=10.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                value = predicate()
            if value:
                return value
            time.sleep(0.05)
        raise AssertionError(f"timed out; tag sent kinds {self.kinds()}")

    # --- HTTP ------------------------------------------------------------------------------

    def _handler(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _reply(self, status, body, ctype="application/json"):
                data = body if isinstance(body, bytes) else (
                    body.encode() if isinstance(body, str) else json.dumps(body).encode())
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Cache-Control", "no-store")
                self.send_header("Access-Control-Allow-Origin", "*")
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                path = urlsplit(self.path).path
                if path in EXTRA_FILES:
                    text, ctype = EXTRA_FILES[path]
                    return self._reply(200, text, ctype)
                base, prefix = (TAG, "/tag/") if path.startswith("/tag/") else (PAGES, "/pages/")
                file = (base / path[len(prefix):]).resolve()
                if not path.startswith(prefix) or base not in file.parents or not file.is_file():
                    return self._reply(404, "not found", "text/plain")
                ctype = "text/javascript" if file.suffix == ".js" else "text/html; charset=utf-8"
                self._reply(200, file.read_bytes(), ctype)

            def do_POST(self):
                url = urlsplit(self.path)
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if parse_qs(url.query).get("z") == ["1"]:
                    raw = gzip.decompress(raw)
                with server.lock:
                    server.bodies.append(raw)
                body = json.loads(raw)
                name = url.path.rsplit("/", 1)[-1]
                self._reply(*getattr(server, "_" + name)(body))

        return Handler

    def _hello(self, body):
        with self.lock:
            self.hellos.append(body)
            return 200, {"ok": True, "token": "tok1", "participant": "v_1", "seq": self.seq,
                         "config": self.config, "state": self.state}

    def _send(self, body):
        if "part" in body:  # docs/protocol.md "Parts and lanes"
            time.sleep(self.part_delay)
            with self.lock:
                self.requests.append("part")
                index, count = body["part"]
                got = self.parts.setdefault(body["upload"], {})
                got[index] = body["data"]
                if index < count - 1:
                    return 200, {"ok": True, "upload": body["upload"], "part": [index, count]}
                missing = [i for i in range(count) if i not in got]
                if missing:
                    return 409, {"ok": False, "error": "parts", "missing": missing, "message": "parts"}
                events = json.loads("".join(got[i] for i in range(count)))
            return self._send({"token": body["token"], "seq": body["seq"], "events": events, "whole": True})
        with self.lock:
            if not body.get("whole"):
                self.requests.append("send")
            self.sends += 1
            if self.fail_sends:
                self.fail_sends -= 1
                return 503, {"ok": False, "error": "unavailable", "message": "try later"}
            if body["seq"] == self.seq:
                return 200, {"ok": True, "seq": self.seq, "results": [{} for _ in body["events"]]}
            if self.refuse_fills and body["seq"] == self.seq + 1 and any(
                    e["k"] == "mutation" and e["m"] and e["m"][0].get("o") == "fill"
                    for e in body["events"]):
                self.refuse_fills -= 1
                self.seq = body["seq"]  # a refusal consumes the seq
                self.requests.append("refused")
                return 400, {"ok": False, "error": "bad_mutation", "index": 0,
                             "message": "mutation refused: not a pending shell"}
            if body["seq"] != self.seq + 1:
                return 409, {"ok": False, "error": "seq", "expected": self.seq + 1, "message": "seq"}
            self.seq = body["seq"]
            self.events.extend(body["events"])
            for ev in body["events"]:
                if ev["k"] == "chat":
                    self.outbox.append({"s": "inbox", "id": len(self.outbox) + 1000, "k": "chat",
                                        "from": "visitor", "text": ev["text"]})
            self.lock.notify_all()
            return 200, {"ok": True, "seq": self.seq, "results": [{} for _ in body["events"]]}

    def _poll(self, body):
        cursors = body.get("cursors") or {}
        with self.lock:
            self.requests.append("poll")
            self.polls += 1
            deadline = time.monotonic() + min(body.get("hold", 2), 2)
            while True:
                fresh = [e for e in self.outbox if e["id"] > cursors.get(e["s"], 0)]
                if fresh or time.monotonic() >= deadline:
                    break
                self.lock.wait(deadline - time.monotonic())
            out = dict(cursors)
            for e in fresh:
                out[e["s"]] = max(out.get(e["s"], 0), e["id"])
            return 200, {"ok": True, "events": fresh, "cursors": out, "state": self.state}


def open_page(page, fake, name="tag_hard.html"):
    page.goto(f"{fake.url}/pages/{name}")
    page.wait_for_function("window.CoBrowse && window.CoBrowse.version")
    fake.wait_for(lambda: fake.polls >= 1)


def walk(node):
    yield node
    for key in ("c",):
        for child in node.get(key) or []:
            yield from walk(child)
    for key in ("sh", "d"):
        if node.get(key):
            yield from walk(node[key])


def find(doc, predicate):
    return [n for n in walk(doc) if predicate(n)]


def by_attr(doc, name, value):
    found = find(doc, lambda n: n.get("t") == 1 and (n.get("a") or {}).get(name) == value)
    assert found, f"no element with {name}={value}"
    return found[0]
