"""A second agent joins (issue 15, item 2), in three real Chromium contexts: the visitor, the
owner and a watcher. The watcher asks from the workspace's list, the owner agrees in the
widget, the visitor accepts in the engagement window; the watcher sees the replica without
any control and the server refuses what it would send; the visitor sees every name; the
watcher leaves and the session goes on. A supervisor needs no owner's agreement, and a
visitor's decline keeps the watcher out."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import Page, expect

from cobrowse.rules.passwords import hash_password
from cobrowse.storage.directory import Agent
from tests.acceptance.conftest import AGENT_VIEWPORT, PASSWORD
from tests.acceptance.flows import TIMEOUT, start_cobrowse, wait_replica_page, wait_status

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def colleague(browser, stack, directory):
    """A factory: a second agent (a supervisor or not) signed in to its own workspace."""
    contexts = []

    def make(supervisor: bool = False) -> tuple[Page, str]:
        name = "watcher-" + uuid.uuid4().hex[:8]
        display = ("Sam " if supervisor else "Bob ") + name[-4:]
        directory.put_agent(Agent(name=name, password_hash=hash_password(PASSWORD),
                                  display=display, supervisor=supervisor))
        context = browser.new_context(viewport=AGENT_VIEWPORT)
        context.set_default_timeout(15000)
        contexts.append(context)
        page = context.new_page()
        page.goto(f"{stack.base}/workspace/")
        page.get_by_test_id("login-username").fill(name)
        page.get_by_test_id("login-password").fill(PASSWORD)
        page.get_by_test_id("login-submit").click()
        expect(page.get_by_test_id("logout")).to_be_visible()
        return page, display

    yield make
    for context in contexts:
        context.close()


def ask_to_join(watcher: Page, owner_display: str) -> None:
    """The watcher presses Join on the owner's co-browsing conversation in its list."""
    item = watcher.get_by_test_id("colleague-conversation").filter(has_text=owner_display)
    item.get_by_test_id("cobrowse-join").click()
    expect(item).not_to_have_attribute("data-watch", "", timeout=TIMEOUT)


def api_send(page: Page, events: list) -> list:
    """What the server answers a send of ``events`` with this workspace's sign-in."""
    return page.evaluate("""async (events) => {
        const me = await (await fetch('/workspace/api/me')).json();
        const res = await fetch('/api/v1/send', {method: 'POST',
            headers: {'Content-Type': 'application/json'},
            body: JSON.stringify({token: me.token, seq: me.seq + 1, events})});
        return [res.status, await res.json()];
    }""", events)


def test_a_colleague_joins_with_both_agreements_watches_and_leaves(visitor, agent, agent_display,
                                                                   colleague):
    start_cobrowse(visitor, agent, "shared")
    watcher, watcher_display = colleague()
    ask_to_join(watcher, agent_display)
    expect(watcher.get_by_test_id("cobrowse-join-status")).to_contain_text("agent to agree")
    # The owner agrees in the widget; only then is the visitor asked.
    prompt = agent.get_by_test_id("cobrowse-join-prompt")
    expect(prompt).to_contain_text(watcher_display)
    expect(visitor.get_by_test_id("cobrowse-join-request")).to_have_count(0)
    prompt.get_by_test_id("cobrowse-join-accept").click()
    card = visitor.get_by_test_id("cobrowse-join-request")
    expect(card).to_contain_text(watcher_display)
    expect(card).to_contain_text(agent_display)
    expect(watcher.get_by_test_id("cobrowse-join-status")).to_contain_text("visitor to agree")
    expect(watcher.get_by_test_id("cobrowse-replica")).to_have_count(0)
    card.get_by_test_id("cobrowse-join-accept").click()

    # The watcher sees the visitor's page, built from the stored stream.
    page = visitor.evaluate("document.body.dataset.page")
    wait_replica_page(watcher, page)
    wait_status(watcher, "active")
    # ...and has no control: no mode switch, no End, no drawing tools; Leave instead.
    expect(watcher.get_by_test_id("cobrowse-leave")).to_be_visible()
    for testid in ("cobrowse-switch-mode", "cobrowse-end", "annotate-pen"):
        expect(watcher.get_by_test_id(testid)).to_be_hidden()
    status, refused = api_send(watcher, [{"k": "control.click", "i": 1}])
    assert (status, refused["error"]) == (403, "watcher")
    status, refused = api_send(watcher, [{"k": "pointer", "i": 1, "x": 0.5, "y": 0.5}])
    assert (status, refused["error"]) == (403, "watcher")
    expect(watcher.get_by_test_id("cobrowse-watchers")).to_contain_text(agent_display)

    # Everyone sees who watches: the owner's widget, the visitor's frame bar and chat window.
    expect(agent.get_by_test_id("cobrowse-watchers")).to_contain_text(watcher_display)
    expect(visitor.get_by_test_id("cobrowse-watchers")).to_contain_text(watcher_display)
    expect(visitor.get_by_test_id("cobrowse-mode")).to_contain_text(agent_display)
    viewers = visitor.get_by_test_id("cobrowse-chat-watchers")
    expect(viewers).to_contain_text(agent_display)
    expect(viewers).to_contain_text(watcher_display)

    # The page changes: both replicas follow, from the one stream.
    visitor.evaluate("document.querySelector('h1').textContent = 'Changed for both agents'")
    for who in (agent, watcher):
        expect(who.frame_locator('[data-testid="cobrowse-replica"]').locator("h1")
               ).to_have_text("Changed for both agents")

    # The watcher leaves; the session goes on for the owner and the visitor.
    watcher.get_by_test_id("cobrowse-leave").click()
    expect(watcher.get_by_test_id("cobrowse-ended")).to_contain_text("You left")
    expect(watcher.get_by_test_id("cobrowse-replica")).to_have_count(0)
    expect(agent.get_by_test_id("cobrowse-watchers")).to_be_hidden()
    expect(visitor.get_by_test_id("cobrowse-watchers")).to_be_hidden()
    expect(viewers).not_to_contain_text(watcher_display)
    wait_status(agent, "active")
    expect(visitor.get_by_test_id("cobrowse-frame")).to_be_visible()
    visitor.evaluate("document.querySelector('h1').textContent = 'Still co-browsing'")
    expect(agent.frame_locator('[data-testid="cobrowse-replica"]').locator("h1")
           ).to_have_text("Still co-browsing")


def test_a_supervisor_needs_no_owner_but_a_visitor_decline_keeps_it_out(visitor, agent,
                                                                         agent_display, colleague):
    start_cobrowse(visitor, agent, "view")
    supervisor, supervisor_display = colleague(supervisor=True)
    ask_to_join(supervisor, agent_display)
    # Straight to the visitor: the owner is told, never prompted.
    card = visitor.get_by_test_id("cobrowse-join-request")
    expect(card).to_contain_text(supervisor_display)
    expect(agent.get_by_test_id("cobrowse-note")).to_contain_text("once the visitor agrees")
    expect(agent.get_by_test_id("cobrowse-join-prompt")).to_be_hidden()
    card.get_by_test_id("cobrowse-join-decline").click()
    expect(supervisor.get_by_test_id("cobrowse-join-status")).to_contain_text("visitor declined")
    expect(supervisor.get_by_test_id("cobrowse-replica")).to_have_count(0)
    expect(visitor.get_by_test_id("cobrowse-watchers")).to_be_hidden()
    # Asked again, the visitor accepts: the supervisor watches.
    item = supervisor.get_by_test_id("colleague-conversation").filter(has_text=agent_display)
    expect(item.get_by_test_id("cobrowse-join")).to_be_enabled()
    ask_to_join(supervisor, agent_display)
    visitor.get_by_test_id("cobrowse-join-request").get_by_test_id("cobrowse-join-accept").click()
    wait_replica_page(supervisor, visitor.evaluate("document.body.dataset.page"))
    expect(visitor.get_by_test_id("cobrowse-watchers")).to_contain_text(supervisor_display)
    # The owner ending the session ends the watch.
    agent.get_by_test_id("cobrowse-end").click()
    expect(supervisor.get_by_test_id("cobrowse-ended")).to_contain_text("owner ended")
    wait_status(agent, "ended")
