"""Take the README's annotation screenshots from a real co-browse session.

    .venv/bin/python docs/screenshots/annotate.py

Like take.py: gunicorn in demo mode, the visitor on the demo's travel page, the agent in the
workspace (1280x720). The agent circles the trip form with the pen, pinned, and draws an
arrow to the Next button; writes annotate-workspace.png and annotate-visitor.png here.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))
sys.path.insert(0, str(HERE))

from take import PASSWORD, SIZE, agent_says, on_demo, visitor_says  # noqa: E402


def replica_point(agent, selector, fx, fy):
    box = agent.frame_locator("[data-testid=cobrowse-replica]").locator(selector).bounding_box()
    return box["x"] + box["width"] * fx, box["y"] + box["height"] * fy


def run(server, browser):
    url = server.url.replace("127.0.0.1", "localhost")
    visitor_ctx = browser.new_context(viewport=SIZE)
    agent_ctx = browser.new_context(viewport=SIZE)
    visitor = visitor_ctx.new_page()
    agent = agent_ctx.new_page()
    visitor.goto(f"{url}/demo/travel.html")
    visitor.get_by_test_id("cobrowse-chat-open").click()
    visitor_says(visitor, "Which of these fields do I need for the booking?")
    agent.goto(f"{url}/workspace/")
    agent.get_by_test_id("login-username").fill("demo")
    agent.get_by_test_id("login-password").fill(PASSWORD)
    agent.get_by_test_id("login-submit").click()
    agent.get_by_test_id("conversation-take").first.click()
    agent.get_by_test_id("chat-input").wait_for()
    agent_says(agent, "Let me show you on your screen.")
    agent.get_by_test_id("cobrowse-button").click()
    agent.get_by_test_id("cobrowse-mode-view").click()
    visitor.get_by_test_id("cobrowse-accept").click()
    agent.locator("[data-testid=cobrowse-status][data-state=active]").wait_for()
    agent.wait_for_selector("[data-testid=cobrowse-replica][data-ready]", timeout=20000)
    time.sleep(0.5)

    # A pinned ring of ink around the destination field, then an arrow to the Next button.
    agent.get_by_test_id("annotate-pin").click()
    agent.get_by_test_id("annotate-pen").click()
    import math
    box = agent.frame_locator("[data-testid=cobrowse-replica]").locator("#destination").bounding_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    rx, ry = box["width"] * 0.62, box["height"] * 1.1
    agent.mouse.move(cx + rx, cy)
    agent.mouse.down()
    for k in range(1, 41):
        a = 2 * math.pi * k / 40
        agent.mouse.move(cx + rx * math.cos(a), cy + ry * math.sin(a))
    agent.mouse.up()
    agent.get_by_test_id("annotate-arrow").click()
    end = agent.frame_locator("[data-testid=cobrowse-replica]").locator("#travellers").bounding_box()
    agent.mouse.move(end["x"] + end["width"] + 90, end["y"] + 60)
    agent.mouse.down()
    agent.mouse.move(end["x"] + end["width"] + 6, end["y"] + end["height"] / 2, steps=10)
    agent.mouse.up()
    visitor.locator("cobrowse-ui").evaluate(
        "(h) => h.shadowRoot.querySelectorAll('[data-testid=cobrowse-annotation]').length >= 2")
    time.sleep(0.8)
    agent.screenshot(path=str(HERE / "annotate-workspace.png"))
    visitor.screenshot(path=str(HERE / "annotate-visitor.png"))
    visitor_ctx.close()
    agent_ctx.close()


def main():
    on_demo(run)
    print(f"wrote {HERE / 'annotate-workspace.png'} and {HERE / 'annotate-visitor.png'}")


if __name__ == "__main__":
    main()
