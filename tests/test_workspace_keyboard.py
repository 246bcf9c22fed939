"""The workspace with the keyboard only (issue 5, item 8): sign in, take a conversation, chat,
invite, cancel, invite again, switch mode, end and close the widget, with Tab, Shift+Tab,
Enter, Space and the arrow keys. Every control reached shows a visible focus ring.

The agent is real Chromium against real gunicorn; the visitor is a protocol actor over HTTP
(its browser side is the tag's own suite), which keeps this test to one browser context.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.support.actors import Visitor, http_transport
from tests.support.servers import Gunicorn

playwright_api = pytest.importorskip("playwright.sync_api")

# tests/support/servers.py keeps its log file open for the server's life.
pytestmark = [pytest.mark.browser,
              pytest.mark.filterwarnings("ignore::ResourceWarning"),
              pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")]

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
PASSWORD = "keyboard-password-1"

FOCUSED = """() => { const el = document.activeElement; const s = getComputedStyle(el);
  return { testid: el.dataset.testid || '', tag: el.localName, cls: el.className,
           ring: s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2 }; }"""


@pytest.fixture(scope="module")
def server():
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium is not installed")
    with Gunicorn(env={"COBROWSE_DEMO_PASSWORD": PASSWORD, "COBROWSE_POLL_HOLD": "5"}) as g:
        yield g


@pytest.fixture
def page(server, browser):
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    context.set_default_timeout(10000)
    pg = context.new_page()
    pg.errors = []
    pg.on("pageerror", lambda exc: pg.errors.append(str(exc)))
    yield pg
    context.close()


def visitor_for(server):
    visitor = Visitor(http_transport(server.url), site="demo", origin=server.url)
    visitor.hello()
    return visitor


def wait_for(visitor, predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        visitor.poll(hold=1)
        found = [e for e in visitor.seen if predicate(e)]
        if found:
            return found[-1]
    raise AssertionError(f"not seen; kinds {visitor.kinds()}")


def focus_on(page, testid, key="Tab", limit=40):
    """Press `key` until the control `testid` has the focus; it must show a focus ring."""
    for _ in range(limit):
        page.keyboard.press(key)
        got = page.evaluate(FOCUSED)
        if got["testid"] == testid:
            assert got["ring"], f"{testid} has no visible focus ring"
            return
    raise AssertionError(f"{testid} is not reachable with {key}")


def focused(page):
    return page.evaluate(FOCUSED)["testid"]


def test_keyboard_only_sign_in_take_invite_and_end(server, page):
    visitor = visitor_for(server)
    visitor.send({"k": "chat", "text": "Can someone help me?"})

    page.goto(f"{server.url}/workspace/")
    page.get_by_test_id("login-username").wait_for()
    assert focused(page) == "login-username"  # the form takes the focus
    page.keyboard.type("demo")
    page.keyboard.press("Tab")
    assert focused(page) == "login-password"
    page.keyboard.type("wrong password")
    page.keyboard.press("Enter")
    page.get_by_test_id("login-error").filter(has_text="Wrong username or password").wait_for()
    assert focused(page) == "login-password"  # selected, ready to type again
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.get_by_test_id("conversation-take").wait_for()

    # Take the waiting conversation: the composer gets the focus; Enter sends.
    focus_on(page, "conversation-take")
    page.keyboard.press("Enter")
    page.locator("[data-testid=chat-input]:focus").wait_for()
    page.keyboard.type("Hello! Let me have a look.")
    page.keyboard.press("Enter")
    wait_for(visitor, lambda e: e["k"] == "chat" and e.get("from") == "agent")

    # Invite: the menu opens on its first choice; arrows move, Enter chooses.
    focus_on(page, "cobrowse-button", key="Shift+Tab")
    page.keyboard.press("Enter")
    assert focused(page) == "cobrowse-mode-view"
    page.keyboard.press("ArrowDown")
    assert focused(page) == "cobrowse-mode-shared"
    page.keyboard.press("Escape")  # Escape closes the menu, back on the button
    assert focused(page) == "cobrowse-button"
    assert page.get_by_test_id("cobrowse-mode-view").is_hidden()
    page.keyboard.press("Space")
    page.keyboard.press("End")
    assert focused(page) == "cobrowse-mode-shared"
    page.keyboard.press("Enter")
    page.get_by_test_id("cobrowse-invite-pending").wait_for()
    assert focused(page) == "chat-input"  # the chosen item went away: back to the composer
    first = wait_for(visitor, lambda e: e["k"] == "invite")
    assert first["mode"] == "shared"

    # Cancel with Space; the focus lands on the co-browse button, now usable again.
    focus_on(page, "cobrowse-cancel-invite", key="Shift+Tab")
    page.keyboard.press("Space")
    wait_for(visitor, lambda e: e["k"] == "invite.state" and e["state"] == "cancelled")
    page.locator("[data-testid=cobrowse-button]:focus:enabled").wait_for()
    page.keyboard.press("Enter")
    page.keyboard.press("Enter")  # View only
    page.get_by_test_id("cobrowse-invite-pending").wait_for()
    invite = wait_for(visitor, lambda e: e["k"] == "invite" and e["invitation"] != first["invitation"])
    assert invite["mode"] == "view"

    # The visitor accepts and sends a page; the widget is reachable and operable too.
    visitor.send({"k": "invite.accept", "invitation": invite["invitation"]})
    wait_for(visitor, lambda e: e["k"] == "session.started")
    visitor.send({"k": "snapshot", "url": f"{server.url}/demo/", "title": "Home",
                  "vw": 1280, "vh": 720, "sx": 0, "sy": 0, "doc": {
                      "i": 1, "t": 9, "c": [{"i": 2, "t": 1, "n": "html", "c": [
                          {"i": 3, "t": 1, "n": "head"},
                          {"i": 4, "t": 1, "n": "body", "c": [{"i": 5, "t": 3, "x": "Hi"}]}]}]}})
    page.wait_for_selector("[data-testid=cobrowse-replica][data-ready]")
    page.locator("[data-testid=cobrowse-status][data-state=active]").wait_for()
    focus_on(page, "cobrowse-switch-mode")
    page.keyboard.press("Space")
    # Control needs the visitor's consent (issue 10): the visitor is asked, and accepts.
    request = wait_for(visitor, lambda e: e["k"] == "mode.request")
    visitor.send({"k": "mode.accept", "request": request["request"]})
    page.locator("[data-testid=cobrowse-mode][data-mode=shared]").wait_for()
    focus_on(page, "cobrowse-end")
    page.keyboard.press("Enter")
    page.locator("[data-testid=cobrowse-status][data-state=ended]").wait_for()
    assert focused(page) == "cobrowse-close"  # End went disabled: the focus moved on
    page.keyboard.press("Enter")
    page.get_by_test_id("cobrowse-widget").wait_for(state="hidden")
    assert focused(page) == "cobrowse-button"

    focus_on(page, "logout", key="Shift+Tab")
    page.keyboard.press("Enter")
    page.get_by_test_id("login-username").wait_for()
    assert page.errors == []
