"""The XSS corpora (../shared/corpora/xss, and ../shared/corpora/xss-more since issue 10) end
to end in real Chromium (issue 4, Tests):

(a) through the real product: each payload placed in a page of the demo site by the page
    itself, captured by the real tag (in the snapshot, then again as added subtrees and as
    attribute changes), sent through real gunicorn, rebuilt in the real workspace;
(b) crafted over HTTP: a visitor that bypasses the tag posts snapshot and mutation events
    made from the same payloads straight to /api/v1/send; the real workspace renders them.

In both, for every chunk of ~100 payloads: no dialog in the agent's browser, no script run
(a canary on alert/confirm/prompt/print/open in every frame; no <script>, on* attribute or
javascript: URL in the replica's documents; no blocked script in the console), no request
from the agent's browser outside the server's own origins, and the chunk's markers (and
every payload's container) did arrive in the replica.

And each wall is counted on its own (issue 10; tests/corpus_walls.py): every event the
server delivered to the agent is read from the agent's poll responses and checked, per
payload, by the independent checker. A payload still dangerous there was stopped, if at
all, only by the replica's own policy, sandbox or CSP: that is a sanitizer failure, and the
test fails on it. What the tag sent (or the crafted events) is counted too, for the report.
"""

from __future__ import annotations

import time

import pytest

from tests.acceptance.flows import agent_invite, agent_take, visitor_accept, visitor_chat
from tests.corpus_browser_support import (
    ADD_LATE_JS,
    ATTR,
    LATE,
    LOADER_JS,
    MARK_JS,
    SET_ATTRIBUTES_JS,
    SNAP,
    VISITOR_CSP,
    AgentWatch,
    chunk_page,
    chunks,
    crafted_mutations,
    crafted_snapshot,
    inspect,
    wait_marker,
)
from tests.corpus_walls import Walls
from tests.sanitize_corpus_support import Ids, fill, load_more_payloads, load_payloads
from tests.support.actors import Visitor, http_transport
from tests.support.servers import Gunicorn

pytestmark = [pytest.mark.browser, pytest.mark.slow,
              # tests/support/servers.py keeps its log file open for the server's life.
              pytest.mark.filterwarnings("ignore::ResourceWarning"),
              pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")]

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
PASSWORD = "demo-password-for-tests"
PAYLOADS = load_payloads() + load_more_payloads()
#: Payloads per page: big pages keep the run short (one navigation, snapshot and check each).
CHUNK = 200


def filled(server) -> list[tuple[str, str]]:
    """The payloads with the xss-more placeholders filled in for this server's demo site."""
    return [(name, fill(html, server.base, server.base)) for name, html in PAYLOADS]


def walls_for(server) -> Walls:
    return Walls({k: name for k, (name, _) in enumerate(PAYLOADS)}, server.origins)


def verdict(walls: Walls, what: str) -> None:
    """Print the wall count; fail on every payload the server let through to the agent."""
    print("\n" + walls.report(what))
    failures = walls.failures()
    for name, found in list(failures.items())[:40]:
        print(f"   server let through {name}: {found}")
    assert failures == {}, (f"{what}: {len(failures)} payloads reached the agent dangerous "
                            f"(stopped, if at all, only by the replica): {list(failures)[:20]}")
    assert sum(walls.unowned["delivered"].values()) == 0, walls.unowned["delivered"]


@pytest.fixture
def server():
    with Gunicorn(env={"COBROWSE_DEMO_PASSWORD": PASSWORD, "COBROWSE_POLL_HOLD": "10"}) as g:
        g.base = f"http://localhost:{g.port}"
        g.origins = (g.base, f"http://127.0.0.1:{g.port}")
        yield g


@pytest.fixture
def agent(browser, server):
    """The real workspace signed in as the demo agent, in a context of its own, watched."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.set_default_timeout(20000)
    watch = AgentWatch(context, server.origins)
    page = context.new_page()
    page.goto(f"{server.base}/workspace/")
    page.get_by_test_id("login-username").fill("demo")
    page.get_by_test_id("login-password").fill(PASSWORD)
    page.get_by_test_id("login-submit").click()
    page.get_by_test_id("logout").wait_for()
    page.watch = watch
    yield page
    context.close()


def check_walls(agent, watch: AgentWatch, what: str, expect_boxes: int):
    """The three assertions (dialog, script, requests) plus: the chunk did arrive."""
    agent.wait_for_timeout(150)  # let image loads and errors of the last ops happen
    now = inspect(agent)
    assert watch.dialogs == [], f"{what}: dialogs in the agent's browser {watch.dialogs}"
    assert now["canary"] == [], f"{what}: script ran in the workspace {now['canary']}"
    assert now["bad"] == [], f"{what}: dangerous constructs in the replica {now['bad'][:20]}"
    assert watch.scripts_tried() == [], f"{what}: scripts blocked by a wall {watch.scripts_tried()[:5]}"
    assert watch.outside == [], f"{what}: requests outside the allow-list {watch.outside[:10]}"
    assert agent.url.endswith("/workspace/"), f"{what}: the workspace navigated to {agent.url}"
    assert now["payloads"] == expect_boxes, (what, "payload containers in the replica",
                                             now["payloads"], expect_boxes)
    assert now["late"] == expect_boxes, (what, "late containers", now["late"], expect_boxes)


def test_corpora_through_the_tag(browser, server, agent):
    started = time.monotonic()
    walls = walls_for(server)
    parts = chunks(filled(server), CHUNK)
    pages = {f"/demo/cbx-{n}.html": chunk_page(n, part) for n, part in enumerate(parts)}
    # The session starts on a clean page: payloads that clobber document.createElement break
    # the tag's own chat UI on the visitor's side (a tag robustness issue, reported).
    pages["/demo/cbx-start.html"] = chunk_page("start", [])

    visitor_context = browser.new_context(viewport={"width": 1000, "height": 700})
    visitor_context.set_default_timeout(20000)

    def serve(route):
        url = route.request.url
        path = url.split("?", 1)[0].removeprefix(server.base)
        if path in pages:
            return route.fulfill(body=pages[path], content_type="text/html; charset=utf-8",
                                 headers={"Content-Security-Policy": VISITOR_CSP})
        if path == "/demo/cbx-loader.js":
            return route.fulfill(body=LOADER_JS, content_type="text/javascript")
        if path == "/api/v1/send" and route.request.method == "POST":
            walls.look_at_send(route.request.post_data_buffer, "z=1" in url)
            return relay_send(route)
        if url.startswith(server.base + "/"):
            return route.continue_()
        return route.abort()  # the payloads' own fetches: the attacker's side, not tested

    tag_log: list[str] = []  # the tag's own warnings and refused sends, for failure messages

    def relay_send(route):
        try:
            response = route.fetch()
            body = response.body()
            if response.status != 200:  # for the failure message: why a page never showed
                tag_log.append(f"send refused {response.status}: {body[:300]!r}")
            route.fulfill(response=response, body=body)
        except Exception:  # noqa: S110 (the visitor's page or context went away meanwhile)
            pass

    visitor_context.route("**/*", serve)
    try:
        visitor = visitor_context.new_page()
        visitor.on("dialog", lambda d: d.dismiss())
        visitor.on("console", lambda m: "[cobrowse]" in m.text and tag_log.append(m.text[:300]))
        visitor.goto(f"{server.base}/demo/cbx-start.html")
        visitor.wait_for_function("() => window.CoBrowse && window.CoBrowse.version")
        agent_take(agent, visitor_chat(visitor))
        agent_invite(agent, "view")
        visitor_accept(visitor)
        wait_marker(agent, f"{SNAP}start")
        cases = 0
        for n, part in enumerate(parts):
            visitor.goto(f"{server.base}/demo/cbx-{n}.html")
            assert visitor.url == f"{server.base}/demo/cbx-{n}.html", visitor.url
            wait_marker(agent, f"{SNAP}{n}", log=tag_log)  # by a snapshot or by mutations
            # The snapshot way for sure: a fresh snapshot of the filled page.
            agent.evaluate(MARK_JS)
            visitor.evaluate("() => window.CoBrowse.snapshot()")
            seen = wait_marker(agent, f"{SNAP}{n}", fresh=True)
            assert seen["payloads"] == len(part), (n, seen["payloads"])
            shells = visitor.evaluate(ADD_LATE_JS, f"{LATE}{n}")
            wait_marker(agent, f"{LATE}{n}")
            attrs = visitor.evaluate(SET_ATTRIBUTES_JS, f"{ATTR}{n}")
            wait_marker(agent, f"{ATTR}{n}")
            check_walls(agent, agent.watch, f"tag chunk {n}", len(part))
            agent.watch.read_polls(walls)
            assert visitor.url == f"{server.base}/demo/cbx-{n}.html", visitor.url
            cases += 2 * len(part)
            print(f"\n  tag chunk {n}: {len(part)} payloads as snapshot + as mutations "
                  f"({shells} shell elements, {attrs} attribute ops)", end="")
        print(f"\n(a) through the tag: {len(PAYLOADS)} payloads x 2 ways (snapshot, mutations) "
              f"= {cases} cases; {len(agent.watch.requests)} agent requests, all on the server's "
              f"origins; {len(agent.watch.blocked_loads())} CSP console lines; "
              f"{time.monotonic() - started:.1f}s")
        for line in agent.watch.blocked_loads()[:5]:
            print("   agent console:", line[:160])
    finally:
        visitor_context.close()
    verdict(walls, "(a) through the tag")


def test_corpora_crafted_over_http(server, agent):
    started = time.monotonic()
    visitor = Visitor(http_transport(server.url), site="demo", origin=server.base)
    visitor.hello()
    hello = f"crafted visitor {time.time_ns()}"
    visitor.send({"k": "chat", "text": hello})
    agent_take(agent, hello)
    agent_invite(agent, "view")
    deadline = time.monotonic() + 15
    while not any(e["k"] == "invite" for e in visitor.seen):
        assert time.monotonic() < deadline, visitor.kinds()
        visitor.poll(hold=1)
    visitor.send({"k": "invite.accept", "invitation": visitor.last("invite")["invitation"]})

    cases = 0
    walls = walls_for(server)
    parts = chunks(filled(server), CHUNK)
    for n, part in enumerate(parts):
        ids = Ids(1)
        snapshot, places, owners = crafted_snapshot(part, n, f"{server.base}/demo/crafted-{n}.html",
                                                    ids)
        walls.seed(owners)
        walls.look(snapshot, "sent")
        visitor.send(snapshot)
        seen = wait_marker(agent, f"{SNAP}{n}")
        assert seen["payloads"] == len(part), (n, seen["payloads"])
        adds, shells, later = crafted_mutations(part, n, places, ids)
        for event in (adds, shells, later):
            walls.look(event, "sent")
        visitor.send(adds)
        wait_marker(agent, f"{LATE}{n}")
        visitor.send(shells)
        visitor.send(later)
        wait_marker(agent, f"{ATTR}{n}")
        visitor.poll(hold=0)  # the visitor stays "here"
        check_walls(agent, agent.watch, f"crafted chunk {n}", len(part))
        agent.watch.read_polls(walls)
        cases += 2 * len(part)
        print(f"\n  crafted chunk {n}: {len(part)} payloads as a snapshot + as mutations "
              f"({len(shells['m'])} shells, {len(later['m'])} attr/css/text ops)", end="")
    print(f"\n(b) crafted over HTTP: {len(PAYLOADS)} payloads x 2 ways (snapshot, mutations) "
          f"= {cases} cases; {len(agent.watch.requests)} agent requests, all on the server's "
          f"origins; {time.monotonic() - started:.1f}s")
    verdict(walls, "(b) crafted over HTTP")
