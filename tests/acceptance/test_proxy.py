"""The visitor behind a real forward proxy: Debian's squid on loopback, configured the way a
restrictive corporate proxy is (30 s read and request timeouts, CONNECT refused, an
aggressive memory cache). The visitor's Chromium sends everything through it (loopback
included), and the whole flow works: chat, invitation, consent, the replica, the agent's
pointer on the visitor's page, a long poll held through the proxy, the end."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.acceptance import flows
from tests.acceptance.conftest import CHROMIUM, CHROMIUM_ARGS, VISITOR_VIEWPORT
from tests.acceptance.support_privacy import Squid

#: squid's native access.log: time elapsed client code/status bytes method URL ...
LOG_LINE = re.compile(r"^\S+\s+(?P<elapsed>\d+)\s+\S+\s+(?P<code>\S+)/(?P<status>\d+)\s+\d+\s+"
                      r"(?P<method>\S+)\s+(?P<url>\S+)")


@pytest.fixture
def squid():
    proxy = Squid().start()
    yield proxy
    proxy.stop()


def entries(squid) -> list[dict]:
    return [m.groupdict() for line in squid.access_log() if (m := LOG_LINE.match(line))]


def test_the_whole_flow_works_through_a_forward_proxy(squid, stack, browser, agent):
    proxied = browser.browser_type.launch(
        executable_path=CHROMIUM, proxy={"server": squid.url},
        args=CHROMIUM_ARGS + ["--proxy-bypass-list=<-loopback>"])
    try:
        context = proxied.new_context(viewport=VISITOR_VIEWPORT)
        context.set_default_timeout(15000)
        visitor = context.new_page()
        visitor.goto(f"{stack.base}/demo/")
        visitor.wait_for_function("!!(window.CoBrowse && CoBrowse.info && CoBrowse.info().state)")

        rep = flows.start_cobrowse(visitor, agent, "shared")

        # The agent points at a card; the visitor sees the labelled pointer on it.
        rep.locator("#card-shop").hover()
        cursor = visitor.get_by_test_id("cobrowse-agent-cursor")
        expect(cursor).to_be_visible()
        card = visitor.locator("#card-shop").bounding_box()
        flows.eventually(lambda: (b := flows.box(cursor)) and flows.contains(card, b["x"], b["y"], 4),
                         what="the agent's pointer on the visitor's card")

        # A quiet spell: the visitor's long poll is held by the server (20 s here) and comes
        # back through the proxy before squid's 30 s timeouts; the session carries on.
        port = stack.base.rsplit(":", 1)[1]
        flows.eventually(lambda: any(e["url"].startswith(f"http://localhost:{port}/api/v1/poll")
                                     and int(e["elapsed"]) >= 15000 and e["status"] == "200"
                                     for e in entries(squid)),
                         timeout=40, what="a long poll held through the proxy")
        flows.wait_status(agent, "active")
        rep.locator("#card-help").hover()
        help_card = visitor.locator("#card-help").bounding_box()
        flows.eventually(lambda: (b := flows.box(cursor)) and flows.contains(help_card, b["x"], b["y"], 4),
                         what="the agent's pointer after the quiet spell")

        agent.get_by_test_id("cobrowse-end").click()
        flows.wait_ended(visitor, agent)
        context.close()
    finally:
        proxied.close()

    # Everything the visitor's browser asked of the server went through squid, as plain HTTP.
    log = entries(squid)
    ours = [e for e in log if e["url"].startswith(f"http://localhost:{port}/")]
    paths = {e["method"] + " " + e["url"].split("?")[0].split(port, 1)[1] for e in ours}
    for needed in ("GET /demo/", "GET /tag/cobrowse.js", "POST /api/v1/visitor/hello",
                   "POST /api/v1/send", "POST /api/v1/poll"):
        assert needed in paths, f"{needed} did not go through the proxy: {sorted(paths)}"
    # (Chromium's own background calls to Google try CONNECT and are refused: not ours.)
    tunnels = [e["url"] for e in log if e["method"] == "CONNECT" and e["url"].endswith(":" + port)]
    assert not tunnels, tunnels
    api = [e for e in ours if "/api/" in e["url"]]
    assert all("HIT" not in e["code"] for e in api), "the proxy answered an API call from its cache"
    bad = [e for e in api if not e["status"].startswith("2") and e["status"] != "000"]
    assert not bad, f"API calls that failed through the proxy: {bad}"
