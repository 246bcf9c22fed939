"""The visitor tag in real Chromium against the real server (gunicorn + gevent, demo mode):
chat, invitation, consent, capture and masking end to end (with the embedded broker and with
Redis, whose every key is then searched for the secrets), the agent's pointer and control,
navigation in the same tab, a duplicated tab that must not join, and network loss."""

from __future__ import annotations

import gzip
import json
import time
import uuid
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import redis

from tests.support.actors import Agent, http_transport
from tests.support.servers import Gunicorn

PAGES = Path(__file__).resolve().parent / "pages"
PASSWORD = "demo-password-for-tests"
SERVER_ENV = {"COBROWSE_DEMO_PASSWORD": PASSWORD, "COBROWSE_POLL_HOLD": "5"}
SECRETS = ["hunter2-pw-secret", "marked-typed-9911", "attr-secret-5150", "balance 98765",
           "textarea-secret-4242", "frame-secret-777", "shadow-pw-3141"]


@pytest.fixture(scope="module")
def server():
    with Gunicorn(env=SERVER_ENV) as g:
        yield g


@pytest.fixture(scope="module")
def redis_server(redis_url):
    with Gunicorn(redis_url, env=SERVER_ENV) as g:
        g.redis_url = redis_url
        yield g


class Wire:
    """Every byte the tag sent to the server, decompressed."""

    def __init__(self):
        self.bodies: list[bytes] = []

    def __call__(self, request):
        if "/api/" not in request.url or request.method != "POST":
            return
        body = request.post_data_buffer or b""
        if parse_qs(urlsplit(request.url).query).get("z") == ["1"]:
            body = gzip.decompress(body)
        self.bodies.append(body)

    def joined(self):
        return b"".join(self.bodies)


def browser_context(browser, server):
    """A context whose /pages/ are the test pages, on the server's origin."""
    ctx = browser.new_context()

    def serve(route):
        name = urlsplit(route.request.url).path.rsplit("/", 1)[-1]
        if name.endswith(".css"):
            return route.fulfill(body=".from-link{color:red}", content_type="text/css")
        file = PAGES / name
        if not file.is_file():
            return route.fulfill(status=404, body="no")
        route.fulfill(body=file.read_text(), content_type="text/html; charset=utf-8")

    ctx.route(f"{server.url}/pages/**", serve)
    return ctx


@pytest.fixture
def context(browser, server):
    ctx = browser_context(browser, server)
    yield ctx
    ctx.close()


def new_page(context):
    page = context.new_page()
    page.errors = []
    page.wire = Wire()
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))
    page.on("request", page.wire)
    return page


def agent_for(server):
    agent = Agent(http_transport(server.url), origin=server.url)
    agent.login("demo", PASSWORD)
    return agent


def poll_until(actor, predicate, timeout=15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        actor.poll(hold=1)
        found = [e for e in actor.seen if predicate(e)]
        if found:
            return found[-1]
    raise AssertionError(f"not seen; kinds {actor.kinds()}")


def wait_until(page, predicate, timeout=10.0):
    """Wait for ``predicate``, letting Playwright deliver the page's events meanwhile (the
    sync API dispatches them, e.g. to Wire, only inside its own calls, never in sleep)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        page.wait_for_timeout(50)


def start_session(server, page, mode="shared"):
    text = f"hello, I need help ({uuid.uuid4().hex[:8]})"
    page.get_by_test_id("cobrowse-chat-open").click()
    page.get_by_test_id("cobrowse-chat-input").fill(text)
    page.get_by_test_id("cobrowse-chat-send").click()
    page.get_by_test_id("cobrowse-chat-message").filter(has_text=text).wait_for()
    agent = agent_for(server)
    agent.send({"k": "session.end"}, expect=None)  # the demo agent may still be in an earlier test's session
    conv = [c for c in agent.conversations() if (c.get("last") or {}).get("text") == text][0]
    agent.send({"k": "conversation.take", "conversation": conv["id"]})
    agent.send({"k": "invite", "conversation": conv["id"], "mode": mode})
    invite = page.get_by_test_id("cobrowse-invite")
    invite.wait_for(timeout=10000)
    words = "see this tab, click and fill in forms with you" if mode == "shared" else "see this tab"
    assert words in invite.inner_text()
    page.get_by_test_id("cobrowse-accept").click()
    page.get_by_test_id("cobrowse-frame").wait_for(timeout=10000)
    snap = poll_until(agent, lambda e: e["k"] == "snapshot")
    return agent, snap


def walk(node):
    yield node
    for child in node.get("c") or []:
        yield from walk(child)
    for key in ("sh", "d"):
        if node.get(key):
            yield from walk(node[key])


def redis_dump(url: str) -> bytes:
    """Every key, value, hash field, list/set member and stream entry in the Redis database."""
    client = redis.Redis.from_url(url)
    chunks: list[bytes] = []
    try:
        for key in client.scan_iter(count=1000):
            chunks.append(key)
            kind = client.type(key)
            if kind == b"string":
                chunks.append(client.get(key) or b"")
            elif kind == b"hash":
                for field, value in client.hgetall(key).items():
                    chunks += [field, value]
            elif kind == b"list":
                chunks += client.lrange(key, 0, -1)
            elif kind == b"set":
                chunks += client.smembers(key)
            elif kind == b"zset":
                chunks += client.zrange(key, 0, -1)
            elif kind == b"stream":
                for entry_id, fields in client.xrange(key):
                    chunks.append(entry_id)
                    for field, value in fields.items():
                        chunks += [field, value]
    finally:
        client.close()
    return b"\n".join(chunks)


@pytest.mark.parametrize("backend", ["memory", "redis"])
def test_session_capture_masking_and_agent_control(backend, request, browser):
    server = request.getfixturevalue("server" if backend == "memory" else "redis_server")
    context = browser_context(browser, server)
    request.addfinalizer(context.close)
    page = new_page(context)
    page.goto(f"{server.url}/pages/tag_hard.html")
    agent, snap = start_session(server, page)
    doc = snap["doc"]
    texts = [n.get("x") for n in walk(doc)]
    assert "Inside the shadow" in texts and "Inside the frame" in texts
    name_id = [n for n in walk(doc) if (n.get("a") or {}).get("id") == "name"][0]["i"]

    page.fill("#pw", "hunter2-pw-secret")
    page.fill("#marked", "marked-typed-9911")
    page.fill("#notes", "textarea-secret-4242")
    page.locator("x-card input").fill("shadow-pw-3141")
    page.evaluate("document.getElementById('marked').setAttribute('value', 'attr-secret-5150')")
    page.evaluate("document.querySelector('#maskdiv span').textContent = 'balance 98765 again'")
    page.fill("#name", "visible-name")
    poll_until(agent, lambda e: e["k"] == "mutation" and "visible-name" in str(e))

    agent.send({"k": "pointer", "i": name_id, "x": 0.5, "y": 0.5})
    cursor = page.get_by_test_id("cobrowse-agent-cursor")
    cursor.wait_for(timeout=10000)
    assert "Demo Agent" in cursor.inner_text()
    agent.send({"k": "control.input", "i": name_id, "value": "typed by the agent"})
    page.wait_for_function("document.getElementById('name').value === 'typed by the agent'")

    page.wait_for_timeout(100)  # deliver the last request events to Wire
    wire = page.wire.joined()
    received = json.dumps(agent.seen, ensure_ascii=False).encode()
    stored = redis_dump(server.redis_url) if backend == "redis" else b""
    if backend == "redis":
        assert b"visible-name" in stored  # the search does see the session's events
    for secret in SECRETS:
        assert secret.encode() not in wire, secret
        assert secret.encode() not in received, secret
        assert secret.encode() not in stored, secret
    assert page.errors == []

    page.get_by_test_id("cobrowse-close").click()
    poll_until(agent, lambda e: e["k"] == "session.ended")
    if backend == "redis":
        stored = redis_dump(server.redis_url)
        assert not [s for s in SECRETS if s.encode() in stored]


def test_session_follows_the_tab_and_a_duplicated_tab_does_not_join(server, context):
    page = new_page(context)
    page.goto(f"{server.url}/pages/tag_hard.html")
    agent, first = start_session(server, page, mode="view")
    page.goto(f"{server.url}/pages/tag_hostile.html")
    page.get_by_test_id("cobrowse-frame").wait_for(timeout=10000)
    again = poll_until(agent, lambda e: e["k"] == "snapshot" and e["url"].endswith("tag_hostile.html"))
    assert again["s"] == first["s"]

    # Chrome's "Duplicate tab" copies sessionStorage, token and all, into the new tab.
    stored = page.evaluate("window.__realStringify(Object.entries(sessionStorage))")  # a hostile page
    token = json.loads(dict(json.loads(stored))["cobrowse:demo"])["token"]
    assert token and page.evaluate("CoBrowse.info().session") is not None
    dup = new_page(context)
    dup.add_init_script(f"""if (location.origin === {json.dumps(server.url)} && !sessionStorage.length)
        for (const [k, v] of {stored}) sessionStorage.setItem(k, v);""")
    dup.goto(f"{server.url}/pages/tag_hard.html")
    dup.wait_for_function("window.CoBrowse && CoBrowse.info && CoBrowse.info().state")
    # It says hello as a new visitor (and, with no conversation, holds no poll: issue 16).
    dup.wait_for_function("""(old) => { const t = sessionStorage.getItem('cobrowse:demo');
        return t && JSON.parse(t).token && JSON.parse(t).token !== old; }""", arg=token)
    assert dup.evaluate("CoBrowse.info().session") is None
    assert dup.get_by_test_id("cobrowse-frame").is_hidden()
    tokens = [json.loads(b).get("token") for b in dup.wire.bodies if b.startswith(b"{")]
    assert tokens and token not in tokens, tokens
    assert not any(b'"cursors"' in b for b in dup.wire.bodies)
    assert dup.evaluate("JSON.parse(sessionStorage.getItem('cobrowse:demo')).token") not in (None, token)
    # The original tab keeps its session.
    assert page.get_by_test_id("cobrowse-frame").is_visible()
    assert page.evaluate("CoBrowse.info().session") is not None

    # The original tab is too busy to answer in time: the copy starts with the token, then
    # the late answer sends it away as a new visitor all the same.
    late = new_page(context)
    late.add_init_script(f"""if (location.origin === {json.dumps(server.url)} && !sessionStorage.length)
        for (const [k, v] of {stored}) sessionStorage.setItem(k, v);""")
    page.evaluate("""() => {  // a long task, soon (this page broke setTimeout on purpose)
        const c = new MessageChannel();
        c.port1.onmessage = () => { const end = Date.now() + 1500; while (Date.now() < end); };
        c.port2.postMessage(0);
    }""")
    late.goto(f"{server.url}/pages/tag_hard.html")
    late.wait_for_function("""(old) => { const t = sessionStorage.getItem('cobrowse:demo');
        return t && JSON.parse(t).token && JSON.parse(t).token !== old; }""", arg=token,
                           timeout=15000)
    late.wait_for_function("CoBrowse.info().state && !CoBrowse.info().session")
    assert late.get_by_test_id("cobrowse-frame").is_hidden()
    assert page.evaluate("CoBrowse.info().session") is not None
    # and if the copy did send its page meanwhile, the original tab sent its own again
    if any(token in b.decode() for b in late.wire.bodies if b'"snapshot"' in b):
        poll_until(agent, lambda e: e["k"] == "snapshot" and e["id"] > again["id"]
                   and e["url"].endswith("tag_hostile.html"))


def test_network_loss_and_recovery(server, context):
    page = new_page(context)
    page.goto(f"{server.url}/pages/tag_hard.html")
    agent, _ = start_session(server, page)
    context.route("**/api/v1/**", lambda route: route.abort("internetdisconnected"))
    blocked = time.monotonic()
    for n in range(3):
        page.get_by_test_id("cobrowse-chat-input").fill(f"during the outage {n}")
        page.get_by_test_id("cobrowse-chat-send").click()
    page.evaluate("document.getElementById('dyn').textContent = 'changed offline'")
    page.get_by_test_id("cobrowse-status").wait_for(timeout=30000)
    time.sleep(max(0.0, 20 - (time.monotonic() - blocked)))  # a 20 s outage in all
    context.unroute("**/api/v1/**")
    page.evaluate("window.dispatchEvent(new Event('online'))")
    poll_until(agent, lambda e: e["k"] == "chat" and e["text"] == "during the outage 2", timeout=45)
    poll_until(agent, lambda e: e["k"] == "mutation" and "changed offline" in str(e), timeout=15)
    texts = [e["text"] for e in agent.seen if e["k"] == "chat"]
    for n in range(3):
        assert texts.count(f"during the outage {n}") == 1
    page.get_by_test_id("cobrowse-status").wait_for(state="hidden", timeout=15000)
    assert page.errors == []


def test_the_session_frame_leaves_the_page_clickable(server, browser):
    """The frame's bar sits small in the bottom-left corner and only its buttons take clicks:
    at 1100x800 the demo's navigation links stay clickable (no force) during a session."""
    context = browser.new_context(viewport={"width": 1100, "height": 800})
    try:
        page = new_page(context)
        page.goto(f"{server.url}/demo/index.html")
        agent, _ = start_session(server, page, mode="view")
        toggle = page.get_by_test_id("cobrowse-frame-toggle").bounding_box()
        close = page.get_by_test_id("cobrowse-close").bounding_box()
        assert toggle["x"] < 20 and close["y"] > 800 - 40 and close["height"] <= 24
        assert close["x"] + close["width"] < 400  # one short line in the bottom-left corner
        bar = page.get_by_test_id("cobrowse-mode")
        assert "Demo Agent can see this tab" == bar.inner_text()
        for link in ("#nav-home", "#nav-travel", "#nav-insurance", "#nav-shop", "#nav-help", "#nav-signup"):
            page.locator(link).click(trial=True, timeout=3000)  # actionability: nothing of ours on top
        page.get_by_test_id("cobrowse-frame-toggle").click()  # folds the label into a pill
        assert bar.is_hidden() and page.get_by_test_id("cobrowse-close").is_visible()
        page.locator("#nav-travel").click(timeout=3000)
        page.wait_for_url("**/demo/travel.html")
        poll_until(agent, lambda e: e["k"] == "snapshot" and e["url"].endswith("/travel.html"))
        assert page.get_by_test_id("cobrowse-frame").is_visible()
        page.get_by_test_id("cobrowse-close").click()
        poll_until(agent, lambda e: e["k"] == "session.ended")
        assert page.errors == []
    finally:
        context.close()
