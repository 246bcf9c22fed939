"""The integration surface as a brand and a messaging platform use it (issue 13), through
real gunicorn (gevent), Redis and Chromium, with a real webhook receiver on 127.0.0.1:

- a page that uses only ``window.cobrowse`` (a ``--no-ui`` site) runs a whole session that
  the platform's server starts by ``visitorRef``; the agent opens ``agent_url`` in a second
  browser context and sees the replica; every webhook arrives signed and verifies with the
  documented recipe;
- a visitor reads a support code to an agent in the workspace and the session starts;
- the platform invites by code; reused codes and links, wrong keys and another
  integration's ids are refused clearly.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
import uuid

import pytest
from playwright.sync_api import expect

from cobrowse.storage.directory import Site
from tests.acceptance import flows
from tests.acceptance.conftest import VISITOR_VIEWPORT
from tests.support.servers import ROOT
from tests.support.webhook_receiver import Receiver

pytestmark = pytest.mark.slow

#: A brand page with its own messaging window, driving co-browsing only through the API.
BRAND_PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>Brand API page</title></head>
<body data-page="brand-api"><h1 id="title">Our own support window</h1>
<p id="log">events:</p>
<script>
  window.seen = [];
  window.addEventListener("cobrowse:ready", () => {
    for (const name of ["invite", "session.started", "session.mode", "session.ended", "state"]) {
      window.cobrowse.on(name, (data) => {
        window.seen.push({name, data});
        document.getElementById("log").textContent += " " + name;
      });
    }
  });
</script>
<script src="/tag/cobrowse.js" data-site="SITE" async></script>
</body></html>"""


def cli(stack, *args) -> str:
    env = {**os.environ, "COBROWSE_REDIS_URL": stack.redis_url,
           "COBROWSE_SECRET_KEY": "integration-test-secret-0123456789"}
    done = subprocess.run([sys.executable, "-m", "cobrowse.cli", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60, check=True)
    return done.stdout


def add_integration(stack, webhook: str = "") -> tuple[str, str, str]:
    """``cobrowse integration add`` as an operator runs it; returns (name, key, secret)."""
    name = "crm-" + uuid.uuid4().hex[:6]
    out = cli(stack, "integration", "add", name, *(["--webhook", webhook] if webhook else []))
    lines = dict(line.split(": ", 1) for line in out.splitlines() if ": " in line)
    return name, lines["api key"], lines["webhook secret"]


def rest(stack, key, method, path, body=None) -> tuple[int, dict]:
    request = urllib.request.Request(
        f"{stack.base}/api/v1/integration{path}", method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def brand_page(browser, stack, directory):
    """A tab on a page of a --no-ui site that only uses window.cobrowse."""
    site = "api-" + uuid.uuid4().hex[:6]
    directory.put_site(Site(id=site, origins=[stack.base], ui=False))
    context = browser.new_context(viewport=VISITOR_VIEWPORT)
    context.set_default_timeout(15000)
    url = f"{stack.base}/brand/{site}.html"
    context.route(url, lambda route: route.fulfill(
        status=200, content_type="text/html", body=BRAND_PAGE.replace("SITE", site)))
    page = context.new_page()
    page.goto(url)
    page.wait_for_function("window.cobrowse !== undefined")
    yield page
    context.close()


def seen(page, name):
    return page.evaluate("(n) => window.seen.filter((e) => e.name === n).map((e) => e.data)", name)


def test_a_page_using_only_the_api_runs_a_whole_session(brand_page, stack, browser, receiver):
    name, key, secret = add_integration(stack, receiver.url)
    receiver.secret = secret
    page = brand_page
    expect(page.get_by_test_id("cobrowse-chat-open")).to_be_hidden()  # --no-ui: no window of ours
    ref = page.evaluate("window.cobrowse.visitorRef()")
    agent = {"id": "pat", "display": "Pat at the CRM"}
    status, body = rest(stack, key, "POST", "/invitations", {"visitor": ref, "agent": agent,
                                                            "mode": "view"})
    assert status == 201, body
    iid = body["invitation"]
    flows.eventually(lambda: seen(page, "invite"), timeout=30, what="the invite event")
    assert seen(page, "invite")[0] == {"invitation": iid, "mode": "view", "agent": "Pat at the CRM"}
    page.evaluate("(id) => window.cobrowse.accept(id)", iid)
    flows.eventually(lambda: seen(page, "session.started"), timeout=30, what="session.started")
    expect(flows.visitor_frame(page)).to_be_visible()  # the frame and its X, whatever the brand does
    expect(page.get_by_test_id("cobrowse-close")).to_be_visible()
    # The platform's agent opens agent_url in their own browser and sees the replica.
    agent_context = browser.new_context(viewport={"width": 1280, "height": 720})
    try:
        agent_page = agent_context.new_page()
        agent_page.goto(body["agent_url"])
        flows.wait_status(agent_page, "active", timeout=30_000)  # a second context, cold
        flows.wait_replica_page(agent_page, "brand-api", timeout=30_000)
        expect(flows.replica(agent_page).locator("#title")).to_have_text("Our own support window")
        sid = seen(page, "session.started")[0]["session"]
        status, sess = rest(stack, key, "GET", f"/sessions/{sid}")
        assert status == 200 and sess["state"] == "active" and sess["agent"] == agent
        page.evaluate("window.cobrowse.end()")
        flows.wait_ended(page, agent_page)
    finally:
        agent_context.close()
    assert seen(page, "session.ended")[0] == {"session": sid, "reason": "visitor"}
    states = seen(page, "state")
    assert states[-1] == {"invitation": None, "session": None} and any(s["session"] for s in states)
    receiver.wait_for(lambda: "session.ended" in receiver.types(session=sid), timeout=60)
    assert receiver.types() == ["invitation.accepted", "session.started", "session.ended"]
    assert receiver.bad == [] and all(e["integration"] == name for e in receiver.events)
    assert rest(stack, key, "GET", f"/sessions/{sid}")[1]["reason"] == "visitor"
    # Nothing of the page travels in a webhook.
    assert "support window" not in json.dumps(receiver.events)


def test_a_visitor_reads_a_code_to_an_agent_in_the_workspace(visitor, agent):
    flows.open_chat(visitor)
    visitor.get_by_test_id("cobrowse-code-request").click()
    code_el = visitor.get_by_test_id("cobrowse-code")
    expect(code_el).to_have_text(flows.re.compile(r"^\d{3} \d{3}$"))
    code = code_el.inner_text().replace(" ", "")
    agent.get_by_test_id("code-input").fill(code)
    agent.get_by_test_id("code-submit").click()
    agent.get_by_test_id("code-mode-shared").click()
    expect(agent.get_by_test_id("code-message")).to_contain_text("Waiting for the visitor")
    flows.visitor_accept(visitor)
    flows.wait_status(agent, "active")
    flows.wait_replica_page(agent, visitor.evaluate("document.body.dataset.page"))
    # No conversation of ours was made for it, and the code does not work twice.
    expect(agent.get_by_test_id("conversation").filter(has_text=code)).to_have_count(0)
    agent.get_by_test_id("cobrowse-end").click()
    flows.wait_ended(visitor, agent)
    agent.get_by_test_id("code-input").fill(code)
    agent.get_by_test_id("code-submit").click()
    expect(agent.get_by_test_id("code-message")).to_contain_text("not valid")


def test_the_platform_invites_by_code_and_refusals_are_clear(new_visitor, stack, receiver):
    name, key, secret = add_integration(stack, receiver.url)
    receiver.secret = secret
    _, other_key, _ = add_integration(stack)
    page = new_visitor()
    page.wait_for_function("window.cobrowse !== undefined")
    code = page.evaluate("window.cobrowse.supportCode()")
    agent = {"id": "sam", "display": "Sam"}
    status, body = rest(stack, key, "POST", "/invitations", {"code": code, "agent": agent})
    assert status == 201, body
    iid = body["invitation"]
    again = rest(stack, key, "POST", "/invitations", {"code": code, "agent": {"id": "kim", "display": "Kim"}})
    assert again[0] == 404 and again[1]["error"] == "bad_code"
    assert rest(stack, "cbk_wrong-key-000000000000", "GET", f"/invitations/{iid}")[0] == 401
    assert rest(stack, other_key, "GET", f"/invitations/{iid}")[0] == 404
    assert rest(stack, other_key, "DELETE", f"/invitations/{iid}")[0] == 404
    # The built-in window shows the invitation too; the visitor declines through the API.
    expect(flows.visitor_invite_card(page)).to_be_visible()
    page.evaluate("(id) => window.cobrowse.decline(id)", iid)
    receiver.wait_for(lambda: receiver.types(invitation=iid) == ["invitation.declined"])
    assert rest(stack, key, "GET", f"/invitations/{iid}")[1]["state"] == "declined"
    # The agent link of a declined invitation opens nothing; a used link neither.
    request = urllib.request.Request(body["agent_url"])
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(request, timeout=30)
    assert err.value.code == 410
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(request, timeout=30)
    assert err.value.code == 410 and b"used or has expired" in err.value.read()
