"""Steps a person takes, shared by the acceptance tests: chat, take, invite, accept, and the
widget's states. Each step waits for the result a person would see before it returns, so a
test reads as a story and never sleeps.

``visitor`` is a Playwright page on a tagged demo page (the tag's UI lives in an open shadow
root; ``get_by_test_id`` pierces it). ``agent`` is the signed-in workspace page.

Many tests share one server, so the waiting list may hold other tests' visitors: the agent
always finds *its* visitor by the text the visitor wrote (``visitor_chat`` makes the text
unique when none is given).
"""

from __future__ import annotations

import re
import time
import uuid

from playwright.sync_api import FrameLocator, Locator, Page, expect

TIMEOUT = 15_000


def unique(prefix: str = "Hello") -> str:
    """A chat line no other test writes."""
    return f"{prefix} {uuid.uuid4().hex[:8]}"


# --- chat ----------------------------------------------------------------------------------


def open_chat(visitor: Page) -> None:
    """Open the tag's chat window (no-op when it is open already)."""
    launcher = visitor.get_by_test_id("cobrowse-chat-open")
    launcher.wait_for()  # the tag's UI is built (and the window's open state restored)
    if not visitor.get_by_test_id("cobrowse-chat-panel").is_visible():
        launcher.click()
    expect(visitor.get_by_test_id("cobrowse-chat-input")).to_be_visible()


def visitor_chat(visitor: Page, text: str | None = None) -> str:
    """The visitor writes ``text`` (a unique line when None) in the tag's chat and sees it
    echoed by the server. Returns the text."""
    text = text or unique()
    open_chat(visitor)
    visitor.get_by_test_id("cobrowse-chat-input").fill(text)
    visitor.get_by_test_id("cobrowse-chat-send").click()
    expect(visitor.get_by_test_id("cobrowse-chat-message").filter(has_text=text)).to_be_visible()
    return text


def agent_chat(agent: Page, text: str | None = None) -> str:
    """The agent writes ``text`` in the open conversation; returns it once it is shown."""
    text = text or unique("Agent says")
    agent.get_by_test_id("chat-input").fill(text)
    agent.get_by_test_id("chat-send").click()
    expect(agent.get_by_test_id("chat-message").filter(has_text=text)).to_be_visible()
    return text


def conversation_item(agent: Page, text: str) -> Locator:
    """The conversation in the agent's list whose preview holds ``text``."""
    return agent.get_by_test_id("conversation").filter(has_text=text)


def agent_take(agent: Page, text: str) -> str:
    """The agent takes the waiting conversation whose last message is ``text`` and has it open
    with the chat input ready. Returns the conversation id."""
    item = conversation_item(agent, text)
    expect(item).to_have_attribute("data-status", "waiting", timeout=TIMEOUT)
    conv = item.get_attribute("data-conversation")
    item.get_by_test_id("conversation-take").click()
    expect(agent.locator(f'[data-testid="conversation"][data-conversation="{conv}"]')
           ).to_have_attribute("data-status", "open")
    expect(agent.get_by_test_id("chat-message").filter(has_text=text)).to_be_visible()
    expect(agent.get_by_test_id("chat-input")).to_be_enabled()
    return conv


def open_conversation(agent: Page, conv: str) -> None:
    """The agent opens conversation ``conv`` from the list (its transcript loads)."""
    agent.locator(f'[data-testid="conversation"][data-conversation="{conv}"] .conv-open').click()
    expect(agent.locator(f'[data-testid="conversation"][data-conversation="{conv}"]')
           ).to_have_class(re.compile(r"\bselected\b"))
    expect(agent.get_by_test_id("chat-input")).to_be_visible()


def chat_and_take(visitor: Page, agent: Page) -> str:
    """The visitor says hello and the agent takes that conversation. Returns the conversation
    id."""
    return agent_take(agent, visitor_chat(visitor))


# --- invitation ----------------------------------------------------------------------------


def agent_invite(agent: Page, mode: str = "shared") -> Locator:
    """The agent opens the co-browse menu of the open conversation and picks ``mode``
    ("view" or "shared"). Returns the pending banner once it shows."""
    button = agent.get_by_test_id("cobrowse-button")
    expect(button).to_be_enabled()
    button.click()
    agent.get_by_test_id(f"cobrowse-mode-{mode}").click()
    pending = agent.get_by_test_id("cobrowse-invite-pending")
    expect(pending).to_be_visible()
    return pending


def visitor_invite_card(visitor: Page) -> Locator:
    """The invitation card in the visitor's chat window."""
    return visitor.get_by_test_id("cobrowse-invite")


def visitor_accept(visitor: Page) -> None:
    """The visitor accepts the invitation; returns once the frame around the tab shows."""
    card = visitor_invite_card(visitor)
    expect(card).to_be_visible(timeout=TIMEOUT)
    card.get_by_test_id("cobrowse-accept").click()
    expect(visitor.get_by_test_id("cobrowse-frame")).to_be_visible()


def visitor_decline(visitor: Page) -> None:
    """The visitor declines the invitation; returns once the card is gone."""
    card = visitor_invite_card(visitor)
    expect(card).to_be_visible(timeout=TIMEOUT)
    card.get_by_test_id("cobrowse-decline").click()
    expect(card).to_have_count(0)


# --- the session ---------------------------------------------------------------------------


def status(agent: Page) -> Locator:
    """The widget's status line (``data-state``: connecting|active|away|reconnecting|ended)."""
    return agent.get_by_test_id("cobrowse-status")


def wait_status(agent: Page, state: str, timeout: float = TIMEOUT) -> None:
    """Wait until the widget's status line is in ``state``."""
    expect(status(agent)).to_have_attribute("data-state", state, timeout=timeout)


def replica(agent: Page) -> FrameLocator:
    """The replica of the visitor's page inside the workspace (a FrameLocator)."""
    return agent.frame_locator('[data-testid="cobrowse-replica"]')


def replica_eval(agent: Page, body: str):
    """Evaluate the JavaScript expression ``body`` from the agent's page with ``doc`` and
    ``win`` bound to the replica's document and window. (The replica is sandboxed without
    scripts, so Playwright cannot run code *inside* it reliably; it is same-origin, so the
    workspace page can read it.)"""
    return agent.evaluate(
        "(body) => { const f = document.querySelector('[data-testid=\"cobrowse-replica\"]');"
        " const doc = f && f.contentDocument, win = f && f.contentWindow;"
        " return new Function('doc', 'win', 'return (' + body + ');')(doc, win); }", body)


def wait_replica_page(agent: Page, page: str, timeout: float = TIMEOUT) -> FrameLocator:
    """Wait until the replica shows the demo page ``page`` (body data-page: home, travel...)."""
    rep = replica(agent)
    expect(rep.locator(f'body[data-page="{page}"]')).to_have_count(1, timeout=timeout)
    return rep


def start_cobrowse(visitor: Page, agent: Page, mode: str = "shared") -> FrameLocator:
    """The whole way to a live session: the visitor chats, the agent takes the conversation and
    invites in ``mode``, the visitor accepts. Returns the replica once it is active and shows
    the visitor's current page."""
    chat_and_take(visitor, agent)
    agent_invite(agent, mode)
    visitor_accept(visitor)
    wait_status(agent, "active")
    page = visitor.evaluate("document.body.dataset.page")
    rep = wait_replica_page(agent, page)
    expect(agent.get_by_test_id("cobrowse-mode")).to_contain_text(
        re.compile("view" if mode == "view" else "shared", re.I))
    return rep


def visitor_frame(visitor: Page) -> Locator:
    """The frame the tag draws around the tab during a session."""
    return visitor.get_by_test_id("cobrowse-frame")


def wait_ended(visitor: Page, agent: Page) -> None:
    """Both sides show the session as over: the frame gone, the widget ``ended``."""
    expect(visitor_frame(visitor)).to_be_hidden()
    wait_status(agent, "ended")


def replica_box(agent: Page, selector: str) -> dict:
    """Bounding box, in the agent's page pixels, of the replica element at ``selector``."""
    box = replica(agent).locator(selector).bounding_box()
    assert box is not None, selector
    return box


def contains(box: dict, x: float, y: float, slack: float = 2) -> bool:
    """Whether the point (x, y) lies in ``box`` (with a few pixels of slack)."""
    return (box["x"] - slack <= x <= box["x"] + box["width"] + slack
            and box["y"] - slack <= y <= box["y"] + box["height"] + slack)


def eventually(check, timeout: float = TIMEOUT / 1000, what: str = "condition",
               pump: Page | None = None):
    """Poll ``check()`` until it returns a truthy value (returned) or fail after ``timeout``
    seconds. For conditions that span two pages (a box on one side, a point on the other),
    which no single ``expect`` can wait for. Playwright delivers its events (``page.on``)
    only while the test calls it: when ``check`` only reads what such handlers collect, pass
    a ``pump`` page to wait on between tries."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        try:
            last = check()
        except AssertionError as exc:  # a check may assert to explain itself
            last = exc
        if last and not isinstance(last, AssertionError):
            return last
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}: last {last!r}")
        if pump is not None:
            pump.wait_for_timeout(50)
        else:
            time.sleep(0.05)


def box(locator: Locator) -> dict | None:
    """``locator``'s bounding box, or None while it is hidden or missing."""
    try:
        return locator.bounding_box(timeout=500)
    except Exception:  # noqa: BLE001 - Playwright's timeout while it is not there
        return None
