"""The visitor tag (tag/) in real Chromium against a small scripted fake of the server.

The fake speaks the wire contract of docs/protocol.md (hello, send, poll with cursors) and
records every byte the tag sends, so capture, masking and robustness can be tested without
the full server; tests/test_tag_e2e.py runs the same tag against the real gunicorn server.
"""

from __future__ import annotations

import gzip
import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = ROOT / "tests" / "pages"
TAG = ROOT / "tag"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
EXTRA_FILES = {"/pages/tag_hard.css": (".from-link { color: rgb(7, 7, 7); }", "text/css")}
SECRETS = ["hunter2-pw-secret", "marked-typed-9911", "4111-card-secret", "attr-secret-5150",
           "balance 98765", "textarea-secret-4242", "frame-secret-777", "shadow-pw-3141",
           "script-secret-should-not-leave"]


class FakeServer:
    """hello/send/poll per docs/protocol.md, one visitor, scripted by the test."""

    def __init__(self):
        self.lock = threading.Condition()
        self.bodies: list[bytes] = []       # every request body, decompressed
        self.events: list[dict] = []        # every event the tag sent, in order
        self.outbox: list[dict] = []        # events for the visitor (with s, id)
        self.state = {"conversation": None, "invitation": None, "session": None}
        self.config = {"mask": ["#card"], "hold": 2, "origins": []}
        self.seq = 0
        self.sends = 0
        self.polls = 0
        self.fail_sends = 0                 # answer the next n sends with 503
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.httpd.daemon_threads = True
        self.httpd.handle_error = lambda request, address: None  # the tag aborts requests on purpose
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.config["origins"] = [self.url]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

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
            return 200, {"ok": True, "token": "tok1", "participant": "v_1", "seq": self.seq,
                         "config": self.config, "state": self.state}

    def _send(self, body):
        with self.lock:
            self.sends += 1
            if self.fail_sends:
                self.fail_sends -= 1
                return 503, {"ok": False, "error": "unavailable", "message": "try later"}
            if body["seq"] == self.seq:
                return 200, {"ok": True, "seq": self.seq, "results": [{} for _ in body["events"]]}
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


# --- fixtures -----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def fake():
    server = FakeServer()
    yield server
    server.close()


@pytest.fixture
def page(browser, fake):
    context = browser.new_context()
    pg = context.new_page()
    pg.errors = []
    pg.on("pageerror", lambda exc: pg.errors.append(str(exc)))
    yield pg
    context.close()


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


# --- tests --------------------------------------------------------------------------------

def test_kinds_match_python():
    from cobrowse import protocol

    text = (TAG / "src" / "kinds.js").read_text()

    def js_list(name):
        body = re.search(name + r" = Object\.freeze\(\[(.*?)\]\)", text, re.S).group(1)
        return tuple(re.findall(r'"([^"]+)"', body))

    assert js_list("VISITOR_KINDS") == tuple(protocol.VISITOR_KINDS)
    assert js_list("AGENT_KINDS") == tuple(protocol.AGENT_KINDS)


def test_snapshot_of_a_hard_page(page, fake):
    open_page(page, fake)
    fake.start_session()
    snap = fake.wait_for(lambda: fake.last("snapshot"))
    doc = snap["doc"]
    assert doc["t"] == 9 and doc["c"][0] == {"i": doc["c"][0]["i"], "t": 10, "n": "html"}
    assert snap["url"].endswith("/pages/tag_hard.html") and snap["vw"] > 0 and snap["vh"] > 0
    assert doc["ss"] == [json_css("h1 { letter-spacing: 3px; }")]
    assert "rgb(9, 8, 7)" in by_attr(doc, "id", "cssinjs")["css"]
    assert "css" not in by_attr(doc, "id", "plain")
    link = find(doc, lambda n: n.get("n") == "link")[0]
    assert link["a"]["href"] == f"{fake.url}/pages/tag_hard.css"
    card = by_attr(doc, "id", "card-el")
    assert card["sh"]["t"] == 11 and "rgb(4, 5, 6)" in card["sh"]["ss"][0]
    assert find(card["sh"], lambda n: n.get("x") == "Inside the shadow")
    frame = by_attr(doc, "id", "frame")
    assert frame["d"]["t"] == 9 and find(frame["d"], lambda n: n.get("x") == "Inside the frame")
    assert by_attr(doc, "id", "cv")["img"].startswith("data:image/")
    assert by_attr(doc, "id", "scroller")["sc"] == [0, 40]
    assert by_attr(doc, "id", "name")["p"] == {"value": "initial"}
    assert by_attr(doc, "id", "sel")["p"] == {"selected": [0]}
    scripts = find(doc, lambda n: n.get("n") == "script")
    assert scripts and all(s["c"] == [] for s in scripts)
    ids = [n["i"] for n in walk(doc)]
    assert len(ids) == len(set(ids)) and all(isinstance(i, int) and i > 0 for i in ids)
    raw = json.dumps(snap)
    assert "cobrowse-ui" not in raw and "a comment that must" not in raw
    assert page.errors == []


def json_css(text):
    return text + "\n"


def test_every_mask_kind_keeps_secrets_in_the_browser(page, fake):
    open_page(page, fake)
    fake.start_session()
    fake.wait_for(lambda: fake.last("snapshot"))
    page.fill("#pw", "hunter2-pw-secret")
    page.fill("#marked", "marked-typed-9911")
    page.fill("#card", "4111-card-secret")
    page.fill("#notes", "textarea-secret-4242 more")
    page.locator("x-card input").fill("shadow-pw-3141")
    page.fill("#name", "visible-name")
    page.evaluate("document.querySelector('#maskdiv span').textContent = 'balance 98765 and more'")
    page.evaluate("document.getElementById('marked').setAttribute('value', 'attr-secret-5150')")
    page.evaluate("document.getElementById('pw').type = 'text'")  # a show-password toggle
    page.fill("#pw", "hunter2-pw-secret again")
    fake.wait_for(lambda: "visible-name" in json.dumps(fake.events))
    page.evaluate("CoBrowse.snapshot()")
    time.sleep(0.5)
    fake.wait_for(lambda: fake.kinds().count("snapshot") >= 2)
    wire = b"".join(fake.bodies)
    for secret in SECRETS:
        assert secret.encode() not in wire, secret
    assert "\u2022\u2022\u2022".encode() in wire
    assert page.errors == []


def test_mutations_by_id(page, fake):
    open_page(page, fake)
    fake.start_session()
    doc = fake.wait_for(lambda: fake.last("snapshot"))["doc"]
    dyn = by_attr(doc, "id", "dyn")["i"]
    title = by_attr(doc, "id", "title")
    page.evaluate("""() => {
        const d = document.getElementById('dyn');
        d.innerHTML = '<ul><li>one</li><li>two</li></ul>';
        document.getElementById('title').setAttribute('data-x', '1');
        document.getElementById('title').firstChild.data = 'Changed';
    }""")
    ops = fake.wait_for(lambda: [op for e in fake.events if e["k"] == "mutation" for op in e["m"]])
    add = [op for op in ops if op["o"] == "add"][0]
    assert add["p"] == dyn and add["n"]["n"] == "ul" and len(add["n"]["c"]) == 2
    assert {"o": "attr", "i": title["i"], "a": "data-x", "v": "1"} in ops
    assert {"o": "text", "i": title["c"][0]["i"], "x": "Changed"} in ops
    page.evaluate("document.querySelector('#dyn ul').remove()")
    fake.wait_for(lambda: any(op == {"o": "rm", "i": add["n"]["i"]}
                              for e in fake.events if e["k"] == "mutation" for op in e["m"]))
    page.evaluate("document.getElementById('cssinjs').sheet.insertRule('.later { color: red; }', 0)")
    fake.wait_for(lambda: any(op["o"] == "css" for e in fake.events if e["k"] == "mutation" for op in e["m"]))


def test_chat_invite_and_session_ui(page, fake):
    open_page(page, fake)
    page.get_by_test_id("cobrowse-chat-open").click()
    page.get_by_test_id("cobrowse-chat-input").fill("hello there")
    page.get_by_test_id("cobrowse-chat-send").click()
    fake.wait_for(lambda: fake.last("chat"))
    assert fake.last("chat")["text"] == "hello there"
    page.get_by_test_id("cobrowse-chat-message").filter(has_text="hello there").wait_for()
    with fake.lock:
        fake.state = {"conversation": {"id": "c1", "status": "open"},
                      "invitation": {"id": "inv1", "mode": "shared", "agent": "Alice"}, "session": None}
    fake.push("inbox", k="invite", invitation="inv1", conversation="c1", mode="shared", agent="Alice", text="")
    invite = page.get_by_test_id("cobrowse-invite")
    invite.wait_for()
    assert "see this tab, click and fill in forms with you" in invite.inner_text()
    page.get_by_test_id("cobrowse-accept").click()
    fake.wait_for(lambda: fake.last("invite.accept"))
    assert fake.last("invite.accept")["invitation"] == "inv1"
    fake.start_session(mode="shared")
    page.get_by_test_id("cobrowse-frame").wait_for()
    fake.wait_for(lambda: fake.last("snapshot"))
    page.get_by_test_id("cobrowse-close").click()
    fake.wait_for(lambda: fake.last("session.end"))
    assert page.get_by_test_id("cobrowse-frame").is_hidden()


def test_agent_pointer_and_control(page, fake):
    open_page(page, fake)
    fake.start_session(mode="view")
    doc = fake.wait_for(lambda: fake.last("snapshot"))["doc"]
    name = by_attr(doc, "id", "name")["i"]
    pw = by_attr(doc, "id", "pw")["i"]
    fake.push("s_abc", k="pointer", i=name, x=0.5, y=0.5)
    cursor = page.get_by_test_id("cobrowse-agent-cursor")
    cursor.wait_for()
    assert "Alice" in cursor.inner_text()
    box = page.locator("#name").bounding_box()
    cbox = cursor.bounding_box()
    assert abs(cbox["x"] - (box["x"] + box["width"] / 2)) < 3
    fake.push("s_abc", k="control.input", i=name, value="from-agent")
    time.sleep(0.6)
    assert page.input_value("#name") == "initial"  # view only: refused by the tag too
    with fake.lock:
        fake.state["session"]["mode"] = "shared"
    fake.push("inbox", k="session.mode", session="abc", mode="shared")
    page.evaluate("""() => { window.seen = [];
        document.getElementById('name').addEventListener('input', e => seen.push(e.target.value)); }""")
    fake.push("s_abc", k="control.input", i=name, value="from-agent")
    page.wait_for_function("document.getElementById('name').value === 'from-agent'")
    assert page.evaluate("seen") == ["from-agent"]
    fake.push("s_abc", k="control.input", i=pw, value="typed-by-agent")
    fake.push("s_abc", k="control.navigate", url="javascript:alert(1)")
    time.sleep(0.6)
    assert page.input_value("#pw") == ""
    assert page.errors == []


def test_page_overriding_natives(page, fake):
    page.goto(f"{fake.url}/pages/tag_hostile.html")
    page.wait_for_function("window.CoBrowse && window.CoBrowse.version")
    fake.wait_for(lambda: fake.polls >= 1)
    fake.start_session()
    snap = fake.wait_for(lambda: fake.last("snapshot"))
    assert snap["doc"]["t"] == 9
    page.fill("#name", "typed on a hostile page")
    fake.wait_for(lambda: "typed on a hostile page" in json.dumps(fake.events))
    page.get_by_test_id("cobrowse-chat-open").click()
    page.get_by_test_id("cobrowse-chat-input").fill("still works")
    page.get_by_test_id("cobrowse-chat-send").click()
    fake.wait_for(lambda: fake.last("chat"))


def test_dead_server_does_not_hurt_the_page(browser):
    server = FakeServer()
    url = server.url
    context = browser.new_context()
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.route("**/api/v1/**", lambda route: route.abort())
    page.goto(f"{url}/pages/tag_hard.html")
    page.wait_for_function("window.CoBrowse && window.CoBrowse.version")
    page.get_by_test_id("cobrowse-chat-open").click()
    page.get_by_test_id("cobrowse-status").wait_for()
    page.fill("#name", "still typing")
    assert page.input_value("#name") == "still typing"
    time.sleep(2)
    assert errors == []
    context.close()
    server.close()


def test_send_retries_with_the_same_seq(page, fake):
    open_page(page, fake)
    fake.fail_sends = 2
    page.get_by_test_id("cobrowse-chat-open").click()
    page.get_by_test_id("cobrowse-chat-input").fill("retry me")
    page.get_by_test_id("cobrowse-chat-send").click()
    fake.wait_for(lambda: fake.last("chat"), timeout=15)
    assert fake.kinds().count("chat") == 1 and fake.sends == 3


def expand_ids(node, last=-1):
    """Reference decoder for implicit ids (hello config.implicit_ids): a node without "i"
    has the id written before it + 1, in pre-order node, c..., d, sh."""
    if "i" not in node:
        node["i"] = last + 1
    last = node["i"]
    for child in node.get("c") or []:
        last = expand_ids(child, last)
    for key in ("d", "sh"):
        if node.get(key):
            last = expand_ids(node[key], last)
    return last


def test_implicit_ids_round_trip(page, fake):
    open_page(page, fake)
    fake.start_session()
    explicit = fake.wait_for(lambda: fake.last("snapshot"))["doc"]
    fake.config["implicit_ids"] = True
    page.reload()
    page.wait_for_function("window.CoBrowse && window.CoBrowse.version")
    fake.wait_for(lambda: fake.kinds().count("snapshot") >= 2)
    implicit = fake.last("snapshot")["doc"]
    assert sum(1 for n in walk(implicit) if "i" in n) < 5
    expand_ids(implicit)
    shape = lambda doc: [(n.get("t"), n.get("n"), n.get("x")) for n in walk(doc)]  # noqa: E731
    assert shape(implicit) == shape(explicit)
    ids = [n["i"] for n in walk(implicit)]
    assert len(ids) == len(set(ids))
