"""Take the README's screenshots from a real co-browse session.

    .venv/bin/python docs/screenshots/take.py

Starts gunicorn in demo mode on a free port, opens the demo's travel page as the visitor
(one Chromium context) and the workspace as the agent (another, 1280x720), chats, runs a
shared co-browse with both pointers showing, and writes workspace.png and visitor.png here.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.servers import Gunicorn  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
PASSWORD = "screenshot-password-1"
SIZE = {"width": 1280, "height": 720}


def visitor_says(page, text):
    page.get_by_test_id("cobrowse-chat-input").fill(text)
    page.get_by_test_id("cobrowse-chat-send").click()


def agent_says(page, text):
    page.get_by_test_id("chat-input").fill(text)
    page.get_by_test_id("chat-send").click()
    page.get_by_test_id("chat-message").filter(has_text=text).wait_for()


def move_in_replica(agent, selector, fx=0.5, fy=0.5, steps=8):
    """Move the agent's mouse over an element of the replica (page coordinates)."""
    frame = agent.frame_locator("[data-testid=cobrowse-replica]")
    box = frame.locator(selector).bounding_box()
    agent.mouse.move(box["x"] + box["width"] * fx, box["y"] + box["height"] * fy, steps=steps)


def run(server, browser):
    url = server.url.replace("127.0.0.1", "localhost")
    visitor_ctx = browser.new_context(viewport=SIZE)
    agent_ctx = browser.new_context(viewport=SIZE)
    visitor = visitor_ctx.new_page()
    agent = agent_ctx.new_page()

    visitor.goto(f"{url}/demo/travel.html")
    visitor.get_by_test_id("cobrowse-chat-open").click()
    visitor_says(visitor, "Hi! I'm booking a trip to Kyoto but I can't find the room options.")

    agent.goto(f"{url}/workspace/")
    agent.get_by_test_id("login-username").fill("demo")
    agent.get_by_test_id("login-password").fill(PASSWORD)
    agent.get_by_test_id("login-submit").click()
    agent.get_by_test_id("conversation-take").first.click()
    agent.get_by_test_id("chat-input").wait_for()
    agent_says(agent, "Hello, I'm glad to help. May I look at the page with you?")
    visitor.get_by_test_id("cobrowse-chat-message").filter(has_text="glad to help").wait_for()
    visitor_says(visitor, "Sure, go ahead.")
    agent.get_by_test_id("chat-message").filter(has_text="go ahead").wait_for()

    agent.get_by_test_id("cobrowse-button").click()
    agent.get_by_test_id("cobrowse-mode-shared").click()
    visitor.get_by_test_id("cobrowse-accept").click()
    agent.wait_for_selector("[data-testid=cobrowse-replica][data-ready]", timeout=20000)
    agent.locator("[data-testid=cobrowse-status][data-state=active]").wait_for()

    # The visitor fills in step 1 and points at the next button; the agent points at the
    # travellers field of the replica.
    visitor.select_option("#destination", "kyoto")
    visitor.fill("#travellers", "3")
    agent_says(agent, "I can see it. Choose your dates here, then press Next: the rooms are on step 2.")
    box = visitor.locator("#step-indicator li[data-step='2']").bounding_box()
    visitor.mouse.move(box["x"] + box["width"] * 0.4, box["y"] + box["height"] * 0.6, steps=6)
    agent.get_by_test_id("cobrowse-visitor-cursor").wait_for()
    time.sleep(0.5)
    # The agent points at the dates and clicks their label: a yellow ring on both sides.
    move_in_replica(agent, "label[for=depart-date]", 0.7, 0.5)
    visitor.get_by_test_id("cobrowse-agent-cursor").wait_for()
    time.sleep(0.6)
    agent.mouse.down()
    agent.mouse.up()
    visitor.get_by_test_id("cobrowse-highlight").wait_for()
    time.sleep(0.15)

    agent.screenshot(path=str(HERE / "workspace.png"))
    visitor.screenshot(path=str(HERE / "visitor.png"))
    visitor_ctx.close()
    agent_ctx.close()


def on_demo(run) -> None:
    """``run(server, browser)`` against gunicorn in demo mode and one headless Chromium
    (the screenshot scripts share this)."""
    from playwright.sync_api import sync_playwright

    with Gunicorn(env={"COBROWSE_DEMO_PASSWORD": PASSWORD}) as server, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            run(server, browser)
        finally:
            browser.close()


def main():
    on_demo(run)
    print(f"wrote {HERE / 'workspace.png'} and {HERE / 'visitor.png'}")


if __name__ == "__main__":
    main()
