"""Issue 15, item 4: right after *Take*, the first click on *Co-browse* opens the menu and the
menu stays open. The transcript that Take loads used to arrive after the click and move the
focus to the chat box, and the menu closed on that focus change.

The transcript answer is held back a little in the page (a slow link), which makes the old
race happen nearly every time; the loop takes ten conversations in a row, half from the
list and half from the open conversation's own button.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.acceptance import flows
from tests.support.actors import Visitor, http_transport

pytestmark = pytest.mark.slow

# Every transcript answer reaches the workspace's code 400 ms late.
SLOW_TRANSCRIPT = """
(() => {
  const real = window.fetch.bind(window);
  window.fetch = async (url, init) => {
    const res = await real(url, init);
    if (String(url).includes('/api/v1/agent/transcript')) await new Promise((r) => setTimeout(r, 400));
    return res;
  };
})();
"""
ROUNDS = 10


def api_visitor(stack, text: str) -> Visitor:
    """A visitor of the demo site that writes ``text`` over the HTTP API (no browser needed:
    the test is about the agent's page)."""
    visitor = Visitor(http_transport(stack.base), site="demo", origin=stack.base)
    visitor.hello()
    visitor.send({"k": "chat", "text": text})
    return visitor


def take(agent: Page, text: str, from_pane: bool) -> None:
    """Take the waiting conversation whose last line is ``text``: with the list's Take button,
    or by opening it first and using the chat header's Take button."""
    item = flows.conversation_item(agent, text)
    expect(item).to_have_attribute("data-status", "waiting", timeout=flows.TIMEOUT)
    if from_pane:
        item.locator(".conv-open").click()
        expect(agent.get_by_test_id("chat-message").filter(has_text=text)).to_be_visible()
        expect(agent.locator(".chat-pane")).to_have_attribute("aria-busy", "false")
        agent.get_by_test_id("conversation-take-open").click()
    else:
        item.get_by_test_id("conversation-take").click()
    expect(item).to_have_attribute("data-status", "open")


def test_cobrowse_right_after_take_opens_the_menu_every_time(agent, stack):
    agent.add_init_script(SLOW_TRANSCRIPT)
    agent.reload()
    expect(agent.get_by_test_id("logout")).to_be_visible()
    button = agent.get_by_test_id("cobrowse-button")
    menu = agent.get_by_role("menu", name="Co-browse mode")
    opened = 0
    for round_ in range(ROUNDS):
        text = flows.unique(f"Race {round_}")
        api_visitor(stack, text)
        take(agent, text, from_pane=round_ % 2 == 1)
        # The chat shows the taken conversation and its Co-browse button is usable: click
        # at once, while the transcript is still on its way.
        conv = flows.conversation_item(agent, text).get_attribute("data-conversation")
        expect(agent.locator(".chat-pane")).to_have_attribute("data-conversation", conv)
        expect(button).to_be_enabled()
        button.click()
        expect(menu).to_be_visible()
        # Whatever the transcript load does when it lands, the menu stays open with the
        # keyboard in it.
        expect(agent.locator(".chat-pane")).to_have_attribute("aria-busy", "false")
        expect(agent.get_by_test_id("chat-message").filter(has_text=text)).to_be_visible()
        expect(menu).to_be_visible()
        expect(agent.get_by_test_id("cobrowse-mode-view")).to_be_focused()
        expect(button).to_have_attribute("aria-expanded", "true")
        opened += 1
        agent.keyboard.press("Escape")
        expect(menu).to_be_hidden()
    assert opened == ROUNDS
